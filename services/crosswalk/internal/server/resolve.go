package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"sort"

	"google.golang.org/genproto/googleapis/api/httpbody"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/services/crosswalk/internal/algebra"
	"github.com/aim-platform/aim/services/crosswalk/internal/mapindex"
)

// hop is a partial path during resolution.
type hop struct {
	from      string
	at        string // the element reached
	framework string // its framework, frameworks/{f}
	rel       algebra.Relationship
	strengths []int
	path      []*crosswalkv1.PathStep
	visited   map[string]bool // framework|element on the path
}

// matchKind says how an element matches a mapping end: "exact",
// "descendant" (the end lies under the element) or "ancestor" (the element
// lies under the end); "" for no match.
func matchKind(element, end string, descendants, ancestors bool) string {
	switch {
	case element == end:
		return "exact"
	case descendants && under(element, end):
		return "descendant"
	case ancestors && under(end, element):
		return "ancestor"
	}
	return ""
}

// ResolveMappings follows mappings from the start elements.
func (s *Server) ResolveMappings(ctx context.Context, req *crosswalkv1.ResolveMappingsRequest) (*crosswalkv1.ResolveMappingsResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	start, _, err := s.store.GetCrosswalk(who.Tenant, crosswalkID(req.GetCrosswalk()))
	if err != nil {
		return nil, err
	}
	all, err := s.store.AllCrosswalks(who.Tenant)
	if err != nil {
		return nil, err
	}
	reverse := req.GetDirection() == crosswalkv1.ResolveMappingsRequest_DIRECTION_REVERSE
	maxHops := int(max(req.GetMaxHops(), 1))
	indexOf := map[string]*mapindex.Index{}
	load := func(cw *crosswalkv1.Crosswalk) (*mapindex.Index, error) {
		if idx, ok := indexOf[cw.GetName()]; ok {
			return idx, nil
		}
		idx, err := s.store.MappingIndex(who.Tenant, crosswalkID(cw.GetName()))
		indexOf[cw.GetName()] = idx
		return idx, err
	}
	// The end a step matches the element against.
	matchEnd := mapindex.Source
	if reverse {
		matchEnd = mapindex.Target
	}
	// near and far are a crosswalk's ends in the direction of travel.
	near := func(cw *crosswalkv1.Crosswalk) string {
		if reverse {
			return cw.GetTargetFramework()
		}
		return cw.GetSourceFramework()
	}
	far := func(cw *crosswalkv1.Crosswalk) string {
		if reverse {
			return cw.GetSourceFramework()
		}
		return cw.GetTargetFramework()
	}
	var frontier []hop
	for _, e := range req.GetElements() {
		frontier = append(frontier, hop{from: e, at: e, framework: near(start), rel: algebra.Equal,
			visited: map[string]bool{near(start) + "|" + e: true}})
	}
	resp := &crosswalkv1.ResolveMappingsResponse{}
	// One result per start element and element reached (AIP answers stay
	// small and unambiguous): the first path found is the shortest; a later
	// path replaces it only when it proves a relationship where the first
	// proved none, and two paths proving different relationships leave
	// INDETERMINATE (the crosswalks disagree).
	seen := map[string]*crosswalkv1.ResolvedMapping{}
	record := func(r *crosswalkv1.ResolvedMapping) {
		key := r.GetFrom() + "\x00" + r.GetToFramework() + "\x00" + r.GetTo()
		prev, ok := seen[key]
		if !ok {
			seen[key] = r
			resp.Results = append(resp.Results, r)
			return
		}
		indeterminate := crosswalkv1.Relationship_RELATIONSHIP_INDETERMINATE
		switch {
		case r.GetRelationship() == indeterminate || r.GetRelationship() == prev.GetRelationship():
		case prev.GetRelationship() == indeterminate:
			prev.Relationship, prev.Strength, prev.Path = r.GetRelationship(), r.GetStrength(), r.GetPath()
		default:
			prev.Relationship = indeterminate
		}
	}
	for depth := 1; depth <= maxHops && len(frontier) > 0; depth++ {
		var next []hop
		for _, h := range frontier {
			for _, cw := range all {
				if depth == 1 && cw.GetName() != start.GetName() || depth > 1 && near(cw) != h.framework {
					continue
				}
				idx, err := load(cw)
				if err != nil {
					return nil, err
				}
				// Only the mappings whose near end can match h.at, in stored
				// order; matchKind still decides each one.
				for _, pos := range idx.Matches(matchEnd, h.at, req.GetIncludeDescendants(), req.GetIncludeAncestors()) {
					m := idx.At(pos)
					end, other := m.GetSource(), m.GetTarget()
					step := algebra.Relationship(m.GetRelationship())
					if reverse {
						end, other, step = m.GetTarget(), m.GetSource(), algebra.Invert(step)
					}
					kind := matchKind(h.at, end, req.GetIncludeDescendants(), req.GetIncludeAncestors())
					if kind == "" || h.visited[far(cw)+"|"+other] {
						continue
					}
					n := hop{
						from: h.from, at: other, framework: far(cw),
						rel:       algebra.Compose(h.rel, matchRelationship(kind, step)),
						strengths: append(slices.Clone(h.strengths), int(m.GetStrength())),
						path: append(slices.Clone(h.path), &crosswalkv1.PathStep{
							Mapping: m.GetName(), From: end, To: other, Relationship: crosswalkv1.Relationship(step), Match: kind,
						}),
						visited: map[string]bool{},
					}
					for k := range h.visited {
						n.visited[k] = true
					}
					n.visited[n.framework+"|"+n.at] = true
					next = append(next, n)
					record(&crosswalkv1.ResolvedMapping{
						From: n.from, To: n.at, ToFramework: n.framework, Relationship: crosswalkv1.Relationship(n.rel),
						Strength: int32(algebra.ComposeStrength(n.strengths...)), Path: n.path,
					})
				}
			}
		}
		frontier = next
	}
	resp.Results = filterResults(resp.Results, req.GetRelationships(), req.GetMinStrength())
	sort.SliceStable(resp.Results, func(i, j int) bool {
		a, b := resp.Results[i], resp.Results[j]
		if a.GetFrom() != b.GetFrom() {
			return a.GetFrom() < b.GetFrom()
		}
		if len(a.GetPath()) != len(b.GetPath()) {
			return len(a.GetPath()) < len(b.GetPath())
		}
		return a.GetTo() < b.GetTo()
	})
	return resp, nil
}

