package server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

func openKeys(r *appraisalv1.Ratings) []string {
	var keys []string
	for _, d := range r.GetOpenDecisions() {
		keys = append(keys, d.GetKey())
	}
	return keys
}

func TestTeamDecisions(t *testing.T) {
	h := newHarness(t)
	f := h.conducting(t, tenantA, "decide", nil, "i1", "i2")
	c := h.client
	// The instances disagree on RSK-2.1: FM in i1, PM in i2 (AGG-7).
	f.characterizeAll(t, vFM, func(inst, p string) (appraisalv1.CharacterizationValue, bool) {
		return vPM, inst == "i2" && p == "RSK-2.1"
	})

	r := f.ratings(t)
	if r.GetComplete() || r.GetMaturityLevel() != 0 || len(r.GetMissing()) != 0 {
		t.Fatalf("ratings = %v; want incomplete for lack of a decision only", r)
	}
	if len(r.GetOpenDecisions()) != 1 {
		t.Fatalf("open decisions = %v, want org:RSK-2.1 only", r.GetOpenDecisions())
	}
	d := r.GetOpenDecisions()[0]
	if d.GetKey() != "org:RSK-2.1" || !slices.Equal(d.GetAllowedValues(), []string{"LM", "PM"}) || d.GetRule() != "AGG-7" || d.GetQuestion() == "" {
		t.Fatalf("open decision = %v", d)
	}
	for _, p := range r.GetPractices() {
		if p.GetPractice() == "RSK-2.1" {
			if p.GetValue() != appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_UNSPECIFIED ||
				!slices.Equal(p.GetAllowedValues(), []appraisalv1.CharacterizationValue{vLM, vPM}) {
				t.Fatalf("RSK-2.1 = %v", p)
			}
		}
	}
	for _, pa := range r.GetPracticeAreas() {
		if pa.GetPracticeArea() == "RSK" && pa.GetLevels()[1].GetOutcome() != appraisalv1.LevelRating_OUTCOME_PENDING_DECISION {
			t.Fatalf("RSK = %v, want level 2 pending", pa)
		}
	}
	_, err := c.RateAppraisal(f.lead, &appraisalv1.RateAppraisalRequest{Name: f.name})
	wantReason(t, err, codes.FailedPrecondition, "RATINGS_INCOMPLETE")

	record := func(key, value string) (*appraisalv1.TeamDecision, error) {
		resp, err := c.RecordTeamDecision(f.amy, &appraisalv1.RecordTeamDecisionRequest{Parent: f.name, TeamDecision: &appraisalv1.TeamDecision{
			Key: key, Value: value, Rationale: "the weakness in i2 is minor",
		}})
		return resp.GetTeamDecision(), err
	}
	events := len(f.events(t))
	bad := []struct {
		key, value, field string
	}{
		{"org:RSK-2.1", "FM", "team_decision.value"},
		{"org:RSK-2.1", "satisfied", "team_decision.value"},
		{"org:RSK-1.1", "LM", "team_decision.key"},      // in scope, but nothing to decide
		{"org:XYZ-9.9", "LM", "team_decision.key"},      // unknown practice
		{"par:RSK:2", "satisfied", "team_decision.key"}, // not asked yet
		{"nonsense", "LM", "team_decision.key"},
	}
	for _, b := range bad {
		_, err := record(b.key, b.value)
		wantViolations(t, err, b.field)
	}
	list, err := c.ListTeamDecisions(f.lead, &appraisalv1.ListTeamDecisionsRequest{Parent: f.name})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetTeamDecisions()) != 0 || len(f.events(t)) != events {
		t.Fatalf("refused decisions were stored: %v", list.GetTeamDecisions())
	}
	// A viewer may not decide.
	_, err = c.RecordTeamDecision(as(t, h.env, "vic", tenantA, "viewer"), &appraisalv1.RecordTeamDecisionRequest{Parent: f.name, TeamDecision: &appraisalv1.TeamDecision{
		Key: "org:RSK-2.1", Value: "LM", Rationale: "x",
	}})
	wantStatus(t, err, codes.PermissionDenied)

	got, err := record("org:RSK-2.1", "LM")
	if err != nil {
		t.Fatal(err)
	}
	if got.GetName() != f.name+"/teamDecisions/org-rsk-2-1" || got.GetDecider() != "amy" || got.GetDecideTime() == nil || got.GetValue() != "LM" {
		t.Fatalf("recorded %v", got)
	}
	// Deciding LM leaves RSK level 2 with an LM practice: PAR-7 asks next.
	r = f.ratings(t)
	if keys := openKeys(r); !slices.Equal(keys, []string{"par:RSK:2"}) {
		t.Fatalf("open decisions after org:RSK-2.1 = %q, want [par:RSK:2]", keys)
	}
	if d := r.GetOpenDecisions()[0]; !slices.Equal(d.GetAllowedValues(), []string{"satisfied", "not-satisfied"}) || d.GetRule() != "PAR-7" {
		t.Fatalf("open decision = %v", d)
	}
	_, err = record("par:RSK:2", "LM")
	wantViolations(t, err, "team_decision.value")
	resp, err := c.RecordTeamDecision(f.lead, &appraisalv1.RecordTeamDecisionRequest{Parent: f.name, TeamDecision: &appraisalv1.TeamDecision{
		Key: "par:RSK:2", Value: "satisfied", Rationale: "no significant negative impact",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetTeamDecision().GetDecider() != "lead" {
		t.Fatalf("recorded %v", resp.GetTeamDecision())
	}

	list, err = c.ListTeamDecisions(f.amy, &appraisalv1.ListTeamDecisionsRequest{Parent: f.name})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][3]string{
		"org:RSK-2.1": {"LM", "amy", "the weakness in i2 is minor"},
		"par:RSK:2":   {"satisfied", "lead", "no significant negative impact"},
	}
	if len(list.GetTeamDecisions()) != len(want) {
		t.Fatalf("decisions = %v", list.GetTeamDecisions())
	}
	for _, d := range list.GetTeamDecisions() {
		if w := want[d.GetKey()]; d.GetValue() != w[0] || d.GetDecider() != w[1] || d.GetRationale() != w[2] {
			t.Fatalf("decision %v, want %v", d, w)
		}
	}

	r = f.ratings(t)
	if !r.GetComplete() || len(r.GetOpenDecisions()) != 0 || r.GetMaturityLevel() != 2 {
		t.Fatalf("ratings after the decisions = %v; want complete at ML2", r)
	}
	for _, p := range r.GetPractices() {
		if p.GetPractice() == "RSK-2.1" && (p.GetValue() != vLM || p.GetRule() != "AGG-7") {
			t.Fatalf("RSK-2.1 = %v", p)
		}
	}
	// Recording a decided key again replaces it (even though no question is
	// open for it any more).
	if _, err := record("org:RSK-2.1", "PM"); err != nil {
		t.Fatal(err)
	}
	r = f.ratings(t)
	if !r.GetComplete() || r.GetMaturityLevel() != 1 {
		t.Fatalf("ratings after org:RSK-2.1 = PM: %v; want complete at ML1", r)
	}
	if _, err := record("org:RSK-2.1", "LM"); err != nil {
		t.Fatal(err)
	}
	if a := f.rate(t); a.GetState() != appraisalv1.Appraisal_STATE_RATED || a.GetMaturityLevel() != 2 {
		t.Fatalf("rated = %v", a)
	}
	if v := f.verify(t); !v.GetVerified() {
		t.Fatalf("VerifyAuditTrail = %v", v)
	}
}

func TestAppraisalReport(t *testing.T) {
	h := newHarness(t)
	const title = "Acme <script>alert(1)</script> & Co"
	f, _ := h.rated(t, tenantA, "report", func(a *appraisalv1.Appraisal) { a.DisplayName = title }, nil)
	c := h.client
	if _, err := c.CreateFinding(f.amy, &appraisalv1.CreateFindingRequest{Parent: f.name, Finding: &appraisalv1.Finding{
		Kind: appraisalv1.Finding_KIND_IMPROVEMENT_OPPORTUNITY, Text: "Automate <b>risk</b> reviews.",
	}}); err != nil {
		t.Fatal(err)
	}

	html, err := c.GetAppraisalReport(f.lead, &appraisalv1.GetAppraisalReportRequest{Name: f.name, Format: appraisalv1.GetAppraisalReportRequest_FORMAT_HTML})
	if err != nil {
		t.Fatal(err)
	}
	page := string(html.GetBody().GetData())
	if !strings.HasPrefix(html.GetBody().GetContentType(), "text/html") {
		t.Fatalf("content type %q", html.GetBody().GetContentType())
	}
	for _, want := range []string{
		"Acme &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co", "Maturity level 2", "Final ratings", "Automate &lt;b&gt;risk&lt;/b&gt; reviews.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>", "<b>risk"} {
		if strings.Contains(page, bad) {
			t.Errorf("the HTML report holds %q unescaped", bad)
		}
	}
	for _, a := range fakeAreas {
		if n := strings.Count(page, "<tr><th>"+a.acronym+"</th><td>"+a.domain+"</td>"); n != 1 {
			t.Errorf("%d heat map rows for %s, want 1", n, a.acronym)
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s", page)
	}

	for _, format := range []appraisalv1.GetAppraisalReportRequest_Format{
		appraisalv1.GetAppraisalReportRequest_FORMAT_UNSPECIFIED, appraisalv1.GetAppraisalReportRequest_FORMAT_JSON,
	} {
		resp, err := c.GetAppraisalReport(f.amy, &appraisalv1.GetAppraisalReportRequest{Name: f.name, Format: format})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetBody().GetContentType() != "application/json" {
			t.Fatalf("content type %q", resp.GetBody().GetContentType())
		}
		var doc struct {
			Appraisal struct {
				DisplayName   string `json:"displayName"`
				MaturityLevel int    `json:"maturityLevel"`
			} `json:"appraisal"`
			Ratings *struct {
				Final         bool              `json:"final"`
				MaturityLevel int               `json:"maturityLevel"`
				PracticeAreas []json.RawMessage `json:"practiceAreas"`
			} `json:"ratings"`
			TeamMembers []json.RawMessage `json:"teamMembers"`
			Instances   []json.RawMessage `json:"instances"`
			Findings    []json.RawMessage `json:"findings"`
		}
		if err := json.Unmarshal(resp.GetBody().GetData(), &doc); err != nil {
			t.Fatalf("%v: the JSON report does not parse: %v\n%s", format, err, resp.GetBody().GetData())
		}
		if doc.Ratings == nil || !doc.Ratings.Final || doc.Ratings.MaturityLevel != 2 || len(doc.Ratings.PracticeAreas) != len(fakeAreas) ||
			doc.Appraisal.DisplayName != title || doc.Appraisal.MaturityLevel != 2 ||
			len(doc.TeamMembers) != 2 || len(doc.Instances) != 2 || len(doc.Findings) != 1 {
			t.Fatalf("%v: JSON report %s", format, resp.GetBody().GetData())
		}
	}

	// A draft has no ratings to report yet.
	d := h.draft(t, tenantA, "report-draft", nil)
	_, err = c.GetAppraisalReport(d.lead, &appraisalv1.GetAppraisalReportRequest{Name: d.name})
	wantReason(t, err, codes.FailedPrecondition, "NOT_SCOPED")
	// Another tenant cannot read it.
	_, err = c.GetAppraisalReport(as(t, h.env, "lead", tenantB, "lead-appraiser"), &appraisalv1.GetAppraisalReportRequest{Name: f.name})
	wantStatus(t, err, codes.NotFound)
}

func TestCompareAppraisals(t *testing.T) {
	h := newHarness(t)
	c := h.client
	good, ga := h.rated(t, tenantA, "good", nil, nil)
	// PM on RSK-2.1 everywhere: RSK level 2 not satisfied, so CL1 and ML1.
	weak, wa := h.rated(t, tenantA, "weak", nil, func(_, p string) (appraisalv1.CharacterizationValue, bool) {
		return vPM, p == "RSK-2.1"
	})
	if ga.GetMaturityLevel() != 2 || wa.GetMaturityLevel() != 1 {
		t.Fatalf("maturity levels %d and %d, want 2 and 1", ga.GetMaturityLevel(), wa.GetMaturityLevel())
	}

	type row struct {
		level, other int32
		change       appraisalv1.Comparison_Change
	}
	rows := func(cs []*appraisalv1.Comparison) map[string]row {
		out := map[string]row{}
		for _, c := range cs {
			out[c.GetKey()] = row{c.GetLevel(), c.GetOtherLevel(), c.GetChange()}
		}
		return out
	}
	const (
		up   = appraisalv1.Comparison_CHANGE_IMPROVED
		down = appraisalv1.Comparison_CHANGE_REGRESSED
		same = appraisalv1.Comparison_CHANGE_UNCHANGED
	)
	tests := []struct {
		name, later, earlier string
		ml, otherML          int32
		areas, domains       map[string]row
	}{
		{
			"improved", good.name, weak.name, 2, 1,
			map[string]row{"RSK": {2, 1, up}, "CM": {2, 2, same}, "DAT": {2, 2, same}},
			map[string]row{"core": {4, 3, up}, "data": {2, 2, same}},
		},
		{
			"regressed", weak.name, good.name, 1, 2,
			map[string]row{"RSK": {1, 2, down}, "CM": {2, 2, same}, "DAT": {2, 2, same}},
			map[string]row{"core": {3, 4, down}, "data": {2, 2, same}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.CompareAppraisals(good.lead, &appraisalv1.CompareAppraisalsRequest{Name: tt.later, OtherAppraisal: tt.earlier})
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetMaturityLevel() != tt.ml || resp.GetOtherMaturityLevel() != tt.otherML {
				t.Fatalf("maturity levels %d/%d, want %d/%d", resp.GetMaturityLevel(), resp.GetOtherMaturityLevel(), tt.ml, tt.otherML)
			}
			if got := rows(resp.GetPracticeAreas()); !equalRows(got, tt.areas) {
				t.Fatalf("practice areas %v, want %v", got, tt.areas)
			}
			if got := rows(resp.GetDomains()); !equalRows(got, tt.domains) {
				t.Fatalf("domains %v, want %v", got, tt.domains)
			}
			if !slices.IsSortedFunc(resp.GetPracticeAreas(), func(a, b *appraisalv1.Comparison) int { return strings.Compare(a.GetKey(), b.GetKey()) }) {
				t.Fatalf("practice areas not sorted: %v", resp.GetPracticeAreas())
			}
		})
	}

	t.Run("unrated", func(t *testing.T) {
		open := h.conducting(t, tenantA, "unrated", nil, "i1")
		_, err := c.CompareAppraisals(good.lead, &appraisalv1.CompareAppraisalsRequest{Name: good.name, OtherAppraisal: open.name})
		wantReason(t, err, codes.FailedPrecondition, "NOT_RATED")
		_, err = c.CompareAppraisals(good.lead, &appraisalv1.CompareAppraisalsRequest{Name: open.name, OtherAppraisal: good.name})
		wantReason(t, err, codes.FailedPrecondition, "NOT_RATED")
	})
	t.Run("other tenant", func(t *testing.T) {
		other, _ := h.rated(t, tenantB, "good", nil, nil)
		// Tenant B's "good" is not tenant A's: each compares within its tenant.
		_, err := c.CompareAppraisals(other.lead, &appraisalv1.CompareAppraisalsRequest{Name: "appraisals/good", OtherAppraisal: "appraisals/weak"})
		wantStatus(t, err, codes.NotFound)
	})
}

func equalRows[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestSustainment(t *testing.T) {
	h := newHarness(t)
	// The benchmark reached ML1 only (PM on RSK-2.1).
	bench, ba := h.rated(t, tenantA, "bench", nil, func(_, p string) (appraisalv1.CharacterizationValue, bool) {
		return vPM, p == "RSK-2.1"
	})
	if ba.GetMaturityLevel() != 1 || !ba.GetRatingOfRecord() {
		t.Fatalf("benchmark = %v", ba)
	}
	// The sustainment characterizes everything FM, which alone would be ML2.
	sus, sa := h.rated(t, tenantA, "sustain", func(a *appraisalv1.Appraisal) {
		a.Type = appraisalv1.AppraisalType_APPRAISAL_TYPE_SUSTAINMENT
		a.PreviousAppraisal = bench.name
	}, nil)
	if want := ba.GetExpireTime().AsTime().AddDate(2, 0, 0); !sa.GetExpireTime().AsTime().Equal(want) {
		t.Fatalf("sustainment expires %v, want the benchmark's expiry + 2 years, %v", sa.GetExpireTime().AsTime(), want)
	}
	if sa.GetMaturityLevel() != 1 || !sa.GetRatingOfRecord() {
		t.Fatalf("sustainment = %v; want ML1 (capped at the benchmark's), of record", sa)
	}
	if r := sus.ratings(t); !r.GetFinal() || r.GetMaturityLevel() != 1 {
		t.Fatalf("sustainment ratings = %v", r)
	}

	t.Run("three in a row, then a benchmark is due", func(t *testing.T) {
		prev, prevExpiry := sus.name, sa.GetExpireTime().AsTime()
		for i := 2; i <= 3; i++ {
			_, a := h.rated(t, tenantA, fmt.Sprintf("sustain-%d", i), func(a *appraisalv1.Appraisal) {
				a.Type = appraisalv1.AppraisalType_APPRAISAL_TYPE_SUSTAINMENT
				a.PreviousAppraisal = prev
			}, nil)
			if want := prevExpiry.AddDate(2, 0, 0); !a.GetExpireTime().AsTime().Equal(want) || a.GetMaturityLevel() != 1 {
				t.Fatalf("sustainment %d = %v; want ML1 expiring %v", i, a, want)
			}
			prev, prevExpiry = a.GetName(), a.GetExpireTime().AsTime()
		}
		f := h.conducting(t, tenantA, "sustain-4", func(a *appraisalv1.Appraisal) {
			a.Type = appraisalv1.AppraisalType_APPRAISAL_TYPE_SUSTAINMENT
			a.PreviousAppraisal = prev
		}, "i1")
		f.characterizeAll(t, vFM, nil)
		_, err := h.client.RateAppraisal(f.lead, &appraisalv1.RateAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.FailedPrecondition, "BENCHMARK_DUE")
	})
	t.Run("without a previous appraisal", func(t *testing.T) {
		f := h.conducting(t, tenantA, "sustain-orphan", func(a *appraisalv1.Appraisal) {
			a.Type = appraisalv1.AppraisalType_APPRAISAL_TYPE_SUSTAINMENT
		}, "i1")
		f.characterizeAll(t, vFM, nil)
		_, err := h.client.RateAppraisal(f.lead, &appraisalv1.RateAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.FailedPrecondition, "NO_PREVIOUS_APPRAISAL")
		if s := f.get(t).GetState(); s != appraisalv1.Appraisal_STATE_CONDUCTING {
			t.Fatalf("state = %v", s)
		}
	})
	t.Run("of an evaluation", func(t *testing.T) {
		eval, _ := h.rated(t, tenantA, "eval-base", func(a *appraisalv1.Appraisal) {
			a.Type = appraisalv1.AppraisalType_APPRAISAL_TYPE_EVALUATION
		}, nil)
		f := h.conducting(t, tenantA, "sustain-eval", func(a *appraisalv1.Appraisal) {
			a.Type = appraisalv1.AppraisalType_APPRAISAL_TYPE_SUSTAINMENT
			a.PreviousAppraisal = eval.name
		}, "i1")
		f.characterizeAll(t, vFM, nil)
		_, err := h.client.RateAppraisal(f.lead, &appraisalv1.RateAppraisalRequest{Name: f.name})
		wantReason(t, err, codes.FailedPrecondition, "NO_RATING_OF_RECORD")
	})
}

// An evaluation is no rating of record, but the maturity level it rated is
// still its result: Appraisal.maturity_level is "the maturity level rated"
// (0 only for a capability profile or when no level was reached) and
// Ratings.maturity_level "the maturity level reached"; rating_of_record
// false and no expire_time say it is not of record.
func TestEvaluationKeepsMaturityLevel(t *testing.T) {
	h := newHarness(t)
	f, a := h.rated(t, tenantA, "eval", func(a *appraisalv1.Appraisal) {
		a.Type = appraisalv1.AppraisalType_APPRAISAL_TYPE_EVALUATION
	}, nil)
	if a.GetRatingOfRecord() || a.GetExpireTime() != nil {
		t.Fatalf("evaluation = %v; want no rating of record and no expiry", a)
	}
	if a.GetMaturityLevel() != 2 {
		t.Errorf("evaluation maturity_level = %d, want 2 (every practice FM)", a.GetMaturityLevel())
	}
	if r := f.ratings(t); r.GetMaturityLevel() != 2 {
		t.Errorf("evaluation ratings maturity_level = %d (rule %s), want 2", r.GetMaturityLevel(), r.GetMaturityRule())
	}
}

// aprFlow rates a benchmark that failed RSK level 2 (PM on RSK-2.1) and
// starts an Action Plan Reappraisal of it, which re-rates RSK level 2 and
// carries everything else (APR-1, APR-2).
func aprFlow(t *testing.T, h *harness, id string) (bench *appraisalv1.Appraisal, apr *flow) {
	t.Helper()
	_, bench = h.rated(t, tenantA, id+"-bench", nil, func(_, p string) (appraisalv1.CharacterizationValue, bool) {
		return vPM, p == "RSK-2.1"
	})
	apr = h.conducting(t, tenantA, id, func(a *appraisalv1.Appraisal) {
		a.Type = appraisalv1.AppraisalType_APPRAISAL_TYPE_ACTION_PLAN_REASSESSMENT
		a.PreviousAppraisal = bench.GetName()
	}, "i1", "i2")
	return bench, apr
}

func TestActionPlanReassessment(t *testing.T) {
	h := newHarness(t)
	bench, f := aprFlow(t, h, "apr")
	r := f.ratings(t)
	var missing []string
	for _, m := range r.GetMissing() {
		missing = append(missing, m.GetInstance()+"/"+m.GetPractice())
	}
	if want := []string{"i1/RSK-2.1", "i1/RSK-2.2", "i2/RSK-2.1", "i2/RSK-2.2"}; !slices.Equal(missing, want) {
		t.Fatalf("missing %q, want only RSK level 2 re-rated: %q", missing, want)
	}
	for _, inst := range f.instances {
		for _, p := range []string{"RSK-2.1", "RSK-2.2"} {
			if _, err := h.client.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
				Characterization: &appraisalv1.Characterization{Name: f.charName(inst, p), Value: vFM}, AllowMissing: true,
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if r := f.ratings(t); !r.GetComplete() || r.GetMaturityLevel() != 2 {
		t.Fatalf("ratings = %v; want complete at ML2", r)
	}
	a := f.rate(t)
	if a.GetMaturityLevel() != 2 || !a.GetRatingOfRecord() || !a.GetExpireTime().AsTime().Equal(bench.GetExpireTime().AsTime()) {
		t.Fatalf("reappraisal = %v; want ML2 of record, expiring with the benchmark (%v)", a, bench.GetExpireTime().AsTime())
	}
}

// The team of an Action Plan Reappraisal characterizes a practice the
// reappraisal carries from the benchmark. Either the characterization is
// refused, or the appraisal still rates: an accepted write must never leave
// GetRatings and RateAppraisal failing for good (characterizations cannot
// be deleted or cleared).
func TestActionPlanReassessmentCarriedPracticeCharacterized(t *testing.T) {
	h := newHarness(t)
	_, f := aprFlow(t, h, "apr-carried")
	_, err := h.client.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
		Characterization: &appraisalv1.Characterization{Name: f.charName("i1", "CM-1.1"), Value: vFM}, AllowMissing: true,
	})
	if err != nil {
		wantStatus(t, err, codes.InvalidArgument)
	}
	for _, inst := range f.instances {
		for _, p := range []string{"RSK-2.1", "RSK-2.2"} {
			if _, err := h.client.UpdateCharacterization(f.amy, &appraisalv1.UpdateCharacterizationRequest{
				Characterization: &appraisalv1.Characterization{Name: f.charName(inst, p), Value: vFM}, AllowMissing: true,
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := h.client.GetRatings(f.lead, &appraisalv1.GetRatingsRequest{Name: f.name + "/ratings"}); err != nil {
		t.Fatalf("GetRatings after an accepted characterization of carried practice CM-1.1: %v", err)
	}
	if _, err := h.client.RateAppraisal(f.lead, &appraisalv1.RateAppraisalRequest{Name: f.name}); err != nil {
		t.Fatalf("RateAppraisal: %v", err)
	}
}
