package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
)

func TestCharacterizationBadInputsChangeNothing(t *testing.T) {
	h := newHarness(t)
	f := h.conducting(t, tenantA, "bad", nil, "i1", "i2")
	c := h.client
	if _, err := c.CreateEvidence(f.amy, &appraisalv1.CreateEvidenceRequest{Parent: f.name, EvidenceId: "e1", Evidence: &appraisalv1.Evidence{
		Kind: appraisalv1.Evidence_KIND_ARTIFACT, Title: "Plan", Practices: []string{"RSK-1.1"}, Instances: []string{"i1"},
	}}); err != nil {
		t.Fatal(err)
	}
	good := f.charName("i1", "RSK-1.1")
	if _, err := c.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
		Characterization: &appraisalv1.Characterization{Name: good, Value: vFM, Evidence: []string{"e1"}}, AllowMissing: true,
	}); err != nil {
		t.Fatal(err)
	}
	before := f.snapshot(t)

	update := func(name string, evidence ...string) error {
		_, err := c.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
			Characterization: &appraisalv1.Characterization{Name: name, Value: vLM, Evidence: evidence}, AllowMissing: true,
		})
		return err
	}
	tests := []struct {
		name   string
		call   func() error
		fields []string
	}{
		{"practice out of scope (level 3, target 2)", func() error { return update(f.charName("i1", "RSK-3.1")) }, []string{"characterization.name"}},
		{"practice unknown", func() error { return update(f.charName("i1", "XYZ-1.1")) }, []string{"characterization.name"}},
		{"instance unknown", func() error { return update(f.charName("nope", "RSK-1.1")) }, []string{"characterization.name"}},
		{"instance and practice unknown", func() error { return update(f.charName("nope", "XYZ-1.1")) }, []string{"characterization.name", "characterization.name"}},
		{"evidence unknown", func() error { return update(good, "e1", "e404") }, []string{"characterization.evidence[1]"}},
		{"evidence citing an out-of-scope practice and an unknown instance", func() error {
			_, err := c.CreateEvidence(f.amy, &appraisalv1.CreateEvidenceRequest{Parent: f.name, Evidence: &appraisalv1.Evidence{
				Kind: appraisalv1.Evidence_KIND_ARTIFACT, Title: "Bad", Practices: []string{"RSK-1.1", "RSK-3.1"}, Instances: []string{"i1", "i9"},
			}})
			return err
		}, []string{"evidence.practices[1]", "evidence.instances[1]"}},
		{"finding citing an out-of-scope practice", func() error {
			_, err := c.CreateFinding(f.amy, &appraisalv1.CreateFindingRequest{Parent: f.name, Finding: &appraisalv1.Finding{
				Kind: appraisalv1.Finding_KIND_WEAKNESS, Text: "x", Practices: []string{"CM-3.1"},
			}})
			return err
		}, []string{"finding.practices[0]"}},
		{"batch with one bad entry among good ones", func() error {
			req := &appraisalv1.BatchUpdateCharacterizationsRequest{Parent: f.name}
			for i, p := range []string{"CM-1.1", "CM-2.1", "DAT-3.1", "DAT-1.1"} {
				req.Requests = append(req.Requests, &appraisalv1.UpdateCharacterizationRequest{
					Characterization: &appraisalv1.Characterization{Name: f.charName(f.instances[i%2], p), Value: vFM}, AllowMissing: true,
				})
			}
			_, err := c.BatchUpdateCharacterizations(f.amy, req)
			return err
		}, []string{"requests[2].characterization.name"}},
		{"batch with a bad entry changing an existing one", func() error {
			_, err := c.BatchUpdateCharacterizations(f.amy, &appraisalv1.BatchUpdateCharacterizationsRequest{Parent: f.name, Requests: []*appraisalv1.UpdateCharacterizationRequest{
				{Characterization: &appraisalv1.Characterization{Name: good, Value: vPM}, UpdateMask: mask("value")},
				{Characterization: &appraisalv1.Characterization{Name: f.charName("i2", "RSK-1.1"), Value: vFM, Evidence: []string{"e2"}}, AllowMissing: true},
			}})
			return err
		}, []string{"requests[1].characterization.evidence[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantViolations(t, tt.call(), tt.fields...)
			if after := f.snapshot(t); !after.equal(before) {
				t.Fatalf("a refused request changed the appraisal:\nbefore %+v\nafter  %+v", before, after)
			}
		})
	}
	got, err := c.GetCharacterization(f.amy, &appraisalv1.GetCharacterizationRequest{Name: good})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetCharacterization().GetValue() != vFM {
		t.Fatalf("the refused batch changed %v", got.GetCharacterization())
	}

	t.Run("not found without allow_missing", func(t *testing.T) {
		_, err := c.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
			Characterization: &appraisalv1.Characterization{Name: f.charName("i2", "CM-1.1"), Value: vFM},
		})
		wantStatus(t, err, codes.NotFound)
	})
}

