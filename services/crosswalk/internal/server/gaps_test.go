package server_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
)

const (
	covered    = crosswalkv1.ClauseCoverage_COVERAGE_COVERED
	partially  = crosswalkv1.ClauseCoverage_COVERAGE_PARTIALLY_COVERED
	notCovered = crosswalkv1.ClauseCoverage_COVERAGE_NOT_COVERED
	notMapped  = crosswalkv1.ClauseCoverage_COVERAGE_NOT_MAPPED
)

// coverageByClause indexes an analysis's rows.
func coverageByClause(resp *crosswalkv1.AnalyzeGapsResponse) map[string]*crosswalkv1.ClauseCoverage {
	out := map[string]*crosswalkv1.ClauseCoverage{}
	for _, c := range resp.GetClauses() {
		out[c.GetClause()] = c
	}
	return out
}

func links(ls []*crosswalkv1.PracticeLink) string {
	var out []string
	for _, l := range ls {
		out = append(out, fmt.Sprintf("%s %s %s %v", l.GetPractice(), strings.TrimPrefix(l.GetRelationship().String(), "RELATIONSHIP_"), l.GetVia(), l.GetSatisfied()))
	}
	return strings.Join(out, "; ")
}

// checkConsistent checks what holds for any analysis: rows in document
// order, the summary and groups agree with the rows, one action per clause
// not covered, priorities ranked.
func checkConsistent(t *testing.T, h *harness, resp *crosswalkv1.AnalyzeGapsResponse, under string) {
	t.Helper()
	list, err := h.client.ListClauses(h.viewer(t, tenantA), &crosswalkv1.ListClausesRequest{Parent: iso42001, PageSize: 1000, Under: under})
	if err != nil {
		t.Fatal(err)
	}
	var wantIDs, gotIDs []string
	for _, c := range list.GetClauses() {
		wantIDs = append(wantIDs, c.GetId())
	}
	counts := map[string]int32{}
	var notCoveredIDs []string
	for _, r := range resp.GetClauses() {
		gotIDs = append(gotIDs, r.GetClause())
		counts[strings.TrimPrefix(r.GetCoverage().String(), "COVERAGE_")]++
		if r.GetCoverage() != covered {
			notCoveredIDs = append(notCoveredIDs, r.GetClause())
		}
	}
	if !slices.Equal(gotIDs, wantIDs) {
		t.Fatalf("clauses = %q, want the tree in document order %q", gotIDs, wantIDs)
	}
	if !maps.Equal(resp.GetSummary(), counts) {
		t.Errorf("summary = %v, rows count %v", resp.GetSummary(), counts)
	}
	var actionIDs []string
	for _, a := range resp.GetActionPlan() {
		actionIDs = append(actionIDs, a.GetClause())
		if a.GetAction() == "" {
			t.Errorf("action for %s is empty", a.GetClause())
		}
	}
	if !slices.Equal(actionIDs, notCoveredIDs) {
		t.Errorf("action plan for %q, want every clause not covered %q", actionIDs, notCoveredIDs)
	}
	var sum crosswalkv1.GroupCoverage
	for _, g := range resp.GetGroups() {
		if g.GetCovered()+g.GetPartiallyCovered()+g.GetNotCovered()+g.GetNotMapped() != g.GetClauses() {
			t.Errorf("group %s does not add up: %v", g.GetGroup(), g)
		}
		sum.Clauses += g.GetClauses()
		sum.Covered += g.GetCovered()
		sum.PartiallyCovered += g.GetPartiallyCovered()
		sum.NotCovered += g.GetNotCovered()
		sum.NotMapped += g.GetNotMapped()
	}
	if int(sum.Clauses) != len(resp.GetClauses()) || sum.Covered != counts["COVERED"] || sum.PartiallyCovered != counts["PARTIALLY_COVERED"] ||
		sum.NotCovered != counts["NOT_COVERED"] || sum.NotMapped != counts["NOT_MAPPED"] {
		t.Errorf("groups sum to %v; rows %d, counts %v", &sum, len(resp.GetClauses()), counts)
	}
	for i := 1; i < len(resp.GetPriorities()); i++ {
		a, b := resp.GetPriorities()[i-1], resp.GetPriorities()[i]
		if len(a.GetClauses()) < len(b.GetClauses()) || len(a.GetClauses()) == len(b.GetClauses()) && a.GetPractice() >= b.GetPractice() {
			t.Errorf("priorities not ranked: %v before %v", a, b)
		}
	}
}

