package rating

import (
	"slices"
	"testing"
)

func TestPracticeGroups(t *testing.T) {
	tests := []struct {
		name      string
		practices []string
		vals      map[string][]Characterization // per practice: i1, i2
		decisions map[string]string
		level     int
		group     Rating
		groupRule string
		rating    Rating
		rule      string
		open      []string // open decision keys
	}{
		{"PAR-0 no practice at level 2", []string{"RSK-1.1", "RSK-3.1"},
			map[string][]Characterization{"RSK-1.1": {fm, fm}, "RSK-3.1": {fm, fm}}, nil,
			2, RatingNotApplicable, RuleGroupEmpty, Satisfied, RuleLevelSatisfied, nil},
		{"PAR-1 a practice not rated", []string{"RSK-1.1", "RSK-1.2"},
			map[string][]Characterization{"RSK-1.1": {fm, xx}, "RSK-1.2": {pm, pm}}, nil,
			1, NotRated, RuleGroupNotRated, NotRated, RuleLevelNotRated, nil},
		{"PAR-2 a practice not yet", []string{"RSK-1.1", "RSK-1.2"},
			map[string][]Characterization{"RSK-1.1": {ny, ny}, "RSK-1.2": {fm, fm}}, nil,
			1, NotRated, RuleGroupNotYet, NotRated, RuleLevelNotRated, nil},
		{"PAR-3 all NA", []string{"RSK-1.1", "RSK-1.2"},
			map[string][]Characterization{"RSK-1.1": {na, na}, "RSK-1.2": {na, na}}, nil,
			1, RatingNotApplicable, RuleGroupNA, RatingNotApplicable, RuleLevelNA, nil},
		{"PAR-4 a PM", []string{"RSK-1.1", "RSK-1.2"},
			map[string][]Characterization{"RSK-1.1": {fm, fm}, "RSK-1.2": {pm, pm}}, nil,
			1, NotSatisfied, RuleGroupWeak, NotSatisfied, RuleLevelNotSatisfy, nil},
		{"PAR-4 a DM outweighs an open org judgement", []string{"RSK-1.1", "RSK-1.2"},
			map[string][]Characterization{"RSK-1.1": {fm, pm}, "RSK-1.2": {dm, dm}}, nil,
			1, NotSatisfied, RuleGroupWeak, NotSatisfied, RuleLevelNotSatisfy, []string{"org:RSK-1.1"}},
		{"PAR-4 team decided PM at org level", []string{"RSK-1.1"},
			map[string][]Characterization{"RSK-1.1": {fm, pm}}, map[string]string{"org:RSK-1.1": ValuePM},
			1, NotSatisfied, RuleGroupWeak, NotSatisfied, RuleLevelNotSatisfy, nil},
		{"PAR-5 an org judgement is open", []string{"RSK-1.1", "RSK-1.2"},
			map[string][]Characterization{"RSK-1.1": {fm, pm}, "RSK-1.2": {lm, lm}}, nil,
			1, Pending, RuleGroupPending, Pending, RuleLevelPending, []string{"org:RSK-1.1"}},
		{"PAR-6 all FM", []string{"RSK-1.1", "RSK-1.2"},
			map[string][]Characterization{"RSK-1.1": {fm, fm}, "RSK-1.2": {fm, na}}, nil,
			1, Satisfied, RuleGroupAllFM, Satisfied, RuleLevelSatisfied, nil},
		{"PAR-6 FM beside an NA practice", []string{"RSK-1.1", "RSK-1.2"},
			map[string][]Characterization{"RSK-1.1": {fm, fm}, "RSK-1.2": {na, na}}, nil,
			1, Satisfied, RuleGroupAllFM, Satisfied, RuleLevelSatisfied, nil},
		{"PAR-7 an LM waits for the team", []string{"RSK-1.1", "RSK-1.2"},
			map[string][]Characterization{"RSK-1.1": {fm, fm}, "RSK-1.2": {fm, lm}}, nil,
			1, Pending, RuleGroupJudgement, Pending, RuleLevelPending, []string{"par:RSK:1"}},
		{"PAR-7 team decided satisfied", []string{"RSK-1.1", "RSK-1.2"},
			map[string][]Characterization{"RSK-1.1": {fm, fm}, "RSK-1.2": {lm, lm}}, map[string]string{"par:RSK:1": ValueSatisfied},
			1, Satisfied, RuleGroupJudgement, Satisfied, RuleLevelSatisfied, nil},
		{"PAR-7 team decided not-satisfied", []string{"RSK-1.1"},
			map[string][]Characterization{"RSK-1.1": {lm, lm}}, map[string]string{"par:RSK:1": ValueNotSatisfied},
			1, NotSatisfied, RuleGroupJudgement, NotSatisfied, RuleLevelNotSatisfy, nil},
		{"PAR-7 an org decision of LM leads to the group judgement", []string{"RSK-1.1"},
			map[string][]Characterization{"RSK-1.1": {fm, pm}}, map[string]string{"org:RSK-1.1": ValueLM},
			1, Pending, RuleGroupJudgement, Pending, RuleLevelPending, []string{"par:RSK:1"}},
		{"PAR-8 not rated below makes the level not rated", []string{"RSK-1.1", "RSK-2.1"},
			map[string][]Characterization{"RSK-1.1": {ny, ny}, "RSK-2.1": {fm, fm}}, nil,
			2, Satisfied, RuleGroupAllFM, NotRated, RuleLevelNotRated, nil},
		{"PAR-8 not rated wins over not satisfied", []string{"RSK-1.1", "RSK-2.1"},
			map[string][]Characterization{"RSK-1.1": {fm, xx}, "RSK-2.1": {dm, dm}}, nil,
			2, NotSatisfied, RuleGroupWeak, NotRated, RuleLevelNotRated, nil},
		{"PAR-9 not satisfied below makes the level not satisfied", []string{"RSK-1.1", "RSK-2.1"},
			map[string][]Characterization{"RSK-1.1": {pm, dm}, "RSK-2.1": {fm, fm}}, nil,
			2, Satisfied, RuleGroupAllFM, NotSatisfied, RuleLevelNotSatisfy, nil},
		{"PAR-9 not satisfied wins over pending", []string{"RSK-1.1", "RSK-2.1"},
			map[string][]Characterization{"RSK-1.1": {pm, pm}, "RSK-2.1": {lm, fm}}, nil,
			2, Pending, RuleGroupJudgement, NotSatisfied, RuleLevelNotSatisfy, []string{"par:RSK:2"}},
		{"PAR-10 pending at a level makes it pending", []string{"RSK-1.1", "RSK-2.1"},
			map[string][]Characterization{"RSK-1.1": {fm, fm}, "RSK-2.1": {lm, fm}}, nil,
			2, Pending, RuleGroupJudgement, Pending, RuleLevelPending, []string{"par:RSK:2"}},
		{"PAR-11 every group NA", []string{"RSK-1.1", "RSK-2.1"},
			map[string][]Characterization{"RSK-1.1": {na, na}, "RSK-2.1": {na, na}}, nil,
			2, RatingNotApplicable, RuleGroupNA, RatingNotApplicable, RuleLevelNA, nil},
		{"PAR-12 NA below a satisfied group", []string{"RSK-1.1", "RSK-2.1"},
			map[string][]Characterization{"RSK-1.1": {na, na}, "RSK-2.1": {fm, fm}}, nil,
			2, Satisfied, RuleGroupAllFM, Satisfied, RuleLevelSatisfied, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []Practice
			for _, id := range tt.practices {
				ps = append(ps, prac(id))
			}
			r := mustRate(t, input(ps, 2, tt.vals, tt.decisions))
			lr := level(t, r, "RSK", tt.level)
			if lr.Group != tt.group || lr.GroupRule != tt.groupRule || lr.Rating != tt.rating || lr.Rule != tt.rule {
				t.Fatalf("level %d = %+v; want group %v (%s), rating %v (%s)", tt.level, lr, tt.group, tt.groupRule, tt.rating, tt.rule)
			}
			var open []string
			for _, d := range r.OpenDecisions {
				open = append(open, d.Key)
			}
			if !slices.Equal(open, tt.open) {
				t.Fatalf("open decisions = %v; want %v", open, tt.open)
			}
			if k, ok := tt.decisions["par:RSK:1"]; ok && tt.level == 1 && (lr.Decision != "par:RSK:1" || k == "") {
				t.Fatalf("group decision not named: %+v", lr)
			}
		})
	}
}

