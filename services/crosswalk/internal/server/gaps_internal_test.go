package server

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework/clauses"
	"github.com/aim-platform/aim/services/crosswalk/internal/mapindex"
)

// TestAnalyzeAgreesWithScan checks the indexed gap analysis against the
// scan it replaced, on random crosswalks over the ISO/IEC 42001 tree: clause
// and paragraph targets, ids the tree lacks, NO_RELATIONSHIP mappings,
// repeated practices, with and without a subtree and a process.
func TestAnalyzeAgreesWithScan(t *testing.T) {
	ts, err := loadTrees()
	if err != nil {
		t.Fatal(err)
	}
	tr := ts.get("iso-iec-42001-2023")
	var targets []string
	for _, c := range tr.clauses {
		targets = append(targets, c.GetId(), c.GetId()+".p.1", c.GetId()+".p.2.b")
	}
	targets = append(targets, "11", "11.2", "B.1")
	// Enough practices that a clause's action item lists more than 16.
	var practices []string
	for _, area := range []string{"RSK", "PLAN", "MC", "GOV", "DAT"} {
		for i := range 10 {
			practices = append(practices, fmt.Sprintf("%s-%d.%d", area, 1+i/4, 1+i%4))
		}
	}
	r := rand.New(rand.NewPCG(7, 42))
	for round := range 100 {
		n := r.IntN(200)
		if round%50 == 0 {
			n = 3000
		}
		seen := map[string]bool{}
		var ms []*crosswalkv1.Mapping
		for range n {
			src, tgt := practices[r.IntN(len(practices))], targets[r.IntN(len(targets))]
			if seen[src+"\x00"+tgt] {
				continue
			}
			seen[src+"\x00"+tgt] = true
			ms = append(ms, &crosswalkv1.Mapping{Source: src, Target: tgt, Relationship: crosswalkv1.Relationship(1 + r.IntN(5))})
		}
		sort.Slice(ms, func(i, j int) bool {
			return ms[i].GetSource()+"\x00"+ms[i].GetTarget() < ms[j].GetSource()+"\x00"+ms[j].GetTarget()
		})
		var satisfied []string
		for _, p := range practices {
			if r.IntN(2) == 0 {
				satisfied = append(satisfied, p)
			}
		}
		underID := ""
		if r.IntN(3) == 0 {
			underID = tr.clauses[r.IntN(len(tr.clauses))].GetId()
		}
		var process []string
		if r.IntN(2) == 0 {
			process = []string{"PLAN", "MC", "RSK"}[:1+r.IntN(3)]
		}
		got := analyze(tr, mapindex.New(ms), satisfied, underID, process)
		want := scanAnalyze(tr, ms, satisfied, underID, process)
		if !proto.Equal(got, want) {
			t.Fatalf("round %d (%d mappings, under %q, process %q): analyze and the scan differ\ngot  %v\nwant %v",
				round, len(ms), underID, process, summary(got), summary(want))
		}
	}
}

func summary(r *crosswalkv1.AnalyzeGapsResponse) string {
	var b strings.Builder
	for _, c := range r.GetClauses() {
		fmt.Fprintf(&b, "%s:%s:%d ", c.GetClause(), c.GetCoverage(), len(c.GetPractices()))
	}
	fmt.Fprintf(&b, "| %d actions, %d priorities, %d groups", len(r.GetActionPlan()), len(r.GetPriorities()), len(r.GetGroups()))
	return b.String()
}

// scanAnalyze is AnalyzeGaps as it was before the mapping index: every
// clause against every mapping. It is the reference analyze must agree with.
func scanAnalyze(t *tree, mappings []*crosswalkv1.Mapping, satisfied []string, underID string, process []string) *crosswalkv1.AnalyzeGapsResponse {
	ok := map[string]bool{}
	for _, p := range satisfied {
		ok[p] = true
	}
	resp := &crosswalkv1.AnalyzeGapsResponse{Summary: map[string]int32{}}
	rows := map[string]*crosswalkv1.ClauseCoverage{}
	// Each mapping's target and its ancestors, computed once: which clauses
	// a mapping counts for (ancestry is a per-id question, asked for every
	// clause otherwise).
	counts := make([]map[string]bool, len(mappings))
	ancestry := map[string]map[string]bool{}
	for i, m := range mappings {
		a, ok := ancestry[m.GetTarget()]
		if !ok {
			a = map[string]bool{}
			for id := m.GetTarget(); id != ""; id = clauses.ParentOf(id) {
				a[id] = true
			}
			ancestry[m.GetTarget()] = a
		}
		counts[i] = a
	}
	for _, c := range t.clauses {
		if underID != "" && !under(underID, c.GetId()) {
			continue
		}
		row := &crosswalkv1.ClauseCoverage{Clause: c.GetId(), Title: c.GetTitle()}
		for i, m := range mappings {
			if m.GetRelationship() == crosswalkv1.Relationship_RELATIONSHIP_NO_RELATIONSHIP || !counts[i][c.GetId()] {
				continue
			}
			row.Practices = append(row.Practices, &crosswalkv1.PracticeLink{
				Practice: m.GetSource(), Relationship: m.GetRelationship(), Satisfied: ok[m.GetSource()], Via: m.GetTarget(),
			})
		}
		row.Coverage = coverageOf(row.GetPractices(), c.GetId())
		resp.Clauses = append(resp.Clauses, row)
		rows[c.GetId()] = row
		resp.Summary[strings.TrimPrefix(row.GetCoverage().String(), "COVERAGE_")]++
		if row.GetCoverage() != crosswalkv1.ClauseCoverage_COVERAGE_COVERED {
			resp.ActionPlan = append(resp.ActionPlan, scanAction(row))
		}
	}
	resp.Groups = scanGroupFigures(t, resp.GetClauses())
	resp.Priorities = scanPriorities(resp.GetClauses())
	if len(process) > 0 {
		resp.Process = &crosswalkv1.IntegratedProcess{PracticeAreas: process}
		inProcess := map[string]bool{}
		for _, m := range mappings {
			area, _, _ := strings.Cut(m.GetSource(), "-")
			if slices.Contains(process, area) && !inProcess[m.GetSource()] {
				inProcess[m.GetSource()] = true
				resp.Process.Practices = append(resp.Process.Practices, &crosswalkv1.PracticeLink{
					Practice: m.GetSource(), Satisfied: ok[m.GetSource()], Relationship: m.GetRelationship(), Via: m.GetTarget(),
				})
			}
		}
		sort.SliceStable(resp.Process.Practices, func(i, j int) bool {
			return resp.Process.Practices[i].GetPractice() < resp.Process.Practices[j].GetPractice()
		})
		seen := map[string]bool{}
		for _, m := range mappings {
			area, _, _ := strings.Cut(m.GetSource(), "-")
			if !slices.Contains(process, area) {
				continue
			}
			// The process's clause is the nearest analysed clause at or above
			// the mapping's target.
			for id := m.GetTarget(); id != ""; id = clauses.ParentOf(id) {
				if row, ok := rows[id]; ok {
					if !seen[id] {
						seen[id] = true
						resp.ProcessClauses = append(resp.ProcessClauses, row)
					}
					break
				}
			}
		}
		sort.SliceStable(resp.ProcessClauses, func(i, j int) bool {
			return clauseLess(resp.ProcessClauses[i].GetClause(), resp.ProcessClauses[j].GetClause())
		})
	}
	return resp
}