// matchRelationship is what a step proves about the start element: an
// exact match proves the mapping's relationship; a match through a
// descendant or an ancestor relates a part or a whole, so set theory
// settles nothing in general (docs/crosswalk-algebra.md).
func matchRelationship(kind string, step algebra.Relationship) algebra.Relationship {
	if kind == "exact" {
		return step
	}
	return algebra.Indeterminate
}

func filterResults(results []*crosswalkv1.ResolvedMapping, rels []crosswalkv1.Relationship, minStrength int32) []*crosswalkv1.ResolvedMapping {
	if len(rels) == 0 && minStrength == 0 {
		return results
	}
	var out []*crosswalkv1.ResolvedMapping
	for _, r := range results {
		if len(rels) > 0 && !slices.Contains(rels, r.GetRelationship()) {
			continue
		}
		if minStrength > 0 && r.GetStrength() < minStrength {
			continue
		}
		out = append(out, r)
	}
	return out
}

// ExportTraceabilityMatrix writes source elements against target clauses
// as CSV: one row per source, one column per target, the relationship in
// the cells.
func (s *Server) ExportTraceabilityMatrix(ctx context.Context, req *crosswalkv1.ExportTraceabilityMatrixRequest) (*crosswalkv1.ExportTraceabilityMatrixResponse, error) {
	who, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	mappings, err := s.store.Mappings(who.Tenant, crosswalkID(req.GetCrosswalk()))
	if err != nil {
		return nil, err
	}
	var sources, targets []string
	hasSource, hasTarget := map[string]bool{}, map[string]bool{}
	cell := map[string]string{}
	for _, m := range mappings {
		if !hasSource[m.GetSource()] {
			hasSource[m.GetSource()] = true
			sources = append(sources, m.GetSource())
		}
		if !hasTarget[m.GetTarget()] {
			hasTarget[m.GetTarget()] = true
			targets = append(targets, m.GetTarget())
		}
		cell[m.GetSource()+"\x00"+m.GetTarget()] = rel(m)
	}
	sort.Strings(sources)
	sort.SliceStable(targets, func(i, j int) bool { return clauseLess(targets[i], targets[j]) })
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(append([]string{"source"}, targets...))
	for _, src := range sources {
		row := []string{src}
		for _, t := range targets {
			row = append(row, cell[src+"\x00"+t])
		}
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, errs.Wrap(err, "write the matrix")
	}
	return &crosswalkv1.ExportTraceabilityMatrixResponse{Body: &httpbody.HttpBody{ContentType: "text/csv; charset=utf-8", Data: buf.Bytes()}}, nil
}
