package server

import (
	"context"
	"slices"
	"sort"
	"strings"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework"
	"github.com/aim-platform/aim/services/crosswalk/internal/mapindex"
)

// Coverage rules (docs/crosswalk-algebra.md, "Gap analysis"):
//
//	NOT_MAPPED         no mapping other than NO_RELATIONSHIP reaches the clause or its descendants
//	COVERED            a satisfied practice maps to the clause itself as EQUAL or SUPERSET_OF
//	PARTIALLY_COVERED  otherwise, some satisfied practice maps to it or a descendant
//	NOT_COVERED        mappings reach it, but no mapped practice is satisfied
func coverageOf(links []*crosswalkv1.PracticeLink, clause string) crosswalkv1.ClauseCoverage_Coverage {
	if len(links) == 0 {
		return crosswalkv1.ClauseCoverage_COVERAGE_NOT_MAPPED
	}
	anySatisfied := false
	for _, l := range links {
		if !l.GetSatisfied() {
			continue
		}
		anySatisfied = true
		if l.GetVia() == clause && (l.GetRelationship() == crosswalkv1.Relationship_RELATIONSHIP_EQUAL || l.GetRelationship() == crosswalkv1.Relationship_RELATIONSHIP_SUPERSET_OF) {
			return crosswalkv1.ClauseCoverage_COVERAGE_COVERED
		}
	}
	if anySatisfied {
		return crosswalkv1.ClauseCoverage_COVERAGE_PARTIALLY_COVERED
	}
	return crosswalkv1.ClauseCoverage_COVERAGE_NOT_COVERED
}

// AnalyzeGaps classifies the target framework's clauses.
func (s *Server) AnalyzeGaps(ctx context.Context, req *crosswalkv1.AnalyzeGapsRequest) (*crosswalkv1.AnalyzeGapsResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if (req.GetAppraisal() == "") == (len(req.GetSatisfiedPractices()) == 0) {
		return nil, errs.InvalidArgument(errs.Violation("appraisal", "name an appraisal or list satisfied_practices (one of the two)"))
	}
	cw, _, err := s.store.GetCrosswalk(who.Tenant, crosswalkID(req.GetCrosswalk()))
	if err != nil {
		return nil, err
	}
	tgt, _ := framework.ParseName(cw.GetTargetFramework())
	t := s.trees.get(tgt)
	if t == nil {
		return nil, errs.New(errs.FailedPrecondition, "NO_CLAUSE_TREE", "%s has no clause tree to analyse", cw.GetTargetFramework())
	}
	if req.GetUnder() != "" && !t.has(req.GetUnder()) {
		return nil, errs.NotFoundError("Clause", clauseName(tgt, req.GetUnder()))
	}
	satisfied := req.GetSatisfiedPractices()
	if req.GetAppraisal() != "" {
		if s.appraisals == nil {
			return nil, errs.New(errs.Unavailable, "NO_APPRAISAL_SERVICE", "the appraisal service is not configured")
		}
		if satisfied, err = s.appraisals.Satisfied(ctx, req.GetAppraisal()); err != nil {
			return nil, err
		}
	}
	idx, err := s.store.MappingIndex(who.Tenant, crosswalkID(cw.GetName()))
	if err != nil {
		return nil, err
	}
	resp := analyze(t, idx, satisfied, req.GetUnder(), req.GetProcessPracticeAreas())
	if resp.Process != nil {
		resp.Process.Name = req.GetProcessName()
	}
	return resp, nil
}

