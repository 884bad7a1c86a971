// Package mapindex indexes the mappings of one crosswalk by the elements
// they join, so that a resolution or a gap analysis reads only the mappings
// that concern an element instead of scanning them all. It is free of gRPC
// and storage; an Index is immutable once built and safe for concurrent use.
//
// Ancestry follows clauses.ParentOf, the dotted-prefix rule the service
// uses everywhere ("4.1.2.p.1.a" lies under "4.1.2.p.1", "4.1.2", "4.1"
// and "4"); an id that is not a clause id (a practice id such as "RSK-3.1")
// has no ancestors and no descendants.
//
// Every lookup returns positions into All in ascending order, so callers
// visit the mappings they need in the order a full scan would have met them
// and their results do not change.
package mapindex

import (
	"slices"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework/clauses"
)

// End selects one end of the mappings: their sources or their targets.
type End int

// The two ends of a mapping.
const (
	Source End = iota
	Target
)

// Index is a crosswalk's mappings with lookups by resource name and by end
// element.
type Index struct {
	all    []*crosswalkv1.Mapping
	byName map[string]int32
	ends   [2]endIndex
	// chains holds, for every id that is the end of some mapping, the id
	// followed by its ancestors, computed once.
	chains map[string][]string
}

type endIndex struct {
	// at lists the mappings whose end is the id.
	at map[string][]int32
	// below lists the mappings whose end lies strictly under the id.
	below map[string][]int32
}

// New indexes mappings, which keep their order. The index keeps the slice
// and the messages: neither may change afterwards.
func New(mappings []*crosswalkv1.Mapping) *Index {
	x := &Index{
		all:    mappings,
		byName: make(map[string]int32, len(mappings)),
		chains: map[string][]string{},
	}
	for e := range x.ends {
		x.ends[e] = endIndex{at: map[string][]int32{}, below: map[string][]int32{}}
	}
	for i, m := range mappings {
		pos := int32(i)
		if _, dup := x.byName[m.GetName()]; !dup {
			x.byName[m.GetName()] = pos
		}
		for e, id := range [2]string{m.GetSource(), m.GetTarget()} {
			ei := &x.ends[e]
			ei.at[id] = append(ei.at[id], pos)
			if c := x.chain(id); len(c) > 1 {
				for _, a := range c[1:] {
					ei.below[a] = append(ei.below[a], pos)
				}
			}
		}
	}
	return x
}

// chain returns id and its ancestors, from the table when id was seen.
func (x *Index) chain(id string) []string {
	if c, ok := x.chains[id]; ok {
		return c
	}
	c := Chain(id)
	x.chains[id] = c
	return c
}

// Chain returns id followed by its ancestors by clauses.ParentOf, nearest
// first: "4.1.2" gives "4.1.2", "4.1", "4". An id that is not a clause id
// gives itself alone; "" gives nothing.
func Chain(id string) []string {
	var out []string
	for cur := id; cur != ""; cur = clauses.ParentOf(cur) {
		out = append(out, cur)
	}
	return out
}

// Len returns the number of mappings.
func (x *Index) Len() int { return len(x.all) }

// All returns the mappings in the order New got them. The slice and the
// messages are shared: callers must not change them.
func (x *Index) All() []*crosswalkv1.Mapping { return x.all }

// At returns the mapping at a position.
func (x *Index) At(pos int32) *crosswalkv1.Mapping { return x.all[pos] }

// ByName returns the (first) mapping with the given resource name.
func (x *Index) ByName(name string) (*crosswalkv1.Mapping, bool) {
	pos, ok := x.byName[name]
	if !ok {
		return nil, false
	}
	return x.all[pos], true
}

// Ancestry returns id followed by its ancestors, like Chain, without
// computing it again when id is the end of a mapping. The slice is shared.
func (x *Index) Ancestry(id string) []string {
	if c, ok := x.chains[id]; ok {
		return c
	}
	return Chain(id)
}

// Matches returns the positions of the mappings whose end (source or
// target) is element, or, with descendants, lies under element, or, with
// ancestors, lies above it: every mapping a resolution step from element
// can follow.
func (x *Index) Matches(end End, element string, descendants, ancestors bool) []int32 {
	ei := &x.ends[end]
	out := slices.Clone(ei.at[element])
	if descendants && element != "" {
		out = append(out, ei.below[element]...)
	}
	if ancestors {
		if c := x.Ancestry(element); len(c) > 1 {
			for _, a := range c[1:] {
				out = append(out, ei.at[a]...)
			}
		}
	}
	slices.Sort(out)
	return out
}

// AtOrUnder returns the positions of the mappings whose end is id or lies
// under it.
func (x *Index) AtOrUnder(end End, id string) []int32 {
	ei := &x.ends[end]
	at, below := ei.at[id], ei.below[id]
	if id == "" {
		below = nil
	}
	out := make([]int32, 0, len(at)+len(below))
	i, j := 0, 0
	for i < len(at) && j < len(below) {
		if at[i] < below[j] {
			out = append(out, at[i])
			i++
		} else {
			out = append(out, below[j])
			j++
		}
	}
	out = append(out, at[i:]...)
	return append(out, below[j:]...)
}
