package rating

import (
	"testing"
)

// mlScope is a small view: ML2 needs EST and CM to level 2, ML3 needs EST,
// CM and TS to level 3. CM has no level-3 practice.
func mlScope(target int) Scope {
	var ps []Practice
	for _, id := range []string{"EST-1.1", "EST-2.1", "EST-3.1", "CM-1.1", "CM-2.1", "TS-1.1", "TS-2.1", "TS-3.1"} {
		ps = append(ps, prac(id))
	}
	return Scope{
		Practices: ps, Instances: instances(1),
		ViewAreas: []string{"CM", "EST", "TS"},
		MaturityLevels: map[int][]AreaLevel{
			2: {{"EST", 2}, {"CM", 2}},
			3: {{"EST", 3}, {"CM", 3}, {"TS", 3}},
		},
		TargetMaturityLevel: target,
	}
}

// allOf characterizes every practice of a scope with c for instance i1,
// then applies the overrides.
func allOf(s Scope, c Characterization, overrides map[string]Characterization) map[string]map[string]Characterization {
	row := map[string]Characterization{}
	for _, p := range s.Practices {
		row[p.ID] = c
	}
	for k, v := range overrides {
		row[k] = v
	}
	return map[string]map[string]Characterization{"i1": row}
}

func TestMaturityLevel(t *testing.T) {
	tests := []struct {
		name      string
		scope     func() Scope
		overrides map[string]Characterization
		decisions map[string]string
		want      int
		rule      string
		statuses  []LevelStatus // per defined level up to the target
		statRules []string
	}{
		{"ML-1 no target is a capability profile only", func() Scope { return mlScope(0) }, nil, nil,
			0, RuleMaturityNone, nil, nil},
		{"ML-2 requirements met when satisfied", func() Scope { return mlScope(3) }, nil, nil,
			3, RuleMaturityHighest, []LevelStatus{Achieved, Achieved}, []string{RuleMaturityLevel, RuleMaturityLevel}},
		{"ML-2 an NA area meets its requirement", func() Scope { return mlScope(3) },
			map[string]Characterization{"TS-1.1": na, "TS-2.1": na, "TS-3.1": na}, nil,
			3, RuleMaturityHighest, []LevelStatus{Achieved, Achieved}, nil},
		{"ML-3 a required area without practices in scope", func() Scope {
			s := mlScope(3)
			s.ViewAreas = append(s.ViewAreas, "RSK")
			s.MaturityLevels[3] = append(s.MaturityLevels[3], AreaLevel{"RSK", 3})
			return s
		}, nil, nil, 2, RuleMaturityHighest, []LevelStatus{Achieved, NotAchieved}, nil},
		{"ML-4 undetermined while a decision is open", func() Scope { return mlScope(3) },
			map[string]Characterization{"EST-2.1": lm}, nil,
			0, RuleMaturityIncomplete, []LevelStatus{Undetermined, Undetermined}, nil},
		{"ML-4 not achieved on not satisfied even while incomplete", func() Scope { return mlScope(3) },
			map[string]Characterization{"EST-2.1": pm, "TS-1.1": lm}, nil,
			0, RuleMaturityIncomplete, []LevelStatus{NotAchieved, NotAchieved}, nil},
		{"ML-4 not rated counts as not achieved once complete", func() Scope { return mlScope(3) },
			map[string]Characterization{"TS-3.1": ny}, nil,
			2, RuleMaturityHighest, []LevelStatus{Achieved, NotAchieved}, nil},
		{"ML-5 highest level achieved", func() Scope { return mlScope(3) },
			map[string]Characterization{"TS-3.1": pm}, nil,
			2, RuleMaturityHighest, []LevelStatus{Achieved, NotAchieved}, nil},
		{"ML-5 the target caps the level", func() Scope { return mlScope(2) },
			map[string]Characterization{"TS-3.1": pm}, nil,
			2, RuleMaturityHighest, []LevelStatus{Achieved}, nil},
		{"ML-5 team decisions complete the appraisal", func() Scope { return mlScope(3) },
			map[string]Characterization{"EST-2.1": lm}, map[string]string{"par:EST:2": ValueSatisfied},
			3, RuleMaturityHighest, []LevelStatus{Achieved, Achieved}, nil},
		{"ML-6 level 2 not achieved gives ML1", func() Scope { return mlScope(3) },
			map[string]Characterization{"CM-2.1": dm}, nil,
			1, RuleMaturityInitial, []LevelStatus{NotAchieved, NotAchieved}, nil},
		{"ML-6 level 2 failed though level 3's own requirements pass", func() Scope {
			s := mlScope(3)
			s.MaturityLevels[3] = []AreaLevel{{"TS", 3}}
			return s
		}, map[string]Characterization{"CM-2.1": dm}, nil,
			1, RuleMaturityInitial, []LevelStatus{NotAchieved, Achieved}, nil},
		{"ML-6 a view defining only level 3", func() Scope {
			s := mlScope(3)
			delete(s.MaturityLevels, 2)
			return s
		}, map[string]Characterization{"TS-2.1": dm}, nil,
			1, RuleMaturityInitial, []LevelStatus{NotAchieved}, nil},
		{"ML-7 incomplete gives no maturity level", func() Scope { return mlScope(3) },
			map[string]Characterization{"TS-3.1": xx}, nil,
			0, RuleMaturityIncomplete, []LevelStatus{Achieved, Undetermined}, nil},
		{"ML-8 requirements all NA do not earn a level", func() Scope { return mlScope(3) },
			map[string]Characterization{"EST-1.1": na, "EST-2.1": na, "EST-3.1": na, "CM-1.1": na, "CM-2.1": na}, nil,
			1, RuleMaturityInitial, []LevelStatus{NotAchieved, Achieved}, []string{RuleMaturityNAOnly, RuleMaturityLevel}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.scope()
			in := Input{Scope: s, Instance: allOf(s, fm, tt.overrides), Decisions: decide(tt.decisions)}
			r := mustRate(t, in)
			if r.MaturityLevel != tt.want || r.MaturityRule != tt.rule {
				t.Fatalf("maturity = %d (%s); want %d (%s); levels %+v", r.MaturityLevel, r.MaturityRule, tt.want, tt.rule, r.MaturityLevels)
			}
			if len(r.MaturityLevels) != len(tt.statuses) {
				t.Fatalf("levels = %+v; want statuses %v", r.MaturityLevels, tt.statuses)
			}
			for k, st := range r.MaturityLevels {
				if st.Status != tt.statuses[k] {
					t.Errorf("level %d status = %v; want %v", st.Level, st.Status, tt.statuses[k])
				}
				if tt.statRules != nil && st.Rule != tt.statRules[k] {
					t.Errorf("level %d rule = %s; want %s", st.Level, st.Rule, tt.statRules[k])
				}
			}
		})
	}
}