// scanAction drafts what to do about a clause that is not covered.
func scanAction(row *crosswalkv1.ClauseCoverage) *crosswalkv1.ActionItem {
	item := &crosswalkv1.ActionItem{Clause: row.GetClause()}
	for _, l := range row.GetPractices() {
		if !l.GetSatisfied() && !slices.Contains(item.Practices, l.GetPractice()) {
			item.Practices = append(item.Practices, l.GetPractice())
		}
	}
	switch row.GetCoverage() {
	case crosswalkv1.ClauseCoverage_COVERAGE_NOT_MAPPED:
		item.Action = fmt.Sprintf("No practice in the crosswalk maps to %s (%s): define how the organization meets it, or extend the crosswalk.", row.GetClause(), row.GetTitle())
	case crosswalkv1.ClauseCoverage_COVERAGE_NOT_COVERED:
		item.Action = fmt.Sprintf("Implement the mapped practices to meet %s (%s).", row.GetClause(), row.GetTitle())
	default:
		item.Action = fmt.Sprintf("%s (%s) is only partly met: close the remaining gap, for example with the mapped practices not yet satisfied.", row.GetClause(), row.GetTitle())
	}
	return item
}

// scanTopLevel returns the top-level clause of an id ("6" for "6.1.2", "A" for
// "A.6.2.4").
func scanTopLevel(id string) string {
	for p := clauses.ParentOf(id); p != ""; p = clauses.ParentOf(id) {
		id = p
	}
	return id
}

// scanGroupFigures counts coverage per top-level clause.
func scanGroupFigures(t *tree, rows []*crosswalkv1.ClauseCoverage) []*crosswalkv1.GroupCoverage {
	byGroup := map[string]*crosswalkv1.GroupCoverage{}
	var order []string
	for _, r := range rows {
		g := scanTopLevel(r.GetClause())
		fig := byGroup[g]
		if fig == nil {
			fig = &crosswalkv1.GroupCoverage{Group: g}
			if t.has(g) {
				fig.Title = t.clauses[t.byID[g]].GetTitle()
			}
			byGroup[g] = fig
			order = append(order, g)
		}
		fig.Clauses++
		switch r.GetCoverage() {
		case crosswalkv1.ClauseCoverage_COVERAGE_COVERED:
			fig.Covered++
		case crosswalkv1.ClauseCoverage_COVERAGE_PARTIALLY_COVERED:
			fig.PartiallyCovered++
		case crosswalkv1.ClauseCoverage_COVERAGE_NOT_COVERED:
			fig.NotCovered++
		default:
			fig.NotMapped++
		}
	}
	out := make([]*crosswalkv1.GroupCoverage, 0, len(order))
	for _, g := range order {
		out = append(out, byGroup[g])
	}
	return out
}

// scanPriorities ranks the unsatisfied practices by how many clauses that are
// not covered they map to; ties by practice id.
func scanPriorities(rows []*crosswalkv1.ClauseCoverage) []*crosswalkv1.PracticeImpact {
	byPractice := map[string]*crosswalkv1.PracticeImpact{}
	for _, r := range rows {
		if r.GetCoverage() == crosswalkv1.ClauseCoverage_COVERAGE_COVERED {
			continue
		}
		for _, l := range r.GetPractices() {
			if l.GetSatisfied() {
				continue
			}
			p := byPractice[l.GetPractice()]
			if p == nil {
				p = &crosswalkv1.PracticeImpact{Practice: l.GetPractice()}
				byPractice[l.GetPractice()] = p
			}
			if !slices.Contains(p.Clauses, r.GetClause()) {
				p.Clauses = append(p.Clauses, r.GetClause())
			}
		}
	}
	out := make([]*crosswalkv1.PracticeImpact, 0, len(byPractice))
	for _, p := range byPractice {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].GetClauses()) != len(out[j].GetClauses()) {
			return len(out[i].GetClauses()) > len(out[j].GetClauses())
		}
		return out[i].GetPractice() < out[j].GetPractice()
	})
	return out
}
