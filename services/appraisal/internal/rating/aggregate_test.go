package rating

import (
	"slices"
	"testing"
)

func TestAggregate(t *testing.T) {
	tests := []struct {
		name     string
		vals     []Characterization // per instance i1, i2, ...
		applies  []bool             // nil: applies to every instance
		decision string             // value of org:RSK-1.1, if any
		want     Characterization
		pending  bool
		rule     string
	}{
		{"AGG-1 one instance uncharacterized", []Characterization{fm, xx}, nil, "", xx, false, RuleAggMissing},
		{"AGG-1 uncharacterized beside NA and NY", []Characterization{na, ny, xx}, nil, "", xx, false, RuleAggMissing},
		{"AGG-1 uncharacterized beside a mix needs no decision yet", []Characterization{fm, pm, xx}, nil, "", xx, false, RuleAggMissing},
		{"AGG-3 all NA", []Characterization{na, na}, nil, "", na, false, RuleAggNA},
		{"AGG-3 applies to no instance", []Characterization{xx, xx}, []bool{false, false}, "", na, false, RuleAggNA},
		{"AGG-3 not-applicable instance counts as NA", []Characterization{na, xx}, []bool{true, false}, "", na, false, RuleAggNA},
		{"AGG-4 all NY", []Characterization{ny, ny}, nil, "", ny, false, RuleAggNY},
		{"AGG-4 NY beside NA", []Characterization{ny, na}, nil, "", ny, false, RuleAggNY},
		{"AGG-5 all FM", []Characterization{fm, fm, fm}, nil, "", fm, false, RuleAggFM},
		{"AGG-5 FM with NY left out", []Characterization{fm, ny}, nil, "", fm, false, RuleAggFM},
		{"AGG-5 FM with NA ignored", []Characterization{fm, na}, nil, "", fm, false, RuleAggFM},
		{"AGG-5 uncharacterized pair that does not apply is ignored", []Characterization{fm, xx}, []bool{true, false}, "", fm, false, RuleAggFM},
		{"AGG-6 FM and LM", []Characterization{fm, lm}, nil, "", lm, false, RuleAggLM},
		{"AGG-6 all LM with NY left out", []Characterization{lm, lm, ny}, nil, "", lm, false, RuleAggLM},
		{"AGG-7 FM and PM waits for the team", []Characterization{fm, pm}, nil, "", xx, true, RuleAggJudgement},
		{"AGG-7 LM and DM waits for the team", []Characterization{lm, dm}, nil, "", xx, true, RuleAggJudgement},
		{"AGG-7 NY is left out of the mix", []Characterization{fm, dm, ny}, nil, "", xx, true, RuleAggJudgement},
		{"AGG-7 team decided LM", []Characterization{fm, fm, pm}, nil, ValueLM, lm, false, RuleAggJudgement},
		{"AGG-7 team decided PM", []Characterization{lm, dm}, nil, ValuePM, pm, false, RuleAggJudgement},
		{"AGG-8 PM and DM", []Characterization{pm, dm}, nil, "", pm, false, RuleAggPM},
		{"AGG-8 all PM with NA", []Characterization{pm, pm, na}, nil, "", pm, false, RuleAggPM},
		{"AGG-9 all DM", []Characterization{dm, dm}, nil, "", dm, false, RuleAggDM},
		{"AGG-9 DM with NY left out", []Characterization{dm, ny}, nil, "", dm, false, RuleAggDM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decisions := map[string]string{}
			if tt.decision != "" {
				decisions["org:RSK-1.1"] = tt.decision
			}
			in := input([]Practice{prac("RSK-1.1")}, len(tt.vals), map[string][]Characterization{"RSK-1.1": tt.vals}, decisions)
			if tt.applies != nil {
				in.Scope.Applies = func(_ Practice, i Instance) bool {
					k := slices.IndexFunc(in.Scope.Instances, func(x Instance) bool { return x.ID == i.ID })
					return tt.applies[k]
				}
			}
			r := mustRate(t, in)
			o, ok := r.Practice("RSK-1.1")
			if !ok || o.Value != tt.want || o.Pending != tt.pending || o.Rule != tt.rule {
				t.Fatalf("org = %+v; want value %v pending %v rule %s", o, tt.want, tt.pending, tt.rule)
			}
			hasOpen := len(r.OpenDecisions) == 1 && r.OpenDecisions[0].Key == "org:RSK-1.1"
			if tt.pending != hasOpen {
				t.Fatalf("open decisions = %+v; want one for org:RSK-1.1: %v", r.OpenDecisions, tt.pending)
			}
			if tt.pending {
				d := r.OpenDecisions[0]
				if d.Rule != RuleAggJudgement || !slices.Equal(d.Allowed, []string{ValueLM, ValuePM}) ||
					!slices.Equal(o.Allowed, []Characterization{lm, pm}) || d.Question == "" {
					t.Fatalf("open decision = %+v, allowed %v", d, o.Allowed)
				}
			}
			if tt.decision != "" && o.Decision != "org:RSK-1.1" {
				t.Fatalf("decision not recorded on the result: %+v", o)
			}
			if tt.rule == RuleAggMissing && len(r.Missing) == 0 {
				t.Fatal("AGG-1: missing pairs not listed")
			}
		})
	}
}

func TestAggregateNoInstances(t *testing.T) {
	t.Run("AGG-2 the scope has no instance", func(t *testing.T) {
		r := mustRate(t, input([]Practice{prac("RSK-1.1")}, 0, nil, nil))
		o, _ := r.Practice("RSK-1.1")
		if o.Value != xx || o.Pending || o.Rule != RuleAggNoInstances {
			t.Fatalf("org = %+v", o)
		}
		if r.Complete || len(r.Missing) != 0 {
			t.Fatalf("complete = %v, missing = %v", r.Complete, r.Missing)
		}
		if g := level(t, r, "RSK", 1); g.Group != NotRated || g.GroupRule != RuleGroupNotRated {
			t.Fatalf("group = %+v", g)
		}
	})
}

func TestMissingPairsAreSorted(t *testing.T) {
	t.Run("AGG-1 missing pairs by instance then practice", func(t *testing.T) {
		in := input([]Practice{prac("RSK-2.1"), prac("RSK-1.1")}, 2,
			map[string][]Characterization{"RSK-1.1": {fm, xx}}, nil)
		in.Scope.Instances = []Instance{{ID: "z"}, {ID: "a"}}
		in.Instance = map[string]map[string]Characterization{"z": {"RSK-1.1": fm}}
		r := mustRate(t, in)
		want := []Pair{{"a", "RSK-1.1"}, {"a", "RSK-2.1"}, {"z", "RSK-2.1"}}
		if !slices.Equal(r.Missing, want) {
			t.Fatalf("missing = %v; want %v", r.Missing, want)
		}
	})
}