func TestGroupDecisionQuestionNamesTheLMPractices(t *testing.T) {
	t.Run("PAR-7 the question names the LM practices", func(t *testing.T) {
		r := mustRate(t, input([]Practice{prac("RSK-1.2"), prac("RSK-1.1"), prac("RSK-1.3")}, 1,
			map[string][]Characterization{"RSK-1.1": {lm}, "RSK-1.2": {fm}, "RSK-1.3": {lm}}, nil))
		if len(r.OpenDecisions) != 1 {
			t.Fatalf("open = %+v", r.OpenDecisions)
		}
		d := r.OpenDecisions[0]
		if d.Rule != RuleGroupJudgement || !slices.Equal(d.Allowed, []string{ValueSatisfied, ValueNotSatisfied}) {
			t.Fatalf("open = %+v", d)
		}
		const want = "Every practice of RSK at level 1 is Fully or Largely Meets (Largely: RSK-1.1, RSK-1.3). " +
			"Are the weaknesses without significant negative impact (satisfied), or not (not-satisfied)?"
		if d.Question != want {
			t.Fatalf("question = %q", d.Question)
		}
	})
}

func TestCapabilityLevel(t *testing.T) {
	tests := []struct {
		name string
		vals map[string][]Characterization // area RSK, one instance
		want CapabilityLevel
	}{
		{"CL-1 satisfied to level 2, not at 3",
			map[string][]Characterization{"RSK-1.1": {fm}, "RSK-2.1": {fm}, "RSK-3.1": {pm}},
			CapabilityLevel{Level: 2, Rule: RuleCapability}},
		{"CL-1 satisfied to level 3",
			map[string][]Characterization{"RSK-1.1": {fm}, "RSK-2.1": {fm}, "RSK-3.1": {fm}},
			CapabilityLevel{Level: 3, Rule: RuleCapability}},
		{"CL-1 level 4 not satisfied leaves CL3",
			map[string][]Characterization{"RSK-1.1": {fm}, "RSK-2.1": {fm}, "RSK-3.1": {fm}, "RSK-4.1": {dm}},
			CapabilityLevel{Level: 3, Rule: RuleCapability}},
		{"CL-1 NA at level 1 and satisfied at 2",
			map[string][]Characterization{"RSK-1.1": {na}, "RSK-2.1": {fm}},
			CapabilityLevel{Level: 2, Rule: RuleCapability}},
		{"CL-1 satisfied at 1 while level 2 is pending",
			map[string][]Characterization{"RSK-1.1": {fm}, "RSK-2.1": {lm}},
			CapabilityLevel{Level: 1, Rule: RuleCapability}},
		{"CL-2 not satisfied at level 1",
			map[string][]Characterization{"RSK-1.1": {pm}, "RSK-2.1": {fm}},
			CapabilityLevel{Level: 0, Rule: RuleCapabilityCL0}},
		{"CL-2 not rated at level 1",
			map[string][]Characterization{"RSK-1.1": {ny}, "RSK-2.1": {fm}},
			CapabilityLevel{Level: 0, Rule: RuleCapabilityCL0}},
		{"CL-3 satisfied at levels 4 and 5 is still CL3",
			map[string][]Characterization{"RSK-1.1": {fm}, "RSK-2.1": {fm}, "RSK-3.1": {fm}, "RSK-4.1": {fm}, "RSK-5.1": {fm}},
			CapabilityLevel{Level: 3, Rule: RuleCapabilityCap}},
		{"CL-4 NA at every level up to 3",
			map[string][]Characterization{"RSK-1.1": {na}, "RSK-2.1": {na}, "RSK-3.1": {na}, "RSK-4.1": {fm}},
			CapabilityLevel{NotApplicable: true, Rule: RuleCapabilityNA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []Practice
			for id := range tt.vals {
				ps = append(ps, prac(id))
			}
			r := mustRate(t, input(ps, 1, tt.vals, nil))
			a, _ := r.Area("RSK")
			if a.Capability != tt.want {
				t.Fatalf("capability = %+v; want %+v (levels %+v)", a.Capability, tt.want, a.Levels)
			}
		})
	}
}