// analyze is the pure part of AnalyzeGaps. Each clause reads only the
// mappings whose target is the clause or lies under it (the index's
// buckets, in stored order), so a request costs the links it returns
// rather than clauses x mappings.
func analyze(t *tree, idx *mapindex.Index, satisfied []string, underID string, process []string) *crosswalkv1.AnalyzeGapsResponse {
	ok := map[string]bool{}
	for _, p := range satisfied {
		ok[p] = true
	}
	resp := &crosswalkv1.AnalyzeGapsResponse{Summary: map[string]int32{}}
	rows := map[string]*crosswalkv1.ClauseCoverage{}
	// A mapping's link reads the same in every row it counts for (its
	// target's clause and each clause above): made once, shared by the rows.
	links := make([]*crosswalkv1.PracticeLink, idx.Len())
	for i, c := range t.clauses {
		if underID != "" && !t.clauseUnder(underID, i) {
			continue
		}
		row := &crosswalkv1.ClauseCoverage{Clause: c.GetId(), Title: c.GetTitle()}
		for _, pos := range idx.AtOrUnder(mapindex.Target, c.GetId()) {
			m := idx.At(pos)
			if m.GetRelationship() == crosswalkv1.Relationship_RELATIONSHIP_NO_RELATIONSHIP {
				continue
			}
			if links[pos] == nil {
				links[pos] = &crosswalkv1.PracticeLink{
					Practice: m.GetSource(), Relationship: m.GetRelationship(), Satisfied: ok[m.GetSource()], Via: m.GetTarget(),
				}
			}
			row.Practices = append(row.Practices, links[pos])
		}
		row.Coverage = coverageOf(row.GetPractices(), c.GetId())
		resp.Clauses = append(resp.Clauses, row)
		rows[c.GetId()] = row
		resp.Summary[strings.TrimPrefix(row.GetCoverage().String(), "COVERAGE_")]++
		if row.GetCoverage() != crosswalkv1.ClauseCoverage_COVERAGE_COVERED {
			resp.ActionPlan = append(resp.ActionPlan, action(row))
		}
	}
	resp.Groups = groupFigures(t, resp.GetClauses())
	resp.Priorities = priorities(resp.GetClauses())
	if len(process) > 0 {
		mappings := idx.All()
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
			for _, id := range idx.Ancestry(m.GetTarget()) {
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

// action drafts what to do about a clause that is not covered.
func action(row *crosswalkv1.ClauseCoverage) *crosswalkv1.ActionItem {
	item := &crosswalkv1.ActionItem{Clause: row.GetClause()}
	// Distinct practices in first-seen order; a set once the list grows (a
	// top-level clause of a large crosswalk has links by the ten thousand).
	var listed map[string]bool
	for _, l := range row.GetPractices() {
		if l.GetSatisfied() {
			continue
		}
		p := l.GetPractice()
		switch {
		case listed != nil:
			if listed[p] {
				continue
			}
			listed[p] = true
		case slices.Contains(item.Practices, p):
			continue
		case len(item.Practices) >= 16:
			listed = make(map[string]bool, 2*len(item.Practices))
			for _, q := range item.Practices {
				listed[q] = true
			}
			listed[p] = true
		}
		item.Practices = append(item.Practices, p)
	}
	// Concatenation rather than fmt: one text per clause of every request.
	ref := row.GetClause() + " (" + row.GetTitle() + ")"
	switch row.GetCoverage() {
	case crosswalkv1.ClauseCoverage_COVERAGE_NOT_MAPPED:
		item.Action = "No practice in the crosswalk maps to " + ref + ": define how the organization meets it, or extend the crosswalk."
	case crosswalkv1.ClauseCoverage_COVERAGE_NOT_COVERED:
		item.Action = "Implement the mapped practices to meet " + ref + "."
	default:
		item.Action = ref + " is only partly met: close the remaining gap, for example with the mapped practices not yet satisfied."
	}
	return item
}

// groupFigures counts coverage per top-level clause.
func groupFigures(t *tree, rows []*crosswalkv1.ClauseCoverage) []*crosswalkv1.GroupCoverage {
	byGroup := map[string]*crosswalkv1.GroupCoverage{}
	var order []string
	for _, r := range rows {
		g := t.topLevel(t.byID[r.GetClause()])
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

// priorities ranks the unsatisfied practices by how many clauses that are
// not covered they map to; ties by practice id.
func priorities(rows []*crosswalkv1.ClauseCoverage) []*crosswalkv1.PracticeImpact {
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
			// Rows are distinct clauses, one after the other: the clause is
			// already listed only if this row listed it last.
			if n := len(p.Clauses); n == 0 || p.Clauses[n-1] != r.GetClause() {
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
