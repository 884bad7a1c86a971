package mapindex

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
	"github.com/aim-platform/aim/services/crosswalk/internal/framework/clauses"
)

func m(source, target string) *crosswalkv1.Mapping {
	return &crosswalkv1.Mapping{Name: "crosswalks/x/mappings/" + source + "--" + target, Source: source, Target: target}
}

// fixture is a small crosswalk in key order, with practice ids, clause
// ids at several depths, paragraph items and an id that is no clause id.
var fixture = []*crosswalkv1.Mapping{
	m("MC-2.4", "10.2"),          // 0
	m("MC-2.4", "10.2.p.1.a"),    // 1
	m("PLAN-2.2", "7.2.2"),       // 2
	m("PLAN-2.5", "8.1"),         // 3
	m("RSK-3.1", "4"),            // 4
	m("RSK-3.1", "4.1.1"),        // 5
	m("RSK-3.2", "4.1.1.p.1.b"),  // 6
	m("RSK-3.2", "4.1.2.p.1.a"),  // 7
	m("RSK-3.3", "4.1"),          // 8
	m("RSK-3.3", "A.6.2.4"),      // 9
	m("RSK-3.3", "not a clause"), // 10
	m("4.1", "6"),                // 11
	m("4.1.2", "6.1"),            // 12
	m("4.10", "6.1"),             // 13
}

// under is the service's rule: ancestor is id or one of its ancestors.
func under(ancestor, id string) bool {
	for cur := id; cur != ""; cur = clauses.ParentOf(cur) {
		if cur == ancestor {
			return true
		}
	}
	return false
}

// scanMatches is what a resolution step found by scanning every mapping
// (ResolveMappings' matchKind).
func scanMatches(ms []*crosswalkv1.Mapping, end End, element string, descendants, ancestors bool) []int32 {
	var out []int32
	for i, m := range ms {
		e := m.GetSource()
		if end == Target {
			e = m.GetTarget()
		}
		if element == e || descendants && under(element, e) || ancestors && under(e, element) {
			out = append(out, int32(i))
		}
	}
	return out
}

// scanAtOrUnder is what gap analysis found by scanning every mapping.
func scanAtOrUnder(ms []*crosswalkv1.Mapping, end End, id string) []int32 {
	var out []int32
	for i, m := range ms {
		e := m.GetSource()
		if end == Target {
			e = m.GetTarget()
		}
		if under(id, e) || id == e {
			out = append(out, int32(i))
		}
	}
	return out
}

func TestMatches(t *testing.T) {
	x := New(fixture)
	for _, tc := range []struct {
		end         End
		element     string
		desc, anc   bool
		want        []int32
		description string
	}{
		{Source, "RSK-3.1", false, false, []int32{4, 5}, "a practice: exact only"},
		{Source, "RSK-3.1", true, true, []int32{4, 5}, "a practice has no ancestors or descendants"},
		{Source, "RSK-9.9", true, true, nil, "unknown element"},
		{Target, "4.1", false, false, []int32{8}, "exact clause"},
		{Target, "4.1", true, false, []int32{5, 6, 7, 8}, "with descendants, paragraph items included"},
		{Target, "4.1", false, true, []int32{4, 8}, "with ancestors"},
		{Target, "4.1", true, true, []int32{4, 5, 6, 7, 8}, "both"},
		{Target, "4.1.1.p.1.b.x", true, true, nil, "not a clause id: no ancestors"},
		{Target, "4.1.1.p.1", false, true, []int32{4, 5, 8}, "a paragraph the crosswalk does not hold"},
		{Target, "10", true, false, []int32{0, 1}, "a clause with only descendants mapped"},
		{Target, "not a clause", true, true, []int32{10}, "an id that is no clause id"},
		{Source, "4.1", true, false, []int32{11, 12}, "clause sources: 4.10 does not lie under 4.1"},
		{Source, "4.1.2.p.3", false, true, []int32{11, 12}, "clause sources, from below"},
		{Target, "A", true, false, []int32{9}, "annex"},
		{Target, "", true, true, nil, "empty element"},
	} {
		t.Run(tc.description, func(t *testing.T) {
			got := x.Matches(tc.end, tc.element, tc.desc, tc.anc)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Matches(%v, %q, %v, %v) = %v, want %v", tc.end, tc.element, tc.desc, tc.anc, got, tc.want)
			}
			if scan := scanMatches(fixture, tc.end, tc.element, tc.desc, tc.anc); !slices.Equal(got, scan) {
				t.Errorf("Matches(%v, %q, %v, %v) = %v, a scan finds %v", tc.end, tc.element, tc.desc, tc.anc, got, scan)
			}
		})
	}
}

