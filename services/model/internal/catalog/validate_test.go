package catalog

import (
	"slices"
	"strings"
	"testing"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

func TestValidateBundleAcceptsValidBundles(t *testing.T) {
	for name, b := range map[string]*modelv1.ModelBundle{
		"small":           testBundle(),
		"full":            fullBundle(),
		"canonical order": Canonicalize(testBundle()),
		"no views": func() *modelv1.ModelBundle {
			b := testBundle()
			b.Views = nil
			return b
		}(),
		"limits reached": func() *modelv1.ModelBundle {
			b := testBundle()
			b.DisplayName = strings.Repeat("é", maxDisplayName)
			b.Description = strings.Repeat("d", maxDescription)
			b.Practices[0].Statement = strings.Repeat("s", maxStatement)
			b.Practices[0].Explanation = strings.Repeat("e", maxExplanation)
			b.Practices[0].AiContext[0].Text = strings.Repeat("a", maxAIText)
			b.Model = "m" + strings.Repeat("0", 62)
			b.PracticeAreas[0].Aliases = append(b.PracticeAreas[0].Aliases, "R"+strings.Repeat("9", 15))
			return b
		}(),
		"newlines and tabs": func() *modelv1.ModelBundle {
			b := testBundle()
			b.Practices[1].Statement = "Line one.\n\tLine two."
			return b
		}(),
		"level 5 and number 999": func() *modelv1.ModelBundle {
			b := testBundle()
			b.Practices = append(b.Practices, &modelv1.BundlePractice{Id: "RSK-5.999", PracticeArea: "RSK", Level: 5, Statement: "Top."})
			b.Views[0].MaturityLevels = append(b.Views[0].MaturityLevels, &modelv1.MaturityLevelRequirement{
				MaturityLevel: 5, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "RSK", Level: 5}}})
			return b
		}(),
	} {
		t.Run(name, func(t *testing.T) { mustBeValid(t, b) })
	}
}

