package server_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
)

const (
	forward = crosswalkv1.ResolveMappingsRequest_DIRECTION_FORWARD
	reverse = crosswalkv1.ResolveMappingsRequest_DIRECTION_REVERSE
	// isoToISO is tenant A's crosswalk from ISO/IEC 42001 to ISO/IEC 23894.
	isoToISO = "crosswalks/iso-42001-23894"
)

// chained builds tenant A's two crosswalks: the seed's table (CMMI to
// 42001) and 42001 to 23894.
func chained(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.create(t, tenantA, "mine", cmmi, iso42001)
	h.importDoc(t, tenantA, mine, tsv, seedFixture(t))
	h.create(t, tenantA, "iso-42001-23894", iso42001, iso23894)
	resp := h.importDoc(t, tenantA, isoToISO, crosswalkv1.Format_FORMAT_JSON, `{"mappings": [
		{"source": "4.1.2.p.1.b", "target": "6.4", "relationship": "RELATIONSHIP_SUBSET_OF", "strength": 8},
		{"source": "7.2.2", "target": "5.2", "relationship": "RELATIONSHIP_EQUAL", "strength": 5},
		{"source": "4.1", "target": "6.3", "relationship": "RELATIONSHIP_INTERSECTS_WITH", "strength": 3}
	]}`)
	if resp.GetMappingCount() != 3 {
		t.Fatalf("imported %d mappings, want 3", resp.GetMappingCount())
	}
	return h
}

// render shows a result as "from -> to (framework) REL strength [steps]".
func render(r *crosswalkv1.ResolvedMapping) string {
	var steps []string
	for _, s := range r.GetPath() {
		steps = append(steps, fmt.Sprintf("%s:%s-%s->%s/%s", s.GetMapping(), s.GetFrom(), strings.TrimPrefix(s.GetRelationship().String(), "RELATIONSHIP_"), s.GetTo(), s.GetMatch()))
	}
	return fmt.Sprintf("%s -> %s (%s) %s %d [%s]", r.GetFrom(), r.GetTo(), r.GetToFramework(),
		strings.TrimPrefix(r.GetRelationship().String(), "RELATIONSHIP_"), r.GetStrength(), strings.Join(steps, " "))
}

func renderAll(rs []*crosswalkv1.ResolvedMapping) string {
	var out []string
	for _, r := range rs {
		out = append(out, render(r))
	}
	return strings.Join(out, "\n")
}