func TestAtOrUnder(t *testing.T) {
	x := New(fixture)
	for _, tc := range []struct {
		end  End
		id   string
		want []int32
	}{
		{Target, "4", []int32{4, 5, 6, 7, 8}},
		{Target, "4.1.1", []int32{5, 6}},
		{Target, "10.2", []int32{0, 1}},
		{Target, "A.6", []int32{9}},
		{Target, "9", nil},
		{Target, "not a clause", []int32{10}},
		{Source, "4", []int32{11, 12, 13}},
		{Source, "RSK-3.3", []int32{8, 9, 10}},
	} {
		got := x.AtOrUnder(tc.end, tc.id)
		if !slices.Equal(got, tc.want) {
			t.Errorf("AtOrUnder(%v, %q) = %v, want %v", tc.end, tc.id, got, tc.want)
		}
		if scan := scanAtOrUnder(fixture, tc.end, tc.id); !slices.Equal(got, scan) {
			t.Errorf("AtOrUnder(%v, %q) = %v, a scan finds %v", tc.end, tc.id, got, scan)
		}
	}
}

func TestChain(t *testing.T) {
	for id, want := range map[string][]string{
		"4.1.2.p.1.a": {"4.1.2.p.1.a", "4.1.2.p.1", "4.1.2", "4.1", "4"},
		"A.6.2.4":     {"A.6.2.4", "A.6.2", "A.6", "A"},
		"4":           {"4"},
		"RSK-3.1":     {"RSK-3.1"},
		"":            nil,
	} {
		if got := Chain(id); !slices.Equal(got, want) {
			t.Errorf("Chain(%q) = %q, want %q", id, got, want)
		}
		x := New(fixture)
		if got := x.Ancestry(id); !slices.Equal(got, want) {
			t.Errorf("Ancestry(%q) = %q, want %q", id, got, want)
		}
	}
	x := New(fixture)
	if got, want := x.Ancestry("4.1.1.p.1.b"), []string{"4.1.1.p.1.b", "4.1.1.p.1", "4.1.1", "4.1", "4"}; !slices.Equal(got, want) {
		t.Errorf("Ancestry of a mapped id = %q, want %q", got, want)
	}
}

func TestByNameAndAll(t *testing.T) {
	dup := append(slices.Clone(fixture), &crosswalkv1.Mapping{Name: fixture[3].GetName(), Source: "other", Target: "8.1"})
	x := New(dup)
	if x.Len() != len(dup) || !slices.Equal(x.All(), dup) {
		t.Fatalf("All does not keep the mappings in order")
	}
	for i, m := range fixture {
		got, ok := x.ByName(m.GetName())
		if !ok || got != fixture[i] {
			t.Errorf("ByName(%q) = %v, %v; want mapping %d", m.GetName(), got, ok, i)
		}
		if x.At(int32(i)) != m {
			t.Errorf("At(%d) is not mapping %d", i, i)
		}
	}
	if _, ok := x.ByName("crosswalks/x/mappings/nope"); ok {
		t.Error("ByName found a name no mapping has")
	}
}

// TestAgainstScan checks random crosswalks and elements against a scan.
func TestAgainstScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ids := []string{"", "4", "4.1", "4.1.1", "4.1.2", "4.1.2.p.1", "4.1.2.p.1.a", "4.10", "A", "A.6", "A.6.2.4",
		"RSK-3.1", "PLAN-2.2", "x.y", "6.1.2.p.2", "6.1", "6"}
	for round := range 40 {
		var ms []*crosswalkv1.Mapping
		for range r.IntN(30) {
			ms = append(ms, m(ids[r.IntN(len(ids))], ids[r.IntN(len(ids))]))
		}
		x := New(ms)
		for _, id := range ids {
			for _, end := range []End{Source, Target} {
				for _, flags := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
					got, want := x.Matches(end, id, flags[0], flags[1]), scanMatches(ms, end, id, flags[0], flags[1])
					if !slices.Equal(got, want) {
						t.Fatalf("round %d: Matches(%v, %q, %v) = %v, a scan finds %v", round, end, id, flags, got, want)
					}
				}
				if got, want := x.AtOrUnder(end, id), scanAtOrUnder(ms, end, id); !slices.Equal(got, want) {
					t.Fatalf("round %d: AtOrUnder(%v, %q) = %v, a scan finds %v", round, end, id, got, want)
				}
			}
		}
	}
}

func ExampleIndex_Matches() {
	x := New(fixture)
	for _, pos := range x.Matches(Target, "4.1.1", true, true) {
		fmt.Println(x.At(pos).GetSource(), "->", x.At(pos).GetTarget())
	}
	// Output:
	// RSK-3.1 -> 4
	// RSK-3.1 -> 4.1.1
	// RSK-3.2 -> 4.1.1.p.1.b
	// RSK-3.3 -> 4.1
}