func TestValidateBundleReportsEachRule(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name   string
		mutate func(b *modelv1.ModelBundle)
		path   string
	}{
		// The version itself.
		{"model missing", func(b *modelv1.ModelBundle) { b.Model = "" }, "model"},
		{"model upper case", func(b *modelv1.ModelBundle) { b.Model = "CMMI" }, "model"},
		{"model with dot", func(b *modelv1.ModelBundle) { b.Model = "cmmi.aim" }, "model"},
		{"model too long", func(b *modelv1.ModelBundle) { b.Model = "m" + strings.Repeat("a", 63) }, "model"},
		{"version missing", func(b *modelv1.ModelBundle) { b.Version = "" }, "version"},
		{"version starts with dot", func(b *modelv1.ModelBundle) { b.Version = ".3" }, "version"},
		{"version with slash", func(b *modelv1.ModelBundle) { b.Version = "3/0" }, "version"},
		{"display name missing", func(b *modelv1.ModelBundle) { b.DisplayName = "" }, "display_name"},
		{"display name blank", func(b *modelv1.ModelBundle) { b.DisplayName = " \n " }, "display_name"},
		{"display name too long", func(b *modelv1.ModelBundle) { b.DisplayName = long(201) }, "display_name"},
		{"display name control character", func(b *modelv1.ModelBundle) { b.DisplayName = "a\x01b" }, "display_name"},
		{"display name carriage return", func(b *modelv1.ModelBundle) { b.DisplayName = "a\rb" }, "display_name"},
		{"display name C1 control", func(b *modelv1.ModelBundle) { b.DisplayName = "a\u0085b" }, "display_name"},
		{"description too long", func(b *modelv1.ModelBundle) { b.Description = long(4001) }, "description"},
		{"description invalid UTF-8", func(b *modelv1.ModelBundle) { b.Description = "a\xffb" }, "description"},

		// Categories.
		{"category id upper case", func(b *modelv1.ModelBundle) { b.Categories[0].Id = "Doing" }, "categories[0].id"},
		{"category id missing", func(b *modelv1.ModelBundle) { b.Categories[0].Id = "" }, "categories[0].id"},
		{"category id repeated", func(b *modelv1.ModelBundle) { b.Categories[1].Id = "doing" }, "categories[1].id"},
		{"category display name missing", func(b *modelv1.ModelBundle) { b.Categories[1].DisplayName = "" }, "categories[1].display_name"},
		{"category description too long", func(b *modelv1.ModelBundle) { b.Categories[1].Description = long(4001) }, "categories[1].description"},

		// Capability areas.
		{"capability area id lower case", func(b *modelv1.ModelBundle) { b.CapabilityAreas[0].Id = "eq" }, "capability_areas[0].id"},
		{"capability area id too long", func(b *modelv1.ModelBundle) { b.CapabilityAreas[0].Id = "E" + strings.Repeat("Q", 16) }, "capability_areas[0].id"},
		{"capability area id starts with digit", func(b *modelv1.ModelBundle) { b.CapabilityAreas[0].Id = "1EQ" }, "capability_areas[0].id"},
		{"capability area id repeated", func(b *modelv1.ModelBundle) { b.CapabilityAreas[1].Id = "EQ" }, "capability_areas[1].id"},
		{"capability area display name missing", func(b *modelv1.ModelBundle) { b.CapabilityAreas[0].DisplayName = "" }, "capability_areas[0].display_name"},
		{"capability area category unknown", func(b *modelv1.ModelBundle) { b.CapabilityAreas[0].Category = "thinking" }, "capability_areas[0].category"},
		{"capability area category missing", func(b *modelv1.ModelBundle) { b.CapabilityAreas[0].Category = "" }, "capability_areas[0].category"},
		{"capability area description too long", func(b *modelv1.ModelBundle) { b.CapabilityAreas[0].Description = long(4001) }, "capability_areas[0].description"},
		{"capability area alias lower case", func(b *modelv1.ModelBundle) { b.CapabilityAreas[1].Aliases = []string{"mir"} }, "capability_areas[1].aliases[0]"},
		{"capability area alias is an id", func(b *modelv1.ModelBundle) { b.CapabilityAreas[0].Aliases = []string{"MBR"} }, "capability_areas[0].aliases[0]"},
		{"capability area alias is its own id", func(b *modelv1.ModelBundle) { b.CapabilityAreas[1].Aliases = []string{"MIR", "MBR"} }, "capability_areas[1].aliases[1]"},
		{"capability area alias repeats an alias", func(b *modelv1.ModelBundle) { b.CapabilityAreas[0].Aliases = []string{"MIR"} }, "capability_areas[1].aliases[0]"},

		// Domains.
		{"no core domain", func(b *modelv1.ModelBundle) { b.Domains[0].Core = false }, "domains"},
		{"no domains", func(b *modelv1.ModelBundle) { b.Domains = nil }, "domains"},
		{"two core domains", func(b *modelv1.ModelBundle) { b.Domains[1].Core = true }, "domains[1].core"},
		{"domain id upper case", func(b *modelv1.ModelBundle) { b.Domains[1].Id = "Data" }, "domains[1].id"},
		{"domain id repeated", func(b *modelv1.ModelBundle) { b.Domains[1].Id = "core" }, "domains[1].id"},
		{"domain display name missing", func(b *modelv1.ModelBundle) { b.Domains[1].DisplayName = "" }, "domains[1].display_name"},
		{"domain description too long", func(b *modelv1.ModelBundle) { b.Domains[1].Description = long(4001) }, "domains[1].description"},

		// Practice areas.
		{"no practice areas", func(b *modelv1.ModelBundle) { b.PracticeAreas = nil }, "practice_areas"},
		{"practice area id lower case", func(b *modelv1.ModelBundle) { b.PracticeAreas[1].Id = "pqa" }, "practice_areas[1].id"},
		{"practice area id with dash", func(b *modelv1.ModelBundle) { b.PracticeAreas[1].Id = "P-QA" }, "practice_areas[1].id"},
		{"practice area id repeated", func(b *modelv1.ModelBundle) { b.PracticeAreas[2].Id = "PQA" }, "practice_areas[2].id"},
		{"practice area display name missing", func(b *modelv1.ModelBundle) { b.PracticeAreas[0].DisplayName = "" }, "practice_areas[0].display_name"},
		{"practice area capability area unknown", func(b *modelv1.ModelBundle) { b.PracticeAreas[0].CapabilityArea = "XYZ" }, "practice_areas[0].capability_area"},
		{"practice area capability area alias", func(b *modelv1.ModelBundle) { b.PracticeAreas[0].CapabilityArea = "MIR" }, "practice_areas[0].capability_area"},
		{"practice area capability area missing", func(b *modelv1.ModelBundle) { b.PracticeAreas[0].CapabilityArea = "" }, "practice_areas[0].capability_area"},
		{"practice area domain unknown", func(b *modelv1.ModelBundle) { b.PracticeAreas[2].Domain = "people" }, "practice_areas[2].domain"},
		{"practice area domain missing", func(b *modelv1.ModelBundle) { b.PracticeAreas[2].Domain = "" }, "practice_areas[2].domain"},
		{"practice area description too long", func(b *modelv1.ModelBundle) { b.PracticeAreas[0].Description = long(4001) }, "practice_areas[0].description"},
		{"practice area alias is another id", func(b *modelv1.ModelBundle) { b.PracticeAreas[0].Aliases = []string{"RISK", "PQA"} }, "practice_areas[0].aliases[1]"},
		{"practice area alias repeats an alias", func(b *modelv1.ModelBundle) { b.PracticeAreas[2].Aliases = []string{"RISK"} }, "practice_areas[2].aliases[0]"},
		{"practice area alias bad", func(b *modelv1.ModelBundle) { b.PracticeAreas[0].Aliases = []string{"RI SK"} }, "practice_areas[0].aliases[0]"},
		{"practice area without practices", func(b *modelv1.ModelBundle) { b.Practices = b.Practices[:7] }, "practice_areas[2]"},

		// Practices.
		{"practice id missing", func(b *modelv1.ModelBundle) { b.Practices[0].Id = "" }, "practices[0].id"},
		{"practice id unparsable", func(b *modelv1.ModelBundle) { b.Practices[0].Id = "RSK1.1" }, "practices[0].id"},
		{"practice id number zero", func(b *modelv1.ModelBundle) { b.Practices[0].Id = "RSK-1.0" }, "practices[0].id"},
		{"practice id lower case", func(b *modelv1.ModelBundle) { b.Practices[0].Id = "rsk-1.1" }, "practices[0].id"},
		{"practice id as label", func(b *modelv1.ModelBundle) { b.Practices[0].Id = "RSK 1.1" }, "practices[0].id"},
		{"practice id uses alias", func(b *modelv1.ModelBundle) { b.Practices[0].Id = "RISK-1.1" }, "practices[0].id"},
		{"practice id other area", func(b *modelv1.ModelBundle) { b.Practices[0].Id = "PQA-1.9" }, "practices[0].id"},
		{"practice id unknown area", func(b *modelv1.ModelBundle) { b.Practices[0].Id = "XYZ-1.1" }, "practices[0].id"},
		{"practice id level above 5", func(b *modelv1.ModelBundle) { b.Practices[0].Id = "RSK-6.1" }, "practices[0].id"},
		{"practice id repeated", func(b *modelv1.ModelBundle) { b.Practices[2].Id = "RSK-2.1" }, "practices[2].id"},
		{"practice id control character", func(b *modelv1.ModelBundle) { b.Practices[0].Id = "RSK-1.1\x00" }, "practices[0].id"},
		{"practice area unknown", func(b *modelv1.ModelBundle) { b.Practices[0].PracticeArea = "XYZ" }, "practices[0].practice_area"},
		{"practice area alias", func(b *modelv1.ModelBundle) { b.Practices[0].PracticeArea = "RISK" }, "practices[0].practice_area"},
		{"practice area missing", func(b *modelv1.ModelBundle) { b.Practices[0].PracticeArea = "" }, "practices[0].practice_area"},
		{"practice level missing", func(b *modelv1.ModelBundle) { b.Practices[0].Level = 0 }, "practices[0].level"},
		{"practice level above 5", func(b *modelv1.ModelBundle) { b.Practices[0].Level = 6 }, "practices[0].level"},
		{"practice level negative", func(b *modelv1.ModelBundle) { b.Practices[0].Level = -1 }, "practices[0].level"},
		{"practice level differs from id", func(b *modelv1.ModelBundle) { b.Practices[1].Level = 3 }, "practices[1].level"},
		{"practice statement missing", func(b *modelv1.ModelBundle) { b.Practices[1].Statement = "" }, "practices[1].statement"},
		{"practice statement too long", func(b *modelv1.ModelBundle) { b.Practices[1].Statement = long(4001) }, "practices[1].statement"},
		{"practice statement control character", func(b *modelv1.ModelBundle) { b.Practices[1].Statement = "a\x1bb" }, "practices[1].statement"},
		{"practice explanation too long", func(b *modelv1.ModelBundle) { b.Practices[1].Explanation = long(8001) }, "practices[1].explanation"},
		{"practice explanation invalid UTF-8", func(b *modelv1.ModelBundle) { b.Practices[1].Explanation = "\xc3" }, "practices[1].explanation"},

		// AI context additions.
		{"AI id missing", func(b *modelv1.ModelBundle) { b.Practices[2].AiContext[1].Id = "" }, "practices[2].ai_context[1].id"},
		{"AI id bad", func(b *modelv1.ModelBundle) { b.Practices[2].AiContext[1].Id = "1-AI" }, "practices[2].ai_context[1].id"},
		{"AI id repeated in practice", func(b *modelv1.ModelBundle) { b.Practices[2].AiContext[1].Id = "RSK-2.2-AI-1" }, "practices[2].ai_context[1].id"},
		{"AI id repeated across practices", func(b *modelv1.ModelBundle) { b.Practices[4].AiContext[0].Id = "RSK-1.1-AI-1" }, "practices[4].ai_context[0].id"},
		{"AI id repeated in other case", func(b *modelv1.ModelBundle) { b.Practices[4].AiContext[0].Id = "rsk-1.1-ai-1" }, "practices[4].ai_context[0].id"},
		{"AI text missing", func(b *modelv1.ModelBundle) { b.Practices[0].AiContext[0].Text = "" }, "practices[0].ai_context[0].text"},
		{"AI text too long", func(b *modelv1.ModelBundle) { b.Practices[0].AiContext[0].Text = long(4001) }, "practices[0].ai_context[0].text"},
		{"AI text control character", func(b *modelv1.ModelBundle) { b.Practices[0].AiContext[0].Text = "\x7f" }, "practices[0].ai_context[0].text"},
		{"usage scenario unspecified", func(b *modelv1.ModelBundle) {
			b.Practices[0].AiContext[0].UsageScenarios[1] = modelv1.AiUsageScenario_AI_USAGE_SCENARIO_UNSPECIFIED
		}, "practices[0].ai_context[0].usage_scenarios[1]"},
		{"usage scenario unknown", func(b *modelv1.ModelBundle) { b.Practices[0].AiContext[0].UsageScenarios[0] = 9 }, "practices[0].ai_context[0].usage_scenarios[0]"},
		{"usage scenario negative", func(b *modelv1.ModelBundle) { b.Practices[0].AiContext[0].UsageScenarios[0] = -1 }, "practices[0].ai_context[0].usage_scenarios[0]"},
		{"usage scenario repeated", func(b *modelv1.ModelBundle) { b.Practices[0].AiContext[0].UsageScenarios[1] = support }, "practices[0].ai_context[0].usage_scenarios[1]"},
		{"applicability unspecified", func(b *modelv1.ModelBundle) {
			b.Practices[0].AiContext[0].Applicability[0] = modelv1.AiApplicability_AI_APPLICABILITY_UNSPECIFIED
		}, "practices[0].ai_context[0].applicability[0]"},
		{"applicability unknown", func(b *modelv1.ModelBundle) { b.Practices[0].AiContext[0].Applicability[1] = 3 }, "practices[0].ai_context[0].applicability[1]"},
		{"applicability repeated", func(b *modelv1.ModelBundle) { b.Practices[0].AiContext[0].Applicability[1] = building }, "practices[0].ai_context[0].applicability[1]"},

		// Views.
		{"view id upper case", func(b *modelv1.ModelBundle) { b.Views[0].Id = "AIM" }, "views[0].id"},
		{"view id missing", func(b *modelv1.ModelBundle) { b.Views[0].Id = "" }, "views[0].id"},
		{"view id repeated", func(b *modelv1.ModelBundle) { b.Views = append(b.Views, viewCopy(b.Views[0])) }, "views[1].id"},
		{"view display name missing", func(b *modelv1.ModelBundle) { b.Views[0].DisplayName = "" }, "views[0].display_name"},
		{"view description too long", func(b *modelv1.ModelBundle) { b.Views[0].Description = long(4001) }, "views[0].description"},
		{"view without practice areas", func(b *modelv1.ModelBundle) { b.Views[0].PracticeAreas = nil }, "views[0].practice_areas"},
		{"view practice area unknown", func(b *modelv1.ModelBundle) { b.Views[0].PracticeAreas[2] = "XYZ" }, "views[0].practice_areas[2]"},
		{"view practice area alias", func(b *modelv1.ModelBundle) { b.Views[0].PracticeAreas[0] = "RISK" }, "views[0].practice_areas[0]"},
		{"view practice area lower case", func(b *modelv1.ModelBundle) { b.Views[0].PracticeAreas[0] = "rsk" }, "views[0].practice_areas[0]"},
		{"view practice area repeated", func(b *modelv1.ModelBundle) { b.Views[0].PracticeAreas[2] = "PQA" }, "views[0].practice_areas[2]"},
		{"maturity level 1", func(b *modelv1.ModelBundle) { b.Views[0].MaturityLevels[0].MaturityLevel = 1 }, "views[0].maturity_levels[0].maturity_level"},
		{"maturity level 6", func(b *modelv1.ModelBundle) { b.Views[0].MaturityLevels[1].MaturityLevel = 6 }, "views[0].maturity_levels[1].maturity_level"},
		{"maturity level repeated", func(b *modelv1.ModelBundle) { b.Views[0].MaturityLevels[1].MaturityLevel = 2 }, "views[0].maturity_levels[1].maturity_level"},
		{"requirement level 0", func(b *modelv1.ModelBundle) { b.Views[0].MaturityLevels[0].Requirements[1].Level = 0 }, "views[0].maturity_levels[0].requirements[1].level"},
		{"requirement level 6", func(b *modelv1.ModelBundle) { b.Views[0].MaturityLevels[0].Requirements[1].Level = 6 }, "views[0].maturity_levels[0].requirements[1].level"},
		{"requirement level above practices", func(b *modelv1.ModelBundle) { b.Views[0].MaturityLevels[1].Requirements[2].Level = 3 }, "views[0].maturity_levels[1].requirements[2].level"},
		{"requirement area unknown", func(b *modelv1.ModelBundle) { b.Views[0].MaturityLevels[1].Requirements[2].PracticeArea = "XYZ" }, "views[0].maturity_levels[1].requirements[2].practice_area"},
		{"requirement area missing", func(b *modelv1.ModelBundle) { b.Views[0].MaturityLevels[1].Requirements[2].PracticeArea = "" }, "views[0].maturity_levels[1].requirements[2].practice_area"},
		{"requirement area alias", func(b *modelv1.ModelBundle) { b.Views[0].MaturityLevels[1].Requirements[0].PracticeArea = "RISK" }, "views[0].maturity_levels[1].requirements[0].practice_area"},
		{"requirement area outside view", func(b *modelv1.ModelBundle) { b.Views[0].PracticeAreas = b.Views[0].PracticeAreas[:2] }, "views[0].maturity_levels[1].requirements[2].practice_area"},
		{"requirement area repeated", func(b *modelv1.ModelBundle) { b.Views[0].MaturityLevels[1].Requirements[2].PracticeArea = "RSK" }, "views[0].maturity_levels[1].requirements[2].practice_area"},
		{"view description control character", func(b *modelv1.ModelBundle) { b.Views[0].Description = "\x00" }, "views[0].description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := testBundle()
			tt.mutate(b)
			vs := ValidateBundle(b)
			if !slices.Contains(fields(vs), tt.path) {
				t.Fatalf("want a violation at %s; got:%s", tt.path, describe(vs))
			}
			for _, v := range vs {
				if v.Description == "" {
					t.Errorf("violation at %s has no description", v.Field)
				}
			}
		})
	}
}