func TestAnalyzeGapsSample(t *testing.T) {
	h := newHarness(t)
	satisfied := []string{"RSK-3.1", "RSK-3.3", "PLAN-2.2"}
	resp, err := h.client.AnalyzeGaps(h.viewer(t, tenantA), &crosswalkv1.AnalyzeGapsRequest{
		Crosswalk: sampleName, SatisfiedPractices: satisfied,
		ProcessName: "Project Management", ProcessPracticeAreas: []string{"PLAN", "MC", "RSK"},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, h, resp, "")
	rows := coverageByClause(resp)
	if len(rows) != 91 {
		t.Fatalf("%d clauses, want the 91 of the tree", len(rows))
	}
	tests := []struct {
		clause   string
		coverage crosswalkv1.ClauseCoverage_Coverage
		links    string
	}{
		{"4", partially, ""},
		{"4.1", partially, "RSK-3.1 INTERSECTS_WITH 4.1 true; RSK-3.1 INTERSECTS_WITH 4.1.1 true; " +
			"RSK-3.2 SUBSET_OF 4.1.1.p.1.b false; RSK-3.2 SUBSET_OF 4.1.2.p.1.a false; " +
			"RSK-3.3 SUPERSET_OF 4.1.2.p.1.b true; RSK-3.3 SUPERSET_OF 4.1.2.p.1.c true"},
		{"4.2", notMapped, ""},
		// 7.2.2 is not in the tree: PLAN-2.2 reaches its parent 7.2 through it,
		// which covers part of 7.2 only.
		{"7", partially, ""},
		{"7.2", partially, "PLAN-2.2 SUPERSET_OF 7.2.2 true; PLAN-2.2 SUPERSET_OF 7.2.2.p.1.a true"},
		{"7.1", notMapped, ""},
		{"8", notCovered, ""},
		{"8.1", notCovered, "PLAN-2.5 INTERSECTS_WITH 8.1 false; PLAN-2.5 INTERSECTS_WITH 8.1.p.1.a false"},
		// MC-2.4 is the only practice mapped to 10.2, and it is unsatisfied.
		{"10.2", notCovered, "MC-2.4 INTERSECTS_WITH 10.2 false; MC-2.4 INTERSECTS_WITH 10.2.p.1.a false"},
		{"10.1", notMapped, ""},
		{"6.1.2", notMapped, ""},
		{"A.6.2.4", notMapped, ""},
	}
	for _, tt := range tests {
		r := rows[tt.clause]
		if r.GetCoverage() != tt.coverage {
			t.Errorf("%s: %v, want %v (%s)", tt.clause, r.GetCoverage(), tt.coverage, links(r.GetPractices()))
		}
		if tt.links != "" && links(r.GetPractices()) != tt.links {
			t.Errorf("%s practices:\n%s\nwant\n%s", tt.clause, links(r.GetPractices()), tt.links)
		}
		if r.GetTitle() == "" {
			t.Errorf("%s has no title", tt.clause)
		}
	}
	wantSummary := map[string]int32{"PARTIALLY_COVERED": 4, "NOT_COVERED": 4, "NOT_MAPPED": 83}
	if !maps.Equal(resp.GetSummary(), wantSummary) {
		t.Errorf("summary = %v, want %v", resp.GetSummary(), wantSummary)
	}

	var groups []string
	for _, g := range resp.GetGroups() {
		groups = append(groups, fmt.Sprintf("%s:%d/%d/%d/%d/%d", g.GetGroup(), g.GetClauses(), g.GetCovered(), g.GetPartiallyCovered(), g.GetNotCovered(), g.GetNotMapped()))
	}
	wantGroups := []string{"4:5/0/2/0/3", "5:4/0/0/0/4", "6:8/0/0/0/8", "7:9/0/2/0/7", "8:5/0/0/2/3", "9:9/0/0/0/9", "10:3/0/0/2/1", "A:48/0/0/0/48"}
	if !slices.Equal(groups, wantGroups) {
		t.Errorf("groups = %q, want %q", groups, wantGroups)
	}
	if g := resp.GetGroups()[0]; g.GetTitle() != rows["4"].GetTitle() {
		t.Errorf("group 4 title %q, want %q", g.GetTitle(), rows["4"].GetTitle())
	}

	var prios []string
	for _, p := range resp.GetPriorities() {
		prios = append(prios, p.GetPractice()+"="+strings.Join(p.GetClauses(), ","))
	}
	if want := []string{"MC-2.4=10,10.2", "PLAN-2.5=8,8.1", "RSK-3.2=4,4.1"}; !slices.Equal(prios, want) {
		t.Errorf("priorities = %q, want %q", prios, want)
	}

	actions := map[string]*crosswalkv1.ActionItem{}
	for _, a := range resp.GetActionPlan() {
		actions[a.GetClause()] = a
	}
	for clause, practices := range map[string][]string{"4.1": {"RSK-3.2"}, "8.1": {"PLAN-2.5"}, "10.2": {"MC-2.4"}, "4.2": nil, "7.2": nil} {
		if got := actions[clause].GetPractices(); !slices.Equal(got, practices) {
			t.Errorf("action for %s names %q, want %q", clause, got, practices)
		}
	}

	t.Run("process view", func(t *testing.T) {
		p := resp.GetProcess()
		if p.GetName() != "Project Management" || !slices.Equal(p.GetPracticeAreas(), []string{"PLAN", "MC", "RSK"}) {
			t.Fatalf("process = %q %q", p.GetName(), p.GetPracticeAreas())
		}
		want := "MC-2.4 INTERSECTS_WITH 10.2 false; PLAN-2.2 SUPERSET_OF 7.2.2 true; PLAN-2.5 INTERSECTS_WITH 8.1 false; " +
			"RSK-3.1 INTERSECTS_WITH 4.1 true; RSK-3.2 SUBSET_OF 4.1.1.p.1.b false; RSK-3.3 SUPERSET_OF 4.1.2.p.1.b true"
		if got := links(p.GetPractices()); got != want {
			t.Errorf("process practices:\n%s\nwant\n%s", got, want)
		}
		var clauses []string
		for _, c := range resp.GetProcessClauses() {
			clauses = append(clauses, c.GetClause()+"="+strings.TrimPrefix(c.GetCoverage().String(), "COVERAGE_"))
			if !proto.Equal(c, rows[c.GetClause()]) {
				t.Errorf("process clause %s differs from its row", c.GetClause())
			}
		}
		if want := []string{"4.1=PARTIALLY_COVERED", "7.2=PARTIALLY_COVERED", "8.1=NOT_COVERED", "10.2=NOT_COVERED"}; !slices.Equal(clauses, want) {
			t.Errorf("process clauses = %q, want %q", clauses, want)
		}
	})

	t.Run("one practice area", func(t *testing.T) {
		resp, err := h.client.AnalyzeGaps(h.viewer(t, tenantA), &crosswalkv1.AnalyzeGapsRequest{
			Crosswalk: sampleName, SatisfiedPractices: satisfied, ProcessPracticeAreas: []string{"RSK"},
		})
		if err != nil {
			t.Fatal(err)
		}
		var practices, clauses []string
		for _, l := range resp.GetProcess().GetPractices() {
			practices = append(practices, l.GetPractice())
		}
		for _, c := range resp.GetProcessClauses() {
			clauses = append(clauses, c.GetClause())
		}
		if !slices.Equal(practices, []string{"RSK-3.1", "RSK-3.2", "RSK-3.3"}) || !slices.Equal(clauses, []string{"4.1"}) {
			t.Fatalf("RSK process: practices %q, clauses %q", practices, clauses)
		}
	})

	t.Run("no process", func(t *testing.T) {
		resp, err := h.client.AnalyzeGaps(h.viewer(t, tenantA), &crosswalkv1.AnalyzeGapsRequest{Crosswalk: sampleName, SatisfiedPractices: satisfied})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetProcess() != nil || len(resp.GetProcessClauses()) != 0 {
			t.Fatalf("process view without process areas: %v %v", resp.GetProcess(), resp.GetProcessClauses())
		}
	})

	t.Run("under", func(t *testing.T) {
		resp, err := h.client.AnalyzeGaps(h.viewer(t, tenantA), &crosswalkv1.AnalyzeGapsRequest{
			Crosswalk: sampleName, SatisfiedPractices: satisfied, Under: "4", ProcessPracticeAreas: []string{"PLAN", "MC", "RSK"},
		})
		if err != nil {
			t.Fatal(err)
		}
		checkConsistent(t, h, resp, "4")
		var clauses []string
		for _, c := range resp.GetProcessClauses() {
			clauses = append(clauses, c.GetClause())
		}
		if len(resp.GetGroups()) != 1 || resp.GetGroups()[0].GetGroup() != "4" || !slices.Equal(clauses, []string{"4.1"}) {
			t.Fatalf("under 4: groups %v, process clauses %q", resp.GetGroups(), clauses)
		}
		if len(resp.GetPriorities()) != 1 || resp.GetPriorities()[0].GetPractice() != "RSK-3.2" {
			t.Fatalf("under 4: priorities %v", resp.GetPriorities())
		}
		_, err = h.client.AnalyzeGaps(h.viewer(t, tenantA), &crosswalkv1.AnalyzeGapsRequest{Crosswalk: sampleName, SatisfiedPractices: satisfied, Under: "4.1.2"})
		wantStatus(t, err, codes.NotFound)
	})

	t.Run("from an appraisal", func(t *testing.T) {
		h.appraisals.set("appraisals/appr-1", satisfied...)
		fromAppraisal, err := h.client.AnalyzeGaps(h.viewer(t, tenantA), &crosswalkv1.AnalyzeGapsRequest{
			Crosswalk: sampleName, Appraisal: "appraisals/appr-1",
			ProcessName: "Project Management", ProcessPracticeAreas: []string{"PLAN", "MC", "RSK"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(fromAppraisal, resp) {
			t.Fatal("the analysis from the appraisal differs from the one from the same satisfied practices")
		}
		if asked := h.appraisals.askedFor(); !slices.Equal(asked, []string{"appraisals/appr-1"}) {
			t.Fatalf("appraisal service asked for %q", asked)
		}
		_, err = h.client.AnalyzeGaps(h.viewer(t, tenantA), &crosswalkv1.AnalyzeGapsRequest{Crosswalk: sampleName, Appraisal: "appraisals/nope"})
		wantStatus(t, err, codes.NotFound)
	})

	t.Run("one of appraisal and practices", func(t *testing.T) {
		tests := map[string]*crosswalkv1.AnalyzeGapsRequest{
			"neither": {Crosswalk: sampleName},
			"both":    {Crosswalk: sampleName, Appraisal: "appraisals/appr-1", SatisfiedPractices: satisfied},
		}
		for name, req := range tests {
			t.Run(name, func(t *testing.T) {
				_, err := h.client.AnalyzeGaps(h.viewer(t, tenantA), req)
				wantViolations(t, err, "appraisal")
			})
		}
		_, err := h.client.AnalyzeGaps(h.viewer(t, tenantA), &crosswalkv1.AnalyzeGapsRequest{Crosswalk: sampleName, Appraisal: "appraisal-1"})
		wantViolations(t, err, "appraisal")
	})
}

func TestAnalyzeGapsCovered(t *testing.T) {
	h := newHarness(t)
	h.create(t, tenantA, "mine", cmmi, iso42001)
	h.importDoc(t, tenantA, mine, crosswalkv1.Format_FORMAT_JSON, `{"mappings": [
		{"source": "RSK-3.1", "target": "6.1.2", "relationship": "RELATIONSHIP_EQUAL"},
		{"source": "PLAN-2.2", "target": "6.2", "relationship": "RELATIONSHIP_SUPERSET_OF"},
		{"source": "RSK-3.2", "target": "6.1.3", "relationship": "RELATIONSHIP_SUBSET_OF"},
		{"source": "RSK-3.2", "target": "6.1.4", "relationship": "RELATIONSHIP_INTERSECTS_WITH"},
		{"source": "RSK-3.1", "target": "6.3", "relationship": "RELATIONSHIP_SUBSET_OF"},
		{"source": "MC-2.4", "target": "9.1", "relationship": "RELATIONSHIP_SUBSET_OF"},
		{"source": "PLAN-2.5", "target": "5.1", "relationship": "RELATIONSHIP_NO_RELATIONSHIP"},
		{"source": "PLAN-2.2", "target": "6.1.1", "relationship": "RELATIONSHIP_SUBSET_OF"},
		{"source": "RSK-3.3", "target": "6.1.1", "relationship": "RELATIONSHIP_SUBSET_OF"}
	]}`)
	resp, err := h.client.AnalyzeGaps(h.viewer(t, tenantA), &crosswalkv1.AnalyzeGapsRequest{
		Crosswalk: mine, SatisfiedPractices: []string{"RSK-3.1", "PLAN-2.2", "RSK-3.3"},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, h, resp, "")
	rows := coverageByClause(resp)
	want := map[string]crosswalkv1.ClauseCoverage_Coverage{
		"6.1.2": covered,   // a satisfied practice EQUAL to it
		"6.2":   covered,   // a satisfied practice Superior Of it
		"6.3":   partially, // a satisfied practice SUBSET_OF it
		// Two satisfied practices SUBSET_OF it never add up to covered.
		"6.1.1": partially,
		"6.1":   partially,
		"6":     partially,
		"6.1.3": notCovered,
		"6.1.4": notCovered,
		"9.1":   notCovered,
		"9":     notCovered,
		"5.1":   notMapped, // NO_RELATIONSHIP counts for nothing
		"5":     notMapped,
		"4.1":   notMapped,
	}
	for clause, cov := range want {
		if got := rows[clause].GetCoverage(); got != cov {
			t.Errorf("%s: %v, want %v (%s)", clause, got, cov, links(rows[clause].GetPractices()))
		}
	}
	wantSummary := map[string]int32{"COVERED": 2, "PARTIALLY_COVERED": 4, "NOT_COVERED": 4, "NOT_MAPPED": 81}
	if !maps.Equal(resp.GetSummary(), wantSummary) {
		t.Errorf("summary = %v, want %v", resp.GetSummary(), wantSummary)
	}
	var g6 *crosswalkv1.GroupCoverage
	for _, g := range resp.GetGroups() {
		if g.GetGroup() == "6" {
			g6 = g
		}
	}
	if g6.GetClauses() != 8 || g6.GetCovered() != 2 || g6.GetPartiallyCovered() != 4 || g6.GetNotCovered() != 2 || g6.GetNotMapped() != 0 {
		t.Errorf("group 6 = %v", g6)
	}
	var prios []string
	for _, p := range resp.GetPriorities() {
		prios = append(prios, p.GetPractice()+"="+strings.Join(p.GetClauses(), ","))
	}
	if want := []string{"RSK-3.2=6,6.1,6.1.3,6.1.4", "MC-2.4=9,9.1"}; !slices.Equal(prios, want) {
		t.Errorf("priorities = %q, want %q", prios, want)
	}
	for _, a := range resp.GetActionPlan() {
		if a.GetClause() == "6.1.2" || a.GetClause() == "6.2" {
			t.Errorf("an action for covered clause %s", a.GetClause())
		}
	}

	// Nothing satisfied that the crosswalk maps: mapped clauses are NOT_COVERED.
	none, err := h.client.AnalyzeGaps(h.viewer(t, tenantA), &crosswalkv1.AnalyzeGapsRequest{Crosswalk: mine, SatisfiedPractices: []string{"RSK-1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, h, none, "")
	if s := none.GetSummary(); s["COVERED"] != 0 || s["PARTIALLY_COVERED"] != 0 || s["NOT_COVERED"] != 10 {
		t.Errorf("summary with nothing satisfied = %v", s)
	}
}

func TestAnalyzeGapsNoClauseTree(t *testing.T) {
	h := newHarness(t)
	h.create(t, tenantA, "to-cmmi", iso42001, cmmi)
	_, err := h.client.AnalyzeGaps(h.viewer(t, tenantA), &crosswalkv1.AnalyzeGapsRequest{Crosswalk: "crosswalks/to-cmmi", SatisfiedPractices: []string{"RSK-3.1"}})
	wantStatus(t, err, codes.FailedPrecondition)
}