func TestStaleEtags(t *testing.T) {
	h := newHarness(t)
	c := h.client

	t.Run("UpdateAppraisal", func(t *testing.T) {
		f := h.draft(t, tenantA, "stale-appraisal", nil)
		old := f.get(t).GetEtag()
		upd := func(etag, title string) error {
			_, err := c.UpdateAppraisal(f.lead, &appraisalv1.UpdateAppraisalRequest{
				Appraisal: &appraisalv1.Appraisal{Name: f.name, DisplayName: title}, UpdateMask: mask("display_name"), Etag: etag,
			})
			return err
		}
		if err := upd(old, "first"); err != nil {
			t.Fatal(err)
		}
		wantReason(t, upd(old, "second"), codes.Aborted, "ETAG_MISMATCH")
		if a := f.get(t); a.GetDisplayName() != "first" {
			t.Fatalf("display_name = %q", a.GetDisplayName())
		}
	})

	f := h.conducting(t, tenantA, "stale", nil, "i1")
	t.Run("UpdateCharacterization", func(t *testing.T) {
		name := f.charName("i1", "RSK-1.1")
		first, err := c.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
			Characterization: &appraisalv1.Characterization{Name: name, Value: vFM}, AllowMissing: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		old := first.GetCharacterization().GetEtag()
		second, err := c.UpdateCharacterization(f.lead, &appraisalv1.UpdateCharacterizationRequest{
			Characterization: &appraisalv1.Characterization{Name: name, Value: vLM}, UpdateMask: mask("value"), Etag: old,
		})
		if err != nil {
			t.Fatal(err)
		}
		if second.GetCharacterization().GetUpdater() != "lead" || second.GetCharacterization().GetEtag() == old {
			t.Fatalf("second = %v", second.GetCharacterization())
		}
		events := len(f.events(t))
		_, err = c.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
			Characterization: &appraisalv1.Characterization{Name: name, Value: vPM}, UpdateMask: mask("value"), Etag: old,
		})
		wantReason(t, err, codes.Aborted, "ETAG_MISMATCH")
		got, err := c.GetCharacterization(f.amy, &appraisalv1.GetCharacterizationRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetCharacterization().GetValue() != vLM || len(f.events(t)) != events {
			t.Fatalf("the stale update changed %v", got.GetCharacterization())
		}
	})
	t.Run("UpdateFinding", func(t *testing.T) {
		created, err := c.CreateFinding(f.amy, &appraisalv1.CreateFindingRequest{Parent: f.name, FindingId: "f1", Finding: &appraisalv1.Finding{
			Kind: appraisalv1.Finding_KIND_WEAKNESS, Text: "No risk review.", Practices: []string{"RSK-2.2"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		old := created.GetFinding().GetEtag()
		upd := func(etag, text string) error {
			_, err := c.UpdateFinding(f.amy, &appraisalv1.UpdateFindingRequest{
				Finding: &appraisalv1.Finding{Name: created.GetFinding().GetName(), Text: text}, UpdateMask: mask("text"), Etag: etag,
			})
			return err
		}
		if err := upd(old, "Risk reviews are rare."); err != nil {
			t.Fatal(err)
		}
		wantReason(t, upd(old, "overwritten"), codes.Aborted, "ETAG_MISMATCH")
		got, err := c.GetFinding(f.amy, &appraisalv1.GetFindingRequest{Name: created.GetFinding().GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetFinding().GetText() != "Risk reviews are rare." || got.GetFinding().GetKind() != appraisalv1.Finding_KIND_WEAKNESS {
			t.Fatalf("finding = %v", got.GetFinding())
		}
	})
}

func TestAccess(t *testing.T) {
	h := newHarness(t)
	f := h.conducting(t, tenantA, "private", nil, "i1")
	f.characterizeAll(t, vFM, nil)
	f.addMember(t, "vic", appraisalv1.TeamMember_ROLE_OBSERVER)
	c := h.client
	charName := f.charName("i1", "RSK-1.1")

	reads := map[string]func(ctx context.Context) error{
		"GetAppraisal": func(ctx context.Context) error {
			_, err := c.GetAppraisal(ctx, &appraisalv1.GetAppraisalRequest{Name: f.name})
			return err
		},
		"ListInstances": func(ctx context.Context) error {
			_, err := c.ListInstances(ctx, &appraisalv1.ListInstancesRequest{Parent: f.name})
			return err
		},
		"ListCharacterizations": func(ctx context.Context) error {
			_, err := c.ListCharacterizations(ctx, &appraisalv1.ListCharacterizationsRequest{Parent: f.name + "/instances/-"})
			return err
		},
		"GetCharacterization": func(ctx context.Context) error {
			_, err := c.GetCharacterization(ctx, &appraisalv1.GetCharacterizationRequest{Name: charName})
			return err
		},
		"ListTeamMembers": func(ctx context.Context) error {
			_, err := c.ListTeamMembers(ctx, &appraisalv1.ListTeamMembersRequest{Parent: f.name})
			return err
		},
		"ListAppraisalEvents": func(ctx context.Context) error {
			_, err := c.ListAppraisalEvents(ctx, &appraisalv1.ListAppraisalEventsRequest{Parent: f.name})
			return err
		},
		"GetRatings": func(ctx context.Context) error {
			_, err := c.GetRatings(ctx, &appraisalv1.GetRatingsRequest{Name: f.name + "/ratings"})
			return err
		},
	}
	updateChar := func(ctx context.Context) error {
		_, err := c.UpdateCharacterization(ctx, &appraisalv1.UpdateCharacterizationRequest{
			Characterization: &appraisalv1.Characterization{Name: charName, Value: vPM}, UpdateMask: mask("value"),
		})
		return err
	}
	before := f.snapshot(t)

	tests := []struct {
		name  string
		ctx   context.Context
		read  codes.Code
		write codes.Code
	}{
		{"tenant B appraiser", as(t, h.env, "amy", tenantB, auth.RoleAppraiser), codes.NotFound, codes.NotFound},
		{"tenant B lead", as(t, h.env, "lead", tenantB, auth.RoleLeadAppraiser), codes.NotFound, codes.NotFound},
		{"tenant B admin", as(t, h.env, "root", tenantB, auth.RoleAdmin, auth.RoleAppraiser), codes.NotFound, codes.NotFound},
		{"tenant A viewer not on the team", as(t, h.env, "walt", tenantA, auth.RoleViewer), codes.NotFound, codes.PermissionDenied},
		{"tenant A appraiser not on the team", as(t, h.env, "walt", tenantA, auth.RoleAppraiser), codes.NotFound, codes.NotFound},
		{"tenant A admin", as(t, h.env, "root", tenantA, auth.RoleAdmin), codes.OK, codes.PermissionDenied},
		{"viewer on the team", as(t, h.env, "vic", tenantA, auth.RoleViewer), codes.OK, codes.PermissionDenied},
		{"appraiser on the team as observer", as(t, h.env, "vic", tenantA, auth.RoleAppraiser), codes.OK, codes.PermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, read := range reads {
				err := read(tt.ctx)
				if tt.read == codes.OK {
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					continue
				}
				st := wantStatus(t, err, tt.read)
				if tt.read == codes.NotFound && name == "GetAppraisal" {
					// Exactly the answer for a name nobody uses.
					_, err := c.GetAppraisal(tt.ctx, &appraisalv1.GetAppraisalRequest{Name: "appraisals/never"})
					nf := wantStatus(t, err, codes.NotFound)
					if want := fmt.Sprintf("Appraisal %q not found", f.name); st.Message() != want || nf.Message() != `Appraisal "appraisals/never" not found` {
						t.Fatalf("messages %q and %q", st.Message(), nf.Message())
					}
				}
			}
			wantStatus(t, updateChar(tt.ctx), tt.write)
		})
	}
	if after := f.snapshot(t); !after.equal(before) {
		t.Fatalf("refused callers changed the appraisal:\nbefore %+v\nafter  %+v", before, after)
	}
	// The appraisal is not in tenant B's or the outsider's list.
	for _, ctx := range []context.Context{as(t, h.env, "amy", tenantB, auth.RoleAppraiser), as(t, h.env, "walt", tenantA, auth.RoleViewer)} {
		resp, err := c.ListAppraisals(ctx, &appraisalv1.ListAppraisalsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetAppraisals()) != 0 {
			t.Fatalf("listed %v", names(resp.GetAppraisals()))
		}
	}
	resp, err := c.ListAppraisals(as(t, h.env, "root", tenantA, auth.RoleAdmin), &appraisalv1.ListAppraisalsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(resp.GetAppraisals()); len(got) != 1 || got[0] != f.name {
		t.Fatalf("admin lists %v", got)
	}
}

// Many writers at once: every characterization lands, the chain holds.
func TestConcurrentCharacterizations(t *testing.T) {
	h := newHarness(t)
	f := h.conducting(t, tenantA, "busy", nil, "i1", "i2", "i3", "i4")
	f.addMember(t, "bob", appraisalv1.TeamMember_ROLE_TEAM_MEMBER)
	writers := []context.Context{f.amy, as(t, h.env, "bob", tenantA, auth.RoleAppraiser), f.lead}
	eventsBefore := len(f.events(t))

	type pair struct{ inst, practice string }
	var pairs []pair
	for _, inst := range f.instances {
		for _, p := range practicesUpTo(2) {
			pairs = append(pairs, pair{inst, p})
		}
	}
	const n = 32
	if len(pairs) < n {
		t.Fatalf("only %d pairs", len(pairs))
	}
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			p := pairs[i]
			_, err := h.client.UpdateCharacterization(writers[i%len(writers)], &appraisalv1.UpdateCharacterizationRequest{
				Characterization: &appraisalv1.Characterization{Name: f.charName(p.inst, p.practice), Value: vFM, Rationale: fmt.Sprint("writer ", i)},
				AllowMissing:     true,
			})
			if err != nil {
				errc <- fmt.Errorf("writer %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	chars := f.chars(t)
	if len(chars) != n {
		t.Fatalf("%d characterizations listed, want %d", len(chars), n)
	}
	seen := map[string]bool{}
	for _, c := range chars {
		seen[c.GetName()] = true
	}
	for _, p := range pairs[:n] {
		if !seen[f.charName(p.inst, p.practice)] {
			t.Fatalf("%s/%s missing", p.inst, p.practice)
		}
	}
	events := f.events(t)
	if len(events) != eventsBefore+n {
		t.Fatalf("%d events, want %d", len(events), eventsBefore+n)
	}
	for i, e := range events {
		if e.GetSequence() != int64(i+1) {
			t.Fatalf("event %d has sequence %d", i, e.GetSequence())
		}
	}
	v := f.verify(t)
	if !v.GetVerified() || v.GetEventsChecked() != int64(len(events)) || v.GetFirstBrokenEvent() != "" {
		t.Fatalf("VerifyAuditTrail = %v, want verified over %d events", v, len(events))
	}
	r := f.ratings(t)
	if len(r.GetMissing()) != 4*len(practicesUpTo(2))-n {
		t.Fatalf("%d pairs missing, want %d", len(r.GetMissing()), 4*len(practicesUpTo(2))-n)
	}
}
