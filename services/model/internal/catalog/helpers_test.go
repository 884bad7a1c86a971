package catalog

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
)

// Shorter names for the enum values the tests use.
const (
	support  = modelv1.AiUsageScenario_AI_USAGE_SCENARIO_SUPPORT_AUGMENTATION
	verified = modelv1.AiUsageScenario_AI_USAGE_SCENARIO_VERIFIED_AUGMENTATION
	autonom  = modelv1.AiUsageScenario_AI_USAGE_SCENARIO_FULLY_AUTONOMOUS
	building = modelv1.AiApplicability_AI_APPLICABILITY_BUILDING
	acquire  = modelv1.AiApplicability_AI_APPLICABILITY_ACQUIRING
)

// testBundle returns a small valid bundle: two categories, two capability
// areas, the core and data domains, three practice areas (RSK, PQA, DQ),
// nine practices, six of them with AI context, and one view with maturity
// levels 2 and 3. Each call returns a fresh bundle that a test may change.
func testBundle() *modelv1.ModelBundle {
	ai := func(id, text string, s []modelv1.AiUsageScenario, a ...modelv1.AiApplicability) *modelv1.AiContextAddition {
		return &modelv1.AiContextAddition{Id: id, Text: text, UsageScenarios: s, Applicability: a}
	}
	practice := func(id, area string, level int32, statement string, adds ...*modelv1.AiContextAddition) *modelv1.BundlePractice {
		return &modelv1.BundlePractice{Id: id, PracticeArea: area, Level: level, Statement: statement, AiContext: adds}
	}
	return &modelv1.ModelBundle{
		Model:       "cmmi-aim",
		Version:     "3.0-test",
		DisplayName: "Test model",
		Description: "A small model for the tests.\n\tIt spans lines.",
		Sample:      true,
		Categories: []*modelv1.BundleCategory{
			{Id: "doing", DisplayName: "Doing"},
			{Id: "managing", DisplayName: "Managing", Description: "Managing the work."},
		},
		CapabilityAreas: []*modelv1.BundleCapabilityArea{
			{Id: "EQ", DisplayName: "Ensuring Quality", Category: "doing"},
			{Id: "MBR", DisplayName: "Managing Business Resilience", Category: "managing", Aliases: []string{"MIR"}},
		},
		Domains: []*modelv1.BundleDomain{
			{Id: "core", DisplayName: "Core", Core: true},
			{Id: "data", DisplayName: "Data"},
		},
		PracticeAreas: []*modelv1.BundlePracticeArea{
			{Id: "RSK", DisplayName: "Risk and Opportunity Management", CapabilityArea: "MBR", Domain: "core",
				Description: "Finding and handling risks.", Aliases: []string{"RISK"}},
			{Id: "PQA", DisplayName: "Process Quality Assurance", CapabilityArea: "EQ", Domain: "core"},
			{Id: "DQ", DisplayName: "Data Quality", CapabilityArea: "EQ", Domain: "data"},
		},
		Practices: []*modelv1.BundlePractice{
			practice("RSK-1.1", "RSK", 1, "Note risks.",
				ai("RSK-1.1-AI-1", "Note the risks of AI use.", []modelv1.AiUsageScenario{support, verified}, building, acquire)),
			practice("RSK-2.1", "RSK", 2, "Analyze risks."),
			practice("RSK-2.2", "RSK", 2, "Track risks.",
				ai("RSK-2.2-AI-1", "Track model drift.", []modelv1.AiUsageScenario{autonom}, building),
				ai("RSK-2.2-AI-2", "Track supplier model changes.", nil, acquire)),
			practice("RSK-3.1", "RSK", 3, "Plan risk handling."),
			practice("PQA-1.1", "PQA", 1, "Check processes.",
				ai("PQA-1.1-AI-1", "Check AI-assisted reviews.", []modelv1.AiUsageScenario{support})),
			practice("PQA-2.1", "PQA", 2, "Report findings."),
			practice("PQA-3.1", "PQA", 3, "Use the results.",
				ai("PQA-3.1-AI-1", "Use model audit trails.", nil)),
			practice("DQ-1.1", "DQ", 1, "Know the data.",
				ai("DQ-1.1-AI-1", "Know the training data.", []modelv1.AiUsageScenario{verified, autonom}, building)),
			practice("DQ-2.1", "DQ", 2, "Measure data quality.",
				ai("DQ-2.1-AI-1", "Measure label quality.", nil, building)),
		},
		Views: []*modelv1.BundleView{{
			Id:            "aim",
			DisplayName:   "AIM View",
			PracticeAreas: []string{"RSK", "PQA", "DQ"},
			MaturityLevels: []*modelv1.MaturityLevelRequirement{
				{MaturityLevel: 2, Requirements: []*modelv1.PracticeAreaLevel{
					{PracticeArea: "RSK", Level: 2}, {PracticeArea: "PQA", Level: 2},
				}},
				{MaturityLevel: 3, Requirements: []*modelv1.PracticeAreaLevel{
					{PracticeArea: "RSK", Level: 3}, {PracticeArea: "PQA", Level: 3}, {PracticeArea: "DQ", Level: 2},
				}},
			},
		}},
	}
}

