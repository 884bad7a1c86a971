package server_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
	"github.com/aim-platform/aim/platform/auth"
)

// snapshot is everything a refused write must leave alone.
type snapshot struct {
	appraisal                                *appraisalv1.Appraisal
	events, chars, instances, findings, evid int
	members                                  []*appraisalv1.TeamMember
}

func (f *flow) snapshot(t *testing.T) snapshot {
	t.Helper()
	c, ctx := f.h.client, f.lead
	inst, err := c.ListInstances(ctx, &appraisalv1.ListInstancesRequest{Parent: f.name, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	fnd, err := c.ListFindings(ctx, &appraisalv1.ListFindingsRequest{Parent: f.name, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := c.ListEvidence(ctx, &appraisalv1.ListEvidenceRequest{Parent: f.name, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	mem, err := c.ListTeamMembers(ctx, &appraisalv1.ListTeamMembersRequest{Parent: f.name, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{
		appraisal: f.get(t), events: len(f.events(t)), chars: len(f.chars(t)),
		instances: len(inst.GetInstances()), findings: len(fnd.GetFindings()), evid: len(ev.GetEvidence()),
		members: mem.GetTeamMembers(),
	}
}

func (s snapshot) equal(o snapshot) bool {
	return proto.Equal(s.appraisal, o.appraisal) && s.events == o.events && s.chars == o.chars && s.instances == o.instances &&
		s.findings == o.findings && s.evid == o.evid &&
		slices.EqualFunc(s.members, o.members, func(a, b *appraisalv1.TeamMember) bool { return proto.Equal(a, b) })
}

func TestLifecycle(t *testing.T) {
	h := newHarness(t)
	lead := as(t, h.env, "lead", tenantA, auth.RoleLeadAppraiser)
	amy := as(t, h.env, "amy", tenantA, auth.RoleAppraiser)
	c := h.client

	created, err := c.CreateAppraisal(lead, &appraisalv1.CreateAppraisalRequest{Appraisal: draftAppraisal(), AppraisalId: "life"})
	if err != nil {
		t.Fatal(err)
	}
	name := created.GetAppraisal().GetName()
	f := &flow{h: h, tenant: tenantA, id: "life", name: name, lead: lead, amy: amy}

	team, err := c.ListTeamMembers(lead, &appraisalv1.ListTeamMembersRequest{Parent: name})
	if err != nil {
		t.Fatal(err)
	}
	if ms := team.GetTeamMembers(); len(ms) != 1 || ms[0].GetSubject() != "lead" || ms[0].GetRole() != appraisalv1.TeamMember_ROLE_LEAD_APPRAISER ||
		ms[0].GetName() != name+"/teamMembers/lead" {
		t.Fatalf("team after create = %v, want the creator as lead appraiser", ms)
	}
	f.certifyLead(t)
	m, err := c.GetTeamMember(lead, &appraisalv1.GetTeamMemberRequest{Name: name + "/teamMembers/lead"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(m.GetTeamMember().GetCertifications(), appraisalv1.TeamMember_CERTIFICATION_AAIM) || m.GetTeamMember().GetSubject() != "lead" {
		t.Fatalf("lead after UpdateTeamMember = %v", m.GetTeamMember())
	}
	if amyM := f.addMember(t, "amy", appraisalv1.TeamMember_ROLE_TEAM_MEMBER); amyM.GetName() != name+"/teamMembers/amy" {
		t.Fatalf("amy = %v", amyM)
	}

	planned := f.plan(t)
	if planned.GetState() != appraisalv1.Appraisal_STATE_PLANNED || planned.GetModelVersion() != fakeVersion ||
		int(planned.GetScopedPracticeCount()) != len(practicesUpTo(2)) {
		t.Fatalf("planned = %v; want PLANNED, model_version %s, %d practices", planned, fakeVersion, len(practicesUpTo(2)))
	}
	f.addInstances(t, "i1", "i2")
	if started := f.start(t); started.GetState() != appraisalv1.Appraisal_STATE_CONDUCTING {
		t.Fatalf("started = %v", started)
	}

	chars := f.characterizeAll(t, vFM, nil)
	if want := 2 * len(practicesUpTo(2)); len(chars) != want || len(f.chars(t)) != want {
		t.Fatalf("%d characterizations set, %d listed, want %d", len(chars), len(f.chars(t)), want)
	}
	for _, ch := range chars {
		if ch.GetUpdater() != "amy" || ch.GetValue() != vFM || ch.GetEtag() == "" || ch.GetUpdateTime() == nil {
			t.Fatalf("characterization %v", ch)
		}
	}
	// A finding and evidence to try changing once reported.
	fnd, err := c.CreateFinding(amy, &appraisalv1.CreateFindingRequest{Parent: name, FindingId: "f1", Finding: &appraisalv1.Finding{
		Kind: appraisalv1.Finding_KIND_STRENGTH, Text: "Risks are reviewed weekly.", Practices: []string{"RSK-2.1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateEvidence(amy, &appraisalv1.CreateEvidenceRequest{Parent: name, EvidenceId: "e1", Evidence: &appraisalv1.Evidence{
		Kind: appraisalv1.Evidence_KIND_ARTIFACT, Title: "Risk register", Practices: []string{"RSK-1.1"}, Instances: []string{"i1"},
	}}); err != nil {
		t.Fatal(err)
	}

	r := f.ratings(t)
	if !r.GetComplete() || r.GetFinal() || r.GetMaturityLevel() != 2 || r.GetMaturityRule() != "ML-5" ||
		len(r.GetOpenDecisions()) != 0 || len(r.GetMissing()) != 0 {
		t.Fatalf("ratings before rating = %v; want complete, preliminary, ML2 by ML-5", r)
	}
	if len(r.GetPracticeAreas()) != len(fakeAreas) {
		t.Fatalf("%d practice areas rated, want %d", len(r.GetPracticeAreas()), len(fakeAreas))
	}
	for _, pa := range r.GetPracticeAreas() {
		if pa.GetCapabilityLevel() != 2 || len(pa.GetLevels()) != 2 {
			t.Fatalf("area %v: want CL2 with levels 1 and 2", pa)
		}
		for _, l := range pa.GetLevels() {
			if l.GetOutcome() != appraisalv1.LevelRating_OUTCOME_SATISFIED {
				t.Fatalf("area %s level %d = %v", pa.GetPracticeArea(), l.GetLevel(), l.GetOutcome())
			}
		}
	}
	for _, p := range r.GetPractices() {
		if p.GetValue() != vFM || p.GetRule() != "AGG-5" {
			t.Fatalf("org characterization %v", p)
		}
	}

	before := time.Now()
	rated := f.rate(t)
	if rated.GetState() != appraisalv1.Appraisal_STATE_RATED || rated.GetMaturityLevel() != 2 || !rated.GetRatingOfRecord() ||
		rated.GetRateTime() == nil || rated.GetExpireTime() == nil {
		t.Fatalf("rated = %v", rated)
	}
	rt, et := rated.GetRateTime().AsTime(), rated.GetExpireTime().AsTime()
	if !et.Equal(rt.AddDate(3, 0, 0)) {
		t.Fatalf("expire_time %v, want rate_time %v + 3 years", et, rt)
	}
	if want := before.AddDate(3, 0, 0); et.Before(want.Add(-time.Minute)) || et.After(want.Add(time.Minute)) {
		t.Fatalf("expire_time %v, want about %v", et, want)
	}
	if fr := f.ratings(t); !fr.GetFinal() || fr.GetMaturityLevel() != 2 || !fr.GetComplete() {
		t.Fatalf("ratings after rating = %v", fr)
	}

	rep, err := c.ReportAppraisal(lead, &appraisalv1.ReportAppraisalRequest{Name: name, Etag: rated.GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.GetAppraisal().GetState() != appraisalv1.Appraisal_STATE_REPORTED || rep.GetAppraisal().GetReportTime() == nil {
		t.Fatalf("reported = %v", rep.GetAppraisal())
	}

	// Read-only from now on.
	before2 := f.snapshot(t)
	ch := chars[0]
	writes := []struct {
		name string
		call func() error
	}{
		{"UpdateCharacterization", func() error {
			_, err := c.UpdateCharacterization(amy, &appraisalv1.UpdateCharacterizationRequest{
				Characterization: &appraisalv1.Characterization{Name: ch.GetName(), Value: vPM}, UpdateMask: mask("value"),
			})
			return err
		}},
		{"BatchUpdateCharacterizations", func() error {
			_, err := c.BatchUpdateCharacterizations(amy, &appraisalv1.BatchUpdateCharacterizationsRequest{Parent: name, Requests: []*appraisalv1.UpdateCharacterizationRequest{{
				Characterization: &appraisalv1.Characterization{Name: ch.GetName(), Value: vLM},
			}}})
			return err
		}},
		{"CreateInstance", func() error {
			_, err := c.CreateInstance(lead, &appraisalv1.CreateInstanceRequest{Parent: name, InstanceId: "i3", Instance: &appraisalv1.Instance{DisplayName: "late"}})
			return err
		}},
		{"DeleteInstance", func() error {
			_, err := c.DeleteInstance(lead, &appraisalv1.DeleteInstanceRequest{Name: name + "/instances/i2"})
			return err
		}},
		{"CreateEvidence", func() error {
			_, err := c.CreateEvidence(amy, &appraisalv1.CreateEvidenceRequest{Parent: name, Evidence: &appraisalv1.Evidence{
				Kind: appraisalv1.Evidence_KIND_AFFIRMATION, Title: "late", Practices: []string{"RSK-1.1"},
			}})
			return err
		}},
		{"DeleteEvidence", func() error {
			_, err := c.DeleteEvidence(amy, &appraisalv1.DeleteEvidenceRequest{Name: name + "/evidence/e1"})
			return err
		}},
		{"CreateFinding", func() error {
			_, err := c.CreateFinding(amy, &appraisalv1.CreateFindingRequest{Parent: name, Finding: &appraisalv1.Finding{
				Kind: appraisalv1.Finding_KIND_WEAKNESS, Text: "late",
			}})
			return err
		}},
		{"UpdateFinding", func() error {
			_, err := c.UpdateFinding(amy, &appraisalv1.UpdateFindingRequest{
				Finding: &appraisalv1.Finding{Name: fnd.GetFinding().GetName(), Text: "changed"}, UpdateMask: mask("text"),
			})
			return err
		}},
		{"DeleteFinding", func() error {
			_, err := c.DeleteFinding(amy, &appraisalv1.DeleteFindingRequest{Name: fnd.GetFinding().GetName()})
			return err
		}},
		{"CreateTeamMember", func() error {
			_, err := c.CreateTeamMember(lead, &appraisalv1.CreateTeamMemberRequest{Parent: name, TeamMember: &appraisalv1.TeamMember{
				Subject: "bob", DisplayName: "Bob", Role: appraisalv1.TeamMember_ROLE_OBSERVER,
			}})
			return err
		}},
		{"UpdateTeamMember", func() error {
			_, err := c.UpdateTeamMember(lead, &appraisalv1.UpdateTeamMemberRequest{
				TeamMember: &appraisalv1.TeamMember{Name: name + "/teamMembers/amy", DisplayName: "Amy B."}, UpdateMask: mask("display_name"),
			})
			return err
		}},
		{"DeleteTeamMember", func() error {
			_, err := c.DeleteTeamMember(lead, &appraisalv1.DeleteTeamMemberRequest{Name: name + "/teamMembers/amy"})
			return err
		}},
		{"UpdateAppraisal", func() error {
			_, err := c.UpdateAppraisal(lead, &appraisalv1.UpdateAppraisalRequest{
				Appraisal: &appraisalv1.Appraisal{Name: name, DisplayName: "renamed"}, UpdateMask: mask("display_name"),
			})
			return err
		}},
		{"RecordTeamDecision", func() error {
			_, err := c.RecordTeamDecision(amy, &appraisalv1.RecordTeamDecisionRequest{Parent: name, TeamDecision: &appraisalv1.TeamDecision{
				Key: "org:RSK-1.1", Value: "LM", Rationale: "late",
			}})
			return err
		}},
		{"RateAppraisal", func() error {
			_, err := c.RateAppraisal(lead, &appraisalv1.RateAppraisalRequest{Name: name})
			return err
		}},
		{"CancelAppraisal", func() error {
			_, err := c.CancelAppraisal(lead, &appraisalv1.CancelAppraisalRequest{Name: name})
			return err
		}},
		{"PlanAppraisal", func() error {
			_, err := c.PlanAppraisal(lead, &appraisalv1.PlanAppraisalRequest{Name: name})
			return err
		}},
	}
	for _, w := range writes {
		t.Run("reported/"+w.name, func(t *testing.T) {
			wantStatus(t, w.call(), codes.FailedPrecondition)
		})
	}
	if after := f.snapshot(t); !after.equal(before2) {
		t.Fatalf("refused writes changed the appraisal:\nbefore %+v\nafter  %+v", before2, after)
	}

	closed, err := c.CloseAppraisal(lead, &appraisalv1.CloseAppraisalRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if closed.GetAppraisal().GetState() != appraisalv1.Appraisal_STATE_CLOSED || closed.GetAppraisal().GetMaturityLevel() != 2 {
		t.Fatalf("closed = %v", closed.GetAppraisal())
	}
	// The closed appraisal stays readable, its ratings final.
	if fr := f.ratings(t); !fr.GetFinal() || fr.GetMaturityLevel() != 2 {
		t.Fatalf("ratings after close = %v", fr)
	}
	wantStatus(t, func() error {
		_, err := c.UpdateCharacterization(amy, &appraisalv1.UpdateCharacterizationRequest{
			Characterization: &appraisalv1.Characterization{Name: ch.GetName(), Value: vPM}, UpdateMask: mask("value"),
		})
		return err
	}(), codes.FailedPrecondition)
	if v := f.verify(t); !v.GetVerified() || v.GetEventsChecked() != int64(len(f.events(t))) {
		t.Fatalf("VerifyAuditTrail = %v", v)
	}
}

func TestPlanGuards(t *testing.T) {
	h := newHarness(t)

	t.Run("no view", func(t *testing.T) {
		f := h.draft(t, tenantA, "no-view", func(a *appraisalv1.Appraisal) { a.View = "" })
		f.certifyLead(t)
		_, err := h.client.PlanAppraisal(f.lead, &appraisalv1.PlanAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.FailedPrecondition, "NO_SCOPE")
		if a := f.get(t); a.GetState() != appraisalv1.Appraisal_STATE_DRAFT {
			t.Fatalf("state = %v", a.GetState())
		}
	})

	t.Run("lead not AI certified", func(t *testing.T) {
		const tenant = "uncertified"
		f := h.draft(t, tenant, "ai", nil)
		before := f.get(t)
		_, err := h.client.PlanAppraisal(f.lead, &appraisalv1.PlanAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.FailedPrecondition, "LEAD_NOT_AI_CERTIFIED")
		if a := f.get(t); !proto.Equal(a, before) {
			t.Fatalf("the refused plan changed the appraisal: %v", a)
		}

		// Without AI usage scenarios the certification is not needed.
		plain := h.draft(t, tenant, "plain", func(a *appraisalv1.Appraisal) { a.AiUsageScenarios = nil })
		if a := plain.plan(t); a.GetState() != appraisalv1.Appraisal_STATE_PLANNED {
			t.Fatalf("plain = %v", a)
		}

		// Only an admin changes the tenant's settings.
		settings := &appraisalv1.Settings{Name: "settings", AllowUncertifiedAiLead: true}
		_, err = h.client.UpdateSettings(f.lead, &appraisalv1.UpdateSettingsRequest{Settings: settings})
		wantStatus(t, err, codes.PermissionDenied)
		admin := as(t, h.env, "root", tenant, auth.RoleAdmin)
		got, err := h.client.UpdateSettings(admin, &appraisalv1.UpdateSettingsRequest{Settings: settings, UpdateMask: mask("allow_uncertified_ai_lead")})
		if err != nil {
			t.Fatal(err)
		}
		if !got.GetSettings().GetAllowUncertifiedAiLead() {
			t.Fatalf("settings = %v", got.GetSettings())
		}
		if a := f.plan(t); a.GetState() != appraisalv1.Appraisal_STATE_PLANNED {
			t.Fatalf("planned = %v", a)
		}
		// Another tenant's settings are untouched.
		other := h.draft(t, tenantB, "ai", nil)
		_, err = h.client.PlanAppraisal(other.lead, &appraisalv1.PlanAppraisalRequest{Name: other.name})
		wantReason(t, err, codes.FailedPrecondition, "LEAD_NOT_AI_CERTIFIED")
	})

	t.Run("catalog unavailable", func(t *testing.T) {
		f := h.draft(t, tenantA, "outage", nil)
		f.certifyLead(t)
		before := f.get(t)
		events := len(f.events(t))
		h.cat.fail(unavailable())
		_, err := h.client.PlanAppraisal(f.lead, &appraisalv1.PlanAppraisalRequest{Name: f.name})
		h.cat.fail(nil)
		wantStatus(t, err, codes.Unavailable)
		after := f.get(t)
		if after.GetState() != appraisalv1.Appraisal_STATE_DRAFT || after.GetEtag() != before.GetEtag() || !proto.Equal(after, before) {
			t.Fatalf("after the outage: %v, was %v", after, before)
		}
		if n := len(f.events(t)); n != events {
			t.Fatalf("%d events after the outage, was %d", n, events)
		}
		_, err = h.client.GetRatings(f.lead, &appraisalv1.GetRatingsRequest{Name: f.name + "/ratings"})
		wantReason(t, err, codes.FailedPrecondition, "NOT_SCOPED")
		// A retry once the catalog is back works.
		if a := f.plan(t); a.GetState() != appraisalv1.Appraisal_STATE_PLANNED || a.GetScopedPracticeCount() != int32(len(practicesUpTo(2))) {
			t.Fatalf("planned = %v", a)
		}
	})

	t.Run("stale etag", func(t *testing.T) {
		f := h.draft(t, tenantA, "stale-plan", nil)
		f.certifyLead(t)
		old := f.get(t).GetEtag()
		if _, err := h.client.UpdateAppraisal(f.lead, &appraisalv1.UpdateAppraisalRequest{
			Appraisal: &appraisalv1.Appraisal{Name: f.name, DisplayName: "renamed"}, UpdateMask: mask("display_name"),
		}); err != nil {
			t.Fatal(err)
		}
		_, err := h.client.PlanAppraisal(f.lead, &appraisalv1.PlanAppraisalRequest{Name: f.name, Etag: old})
		wantReason(t, err, codes.Aborted, "ETAG_MISMATCH")
	})
}

func TestTransitionGuards(t *testing.T) {
	h := newHarness(t)
	c := h.client

	t.Run("start without instances", func(t *testing.T) {
		f := h.draft(t, tenantA, "empty", nil)
		f.certifyLead(t)
		f.plan(t)
		_, err := c.StartAppraisal(f.lead, &appraisalv1.StartAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.FailedPrecondition, "NO_INSTANCES")
		if s := f.get(t).GetState(); s != appraisalv1.Appraisal_STATE_PLANNED {
			t.Fatalf("state = %v", s)
		}
	})

	t.Run("rate incomplete", func(t *testing.T) {
		f := h.conducting(t, tenantA, "incomplete", nil, "i1", "i2")
		f.characterizeAll(t, vFM, func(inst, p string) (appraisalv1.CharacterizationValue, bool) {
			if inst == "i2" && p == "DAT-2.2" {
				return 0, true // left out
			}
			return 0, false
		})
		r := f.ratings(t)
		if r.GetComplete() || len(r.GetMissing()) != 1 || r.GetMissing()[0].GetInstance() != "i2" || r.GetMissing()[0].GetPractice() != "DAT-2.2" ||
			r.GetMaturityLevel() != 0 || r.GetMaturityRule() != "ML-7" {
			t.Fatalf("ratings = %v; want one missing pair and no maturity level", r)
		}
		_, err := c.RateAppraisal(f.lead, &appraisalv1.RateAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.FailedPrecondition, "RATINGS_INCOMPLETE")
		if a := f.get(t); a.GetState() != appraisalv1.Appraisal_STATE_CONDUCTING || a.GetMaturityLevel() != 0 {
			t.Fatalf("after the refused rate: %v", a)
		}
	})

	t.Run("out of order", func(t *testing.T) {
		draft := h.draft(t, tenantA, "order-draft", nil)
		planned := h.draft(t, tenantA, "order-planned", nil)
		planned.certifyLead(t)
		planned.plan(t)
		cond := h.conducting(t, tenantA, "order-conducting", nil, "i1")
		tests := []struct {
			name string
			f    *flow
			call func(f *flow) error
		}{
			{"DRAFT:start", draft, func(f *flow) error {
				_, err := c.StartAppraisal(f.lead, &appraisalv1.StartAppraisalRequest{Name: f.name})
				return err
			}},
			{"DRAFT:rate", draft, func(f *flow) error {
				_, err := c.RateAppraisal(f.lead, &appraisalv1.RateAppraisalRequest{Name: f.name})
				return err
			}},
			{"DRAFT:report", draft, func(f *flow) error {
				_, err := c.ReportAppraisal(f.lead, &appraisalv1.ReportAppraisalRequest{Name: f.name})
				return err
			}},
			{"DRAFT:close", draft, func(f *flow) error {
				_, err := c.CloseAppraisal(f.lead, &appraisalv1.CloseAppraisalRequest{Name: f.name})
				return err
			}},
			{"PLANNED:report", planned, func(f *flow) error {
				_, err := c.ReportAppraisal(f.lead, &appraisalv1.ReportAppraisalRequest{Name: f.name})
				return err
			}},
			{"PLANNED:rate", planned, func(f *flow) error {
				_, err := c.RateAppraisal(f.lead, &appraisalv1.RateAppraisalRequest{Name: f.name})
				return err
			}},
			{"PLANNED:plan", planned, func(f *flow) error {
				_, err := c.PlanAppraisal(f.lead, &appraisalv1.PlanAppraisalRequest{Name: f.name})
				return err
			}},
			{"CONDUCTING:start", cond, func(f *flow) error {
				_, err := c.StartAppraisal(f.lead, &appraisalv1.StartAppraisalRequest{Name: f.name})
				return err
			}},
			{"CONDUCTING:report", cond, func(f *flow) error {
				_, err := c.ReportAppraisal(f.lead, &appraisalv1.ReportAppraisalRequest{Name: f.name})
				return err
			}},
			{"CONDUCTING:close", cond, func(f *flow) error {
				_, err := c.CloseAppraisal(f.lead, &appraisalv1.CloseAppraisalRequest{Name: f.name})
				return err
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := tt.f.get(t)
				wantReason(t, tt.call(tt.f), codes.FailedPrecondition, "INVALID_TRANSITION")
				if after := tt.f.get(t); !proto.Equal(after, before) {
					t.Fatalf("the refused transition changed %v to %v", before, after)
				}
			})
		}
	})

	t.Run("cancel", func(t *testing.T) {
		f := h.conducting(t, tenantA, "cancel-me", nil, "i1")
		// A team member who is not the lead may not cancel.
		_, err := c.CancelAppraisal(f.amy, &appraisalv1.CancelAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.PermissionDenied, "NOT_LEAD_APPRAISER")
		resp, err := c.CancelAppraisal(f.lead, &appraisalv1.CancelAppraisalRequest{Name: f.name})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetAppraisal().GetState() != appraisalv1.Appraisal_STATE_CANCELLED {
			t.Fatalf("cancelled = %v", resp.GetAppraisal())
		}
		// Still readable, no longer writable.
		if a := f.get(t); a.GetState() != appraisalv1.Appraisal_STATE_CANCELLED {
			t.Fatalf("state = %v", a.GetState())
		}
		_, err = c.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
			Characterization: &appraisalv1.Characterization{Name: f.charName("i1", "RSK-1.1"), Value: vFM}, AllowMissing: true,
		})
		wantReason(t, err, codes.FailedPrecondition, "WRONG_STATE")
		_, err = c.CancelAppraisal(f.lead, &appraisalv1.CancelAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.FailedPrecondition, "INVALID_TRANSITION")
	})

	t.Run("lead only", func(t *testing.T) {
		f, rated := h.rated(t, tenantA, "lead-only", nil, nil)
		if rated.GetState() != appraisalv1.Appraisal_STATE_RATED {
			t.Fatalf("rated = %v", rated)
		}
		admin := as(t, h.env, "root", tenantA, auth.RoleAdmin)
		// amy (team member) and a tenant admin may not report.
		_, err := c.ReportAppraisal(f.amy, &appraisalv1.ReportAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.PermissionDenied, "NOT_LEAD_APPRAISER")
		_, err = c.ReportAppraisal(admin, &appraisalv1.ReportAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.PermissionDenied, "NOT_LEAD_APPRAISER")

		g := h.conducting(t, tenantA, "lead-only-rate", nil, "i1")
		g.characterizeAll(t, vFM, nil)
		_, err = c.RateAppraisal(g.amy, &appraisalv1.RateAppraisalRequest{Name: g.name})
		wantReason(t, err, codes.PermissionDenied, "NOT_LEAD_APPRAISER")
		_, err = c.RateAppraisal(admin, &appraisalv1.RateAppraisalRequest{Name: g.name})
		wantReason(t, err, codes.PermissionDenied, "NOT_LEAD_APPRAISER")
		if s := g.get(t).GetState(); s != appraisalv1.Appraisal_STATE_CONDUCTING {
			t.Fatalf("state = %v", s)
		}
		if s := f.get(t).GetState(); s != appraisalv1.Appraisal_STATE_RATED {
			t.Fatalf("state = %v", s)
		}
		// Cancel from REPORTED is refused.
		if _, err := c.ReportAppraisal(f.lead, &appraisalv1.ReportAppraisalRequest{Name: f.name}); err != nil {
			t.Fatal(err)
		}
		_, err = c.CancelAppraisal(f.lead, &appraisalv1.CancelAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.FailedPrecondition, "INVALID_TRANSITION")
		_, err = c.CancelAppraisal(admin, &appraisalv1.CancelAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.FailedPrecondition, "INVALID_TRANSITION")
		if s := f.get(t).GetState(); s != appraisalv1.Appraisal_STATE_REPORTED {
			t.Fatalf("state = %v", s)
		}
	})
}
