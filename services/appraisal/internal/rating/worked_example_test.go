package rating

import (
	"slices"
	"testing"
)

// workedExample is the worked example of docs/rating-rules.md: two
// instances, three practice areas, a view with maturity levels 2 and 3.
func workedExample() Input {
	return Input{
		Scope: Scope{
			Practices: []Practice{
				prac("EST-1.1"), prac("EST-2.1"), aiPrac("EST-2.2", "Core", SupportAugmentation),
				prac("CM-1.1"), aiPrac("CM-2.1", "Core", SupportAugmentation, VerifiedAugmentation),
				prac("TS-1.1"), prac("TS-2.1"), aiPrac("TS-3.1", "Development", VerifiedAugmentation, FullyAutonomous),
			},
			Instances: []Instance{{ID: "i1", Scenario: SupportAugmentation}, {ID: "i2", Scenario: FullyAutonomous}},
			ViewAreas: []string{"CM", "EST", "TS"},
			MaturityLevels: map[int][]AreaLevel{
				2: {{"EST", 2}, {"CM", 2}},
				3: {{"EST", 3}, {"CM", 3}, {"TS", 3}},
			},
			TargetMaturityLevel: 3,
		},
		Instance: byPractice(map[string][]Characterization{
			"EST-1.1": {fm, fm},
			"EST-2.1": {fm, lm},
			"EST-2.2": {lm, pm},
			"CM-1.1":  {fm, na},
			"CM-2.1":  {fm, fm},
			"TS-1.1":  {lm, lm},
			"TS-2.1":  {fm, ny},
			"TS-3.1":  {pm, dm},
		}),
	}
}

func openKeys(r Result) []string {
	var keys []string
	for _, d := range r.OpenDecisions {
		keys = append(keys, d.Key)
	}
	return keys
}

func TestWorkedExample(t *testing.T) {
	in := workedExample()

	// Round 1: no decision recorded yet.
	r := mustRate(t, in)
	if want := []string{"org:EST-2.2", "par:TS:1"}; !slices.Equal(openKeys(r), want) {
		t.Fatalf("round 1 open = %v; want %v", openKeys(r), want)
	}
	if r.Complete || r.MaturityLevel != 0 || r.MaturityRule != RuleMaturityIncomplete {
		t.Fatalf("round 1: complete %v, ML %d (%s)", r.Complete, r.MaturityLevel, r.MaturityRule)
	}

	// Round 2: the team records the first two decisions; a third is asked.
	in.Decisions = decide(map[string]string{"org:EST-2.2": ValueLM, "par:TS:1": ValueSatisfied})
	r = mustRate(t, in)
	if want := []string{"par:EST:2"}; !slices.Equal(openKeys(r), want) {
		t.Fatalf("round 2 open = %v; want %v", openKeys(r), want)
	}

	// Round 3: the last decision completes the appraisal.
	in.Decisions = decide(map[string]string{"org:EST-2.2": ValueLM, "par:TS:1": ValueSatisfied, "par:EST:2": ValueSatisfied})
	r = mustRate(t, in)
	if !r.Complete || len(r.OpenDecisions) != 0 || len(r.UnusedDecisions) != 0 {
		t.Fatalf("round 3: complete %v, open %v, unused %v", r.Complete, r.OpenDecisions, r.UnusedDecisions)
	}

	org := map[string]struct {
		v    Characterization
		rule string
	}{
		"EST-1.1": {fm, RuleAggFM}, "EST-2.1": {lm, RuleAggLM}, "EST-2.2": {lm, RuleAggJudgement},
		"CM-1.1": {fm, RuleAggFM}, "CM-2.1": {fm, RuleAggFM},
		"TS-1.1": {lm, RuleAggLM}, "TS-2.1": {fm, RuleAggFM}, "TS-3.1": {pm, RuleAggPM},
	}
	for id, want := range org {
		if o, _ := r.Practice(id); o.Value != want.v || o.Rule != want.rule {
			t.Errorf("%s = %v (%s); want %v (%s)", id, o.Value, o.Rule, want.v, want.rule)
		}
	}

	type lv struct {
		group     Rating
		groupRule string
		rating    Rating
	}
	areas := map[string][]lv{
		"CM":  {{Satisfied, RuleGroupAllFM, Satisfied}, {Satisfied, RuleGroupAllFM, Satisfied}},
		"EST": {{Satisfied, RuleGroupAllFM, Satisfied}, {Satisfied, RuleGroupJudgement, Satisfied}},
		"TS":  {{Satisfied, RuleGroupJudgement, Satisfied}, {Satisfied, RuleGroupAllFM, Satisfied}, {NotSatisfied, RuleGroupWeak, NotSatisfied}},
	}
	for area, levels := range areas {
		a, _ := r.Area(area)
		if len(a.Levels) != len(levels) || a.Capability.Level != 2 {
			t.Fatalf("%s = %+v", area, a)
		}
		for k, want := range levels {
			got := a.Levels[k]
			if got.Group != want.group || got.GroupRule != want.groupRule || got.Rating != want.rating {
				t.Errorf("%s level %d = %+v; want %+v", area, k+1, got, want)
			}
		}
	}

	if r.MaturityLevel != 2 || r.MaturityRule != RuleMaturityHighest ||
		r.MaturityLevels[0].Status != Achieved || r.MaturityLevels[1].Status != NotAchieved {
		t.Fatalf("maturity = %d (%s), %+v", r.MaturityLevel, r.MaturityRule, r.MaturityLevels)
	}
	if cm := r.MaturityLevels[1].Requirements[0]; cm.Area != "CM" || cm.Level != 3 || cm.RatedAt != 2 || !cm.Met {
		t.Fatalf("CM:3 requirement = %+v", cm)
	}

	b := r.Benchmark
	scores := map[string]int{
		"total": b.Total.Score, "Core": b.Domains[0].Score, "Development": b.Domains[1].Score,
		"SUPPORT_AUGMENTATION": b.Scenarios[0].Score, "VERIFIED_AUGMENTATION": b.Scenarios[1].Score, "FULLY_AUTONOMOUS": b.Scenarios[2].Score,
	}
	want := map[string]int{
		"total": 67, "Core": 83, "Development": 33,
		"SUPPORT_AUGMENTATION": 83, "VERIFIED_AUGMENTATION": 67, "FULLY_AUTONOMOUS": 33,
	}
	for k, w := range want {
		if scores[k] != w {
			t.Errorf("benchmark %s = %d; want %d", k, scores[k], w)
		}
	}
	if b.Total.Counts != (Counts{FM: 1, LM: 1, PM: 1}) || b.Domains[0].Domain != "Core" || b.Domains[1].Domain != "Development" {
		t.Fatalf("benchmark = %+v", b)
	}
}