func viewCopy(v *modelv1.BundleView) *modelv1.BundleView {
	c := &modelv1.BundleView{Id: v.GetId(), DisplayName: v.GetDisplayName(), PracticeAreas: slices.Clone(v.GetPracticeAreas())}
	return c
}

func TestValidateBundleReportsEveryProblemInOrder(t *testing.T) {
	b := testBundle()
	b.Views[0].MaturityLevels[0].Requirements[0].Level = 9
	b.Practices[3].Statement = ""
	b.PracticeAreas[1].Domain = "nowhere"
	vs := ValidateBundle(b)
	want := []string{
		"practice_areas[1].domain",
		"practices[3].statement",
		"views[0].maturity_levels[0].requirements[0].level",
	}
	if got := fields(vs); !slices.Equal(got, want) {
		t.Fatalf("violations at %q, want %q:%s", got, want, describe(vs))
	}
	if again := ValidateBundle(b); !slices.Equal(again, vs) {
		t.Errorf("a second run differs:%s\nversus:%s", describe(again), describe(vs))
	}
}

func TestValidateBundleNil(t *testing.T) {
	if vs := ValidateBundle(nil); len(vs) != 1 {
		t.Fatalf("nil bundle: %s", describe(vs))
	}
	if vs := ValidateBundle(&modelv1.ModelBundle{}); len(vs) < 4 {
		t.Fatalf("empty bundle should fail on model, version, display name, domains and practice areas:%s", describe(vs))
	}
}