// cmmiAreas are the 31 CMMI practice areas with a capability area, a
// domain and a highest level each, for a bundle the size of the model.
var cmmiAreas = []struct {
	id, capArea, domain string
	levels              int
}{
	{"RDM", "EQ", "core", 3}, {"PQA", "EQ", "core", 3}, {"VV", "EQ", "core", 3}, {"PR", "EQ", "core", 3},
	{"TS", "EDP", "development", 3}, {"PI", "EDP", "development", 3},
	{"SDM", "DMS", "services", 3}, {"STSM", "DMS", "services", 3},
	{"SAM", "SMS", "suppliers", 3},
	{"EST", "PMW", "core", 3}, {"PLAN", "PMW", "core", 4}, {"MC", "PMW", "core", 3},
	{"RSK", "MBR", "core", 3}, {"IRP", "MBR", "services", 3}, {"CONT", "MBR", "services", 3},
	{"OT", "MWF", "core", 3}, {"WE", "MWF", "people", 3}, {"EVW", "MWF", "virtual", 3},
	{"CAR", "SI", "core", 5}, {"DAR", "SI", "core", 3}, {"CM", "SI", "core", 2},
	{"ESAF", "MSS", "safety", 3}, {"ESEC", "MSS", "security", 3}, {"MST", "MSS", "security", 4},
	{"DM", "MD", "data", 3}, {"DQ", "MD", "data", 3},
	{"GOV", "SHP", "core", 4}, {"II", "SHP", "core", 3},
	{"PCM", "IP", "core", 5}, {"PAD", "IP", "core", 3}, {"MPM", "IP", "core", 5},
}

// fullBundle returns a valid bundle with the 31 CMMI practice areas, two
// practices per level, and an AI addition on every level-2 practice.
func fullBundle() *modelv1.ModelBundle {
	b := &modelv1.ModelBundle{Model: "cmmi-aim", Version: "3.0-full", DisplayName: "Full test model"}
	for _, c := range []string{"doing", "managing", "enabling", "improving"} {
		b.Categories = append(b.Categories, &modelv1.BundleCategory{Id: c, DisplayName: strings.ToUpper(c[:1]) + c[1:]})
	}
	capCategory := map[string]string{"EQ": "doing", "EDP": "doing", "DMS": "doing", "SMS": "doing",
		"PMW": "managing", "MBR": "managing", "MWF": "managing", "SI": "enabling", "MSS": "enabling",
		"MD": "enabling", "SHP": "improving", "IP": "improving"}
	for _, ca := range slices.Sorted(maps.Keys(capCategory)) {
		b.CapabilityAreas = append(b.CapabilityAreas, &modelv1.BundleCapabilityArea{Id: ca, DisplayName: ca, Category: capCategory[ca]})
	}
	for _, d := range []string{"core", "development", "services", "suppliers", "people", "data", "security", "safety", "virtual"} {
		b.Domains = append(b.Domains, &modelv1.BundleDomain{Id: d, DisplayName: d, Core: d == "core"})
	}
	view := &modelv1.BundleView{Id: "all", DisplayName: "All"}
	ml3 := &modelv1.MaturityLevelRequirement{MaturityLevel: 3}
	for _, a := range cmmiAreas {
		b.PracticeAreas = append(b.PracticeAreas, &modelv1.BundlePracticeArea{
			Id: a.id, DisplayName: a.id + " area", CapabilityArea: a.capArea, Domain: a.domain, Description: "About " + a.id + ".",
		})
		view.PracticeAreas = append(view.PracticeAreas, a.id)
		ml3.Requirements = append(ml3.Requirements, &modelv1.PracticeAreaLevel{PracticeArea: a.id, Level: int32(min(a.levels, 3))})
		for level := 1; level <= a.levels; level++ {
			for n := 1; n <= 2; n++ {
				id := PracticeID{Area: a.id, Level: level, Number: n}
				p := &modelv1.BundlePractice{Id: id.String(), PracticeArea: a.id, Level: int32(level),
					Statement: "Do " + id.Label() + ".", Explanation: "Why " + id.Label() + " matters."}
				if level == 2 {
					p.AiContext = []*modelv1.AiContextAddition{{Id: id.String() + "-AI-1", Text: "AI for " + id.Label(),
						UsageScenarios: []modelv1.AiUsageScenario{support}, Applicability: []modelv1.AiApplicability{acquire}}}
				}
				b.Practices = append(b.Practices, p)
			}
		}
	}
	view.MaturityLevels = []*modelv1.MaturityLevelRequirement{ml3}
	b.Views = []*modelv1.BundleView{view}
	return b
}

// viewOf returns the View form of a bundle view, as a tenant would send it.
func viewOf(bv *modelv1.BundleView) *modelv1.View {
	v := &modelv1.View{DisplayName: bv.GetDisplayName(), Description: bv.GetDescription(),
		PracticeAreas: slices.Clone(bv.GetPracticeAreas())}
	for _, ml := range bv.GetMaturityLevels() {
		c := &modelv1.MaturityLevelRequirement{MaturityLevel: ml.GetMaturityLevel()}
		for _, r := range ml.GetRequirements() {
			c.Requirements = append(c.Requirements, &modelv1.PracticeAreaLevel{PracticeArea: r.GetPracticeArea(), Level: r.GetLevel()})
		}
		v.MaturityLevels = append(v.MaturityLevels, c)
	}
	return v
}

// fields returns the paths of violations.
func fields(vs []errs.FieldViolation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Field
	}
	return out
}

// describe renders violations one per line for failure messages.
func describe(vs []errs.FieldViolation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "\n  %s: %s", v.Field, v.Description)
	}
	return b.String()
}

// mustBeValid fails the test when b has violations.
func mustBeValid(t *testing.T, b *modelv1.ModelBundle) {
	t.Helper()
	if vs := ValidateBundle(b); len(vs) > 0 {
		t.Fatalf("bundle has %d violations:%s", len(vs), describe(vs))
	}
}