func TestResolveTwoHops(t *testing.T) {
	h := chained(t)
	m1 := func(src, tgt string) string { return mine + "/mappings/" + mappingIDOf(src, tgt) }
	m2 := func(src, tgt string) string { return isoToISO + "/mappings/" + mappingIDOf(src, tgt) }

	resp, err := h.client.ResolveMappings(h.viewer(t, tenantA), &crosswalkv1.ResolveMappingsRequest{
		Crosswalk: mine, Elements: []string{"RSK-3.3", "PLAN-2.2"}, Direction: forward, MaxHops: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &crosswalkv1.ResolveMappingsResponse{Results: []*crosswalkv1.ResolvedMapping{
		// Ordered by start element, hops, reached element.
		{From: "PLAN-2.2", To: "7.2.2", ToFramework: iso42001, Relationship: sup, Path: []*crosswalkv1.PathStep{
			{Mapping: m1("PLAN-2.2", "7.2.2"), From: "PLAN-2.2", To: "7.2.2", Relationship: sup, Match: "exact"}}},
		{From: "PLAN-2.2", To: "7.2.2.p.1.a", ToFramework: iso42001, Relationship: sup, Path: []*crosswalkv1.PathStep{
			{Mapping: m1("PLAN-2.2", "7.2.2.p.1.a"), From: "PLAN-2.2", To: "7.2.2.p.1.a", Relationship: sup, Match: "exact"}}},
		// SUPERSET_OF then EQUAL is SUPERSET_OF; the first step has no strength.
		{From: "PLAN-2.2", To: "5.2", ToFramework: iso23894, Relationship: sup, Strength: 0, Path: []*crosswalkv1.PathStep{
			{Mapping: m1("PLAN-2.2", "7.2.2"), From: "PLAN-2.2", To: "7.2.2", Relationship: sup, Match: "exact"},
			{Mapping: m2("7.2.2", "5.2"), From: "7.2.2", To: "5.2", Relationship: eq, Match: "exact"}}},
		{From: "RSK-3.3", To: "4.1.2.p.1.b", ToFramework: iso42001, Relationship: sup, Path: []*crosswalkv1.PathStep{
			{Mapping: m1("RSK-3.3", "4.1.2.p.1.b"), From: "RSK-3.3", To: "4.1.2.p.1.b", Relationship: sup, Match: "exact"}}},
		{From: "RSK-3.3", To: "4.1.2.p.1.c", ToFramework: iso42001, Relationship: sup, Path: []*crosswalkv1.PathStep{
			{Mapping: m1("RSK-3.3", "4.1.2.p.1.c"), From: "RSK-3.3", To: "4.1.2.p.1.c", Relationship: sup, Match: "exact"}}},
		// SUPERSET_OF then SUBSET_OF: set theory settles nothing.
		{From: "RSK-3.3", To: "6.4", ToFramework: iso23894, Relationship: ind, Path: []*crosswalkv1.PathStep{
			{Mapping: m1("RSK-3.3", "4.1.2.p.1.b"), From: "RSK-3.3", To: "4.1.2.p.1.b", Relationship: sup, Match: "exact"},
			{Mapping: m2("4.1.2.p.1.b", "6.4"), From: "4.1.2.p.1.b", To: "6.4", Relationship: sub, Match: "exact"}}},
	}}
	if !proto.Equal(resp, want) {
		t.Fatalf("ResolveMappings =\n%s\nwant\n%s", renderAll(resp.GetResults()), renderAll(want.GetResults()))
	}

	t.Run("one hop stays in the first crosswalk", func(t *testing.T) {
		for _, hops := range []int32{0, 1} {
			resp, err := h.client.ResolveMappings(h.viewer(t, tenantA), &crosswalkv1.ResolveMappingsRequest{
				Crosswalk: mine, Elements: []string{"RSK-3.3", "PLAN-2.2"}, MaxHops: hops,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range resp.GetResults() {
				if r.GetToFramework() != iso42001 || len(r.GetPath()) != 1 {
					t.Fatalf("max_hops %d reached %s", hops, render(r))
				}
			}
			if len(resp.GetResults()) != 4 {
				t.Fatalf("max_hops %d: %d results, want 4:\n%s", hops, len(resp.GetResults()), renderAll(resp.GetResults()))
			}
		}
	})

	t.Run("relationships filter", func(t *testing.T) {
		resp, err := h.client.ResolveMappings(h.viewer(t, tenantA), &crosswalkv1.ResolveMappingsRequest{
			Crosswalk: mine, Elements: []string{"RSK-3.3", "PLAN-2.2", "RSK-3.1"}, MaxHops: 2,
			Relationships: []crosswalkv1.Relationship{ind},
		})
		if err != nil {
			t.Fatal(err)
		}
		// RSK-3.1 INTERSECTS_WITH 4.1 INTERSECTS_WITH 6.3 is indeterminate too.
		var got []string
		for _, r := range resp.GetResults() {
			got = append(got, r.GetFrom()+">"+r.GetTo()+" "+r.GetRelationship().String())
		}
		want := "RSK-3.1>6.3 RELATIONSHIP_INDETERMINATE,RSK-3.3>6.4 RELATIONSHIP_INDETERMINATE"
		if strings.Join(got, ",") != want {
			t.Fatalf("filtered = %q, want %q", strings.Join(got, ","), want)
		}
	})

	t.Run("min_strength", func(t *testing.T) {
		// The seed's mappings state no strength, so no chain from them has one.
		resp, err := h.client.ResolveMappings(h.viewer(t, tenantA), &crosswalkv1.ResolveMappingsRequest{
			Crosswalk: mine, Elements: []string{"RSK-3.3", "PLAN-2.2"}, MaxHops: 2, MinStrength: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetResults()) != 0 {
			t.Fatalf("min_strength 1 kept\n%s", renderAll(resp.GetResults()))
		}
		// The second crosswalk's mappings do.
		tests := []struct {
			min  int32
			want string
		}{
			{0, "4.1>6.3 3,4.1.2.p.1.b>6.4 8,7.2.2>5.2 5"},
			{3, "4.1>6.3 3,4.1.2.p.1.b>6.4 8,7.2.2>5.2 5"},
			{5, "4.1.2.p.1.b>6.4 8,7.2.2>5.2 5"},
			{8, "4.1.2.p.1.b>6.4 8"},
			{9, ""},
		}
		for _, tt := range tests {
			resp, err := h.client.ResolveMappings(h.viewer(t, tenantA), &crosswalkv1.ResolveMappingsRequest{
				Crosswalk: isoToISO, Elements: []string{"4.1.2.p.1.b", "7.2.2", "4.1"}, MinStrength: tt.min,
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range resp.GetResults() {
				got = append(got, fmt.Sprintf("%s>%s %d", r.GetFrom(), r.GetTo(), r.GetStrength()))
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("min_strength %d = %q, want %q", tt.min, strings.Join(got, ","), tt.want)
			}
		}
	})
}

func TestResolveReverseTwoHops(t *testing.T) {
	h := chained(t)
	resp, err := h.client.ResolveMappings(h.viewer(t, tenantA), &crosswalkv1.ResolveMappingsRequest{
		Crosswalk: isoToISO, Elements: []string{"5.2"}, Direction: reverse, MaxHops: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	// 5.2 EQUAL 7.2.2 (42001), which PLAN-2.2 is Superior Of: read back, 7.2.2
	// is SUBSET_OF PLAN-2.2, so 5.2 is SUBSET_OF PLAN-2.2. Both the tenant's
	// crosswalk and the shared sample state that mapping.
	for _, r := range resp.GetResults() {
		switch len(r.GetPath()) {
		case 1:
			if r.GetTo() != "7.2.2" || r.GetToFramework() != iso42001 || r.GetRelationship() != eq {
				t.Errorf("first hop %s", render(r))
			}
		case 2:
			if r.GetTo() != "PLAN-2.2" || r.GetToFramework() != cmmi || r.GetRelationship() != sub ||
				r.GetPath()[1].GetRelationship() != sub || r.GetPath()[1].GetFrom() != "7.2.2" {
				t.Errorf("second hop %s", render(r))
			}
		default:
			t.Errorf("unexpected %s", render(r))
		}
	}
	first, second := 0, 0
	for _, r := range resp.GetResults() {
		if len(r.GetPath()) == 1 {
			first++
		} else {
			second++
		}
	}
	if first != 1 || second == 0 {
		t.Fatalf("results:\n%s", renderAll(resp.GetResults()))
	}
}

func TestResolveDescendantsAndAncestors(t *testing.T) {
	h := chained(t)
	tests := []struct {
		name string
		req  *crosswalkv1.ResolveMappingsRequest
		want string
	}{
		{
			name: "exact only",
			req:  &crosswalkv1.ResolveMappingsRequest{Crosswalk: mine, Elements: []string{"4.1.2"}, Direction: reverse},
			want: "",
		},
		{
			name: "ancestor of a paragraph item",
			req:  &crosswalkv1.ResolveMappingsRequest{Crosswalk: mine, Elements: []string{"4.1.2.p.1.a"}, Direction: reverse, IncludeAncestors: true},
			want: "4.1.2.p.1.a>RSK-3.1 INDETERMINATE ancestor via 4.1," +
				"4.1.2.p.1.a>RSK-3.2 SUPERSET_OF exact via 4.1.2.p.1.a",
		},
		{
			name: "descendants of a clause",
			req:  &crosswalkv1.ResolveMappingsRequest{Crosswalk: mine, Elements: []string{"4.1.1"}, Direction: reverse, IncludeDescendants: true},
			want: "4.1.1>RSK-3.1 INTERSECTS_WITH exact via 4.1.1,4.1.1>RSK-3.2 INDETERMINATE descendant via 4.1.1.p.1.b",
		},
		{
			name: "forward from a practice the crosswalk does not map",
			req:  &crosswalkv1.ResolveMappingsRequest{Crosswalk: mine, Elements: []string{"RSK-1.1"}, IncludeDescendants: true, IncludeAncestors: true, MaxHops: 3},
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := h.client.ResolveMappings(h.viewer(t, tenantA), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range resp.GetResults() {
				p := r.GetPath()[0]
				got = append(got, fmt.Sprintf("%s>%s %s %s via %s", r.GetFrom(), r.GetTo(), strings.TrimPrefix(r.GetRelationship().String(), "RELATIONSHIP_"), p.GetMatch(), p.GetFrom()))
			}
			if strings.Join(got, ",") != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.ReplaceAll(tt.want, ",", "\n"))
			}
		})
	}
}

// ResolveMappingsResponse.results is documented as "one result per start
// element and reached element". Reverse from clause 4.1.2 with its
// descendants reaches RSK-3.3 through two paragraph items (4.1.2.p.1.b and
// 4.1.2.p.1.c); it must be reported once.
func TestResolveOneResultPerReachedElement(t *testing.T) {
	h := chained(t)
	resp, err := h.client.ResolveMappings(h.viewer(t, tenantA), &crosswalkv1.ResolveMappingsRequest{
		Crosswalk: mine, Elements: []string{"4.1.2"}, Direction: reverse, IncludeDescendants: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range resp.GetResults() {
		seen[r.GetFrom()+" -> "+r.GetTo()]++
		if r.GetRelationship() != ind || r.GetPath()[0].GetMatch() != "descendant" {
			t.Errorf("a match through a descendant: %s", render(r))
		}
	}
	if seen["4.1.2 -> RSK-3.2"] != 1 || seen["4.1.2 -> RSK-3.3"] == 0 {
		t.Fatalf("results:\n%s", renderAll(resp.GetResults()))
	}
	for pair, n := range seen {
		if n > 1 {
			t.Errorf("%s reported %d times, want once:\n%s", pair, n, renderAll(resp.GetResults()))
		}
	}
}

func TestResolveValidation(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name  string
		req   *crosswalkv1.ResolveMappingsRequest
		field string
	}{
		{"no elements", &crosswalkv1.ResolveMappingsRequest{Crosswalk: sampleName}, "elements"},
		{"too many hops", &crosswalkv1.ResolveMappingsRequest{Crosswalk: sampleName, Elements: []string{"RSK-3.1"}, MaxHops: 4}, "max_hops"},
		{"strength over 10", &crosswalkv1.ResolveMappingsRequest{Crosswalk: sampleName, Elements: []string{"RSK-3.1"}, MinStrength: 11}, "min_strength"},
		{"bad crosswalk name", &crosswalkv1.ResolveMappingsRequest{Crosswalk: "sample", Elements: []string{"RSK-3.1"}}, "crosswalk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.client.ResolveMappings(h.viewer(t, tenantA), tt.req)
			wantViolations(t, err, tt.field)
		})
	}
	// The sample resolves for anyone.
	resp, err := h.client.ResolveMappings(h.viewer(t, tenantB), &crosswalkv1.ResolveMappingsRequest{Crosswalk: sampleName, Elements: []string{"RSK-3.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := renderAll(resp.GetResults()); !strings.Contains(got, "RSK-3.1 -> 4.1 ("+iso42001+") INTERSECTS_WITH") || len(resp.GetResults()) != 2 {
		t.Fatalf("sample resolve:\n%s", got)
	}
}
