package server_test

import (
	"context"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	aserver "github.com/aim-platform/aim/services/appraisal/internal/server"
)

// The model version and view the fake catalog serves.
const (
	fakeVersion = "models/m/versions/v"
	fakeView    = fakeVersion + "/views/aim"
)

// fakeArea is a practice area of the fake scope and its domain id.
type fakeArea struct {
	acronym, domain string
}

var fakeAreas = []fakeArea{{"CM", "core"}, {"DAT", "data"}, {"RSK", "core"}}

// fakePractice is a practice of the fake scope.
type fakePractice struct {
	id    string
	level int32
	// ai marks a practice with AI context; scenarios are the usage scenarios
	// its addition names (none: all scenarios).
	ai        bool
	scenarios []modelv1.AiUsageScenario
}

const (
	scSupport    = modelv1.AiUsageScenario_AI_USAGE_SCENARIO_SUPPORT_AUGMENTATION
	scVerified   = modelv1.AiUsageScenario_AI_USAGE_SCENARIO_VERIFIED_AUGMENTATION
	scAutonomous = modelv1.AiUsageScenario_AI_USAGE_SCENARIO_FULLY_AUTONOMOUS
)

// fakePractices: three areas with practices at levels 1 to 3, some with AI
// context.
var fakePractices = []fakePractice{
	{id: "RSK-1.1", level: 1},
	{id: "RSK-2.1", level: 2, ai: true, scenarios: []modelv1.AiUsageScenario{scSupport}},
	{id: "RSK-2.2", level: 2},
	{id: "RSK-3.1", level: 3, ai: true, scenarios: []modelv1.AiUsageScenario{scVerified, scAutonomous}},
	{id: "CM-1.1", level: 1},
	{id: "CM-2.1", level: 2, ai: true},
	{id: "CM-2.2", level: 2},
	{id: "CM-3.1", level: 3},
	{id: "DAT-1.1", level: 1, ai: true, scenarios: []modelv1.AiUsageScenario{scSupport, scVerified}},
	{id: "DAT-2.1", level: 2},
	{id: "DAT-2.2", level: 2, ai: true, scenarios: []modelv1.AiUsageScenario{scAutonomous}},
	{id: "DAT-3.1", level: 3},
}

func areaOf(practiceID string) string { return practiceID[:strings.IndexByte(practiceID, '-')] }

// practicesUpTo returns the ids of the fake practices a maturity level
// scopes (0: all), in fakePractices order.
func practicesUpTo(level int32) []string {
	var out []string
	for _, p := range fakePractices {
		if level == 0 || p.level <= level {
			out = append(out, p.id)
		}
	}
	return out
}

// fakeScope builds the whole scope of the fake view.
func fakeScope() *aserver.Scope {
	s := &aserver.Scope{View: &modelv1.View{
		Name: fakeView, DisplayName: "AIM View", PracticeAreas: []string{"CM", "DAT", "RSK"},
		BuiltIn: true,
		MaturityLevels: []*modelv1.MaturityLevelRequirement{
			{MaturityLevel: 2, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "CM", Level: 2}, {PracticeArea: "DAT", Level: 2}, {PracticeArea: "RSK", Level: 2}}},
			{MaturityLevel: 3, Requirements: []*modelv1.PracticeAreaLevel{{PracticeArea: "CM", Level: 3}, {PracticeArea: "DAT", Level: 3}, {PracticeArea: "RSK", Level: 3}}},
		},
	}}
	for _, a := range fakeAreas {
		s.Areas = append(s.Areas, &modelv1.PracticeArea{
			Name: fakeVersion + "/practiceAreas/" + a.acronym, Acronym: a.acronym, DisplayName: a.acronym + " area",
			Domain: fakeVersion + "/domains/" + a.domain, MaxLevel: 3, PracticeCount: 4,
		})
	}
	for _, p := range fakePractices {
		area := fakeVersion + "/practiceAreas/" + areaOf(p.id)
		mp := &modelv1.Practice{
			Name: area + "/practices/" + p.id, Label: strings.Replace(p.id, "-", " ", 1),
			PracticeArea: area, Level: p.level, Statement: "Do " + p.id + ".",
		}
		if p.ai {
			mp.AiContext = []*modelv1.AiContextAddition{{Id: p.id + "-AI-1", Text: "With AI, " + p.id + ".", UsageScenarios: p.scenarios}}
		}
		s.Practices = append(s.Practices, mp)
	}
	return s
}

// fakeCatalog serves fakeScope for fakeView, up to the maturity level asked
// for, or fails with the error set by fail.
type fakeCatalog struct {
	mu    sync.Mutex
	err   error
	calls int
}

var _ aserver.Catalog = (*fakeCatalog)(nil)

func (c *fakeCatalog) Scope(_ context.Context, view string, maturityLevel int32) (*aserver.Scope, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.err != nil {
		return nil, c.err
	}
	if view != fakeView {
		return nil, status.Errorf(codes.FailedPrecondition, "view %s not found", view)
	}
	full := fakeScope()
	out := &aserver.Scope{View: full.View, Areas: full.Areas}
	for _, p := range full.Practices {
		if maturityLevel == 0 || p.GetLevel() <= maturityLevel {
			out.Practices = append(out.Practices, proto.CloneOf(p))
		}
	}
	return out, nil
}

// fail makes every later call fail with err (nil: succeed again).
func (c *fakeCatalog) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

// unavailable is the error of a model catalog that is down.
func unavailable() error {
	return status.Error(codes.Unavailable, "connection refused")
}
