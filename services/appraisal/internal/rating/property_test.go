package rating

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// randomScope returns a random scope of 1–6 areas with levels from 1 up to
// 1–5, 1–3 practices per level, 1–5 instances, and a view whose maturity
// levels 2–5 each need a random selection of areas; the target is the
// highest level it defines.
func randomScope(rng *rand.Rand) Scope {
	var s Scope
	var maxLevel []int
	for a := range 1 + rng.IntN(6) {
		area := fmt.Sprintf("A%d", a)
		s.ViewAreas = append(s.ViewAreas, area)
		top := 1 + rng.IntN(5)
		maxLevel = append(maxLevel, top)
		for l := 1; l <= top; l++ {
			for n := range 1 + rng.IntN(3) {
				p := Practice{ID: fmt.Sprintf("%s-%d.%d", area, l, n+1), Area: area, Level: l, Domain: fmt.Sprintf("D%d", a%2)}
				if rng.IntN(2) == 0 {
					p.HasAIContext = true
					p.Scenarios = []Scenario{Scenario(1 + rng.IntN(3))}
				}
				s.Practices = append(s.Practices, p)
			}
		}
	}
	s.Instances = instances(1 + rng.IntN(5))
	s.MaturityLevels = map[int][]AreaLevel{}
	for ml := MinMaturityLevel; ml <= MaxMaturityLevel; ml++ {
		var reqs []AreaLevel
		for a, area := range s.ViewAreas {
			if rng.IntN(3) > 0 {
				reqs = append(reqs, AreaLevel{area, min(ml, maxLevel[a])})
			}
		}
		if len(reqs) > 0 {
			s.MaturityLevels[ml] = reqs
			s.TargetMaturityLevel = ml
		}
	}
	return s
}

// randomValues characterizes every pair with a value from vals.
func randomValues(rng *rand.Rand, s Scope, vals []Characterization) map[string]map[string]Characterization {
	out := map[string]map[string]Characterization{}
	for _, i := range s.Instances {
		out[i.ID] = map[string]Characterization{}
		for _, p := range s.Practices {
			out[i.ID][p.ID] = vals[rng.IntN(len(vals))]
		}
	}
	return out
}

// resolve rates in, answering every open decision with the policy's value,
// until nothing is open.
func resolve(t *testing.T, in Input, optimistic bool) Result {
	t.Helper()
	in.Decisions = map[string]Decision{}
	for range 4 {
		r := mustRate(t, in)
		if len(r.OpenDecisions) == 0 {
			return r
		}
		for _, d := range r.OpenDecisions {
			v := d.Allowed[1] // PM, not-satisfied
			if optimistic {
				v = d.Allowed[0] // LM, satisfied
			}
			in.Decisions[d.Key] = Decision{Value: v, Rationale: "policy", By: "test"}
		}
	}
	t.Fatal("decisions did not converge")
	return Result{}
}

func rank(c Characterization) int {
	switch c {
	case FullyMeets:
		return 4
	case LargelyMeets:
		return 3
	case PartiallyMeets:
		return 2
	case DoesNotMeet:
		return 1
	}
	return 0
}

func TestPropertyMoreFMNeverLowersAResult(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		s := randomScope(rng)
		before := Input{Scope: s, Instance: randomValues(rng, s, []Characterization{fm, lm, pm, dm})}
		after := Input{Scope: s, Instance: map[string]map[string]Characterization{}}
		for i, row := range before.Instance {
			after.Instance[i] = map[string]Characterization{}
			for p, c := range row {
				after.Instance[i][p] = c
			}
		}
		inst := s.Instances[rng.IntN(len(s.Instances))].ID
		pr := s.Practices[rng.IntN(len(s.Practices))].ID
		after.Instance[inst][pr] = FullyMeets

		for _, optimistic := range []bool{false, true} {
			r0, r1 := resolve(t, before, optimistic), resolve(t, after, optimistic)
			if !r0.Complete || !r1.Complete {
				t.Fatalf("seed %d: not complete", seed)
			}
			for k := range r0.Org {
				if rank(r1.Org[k].Value) < rank(r0.Org[k].Value) {
					t.Fatalf("seed %d optimistic=%v: %s fell from %v to %v", seed, optimistic, r0.Org[k].Practice, r0.Org[k].Value, r1.Org[k].Value)
				}
			}
			for k := range r0.Areas {
				if r1.Areas[k].Capability.Level < r0.Areas[k].Capability.Level {
					t.Fatalf("seed %d: capability of %s fell", seed, r0.Areas[k].Area)
				}
			}
			if r1.MaturityLevel < r0.MaturityLevel {
				t.Fatalf("seed %d optimistic=%v: maturity fell from %d to %d", seed, optimistic, r0.MaturityLevel, r1.MaturityLevel)
			}
			if r1.Benchmark.Total.Score < r0.Benchmark.Total.Score {
				t.Fatalf("seed %d: benchmark score fell", seed)
			}
		}
	}
}