func TestRequirementChecks(t *testing.T) {
	s := mlScope(3)
	s.ViewAreas = append(s.ViewAreas, "RSK")
	s.MaturityLevels[3] = append(s.MaturityLevels[3], AreaLevel{"RSK", 3})
	r := mustRate(t, Input{Scope: s, Instance: allOf(s, fm, map[string]Characterization{"TS-3.1": pm})})
	got := r.MaturityLevels[1].Requirements
	want := []RequirementCheck{
		{Area: "CM", Level: 3, RatedAt: 2, Rating: Satisfied, Met: true, Rule: RuleMaturityRequirement},
		{Area: "EST", Level: 3, RatedAt: 3, Rating: Satisfied, Met: true, Rule: RuleMaturityRequirement},
		{Area: "RSK", Level: 3, RatedAt: 0, Rating: NotRated, Met: false, Rule: RuleMaturityOutOfScope},
		{Area: "TS", Level: 3, RatedAt: 3, Rating: NotSatisfied, Met: false, Rule: RuleMaturityRequirement},
	}
	cases := []struct {
		name string
		k    int
	}{
		{"ML-2 a level above the area's highest is judged at the highest", 0},
		{"ML-2 a satisfied requirement is met", 1},
		{"ML-3 an area without practices is never met", 2},
		{"ML-2 a not satisfied requirement is not met", 3},
	}
	if len(got) != len(want) {
		t.Fatalf("requirements = %+v", got)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got[c.k] != want[c.k] {
				t.Fatalf("requirement = %+v; want %+v", got[c.k], want[c.k])
			}
		})
	}
}

func TestComplete(t *testing.T) {
	s := mlScope(3)
	tests := []struct {
		name string
		in   Input
		want bool
	}{
		{"CMP-1 an empty scope is not complete", Input{}, false},
		{"CMP-1 practices without instances are not complete", Input{Scope: Scope{Practices: s.Practices}}, false},
		{"CMP-1 a missing pair keeps it incomplete", Input{Scope: s, Instance: allOf(s, fm, map[string]Characterization{"CM-1.1": xx})}, false},
		{"CMP-1 an open decision keeps it incomplete", Input{Scope: s, Instance: allOf(s, fm, map[string]Characterization{"CM-1.1": lm})}, false},
		{"CMP-1 every pair characterized and nothing open", Input{Scope: s, Instance: allOf(s, fm, nil)}, true},
		{"CMP-1 NY everywhere is complete but not rated", Input{Scope: s, Instance: allOf(s, ny, nil)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRate(t, tt.in)
			if r.Complete != tt.want {
				t.Fatalf("complete = %v; want %v (missing %v, open %v)", r.Complete, tt.want, r.Missing, r.OpenDecisions)
			}
		})
	}
}
