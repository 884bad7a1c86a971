package store

import (
	"fmt"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/services/model/internal/catalog"
)

// Content is a version's content as the catalog serves it: resources named
// under the version, with the counts and aliases derived from the bundle.
type Content struct {
	Categories      []*modelv1.Category
	CapabilityAreas []*modelv1.CapabilityArea
	Domains         []*modelv1.Domain
	PracticeAreas   []*modelv1.PracticeArea
	Practices       []*modelv1.Practice
	Views           []*modelv1.View
	// Aliases maps "pa:<alias>" and "ca:<alias>" to the canonical id.
	Aliases map[string]string
}

// VersionName returns models/{model}/versions/{version}.
func VersionName(model, version string) string {
	return "models/" + model + "/versions/" + version
}

// BuildContent turns a valid bundle into the resources of the version named
// versionName. The bundle must have passed catalog.ValidateBundle.
func BuildContent(versionName string, b *modelv1.ModelBundle) (*Content, error) {
	c := &Content{Aliases: map[string]string{}}
	for _, x := range b.GetCategories() {
		c.Categories = append(c.Categories, &modelv1.Category{
			Name: versionName + "/categories/" + x.GetId(), DisplayName: x.GetDisplayName(), Description: x.GetDescription(),
		})
	}
	caCategory := map[string]string{}
	for _, x := range b.GetCapabilityAreas() {
		caCategory[x.GetId()] = x.GetCategory()
		c.CapabilityAreas = append(c.CapabilityAreas, &modelv1.CapabilityArea{
			Name:        versionName + "/capabilityAreas/" + x.GetId(),
			DisplayName: x.GetDisplayName(), Description: x.GetDescription(),
			Category: versionName + "/categories/" + x.GetCategory(),
			Aliases:  x.GetAliases(),
		})
		for _, a := range x.GetAliases() {
			c.Aliases["ca:"+a] = x.GetId()
		}
	}
	for _, x := range b.GetDomains() {
		c.Domains = append(c.Domains, &modelv1.Domain{
			Name: versionName + "/domains/" + x.GetId(), DisplayName: x.GetDisplayName(), Description: x.GetDescription(), Core: x.GetCore(),
		})
	}
	type paStats struct{ maxLevel, practices, withAI int32 }
	stats := map[string]*paStats{}
	paAliases := map[string][]string{}
	for _, x := range b.GetPracticeAreas() {
		stats[x.GetId()] = &paStats{}
		paAliases[x.GetId()] = x.GetAliases()
		for _, a := range x.GetAliases() {
			c.Aliases["pa:"+a] = x.GetId()
		}
	}
	for _, x := range b.GetPractices() {
		id, err := catalog.ParsePracticeID(x.GetId())
		if err != nil {
			return nil, fmt.Errorf("practice %q: %w", x.GetId(), err)
		}
		s := stats[x.GetPracticeArea()]
		if s == nil {
			return nil, fmt.Errorf("practice %q: unknown practice area %q", x.GetId(), x.GetPracticeArea())
		}
		s.practices++
		s.maxLevel = max(s.maxLevel, x.GetLevel())
		if len(x.GetAiContext()) > 0 {
			s.withAI++
		}
		var aliases []string
		for _, a := range paAliases[x.GetPracticeArea()] {
			aliases = append(aliases, fmt.Sprintf("%s %d.%d", a, id.Level, id.Number))
		}
		c.Practices = append(c.Practices, &modelv1.Practice{
			Name:         PracticeName(versionName, id),
			Label:        id.Label(),
			PracticeArea: versionName + "/practiceAreas/" + x.GetPracticeArea(),
			Level:        x.GetLevel(),
			Statement:    x.GetStatement(),
			Explanation:  x.GetExplanation(),
			AiContext:    x.GetAiContext(),
			Aliases:      aliases,
		})
	}
	for _, x := range b.GetPracticeAreas() {
		s := stats[x.GetId()]
		c.PracticeAreas = append(c.PracticeAreas, &modelv1.PracticeArea{
			Name:                   versionName + "/practiceAreas/" + x.GetId(),
			Acronym:                x.GetId(),
			DisplayName:            x.GetDisplayName(),
			Description:            x.GetDescription(),
			Category:               versionName + "/categories/" + caCategory[x.GetCapabilityArea()],
			CapabilityArea:         versionName + "/capabilityAreas/" + x.GetCapabilityArea(),
			Domain:                 versionName + "/domains/" + x.GetDomain(),
			Aliases:                x.GetAliases(),
			MaxLevel:               s.maxLevel,
			PracticeCount:          s.practices,
			AiContextPracticeCount: s.withAI,
		})
	}
	for _, x := range b.GetViews() {
		v := &modelv1.View{
			Name:           versionName + "/views/" + x.GetId(),
			DisplayName:    x.GetDisplayName(),
			Description:    x.GetDescription(),
			PracticeAreas:  x.GetPracticeAreas(),
			MaturityLevels: x.GetMaturityLevels(),
			BuiltIn:        true,
		}
		c.Views = append(c.Views, v)
	}
	return c, nil
}

// PracticeName returns the resource name of a practice of a version.
func PracticeName(versionName string, id catalog.PracticeID) string {
	return versionName + "/practiceAreas/" + id.Area + "/practices/" + id.String()
}
