package server

import (
	"strings"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/filter"
	"github.com/aim-platform/aim/platform/resource"
)

// versionFilter is a parsed List filter with what it needs to evaluate
// records of one version.
type versionFilter struct {
	f *filter.Filter
	// canonical is the filter's canonical text, bound into page tokens.
	canonical string
	content   *versionContent
}

// scenarioNames maps the short scenario names the filter accepts to enums.
var scenarioNames = map[string]modelv1.AiUsageScenario{
	"SUPPORT_AUGMENTATION":  modelv1.AiUsageScenario_AI_USAGE_SCENARIO_SUPPORT_AUGMENTATION,
	"VERIFIED_AUGMENTATION": modelv1.AiUsageScenario_AI_USAGE_SCENARIO_VERIFIED_AUGMENTATION,
	"FULLY_AUTONOMOUS":      modelv1.AiUsageScenario_AI_USAGE_SCENARIO_FULLY_AUTONOMOUS,
}

// scenarioName is the short name of a scenario, as the filter compares it.
func scenarioName(s modelv1.AiUsageScenario) string {
	return strings.TrimPrefix(s.String(), "AI_USAGE_SCENARIO_")
}

func applicabilityName(a modelv1.AiApplicability) string {
	return strings.TrimPrefix(a.String(), "AI_APPLICABILITY_")
}

// enumOf declares an Enum field over ids, with extra aliases.
func enumOf(ids []string, aliases map[string]string) filter.Field {
	return filter.Field{Kind: filter.Enum, Values: ids, Aliases: aliases}
}

// schema builds the filter schema of a version's practices (and, with
// practices false, of its practice areas) from its practice areas.
func schema(areas map[string]*modelv1.PracticeArea, practices bool) filter.Schema {
	var paIDs, domains, categories, cas []string
	paAliases := map[string]string{}
	seen := map[string]bool{}
	add := func(list *[]string, v string) {
		if !seen[v] {
			seen[v] = true
			*list = append(*list, v)
		}
	}
	for id, pa := range areas {
		paIDs = append(paIDs, id)
		for _, a := range pa.GetAliases() {
			paAliases[a] = id
		}
		add(&domains, resource.ID(pa.GetDomain()))
		add(&categories, resource.ID(pa.GetCategory()))
		add(&cas, resource.ID(pa.GetCapabilityArea()))
	}
	s := filter.Schema{
		"domain":          enumOf(domains, nil),
		"category":        enumOf(categories, nil),
		"capability_area": enumOf(cas, nil),
	}
	if !practices {
		return s
	}
	scenarios := map[string]string{}
	var scenarioIDs []string
	for short, e := range scenarioNames {
		scenarioIDs = append(scenarioIDs, short)
		scenarios[e.String()] = short
	}
	s["practice_area"] = enumOf(paIDs, paAliases)
	s["level"] = filter.Field{Kind: filter.Int}
	s["has_ai_context"] = filter.Field{Kind: filter.Bool}
	s["usage_scenario"] = enumOf(scenarioIDs, scenarios)
	s["applicability"] = enumOf([]string{"BUILDING", "ACQUIRING"}, map[string]string{
		"AI_APPLICABILITY_BUILDING": "BUILDING", "AI_APPLICABILITY_ACQUIRING": "ACQUIRING",
	})
	return s
}

// parseFilter parses a List or Search filter of a version's practices or,
// with practices false, of its practice areas.
func (vc *versionContent) parseFilter(expr string, practices bool) (*versionFilter, error) {
	sch := vc.areaSchema
	if practices {
		sch = vc.practiceSchema
	}
	f, err := filter.Parse(expr, sch)
	if err != nil {
		return nil, err
	}
	return &versionFilter{f: f, canonical: f.String(), content: vc}, nil
}

func (vc *versionContent) practiceAreaFilter(expr string) (*versionFilter, error) {
	return vc.parseFilter(expr, false)
}

func (vc *versionContent) practiceFilter(expr string) (*versionFilter, error) {
	return vc.parseFilter(expr, true)
}

// areaRecord is a practice area's filterable fields.
func areaRecord(pa *modelv1.PracticeArea) filter.Values {
	return filter.Values{
		"domain":          []string{resource.ID(pa.GetDomain())},
		"category":        []string{resource.ID(pa.GetCategory())},
		"capability_area": []string{resource.ID(pa.GetCapabilityArea())},
	}
}

func (f *versionFilter) matchArea(pa *modelv1.PracticeArea) bool {
	return f.f.Match(areaRecord(pa))
}

// empty reports whether the filter has no terms: it matches everything.
func (f *versionFilter) empty() bool { return f.canonical == "" }

// matchPractice evaluates the filter on the i-th practice of the version
// (in key order) and its practice area.
func (f *versionFilter) matchPractice(i int) bool {
	return f.f.Match(&f.content.records[i])
}

// area returns the practice area a filter pins with practice_area = "X",
// or "".
func (f *versionFilter) area() string {
	return f.f.Equalities()["practice_area"]
}
