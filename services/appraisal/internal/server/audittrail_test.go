package server_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/services/appraisal/internal/audit"
	"github.com/aim-platform/aim/services/appraisal/internal/store"
)

// Checkpoint states, short.
const (
	cpSigned  = appraisalv1.VerifyAuditTrailResponse_CHECKPOINT_STATE_SIGNED
	cpNoKey   = appraisalv1.VerifyAuditTrailResponse_CHECKPOINT_STATE_NO_KEY
	cpMissing = appraisalv1.VerifyAuditTrailResponse_CHECKPOINT_STATE_MISSING
	cpInvalid = appraisalv1.VerifyAuditTrailResponse_CHECKPOINT_STATE_INVALID
)

// newKeyedHarness is a harness whose store signs checkpoints with a fresh
// audit key, which it returns.
func newKeyedHarness(t *testing.T) (*harness, *audit.Keys) {
	t.Helper()
	h := newHarness(t)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys := audit.NewKeys(priv)
	h.store.SetAuditKeys(keys)
	return h, keys
}

// fullTrail runs a flow to RATED that stores every kind of record the
// trail accounts for: team members, instances, evidence, characterizations,
// a finding, a team decision and the final ratings.
func fullTrail(t *testing.T, h *harness, id string) *flow {
	t.Helper()
	f := h.conducting(t, tenantA, id, nil, "i1", "i2")
	c := h.client
	// The instances disagree on RSK-2.1, which takes a team decision.
	f.characterizeAll(t, vFM, func(inst, p string) (appraisalv1.CharacterizationValue, bool) {
		return vPM, inst == "i2" && p == "RSK-2.1"
	})
	if _, err := c.CreateFinding(f.amy, &appraisalv1.CreateFindingRequest{Parent: f.name, FindingId: "f1", Finding: &appraisalv1.Finding{
		Kind: appraisalv1.Finding_KIND_STRENGTH, Text: "Risks are reviewed weekly.", Practices: []string{"RSK-2.1"},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateEvidence(f.amy, &appraisalv1.CreateEvidenceRequest{Parent: f.name, EvidenceId: "e1", Evidence: &appraisalv1.Evidence{
		Kind: appraisalv1.Evidence_KIND_ARTIFACT, Title: "Risk register", Practices: []string{"RSK-1.1"}, Instances: []string{"i1"},
	}}); err != nil {
		t.Fatal(err)
	}
	// Decide what the rules leave open (AGG-7, then what it opens), taking
	// the first allowed value.
	for range 10 {
		open := f.ratings(t).GetOpenDecisions()
		if len(open) == 0 {
			break
		}
		if _, err := c.RecordTeamDecision(f.amy, &appraisalv1.RecordTeamDecisionRequest{Parent: f.name, TeamDecision: &appraisalv1.TeamDecision{
			Key: open[0].GetKey(), Value: open[0].GetAllowedValues()[0], Rationale: "the weakness in i2 is minor",
		}}); err != nil {
			t.Fatal(err)
		}
	}
	f.rate(t)
	return f
}

// wantVerified fails unless the trail verifies with the checkpoint state.
func wantVerified(t *testing.T, v *appraisalv1.VerifyAuditTrailResponse, events int, state appraisalv1.VerifyAuditTrailResponse_CheckpointState) {
	t.Helper()
	if !v.GetVerified() || v.GetReason() != "" || len(v.GetMismatches()) != 0 || v.GetEventsChecked() != int64(events) ||
		v.GetCheckpointState() != state || v.GetHead().GetSequence() != int64(events) || v.GetHead().GetHash() == "" {
		t.Fatalf("VerifyAuditTrail = %v, want verified at event %d with checkpoint %v", v, events, state)
	}
}

// wantNamed fails unless the trail does not verify and resource is among
// the mismatches with a reason containing why.
func wantNamed(t *testing.T, v *appraisalv1.VerifyAuditTrailResponse, resource, why string) {
	t.Helper()
	if v.GetVerified() || v.GetReason() == "" {
		t.Fatalf("VerifyAuditTrail = %v, want not verified", v)
	}
	for _, m := range v.GetMismatches() {
		if m.GetResource() == resource && strings.Contains(m.GetReason(), why) {
			return
		}
	}
	t.Fatalf("mismatches %v do not name %s (%q)", v.GetMismatches(), resource, why)
}

// TestRedteamM5_CleanTrailVerifies: a trail written through the API, with
// every kind of record, verifies, ends at its head and at a signed
// checkpoint of it.
func TestRedteamM5_CleanTrailVerifies(t *testing.T) {
	h, keys := newKeyedHarness(t)
	f := fullTrail(t, h, "clean")
	n := len(f.events(t))
	v := f.verify(t)
	wantVerified(t, v, n, cpSigned)
	cp := v.GetCheckpoint()
	if v.GetHead().GetAnchorSequence() != 0 || cp.GetAppraisal() != f.name || cp.GetSequence() != int64(n) ||
		cp.GetHash() != v.GetHead().GetHash() || cp.GetKeyId() != keys.ID() || len(cp.GetSignature()) != ed25519.SignatureSize {
		t.Fatalf("head %v, checkpoint %v", v.GetHead(), cp)
	}
	// Without a key the same kind of trail verifies too, and says that its
	// checkpoint was not checked.
	plain := newHarness(t)
	g := fullTrail(t, plain, "clean")
	v = g.verify(t)
	wantVerified(t, v, len(g.events(t)), cpNoKey)
	if v.GetCheckpoint() != nil {
		t.Fatalf("a store without a key signed %v", v.GetCheckpoint())
	}
}

// TestRedteamM5_OfflineEditOfEachRecordIsNamed: an edit of any stored
// record made with write access to the file, not through the API, is named
// by VerifyAuditTrail (the red team's edit (a) overwrote an appraisal's
// display name and was verified).
func TestRedteamM5_OfflineEditOfEachRecordIsNamed(t *testing.T) {
	h, _ := newKeyedHarness(t)
	f := fullTrail(t, h, "victim-x")
	n := len(f.events(t))
	if v := f.verify(t); !v.GetVerified() {
		t.Fatalf("before the edits: %v", v)
	}
	amy := ""
	for _, m := range listMembers(t, f) {
		if m.GetSubject() == "amy" {
			amy = m.GetName()
		}
	}
	key := func(name string) string { return name[strings.LastIndex(name, "/")+1:] }
	edits := []struct {
		kind     string
		resource string
		storeKey store.Kind
		key      string
		m        proto.Message
		edit     func(m proto.Message)
	}{
		{"characterization", f.charName("i1", "RSK-1.1"), store.KindChars, "i1/RSK-1.1", &appraisalv1.Characterization{},
			func(m proto.Message) { m.(*appraisalv1.Characterization).Value = vPM }},
		{"finding", f.name + "/findings/f1", store.KindFindings, "f1", &appraisalv1.Finding{},
			func(m proto.Message) { m.(*appraisalv1.Finding).Text = "Risks are never reviewed." }},
		{"team member", amy, store.KindMembers, key(amy), &appraisalv1.TeamMember{},
			func(m proto.Message) { m.(*appraisalv1.TeamMember).Role = appraisalv1.TeamMember_ROLE_LEAD_APPRAISER }},
		{"team decision", f.name + "/teamDecisions/org-rsk-2-1", store.KindDecisions, "org:RSK-2.1", &appraisalv1.TeamDecision{},
			func(m proto.Message) { m.(*appraisalv1.TeamDecision).Value = "PM" }},
		{"instance", f.name + "/instances/i2", store.KindInstances, "i2", &appraisalv1.Instance{},
			func(m proto.Message) { m.(*appraisalv1.Instance).DisplayName = "TAMPERED" }},
		{"evidence", f.name + "/evidence/e1", store.KindEvidence, "e1", &appraisalv1.Evidence{},
			func(m proto.Message) { m.(*appraisalv1.Evidence).Title = "TAMPERED" }},
		{"ratings", f.name + "/ratings", store.KindRatings, "final", &appraisalv1.Ratings{},
			func(m proto.Message) { m.(*appraisalv1.Ratings).MaturityLevel = 3 }},
	}
	for _, e := range edits {
		t.Run(e.kind, func(t *testing.T) {
			var original proto.Message
			if err := h.store.RewriteRecord(tenantA, f.id, e.storeKey, e.key, e.m, func() {
				original = proto.Clone(e.m)
				e.edit(e.m)
			}); err != nil {
				t.Fatal(err)
			}
			// Put back whatever happens, so that the next edit is alone.
			putBack := func() {
				if err := h.store.PutRecord(tenantA, f.id, e.storeKey, e.key, original); err != nil {
					t.Fatal(err)
				}
			}
			v := f.verify(t)
			wantNamed(t, v, e.resource, "digest differs")
			for _, m := range v.GetMismatches() {
				if m.GetResource() != e.resource || v.GetCheckpointState() != cpSigned {
					putBack()
					t.Fatalf("one edit of %s, mismatches %v, checkpoint %v", e.resource, v.GetMismatches(), v.GetCheckpointState())
				}
			}
			putBack()
			wantVerified(t, f.verify(t), n, cpSigned)
		})
	}
	t.Run("appraisal", func(t *testing.T) {
		var before string
		if err := h.store.RewriteAppraisal(tenantA, f.id, func(a *appraisalv1.Appraisal) {
			before = a.GetDisplayName()
			a.DisplayName = "TAMPERED secret"
		}); err != nil {
			t.Fatal(err)
		}
		wantNamed(t, f.verify(t), f.name, "digest differs")
		if err := h.store.RewriteAppraisal(tenantA, f.id, func(a *appraisalv1.Appraisal) { a.DisplayName = before }); err != nil {
			t.Fatal(err)
		}
		wantVerified(t, f.verify(t), n, cpSigned)
	})
	t.Run("scope", func(t *testing.T) {
		// The scope copied at planning loses a practice: no event carries a
		// digest of it, the content digest kept with the head does.
		var practice []byte
		if err := h.store.RewriteRaw(tenantA, f.id, store.KindScope, "RSK-2.1", func(v []byte) []byte { practice = v; return v }); err != nil {
			t.Fatal(err)
		}
		if err := h.store.DeleteRecord(tenantA, f.id, store.KindScope, "RSK-2.1"); err != nil {
			t.Fatal(err)
		}
		v := f.verify(t)
		wantNamed(t, v, f.name+"/ratings", "scope")
		if err := h.store.PutRaw(tenantA, f.id, store.KindScope, "RSK-2.1", practice); err != nil {
			t.Fatal(err)
		}
		wantVerified(t, f.verify(t), n, cpSigned)
	})
	t.Run("raw rating result", func(t *testing.T) {
		var before []byte
		if err := h.store.RewriteRaw(tenantA, f.id, store.KindRatings, "result.json", func(v []byte) []byte {
			before = v
			return []byte(strings.Replace(string(v), `"MaturityLevel":2`, `"MaturityLevel":3`, 1))
		}); err != nil {
			t.Fatal(err)
		}
		wantNamed(t, f.verify(t), f.name+"/ratings", "stored ratings")
		if err := h.store.RewriteRaw(tenantA, f.id, store.KindRatings, "result.json", func([]byte) []byte { return before }); err != nil {
			t.Fatal(err)
		}
		wantVerified(t, f.verify(t), n, cpSigned)
	})
	t.Run("record removed", func(t *testing.T) {
		if err := h.store.DeleteRecord(tenantA, f.id, store.KindFindings, "f1"); err != nil {
			t.Fatal(err)
		}
		wantNamed(t, f.verify(t), f.name+"/findings/f1", "not stored")
	})
	t.Run("record added", func(t *testing.T) {
		forged := &appraisalv1.Finding{Name: f.name + "/findings/f9", Kind: appraisalv1.Finding_KIND_WEAKNESS, Text: "forged"}
		if err := h.store.PutRecord(tenantA, f.id, store.KindFindings, "f9", forged); err != nil {
			t.Fatal(err)
		}
		wantNamed(t, f.verify(t), f.name+"/findings/f9", "has no event")
	})
	t.Run("record moved", func(t *testing.T) {
		// i1's characterization of RSK-2.1 stored under RSK-1.1: each record is
		// one an event made, but not where the trail put it.
		moved := &appraisalv1.Characterization{}
		if err := h.store.RewriteRecord(tenantA, f.id, store.KindChars, "i1/RSK-2.1", moved, func() {}); err != nil {
			t.Fatal(err)
		}
		if err := h.store.PutRecord(tenantA, f.id, store.KindChars, "i1/RSK-1.1", moved); err != nil {
			t.Fatal(err)
		}
		wantNamed(t, f.verify(t), f.charName("i1", "RSK-1.1"), "names itself")
	})
}

func listMembers(t *testing.T, f *flow) []*appraisalv1.TeamMember {
	t.Helper()
	resp, err := f.h.client.ListTeamMembers(f.lead, &appraisalv1.ListTeamMembersRequest{Parent: f.name, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetTeamMembers()
}

// TestRedteamM5_TruncatedTailIsDetected: deleting the last 1, 2 or 3
// events (the red team's edit (b) deleted 3 of a RATED appraisal and was
// verified) no longer verifies: the trail ends before its recorded head,
// with or without an audit key.
func TestRedteamM5_TruncatedTailIsDetected(t *testing.T) {
	keyed, _ := newKeyedHarness(t)
	plain := newHarness(t)
	for _, tc := range []struct {
		name  string
		h     *harness
		state appraisalv1.VerifyAuditTrailResponse_CheckpointState
	}{{"signed", keyed, cpInvalid}, {"no key", plain, cpNoKey}} {
		for n := 1; n <= 3; n++ {
			t.Run(tc.name+"/"+string(rune('0'+n)), func(t *testing.T) {
				f, _ := tc.h.rated(t, tenantA, "victim-y-"+strings.ReplaceAll(tc.name, " ", "")+string(rune('0'+n)), nil, nil)
				all := len(f.events(t))
				if err := tc.h.store.TruncateEvents(tenantA, f.id, n, false); err != nil {
					t.Fatal(err)
				}
				v := f.verify(t)
				wantNamed(t, v, f.name, "missing")
				if v.GetHead().GetSequence() != int64(all) || v.GetEventsChecked() != int64(all-n) || v.GetCheckpointState() != tc.state {
					t.Fatalf("after cutting %d of %d events: %v", n, all, v)
				}
				if f.get(t).GetState() != appraisalv1.Appraisal_STATE_RATED {
					t.Fatal("the appraisal is no longer RATED")
				}
			})
		}
	}
}

// TestRedteamM5_RewrittenHeadIsExposedByCheckpoint: an attacker with the
// data file cuts the last events, removes what they made and rewrites the
// recorded head to match, so that chain, head and state agree; the signed
// checkpoint, which the file cannot forge, still names the cut events.
func TestRedteamM5_RewrittenHeadIsExposedByCheckpoint(t *testing.T) {
	attack := func(t *testing.T, h *harness, id string) *flow {
		t.Helper()
		f := h.conducting(t, tenantA, id, nil, "i1")
		for _, e := range []string{"e1", "e2"} {
			if _, err := h.client.CreateEvidence(f.amy, &appraisalv1.CreateEvidenceRequest{Parent: f.name, EvidenceId: e, Evidence: &appraisalv1.Evidence{
				Kind: appraisalv1.Evidence_KIND_ARTIFACT, Title: "Risk register", Practices: []string{"RSK-1.1"}, Instances: []string{"i1"},
			}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.store.TruncateEvents(tenantA, f.id, 2, true); err != nil {
			t.Fatal(err)
		}
		for _, e := range []string{"e1", "e2"} {
			if err := h.store.DeleteRecord(tenantA, f.id, store.KindEvidence, e); err != nil {
				t.Fatal(err)
			}
		}
		return f
	}
	h, _ := newKeyedHarness(t)
	f := attack(t, h, "victim-z")
	v := f.verify(t)
	if v.GetVerified() || v.GetCheckpointState() != cpInvalid || v.GetCheckpoint().GetSequence() != v.GetHead().GetSequence()+2 {
		t.Fatalf("after cutting 2 events and rewriting the head: %v", v)
	}
	wantNamed(t, v, f.name, "events")
	if len(v.GetMismatches()) != 1 {
		t.Fatalf("only the checkpoint should tell, got %v", v.GetMismatches())
	}
	// A checkpoint the attacker re-signs with a key of their own is not
	// accepted either.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	forged := audit.NewKeys(other).Sign(f.name, v.GetHead(), v.GetCheckpoint().GetCheckpointTime().AsTime())
	if err := h.store.PutRecord(tenantA, f.id, store.KindAudit, "checkpoint", forged); err != nil {
		t.Fatal(err)
	}
	if v := f.verify(t); v.GetVerified() || v.GetCheckpointState() != cpInvalid {
		t.Fatalf("a checkpoint signed with another key: %v", v)
	}
	// Removing the checkpoint does not help.
	if err := h.store.DeleteRecord(tenantA, f.id, store.KindAudit, "checkpoint"); err != nil {
		t.Fatal(err)
	}
	if v := f.verify(t); v.GetVerified() || v.GetCheckpointState() != cpMissing {
		t.Fatalf("without its checkpoint: %v", v)
	}
	// Without an audit key the same attack goes unseen: the limit the key
	// exists for (docs/operations.md, "The audit key").
	plain := newHarness(t)
	g := attack(t, plain, "victim-z")
	if v := g.verify(t); !v.GetVerified() || v.GetCheckpointState() != cpNoKey {
		t.Fatalf("without a key: %v", v)
	}
}

// TestRedteamM5_ReportShowsHeadAndCheckpoint: the results report (JSON and
// HTML) carries the head of the trail, its signed checkpoint and whether
// the trail proves what the report shows.
func TestRedteamM5_ReportShowsHeadAndCheckpoint(t *testing.T) {
	h, keys := newKeyedHarness(t)
	f, _ := h.rated(t, tenantA, "reported", nil, nil)
	v := f.verify(t)
	report := func(format appraisalv1.GetAppraisalReportRequest_Format) string {
		t.Helper()
		resp, err := h.client.GetAppraisalReport(f.amy, &appraisalv1.GetAppraisalReportRequest{Name: f.name, Format: format})
		if err != nil {
			t.Fatal(err)
		}
		return string(resp.GetBody().GetData())
	}
	var doc struct {
		AuditTrail struct {
			Verified   bool
			Head       struct{ Sequence, Hash string }
			Checkpoint struct {
				Sequence, Hash, Signature string
				KeyID                     string `json:"keyId"`
			}
			CheckpointState string
		}
	}
	raw := report(appraisalv1.GetAppraisalReportRequest_FORMAT_JSON)
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	at := doc.AuditTrail
	seq := strconv.FormatInt(v.GetHead().GetSequence(), 10)
	if !at.Verified || at.Head.Sequence != seq || at.Head.Hash != v.GetHead().GetHash() || at.Checkpoint.Sequence != seq ||
		at.Checkpoint.Hash != at.Head.Hash || at.Checkpoint.KeyID != keys.ID() || at.Checkpoint.Signature == "" || at.CheckpointState != "CHECKPOINT_STATE_SIGNED" {
		t.Fatalf("auditTrail in the JSON report = %+v, want the head and checkpoint of %v", at, v)
	}
	page := report(appraisalv1.GetAppraisalReportRequest_FORMAT_HTML)
	for _, want := range []string{"Audit trail", "Verified", "event " + seq, v.GetHead().GetHash(), keys.ID(), "SIGNED"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the HTML report lacks %q", want)
		}
	}
	if err := h.store.RewriteAppraisal(tenantA, f.id, func(a *appraisalv1.Appraisal) { a.DisplayName = "TAMPERED secret" }); err != nil {
		t.Fatal(err)
	}
	page = report(appraisalv1.GetAppraisalReportRequest_FORMAT_HTML)
	if !strings.Contains(page, "Not verified") || !strings.Contains(page, "<code>"+f.name+"</code>") {
		t.Fatalf("the HTML report of a tampered appraisal does not say so:\n%s", page[strings.Index(page, "Audit trail"):])
	}
}

// TestRedteamM5_AnswerSaysWhatPredatesAnchoring: for a trail anchored by
// the upgrade (migration 3 records the head at the end it finds and no
// content digest), the answer lists what it cannot vouch for instead of
// claiming it.
func TestRedteamM5_AnswerSaysWhatPredatesAnchoring(t *testing.T) {
	h := newHarness(t)
	f, _ := h.rated(t, tenantA, "upgraded", nil, nil)
	n := len(f.events(t))
	// What migration 3 leaves: the head at the end, anchored there, no
	// content digest.
	if err := h.store.RewriteHead(tenantA, f.id, func(head *appraisalv1.AuditHead) {
		head.AnchorSequence, head.ContentDigest = head.GetSequence(), ""
	}); err != nil {
		t.Fatal(err)
	}
	v := f.verify(t)
	wantVerified(t, v, n, cpNoKey)
	want := []string{"events 1 to " + strconv.Itoa(n) + " were written before", "no audit key", "scope copied at planning and the stored ratings predate"}
	if len(v.GetUnproven()) != len(want) {
		t.Fatalf("unproven = %q, want %d entries", v.GetUnproven(), len(want))
	}
	for i, w := range want {
		if !strings.Contains(v.GetUnproven()[i], w) {
			t.Fatalf("unproven[%d] = %q, want it to say %q", i, v.GetUnproven()[i], w)
		}
	}
	// A trail recorded since its creation has nothing unproven but the key.
	g, _ := h.rated(t, tenantA, "recent", nil, nil)
	if v := g.verify(t); len(v.GetUnproven()) != 1 {
		t.Fatalf("unproven = %q", v.GetUnproven())
	}
	// Blanking the content digest of such a trail is a mismatch, not a
	// gap.
	if err := h.store.RewriteHead(tenantA, g.id, func(head *appraisalv1.AuditHead) { head.ContentDigest = "" }); err != nil {
		t.Fatal(err)
	}
	wantNamed(t, g.verify(t), g.name+"/ratings", "digest differs")
}

// A head or checkpoint that does not decode is named, not an internal
// error.
func TestRedteamM5_GarbledHeadIsNamed(t *testing.T) {
	h, _ := newKeyedHarness(t)
	f := h.draft(t, tenantA, "garbled", nil)
	for _, key := range []string{"checkpoint", "head"} {
		if err := h.store.PutRaw(tenantA, f.id, store.KindAudit, key, []byte{0xff, 0xff, 0xff}); err != nil {
			t.Fatal(err)
		}
		v := f.verify(t)
		wantNamed(t, v, f.name, "does not decode")
		if v.GetCheckpointState() != cpInvalid {
			t.Fatalf("garbled %s: %v", key, v)
		}
	}
}
