package server_test

import (
	"slices"
	"testing"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

// TestRatingScopeCache checks the cached rating scope never crosses
// appraisals: two tenants hold an appraisal of the same id with different
// scopes (maturity level 2 and 3), and each GetRatings, warm or cold, in
// any order, rates exactly its own scope.
func TestRatingScopeCache(t *testing.T) {
	h := newHarness(t)
	acme := h.conducting(t, "acme", "shared", nil, "i1")
	globex := h.conducting(t, "globex", "shared", func(a *appraisalv1.Appraisal) { a.TargetMaturityLevel = 3 }, "i1")
	acme.characterizeAll(t, appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_FULLY_MEETS, nil)
	globex.characterizeAll(t, appraisalv1.CharacterizationValue_CHARACTERIZATION_VALUE_LARGELY_MEETS, nil)

	rated := func(f *flow) []string {
		var ids []string
		for _, p := range f.ratings(t).GetPractices() {
			ids = append(ids, p.GetPractice())
		}
		slices.Sort(ids)
		return ids
	}
	want := map[*flow][]string{}
	for _, f := range []*flow{acme, globex} {
		w := slices.Clone(f.scope(t))
		slices.Sort(w)
		want[f] = w
	}
	if len(want[acme]) == len(want[globex]) {
		t.Fatalf("the two scopes must differ to prove anything (both %d practices)", len(want[acme]))
	}
	for i, f := range []*flow{acme, globex, acme, globex, globex, acme} {
		got := rated(f)
		if !slices.Equal(got, want[f]) {
			t.Fatalf("call %d (%s): rated %d practices, want its own scope of %d", i, f.tenant, len(got), len(want[f]))
		}
	}
}