func TestValidateBundleCapsViolations(t *testing.T) {
	tests := []struct {
		bad      int
		wantLen  int
		wantMore string
	}{
		{bad: 998, wantLen: 998},
		{bad: 999, wantLen: 999},
		{bad: 1000, wantLen: 1000},
		{bad: 1500, wantLen: 1000, wantMore: "501 more problems"},
	}
	for _, tt := range tests {
		b := testBundle()
		for i := range tt.bad {
			b.Practices = append(b.Practices, &modelv1.BundlePractice{
				Id:           PracticeID{Area: "RSK", Level: 1 + i/900, Number: 10 + i%900}.String(),
				PracticeArea: "RSK", Level: int32(1 + i/900),
			}) // no statement
		}
		vs := ValidateBundle(b)
		if len(vs) != tt.wantLen {
			t.Errorf("%d bad practices: %d violations, want %d", tt.bad, len(vs), tt.wantLen)
			continue
		}
		last := vs[len(vs)-1]
		if tt.wantMore != "" && !strings.Contains(last.Description, tt.wantMore) {
			t.Errorf("%d bad practices: last violation %s: %s; want it to say %q", tt.bad, last.Field, last.Description, tt.wantMore)
		}
		if tt.wantMore == "" && !strings.HasSuffix(last.Field, ".statement") {
			t.Errorf("%d bad practices: last violation %s: %s", tt.bad, last.Field, last.Description)
		}
	}
}