func TestPropertyAllFMReachesTheViewsHighestLevel(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 11))
		s := randomScope(rng)
		r := mustRate(t, Input{Scope: s, Instance: randomValues(rng, s, []Characterization{fm})})
		if !r.Complete || r.MaturityLevel != s.TargetMaturityLevel || r.MaturityRule != RuleMaturityHighest {
			t.Fatalf("seed %d: ML %d (%s), want %d", seed, r.MaturityLevel, r.MaturityRule, s.TargetMaturityLevel)
		}
		for _, a := range r.Areas {
			if want := min(len(a.Levels), MaxCapabilityLevel); a.Capability.Level != want {
				t.Fatalf("seed %d: %s at CL%d, want CL%d", seed, a.Area, a.Capability.Level, want)
			}
		}
		if b := r.Benchmark.Total; b.Rated > 0 && b.Score != 100 {
			t.Fatalf("seed %d: benchmark %+v", seed, b)
		}
	}
}

func TestPropertyOrderOfTheScopeDoesNotMatter(t *testing.T) {
	all := []Characterization{xx, fm, lm, pm, dm, ny, na}
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 13))
		s := randomScope(rng)
		in := Input{Scope: s, Instance: randomValues(rng, s, all)}
		r := mustRate(t, in)

		shuffled := in
		shuffled.Scope.Practices = append([]Practice(nil), s.Practices...)
		shuffled.Scope.Instances = append([]Instance(nil), s.Instances...)
		rng.Shuffle(len(shuffled.Scope.Practices), func(i, j int) {
			shuffled.Scope.Practices[i], shuffled.Scope.Practices[j] = shuffled.Scope.Practices[j], shuffled.Scope.Practices[i]
		})
		rng.Shuffle(len(shuffled.Scope.Instances), func(i, j int) {
			shuffled.Scope.Instances[i], shuffled.Scope.Instances[j] = shuffled.Scope.Instances[j], shuffled.Scope.Instances[i]
		})
		if r2 := mustRate(t, shuffled); !reflect.DeepEqual(r, r2) {
			t.Fatalf("seed %d: order changed the result", seed)
		}
		if r2 := mustRate(t, in); !reflect.DeepEqual(r, r2) {
			t.Fatalf("seed %d: not deterministic", seed)
		}
	}
}

func TestPropertyCompleteMeansAMaturityLevel(t *testing.T) {
	all := []Characterization{xx, fm, lm, pm, dm, ny, na}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 17))
		s := randomScope(rng)
		r := mustRate(t, Input{Scope: s, Instance: randomValues(rng, s, all[rng.IntN(2):])})
		if r.Complete != (r.MaturityLevel > 0) {
			t.Fatalf("seed %d: complete %v, ML %d", seed, r.Complete, r.MaturityLevel)
		}
		if r.Complete != (len(r.Missing) == 0 && len(r.OpenDecisions) == 0) {
			t.Fatalf("seed %d: complete %v, missing %d, open %d", seed, r.Complete, len(r.Missing), len(r.OpenDecisions))
		}
		for _, a := range r.Areas {
			for _, l := range a.Levels {
				if r.Complete && (l.Rating == Pending || l.Group == Pending) {
					t.Fatalf("seed %d: complete with %s level %d pending", seed, a.Area, l.Level)
				}
			}
		}
	}
}
