package rating

import (
	"testing"
)

func TestInvalidInput(t *testing.T) {
	base := func() Input {
		s := mlScope(3)
		s.Instances = instances(2)
		return Input{Scope: s, Instance: allOf(s, fm, nil)}
	}
	tests := []struct {
		name   string
		edit   func(in *Input)
		field  string
		reason string
	}{
		{"INP-1 empty practice id", func(in *Input) { in.Scope.Practices[0].ID = "" }, "scope.practices[0].id", ReasonEmptyID},
		{"INP-1 repeated practice id", func(in *Input) { in.Scope.Practices[1].ID = "EST-1.1" }, "scope.practices[1].id", ReasonDuplicateID},
		{"INP-1 empty practice area", func(in *Input) { in.Scope.Practices[0].Area = "" }, "scope.practices[0].area", ReasonEmptyID},
		{"INP-1 repeated instance id", func(in *Input) { in.Scope.Instances[1].ID = "i1" }, "scope.instances[1].id", ReasonDuplicateID},
		{"INP-1 empty instance id", func(in *Input) { in.Scope.Instances[1].ID = "" }, "scope.instances[1].id", ReasonEmptyID},
		{"INP-1 repeated view area", func(in *Input) { in.Scope.ViewAreas = append(in.Scope.ViewAreas, "TS") }, "scope.view_areas[3]", ReasonDuplicateID},
		{"INP-1 repeated requirement area", func(in *Input) {
			in.Scope.MaturityLevels[2] = append(in.Scope.MaturityLevels[2], AreaLevel{"CM", 1})
		}, "scope.maturity_levels[2][2].area", ReasonDuplicateID},
		{"INP-1 practice with AI context without domain", func(in *Input) {
			in.Scope.Practices[2].HasAIContext, in.Scope.Practices[2].Domain = true, ""
		}, "scope.practices[2].domain", ReasonEmptyID},
		{"INP-2 practice level 0", func(in *Input) { in.Scope.Practices[3].Level = 0 }, "scope.practices[3].level", ReasonOutOfRange},
		{"INP-2 practice level 6", func(in *Input) { in.Scope.Practices[3].Level = 6 }, "scope.practices[3].level", ReasonOutOfRange},
		{"INP-2 practice scenario", func(in *Input) { in.Scope.Practices[0].Scenarios = []Scenario{FullyAutonomous, 4} }, "scope.practices[0].scenarios[1]", ReasonOutOfRange},
		{"INP-2 instance scenario", func(in *Input) { in.Scope.Instances[0].Scenario = -1 }, "scope.instances[0].scenario", ReasonOutOfRange},
		{"INP-2 characterization value", func(in *Input) { in.Instance["i1"]["TS-1.1"] = 7 }, "instance[i1][TS-1.1]", ReasonOutOfRange},
		{"INP-2 maturity level 6", func(in *Input) { in.Scope.MaturityLevels[6] = []AreaLevel{{"TS", 3}} }, "scope.maturity_levels[6]", ReasonOutOfRange},
		{"INP-2 maturity level 1", func(in *Input) { in.Scope.MaturityLevels[1] = []AreaLevel{{"TS", 1}} }, "scope.maturity_levels[1]", ReasonOutOfRange},
		{"INP-2 requirement level", func(in *Input) { in.Scope.MaturityLevels[3][0].Level = 7 }, "scope.maturity_levels[3][0].level", ReasonOutOfRange},
		{"INP-3 unknown instance", func(in *Input) { in.Instance["i9"] = map[string]Characterization{"TS-1.1": fm} }, "instance[i9]", ReasonUnknownReference},
		{"INP-3 unknown practice", func(in *Input) { in.Instance["i1"]["RSK-3.1"] = fm }, "instance[i1][RSK-3.1]", ReasonUnknownReference},
		{"INP-3 practice area outside the view", func(in *Input) { in.Scope.ViewAreas = []string{"CM", "EST"} }, "scope.practices[5].area", ReasonUnknownReference},
		{"INP-3 requirement area outside the view", func(in *Input) {
			in.Scope.MaturityLevels[3] = append(in.Scope.MaturityLevels[3], AreaLevel{"RSK", 3})
		}, "scope.maturity_levels[3][3].area", ReasonUnknownReference},
		{"INP-4 value for a pair that does not apply", func(in *Input) {
			in.Scope.Applies = func(p Practice, i Instance) bool { return p.ID != "CM-1.1" || i.ID != "i1" }
		}, "instance[i1][CM-1.1]", ReasonNotApplicablePair},
		{"INP-5 unknown practice in an org key", func(in *Input) { in.Decisions = decide(map[string]string{"org:RSK-1.1": ValueLM}) }, "decisions[org:RSK-1.1]", ReasonUnknownDecision},
		{"INP-5 unknown area in a group key", func(in *Input) { in.Decisions = decide(map[string]string{"par:RSK:1": ValueSatisfied}) }, "decisions[par:RSK:1]", ReasonUnknownDecision},
		{"INP-5 group key for a level without practices", func(in *Input) { in.Decisions = decide(map[string]string{"par:CM:3": ValueSatisfied}) }, "decisions[par:CM:3]", ReasonUnknownDecision},
		{"INP-5 group key with a malformed level", func(in *Input) { in.Decisions = decide(map[string]string{"par:CM:+1": ValueSatisfied}) }, "decisions[par:CM:+1]", ReasonUnknownDecision},
		{"INP-5 key without a kind", func(in *Input) { in.Decisions = decide(map[string]string{"CM-1.1": ValueLM}) }, "decisions[CM-1.1]", ReasonUnknownDecision},
		{"INP-5 org value outside LM and PM", func(in *Input) { in.Decisions = decide(map[string]string{"org:CM-1.1": "FM"}) }, "decisions[org:CM-1.1].value", ReasonValueNotAllowed},
		{"INP-5 group value outside satisfied and not-satisfied", func(in *Input) { in.Decisions = decide(map[string]string{"par:CM:1": ValueLM}) }, "decisions[par:CM:1].value", ReasonValueNotAllowed},
		{"INP-5 decision without rationale", func(in *Input) {
			in.Decisions = map[string]Decision{"org:CM-1.1": {Value: ValueLM, By: "lead"}}
		}, "decisions[org:CM-1.1].rationale", ReasonDecisionIncomplete},
		{"INP-5 decision without who", func(in *Input) {
			in.Decisions = map[string]Decision{"org:CM-1.1": {Value: ValueLM, Rationale: "weighed", By: "  "}}
		}, "decisions[org:CM-1.1].by", ReasonDecisionIncomplete},
		{"INP-5 decision key differs from its map key", func(in *Input) {
			in.Decisions = map[string]Decision{"org:CM-1.1": {Key: "org:CM-2.1", Value: ValueLM, Rationale: "weighed", By: "lead"}}
		}, "decisions[org:CM-1.1].key", ReasonUnknownDecision},
		{"INP-6 target not defined by the view", func(in *Input) { in.Scope.TargetMaturityLevel = 4 }, "scope.target_maturity_level", ReasonUndefinedLevel},
		{"INP-6 target 1", func(in *Input) { in.Scope.TargetMaturityLevel = 1 }, "scope.target_maturity_level", ReasonUndefinedLevel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			tt.edit(&in)
			_, err := rateBoth(t, in)
			v := invalidFields(t, err)
			for _, f := range v {
				if f.Field == tt.field && f.Reason == tt.reason && f.Description != "" {
					return
				}
			}
			t.Fatalf("violations = %+v; want %s %s", v, tt.field, tt.reason)
		})
	}
}

func TestViolationsAreSortedAndComplete(t *testing.T) {
	t.Run("INP-3 every violation is listed, sorted by field", func(t *testing.T) {
		in := Input{
			Scope: Scope{Practices: []Practice{prac("RSK-1.1")}, Instances: instances(1)},
			Instance: map[string]map[string]Characterization{
				"i1": {"X-1.1": fm, "A-1.1": fm},
				"i0": {"RSK-1.1": fm},
			},
			Decisions: decide(map[string]string{"org:RSK-1.1": "maybe"}),
		}
		_, err := rateBoth(t, in)
		v := invalidFields(t, err)
		var fields []string
		for _, f := range v {
			fields = append(fields, f.Field)
		}
		want := []string{"decisions[org:RSK-1.1].value", "instance[i0]", "instance[i1][A-1.1]", "instance[i1][X-1.1]"}
		if len(fields) != len(want) {
			t.Fatalf("fields = %v; want %v", fields, want)
		}
		for k := range want {
			if fields[k] != want[k] {
				t.Fatalf("fields = %v; want %v", fields, want)
			}
		}
	})
}