func TestValidateView(t *testing.T) {
	valid := func() *modelv1.View { return viewOf(testBundle().GetViews()[0]) }
	if vs := ValidateView(testBundle(), valid()); len(vs) > 0 {
		t.Fatalf("valid view:%s", describe(vs))
	}
	accepted := []struct {
		name   string
		mutate func(v *modelv1.View)
	}{
		{"alias", func(v *modelv1.View) { v.PracticeAreas[0] = "RISK" }},
		{"lower case", func(v *modelv1.View) { v.PracticeAreas[1] = "pqa" }},
		{"requirement by alias", func(v *modelv1.View) { v.MaturityLevels[1].Requirements[0].PracticeArea = "risk" }},
		{"no maturity levels", func(v *modelv1.View) { v.MaturityLevels = nil }},
		{"output-only fields ignored", func(v *modelv1.View) { v.Name = "whatever"; v.Etag = "x"; v.BuiltIn = true }},
	}
	for _, tt := range accepted {
		v := valid()
		tt.mutate(v)
		if vs := ValidateView(testBundle(), v); len(vs) > 0 {
			t.Errorf("%s:%s", tt.name, describe(vs))
		}
	}
	rejected := []struct {
		name   string
		mutate func(v *modelv1.View)
		path   string
	}{
		{"display name missing", func(v *modelv1.View) { v.DisplayName = "" }, "view.display_name"},
		{"display name too long", func(v *modelv1.View) { v.DisplayName = strings.Repeat("v", 201) }, "view.display_name"},
		{"description too long", func(v *modelv1.View) { v.Description = strings.Repeat("v", 4001) }, "view.description"},
		{"no practice areas", func(v *modelv1.View) { v.PracticeAreas = nil }, "view.practice_areas"},
		{"unknown practice area", func(v *modelv1.View) { v.PracticeAreas[1] = "XYZ" }, "view.practice_areas[1]"},
		{"practice area repeated by alias", func(v *modelv1.View) { v.PracticeAreas[1] = "RISK" }, "view.practice_areas[1]"},
		{"maturity level 1", func(v *modelv1.View) { v.MaturityLevels[0].MaturityLevel = 1 }, "view.maturity_levels[0].maturity_level"},
		{"maturity level repeated", func(v *modelv1.View) { v.MaturityLevels[1].MaturityLevel = 2 }, "view.maturity_levels[1].maturity_level"},
		{"requirement level too high", func(v *modelv1.View) { v.MaturityLevels[0].Requirements[1].Level = 4 }, "view.maturity_levels[0].requirements[1].level"},
		{"requirement level 0", func(v *modelv1.View) { v.MaturityLevels[1].Requirements[2].Level = 0 }, "view.maturity_levels[1].requirements[2].level"},
		{"requirement outside view", func(v *modelv1.View) { v.PracticeAreas = []string{"RSK", "PQA"} }, "view.maturity_levels[1].requirements[2].practice_area"},
		{"requirement unknown", func(v *modelv1.View) { v.MaturityLevels[1].Requirements[2].PracticeArea = "NOPE" }, "view.maturity_levels[1].requirements[2].practice_area"},
	}
	for _, tt := range rejected {
		v := valid()
		tt.mutate(v)
		vs := ValidateView(testBundle(), v)
		if !slices.Contains(fields(vs), tt.path) {
			t.Errorf("%s: want a violation at %s; got:%s", tt.name, tt.path, describe(vs))
		}
	}
	if vs := ValidateView(testBundle(), nil); len(vs) != 1 || vs[0].Field != "view" {
		t.Errorf("nil view:%s", describe(vs))
	}
}

