package rating

import "testing"

func TestNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{Unspecified.String(), ""},
		{FullyMeets.String(), "FM"}, {LargelyMeets.String(), "LM"}, {PartiallyMeets.String(), "PM"},
		{DoesNotMeet.String(), "DM"}, {NotYet.String(), "NY"}, {NotApplicable.String(), "NA"},
		{Characterization(9).String(), "characterization(9)"},
		{NoScenario.String(), ""}, {SupportAugmentation.String(), "SUPPORT_AUGMENTATION"},
		{VerifiedAugmentation.String(), "VERIFIED_AUGMENTATION"}, {FullyAutonomous.String(), "FULLY_AUTONOMOUS"},
		{Scenario(-1).String(), "scenario(-1)"},
		{RatingUnspecified.String(), ""}, {Satisfied.String(), "satisfied"}, {NotSatisfied.String(), "not-satisfied"},
		{NotRated.String(), "not-rated"}, {RatingNotApplicable.String(), "not-applicable"}, {Pending.String(), "pending"},
		{Rating(8).String(), "rating(8)"},
		{StatusUnspecified.String(), ""}, {Achieved.String(), "achieved"}, {NotAchieved.String(), "not-achieved"},
		{Undetermined.String(), "undetermined"}, {LevelStatus(5).String(), "status(5)"},
		{Benchmark.String(), "BENCHMARK"}, {Sustainment.String(), "SUSTAINMENT"}, {Evaluation.String(), "EVALUATION"},
		{ActionPlanReassessment.String(), "ACTION_PLAN_REASSESSMENT"}, {KindUnspecified.String(), "kind(0)"},
		{OrgDecisionKey("RSK-3.1"), "org:RSK-3.1"}, {GroupDecisionKey("RSK", 3), "par:RSK:3"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestLookups(t *testing.T) {
	r := mustRate(t, input([]Practice{prac("RSK-1.1")}, 1, map[string][]Characterization{"RSK-1.1": {fm}}, nil))
	if _, ok := r.Practice("RSK-9.9"); ok {
		t.Error("found an unknown practice")
	}
	if _, ok := r.Area("EST"); ok {
		t.Error("found an unknown area")
	}
	a, _ := r.Area("RSK")
	if _, ok := a.At(0); ok {
		t.Error("level 0 found")
	}
	if l, ok := a.At(3); !ok || l.Level != 1 {
		t.Errorf("At(3) = %+v, %v; want level 1", l, ok)
	}
	if _, ok := (AreaRating{}).At(1); ok {
		t.Error("empty area has a level")
	}
}
