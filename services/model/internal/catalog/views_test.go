package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
)

func areaLevels(areas []*modelv1.PracticeAreaLevel) string {
	parts := make([]string, len(areas))
	for i, a := range areas {
		parts[i] = fmt.Sprintf("%s:%d", a.GetPracticeArea(), a.GetLevel())
	}
	return strings.Join(parts, " ")
}

func TestResolveView(t *testing.T) {
	b := testBundle()
	b.Practices = append(b.Practices, &modelv1.BundlePractice{Id: "RSK-2.10", PracticeArea: "RSK", Level: 2, Statement: "Tenth."})
	view := viewOf(b.GetViews()[0])
	tests := []struct {
		level         int
		wantAreas     string
		wantPractices []string
	}{
		{0, "DQ:2 PQA:3 RSK:3", []string{
			"DQ-1.1", "DQ-2.1", "PQA-1.1", "PQA-2.1", "PQA-3.1", "RSK-1.1", "RSK-2.1", "RSK-2.2", "RSK-2.10", "RSK-3.1"}},
		{2, "PQA:2 RSK:2", []string{"PQA-1.1", "PQA-2.1", "RSK-1.1", "RSK-2.1", "RSK-2.2", "RSK-2.10"}},
		{3, "DQ:2 PQA:3 RSK:3", []string{
			"DQ-1.1", "DQ-2.1", "PQA-1.1", "PQA-2.1", "PQA-3.1", "RSK-1.1", "RSK-2.1", "RSK-2.2", "RSK-2.10", "RSK-3.1"}},
	}
	for _, tt := range tests {
		areas, practices, err := ResolveView(b, view, tt.level)
		if err != nil {
			t.Errorf("level %d: %v", tt.level, err)
			continue
		}
		if got := areaLevels(areas); got != tt.wantAreas {
			t.Errorf("level %d: areas %s, want %s", tt.level, got, tt.wantAreas)
		}
		if !slices.Equal(practices, tt.wantPractices) {
			t.Errorf("level %d: practices %q, want %q", tt.level, practices, tt.wantPractices)
		}
	}
}

func TestResolveViewTakesHighestLevelAcrossMaturityLevels(t *testing.T) {
	b := testBundle()
	v := &modelv1.View{
		DisplayName:   "Mine",
		PracticeAreas: []string{"risk", "PQA", "DQ"},
		MaturityLevels: []*modelv1.MaturityLevelRequirement{
			// A lower maturity level asking more than a higher one keeps its level.
			{MaturityLevel: 4, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "PQA", Level: 1}, {PracticeArea: "DQ", Level: 1}}},
			{MaturityLevel: 2, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "RISK", Level: 1}, {PracticeArea: "PQA", Level: 2}}},
		},
	}
	areas, practices, err := ResolveView(b, v, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := areaLevels(areas); got != "DQ:1 PQA:2 RSK:1" {
		t.Errorf("areas %s", got)
	}
	if want := []string{"DQ-1.1", "PQA-1.1", "PQA-2.1", "RSK-1.1"}; !slices.Equal(practices, want) {
		t.Errorf("practices %q, want %q", practices, want)
	}
}

func TestResolveViewErrors(t *testing.T) {
	b := testBundle()
	view := viewOf(b.GetViews()[0])
	unknown := viewOf(b.GetViews()[0])
	unknown.PracticeAreas = append(unknown.PracticeAreas, "XYZ")
	badRequirement := viewOf(b.GetViews()[0])
	badRequirement.MaturityLevels[0].Requirements[0].PracticeArea = "XYZ"
	tests := []struct {
		name  string
		view  *modelv1.View
		level int
		field string
	}{
		{"undefined level 4", view, 4, "maturity_level"},
		{"undefined level 5", view, 5, "maturity_level"},
		{"level 1", view, 1, "maturity_level"},
		{"level 6", view, 6, "maturity_level"},
		{"negative", view, -1, "maturity_level"},
		{"no maturity levels", &modelv1.View{PracticeAreas: []string{"RSK"}}, 2, "maturity_level"},
		{"unknown area, whole view", unknown, 0, "view"},
		{"unknown area in requirement", badRequirement, 2, "view"},
		{"nil view", nil, 0, "view"},
	}
	for _, tt := range tests {
		areas, practices, err := ResolveView(b, tt.view, tt.level)
		e, ok := errors.AsType[*errs.Error](err)
		if !ok || e.Kind != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != tt.field {
			t.Errorf("%s: got %v, %v, error %v; want Invalid on %s", tt.name, areas, practices, err, tt.field)
		}
	}
}

func TestResolveViewFullBundle(t *testing.T) {
	b := fullBundle()
	areas, practices, err := ResolveView(b, viewOf(b.GetViews()[0]), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(areas) != 31 {
		t.Errorf("%d areas", len(areas))
	}
	// Two practices per level, levels 1–3 except CM (1–2).
	if want := 2 * (30*3 + 2); len(practices) != want {
		t.Errorf("%d practices, want %d", len(practices), want)
	}
	if !slices.IsSortedFunc(practices, comparePracticeIDStrings) {
		t.Error("practices not in key order")
	}
}