func TestCanonicalView(t *testing.T) {
	v := &modelv1.View{
		DisplayName:   "Mine",
		PracticeAreas: []string{"pqa", "RISK", "XYZ"},
		MaturityLevels: []*modelv1.MaturityLevelRequirement{
			{MaturityLevel: 3, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "risk", Level: 3}, {PracticeArea: "PQA", Level: 2}}},
			{MaturityLevel: 2, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "RSK", Level: 2}}},
		},
	}
	c := CanonicalView(testBundle(), v)
	if got, want := c.GetPracticeAreas(), []string{"PQA", "RSK", "XYZ"}; !slices.Equal(got, want) {
		t.Errorf("practice areas %q, want %q", got, want)
	}
	if ml := c.GetMaturityLevels(); ml[0].GetMaturityLevel() != 2 || ml[1].GetRequirements()[0].GetPracticeArea() != "PQA" ||
		ml[1].GetRequirements()[1].GetPracticeArea() != "RSK" {
		t.Errorf("maturity levels not canonical: %v", ml)
	}
	if v.GetPracticeAreas()[1] != "RISK" {
		t.Error("CanonicalView changed its input")
	}
	if CanonicalView(testBundle(), nil) != nil {
		t.Error("nil view should give nil")
	}
}

func TestResolveAreaIDs(t *testing.T) {
	b := testBundle()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"RSK", "RSK", true}, {"RISK", "RSK", true}, {"risk", "RSK", true}, {" pqa ", "PQA", true}, {"XYZ", "", false}, {"", "", false},
	}
	for _, tt := range tests {
		if got, ok := ResolvePracticeAreaID(b, tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ResolvePracticeAreaID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if got, ok := ResolveCapabilityAreaID(b, "mir"); got != "MBR" || !ok {
		t.Errorf("ResolveCapabilityAreaID(mir) = %q, %v", got, ok)
	}
	if _, ok := ResolveCapabilityAreaID(b, "RISK"); ok {
		t.Error("a practice area alias resolved as a capability area")
	}
}
