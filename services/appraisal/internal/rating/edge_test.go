package rating

import (
	"reflect"
	"slices"
	"testing"
)

func TestEmptyScope(t *testing.T) {
	r := mustRate(t, Input{})
	if r.Complete || r.MaturityLevel != 0 || r.MaturityRule != RuleMaturityNone ||
		len(r.Org) != 0 || len(r.Areas) != 0 || len(r.Missing) != 0 || len(r.OpenDecisions) != 0 {
		t.Fatalf("empty scope = %+v", r)
	}
	if len(r.Benchmark.Scenarios) != 3 || r.Benchmark.Total.Practices != 0 {
		t.Fatalf("benchmark = %+v", r.Benchmark)
	}
}

func TestInstanceWithoutCharacterizations(t *testing.T) {
	for _, name := range []string{"absent", "empty map", "explicit unspecified"} {
		t.Run(name, func(t *testing.T) {
			in := input([]Practice{prac("RSK-1.1"), prac("RSK-2.1")}, 2,
				map[string][]Characterization{"RSK-1.1": {fm}, "RSK-2.1": {fm}}, nil)
			switch name {
			case "empty map":
				in.Instance["i2"] = map[string]Characterization{}
			case "explicit unspecified":
				in.Instance["i2"] = map[string]Characterization{"RSK-1.1": Unspecified}
			}
			r := mustRate(t, in)
			want := []Pair{{"i2", "RSK-1.1"}, {"i2", "RSK-2.1"}}
			if !slices.Equal(r.Missing, want) || r.Complete {
				t.Fatalf("missing = %v complete = %v", r.Missing, r.Complete)
			}
			if lr := level(t, r, "RSK", 2); lr.Rating != NotRated {
				t.Fatalf("level 2 = %+v", lr)
			}
		})
	}
}

func TestNotApplicableEverywhere(t *testing.T) {
	s := mlScope(3)
	for k := range s.Practices {
		s.Practices[k].HasAIContext = true
	}
	r := mustRate(t, Input{Scope: s, Instance: allOf(s, na, nil)})
	if !r.Complete {
		t.Fatalf("not complete: %+v", r)
	}
	for _, a := range r.Areas {
		if !a.Capability.NotApplicable || a.Capability.Rule != RuleCapabilityNA {
			t.Errorf("area %s capability = %+v", a.Area, a.Capability)
		}
		for _, l := range a.Levels {
			if l.Rating != RatingNotApplicable {
				t.Errorf("area %s level %d = %v", a.Area, l.Level, l.Rating)
			}
		}
	}
	if r.MaturityLevel != 1 || r.MaturityRule != RuleMaturityInitial {
		t.Fatalf("maturity = %d (%s); a level is never earned on NA alone", r.MaturityLevel, r.MaturityRule)
	}
	if b := r.Benchmark.Total; b.Counts.NA != len(s.Practices) || b.Rated != 0 || b.Score != 0 {
		t.Fatalf("benchmark = %+v", b)
	}
}

func TestUnusedDecisionsAreReported(t *testing.T) {
	in := input([]Practice{prac("RSK-1.1"), prac("RSK-1.2")}, 2,
		map[string][]Characterization{"RSK-1.1": {fm, fm}, "RSK-1.2": {fm, pm}},
		map[string]string{"org:RSK-1.1": ValueLM, "par:RSK:1": ValueSatisfied})
	r := mustRate(t, in)
	// org:RSK-1.1 is not needed (all FM); par:RSK:1 waits for org:RSK-1.2.
	if want := []string{"org:RSK-1.1", "par:RSK:1"}; !slices.Equal(r.UnusedDecisions, want) {
		t.Fatalf("unused = %v; want %v", r.UnusedDecisions, want)
	}
	if len(r.OpenDecisions) != 1 || r.OpenDecisions[0].Key != "org:RSK-1.2" {
		t.Fatalf("open = %+v", r.OpenDecisions)
	}
}

func TestNotApplicableMayBeRecordedForAPairThatDoesNotApply(t *testing.T) {
	in := input([]Practice{prac("RSK-1.1")}, 2, map[string][]Characterization{"RSK-1.1": {fm, na}}, nil)
	in.Scope.Applies = func(_ Practice, i Instance) bool { return i.ID == "i1" }
	r := mustRate(t, in)
	if o, _ := r.Practice("RSK-1.1"); o.Value != fm || !r.Complete {
		t.Fatalf("org = %+v complete %v", o, r.Complete)
	}
}

func TestRateDoesNotChangeItsInput(t *testing.T) {
	s := aprScope()
	vals := map[string][]Characterization{"EST-1.1": {fm, lm}, "EST-2.1": {fm, pm}, "TS-1.1": {fm}}
	in := Input{Scope: s, Instance: byPractice(vals), Decisions: decide(map[string]string{"org:EST-2.1": ValuePM})}
	before := Input{Scope: aprScope(), Instance: byPractice(vals), Decisions: decide(map[string]string{"org:EST-2.1": ValuePM})}
	r := mustRate(t, in)
	in2 := in
	in2.Previous = &r
	mustRate(t, in2)
	if !reflect.DeepEqual(in, before) {
		t.Fatal("Rate changed its input")
	}
}
