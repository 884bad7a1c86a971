package rating

import (
	"fmt"
	"testing"
)

// syntheticScope is shaped like the embedded AIM model: 31 practice areas,
// 276 practices at levels 1–5 (most at 1–3), 126 of them with AI context,
// and a view with maturity levels 2–5.
func syntheticScope(instancesN int) Scope {
	var s Scope
	const areas, practices = 31, 276
	counts := make([]int, areas)
	for k := range practices {
		counts[k%areas]++
	}
	n := 0
	for a := range areas {
		area := fmt.Sprintf("PA%02d", a)
		s.ViewAreas = append(s.ViewAreas, area)
		top := 3
		if a < 6 {
			top = 4 + a%2 // six areas reach level 4 or 5
		}
		for k := range counts[a] {
			l := 1 + k%top
			p := Practice{ID: fmt.Sprintf("%s-%d.%d", area, l, k/top+1), Area: area, Level: l, Domain: fmt.Sprintf("D%d", a%8)}
			if n%11 < 5 {
				p.HasAIContext = true
				p.Scenarios = []Scenario{Scenario(1 + n%3)}
			}
			s.Practices = append(s.Practices, p)
			n++
		}
	}
	s.MaturityLevels = map[int][]AreaLevel{2: nil, 3: nil, 4: nil, 5: nil}
	for a, area := range s.ViewAreas {
		if a < 10 {
			s.MaturityLevels[2] = append(s.MaturityLevels[2], AreaLevel{area, 2})
		}
		s.MaturityLevels[3] = append(s.MaturityLevels[3], AreaLevel{area, 3})
		if a < 6 {
			s.MaturityLevels[4] = append(s.MaturityLevels[4], AreaLevel{area, 4})
		}
		if a < 6 && a%2 == 1 {
			s.MaturityLevels[5] = append(s.MaturityLevels[5], AreaLevel{area, 5})
		}
	}
	s.TargetMaturityLevel = 5
	s.Instances = make([]Instance, instancesN)
	for i := range s.Instances {
		s.Instances[i] = Instance{ID: fmt.Sprintf("inst-%03d", i), Scenario: Scenario(i % 4)}
	}
	return s
}

// syntheticInput characterizes every pair, mostly FM with some LM, PM and
// NA, so that every rating path runs, and records the decisions asked.
func syntheticInput(instancesN int) Input {
	s := syntheticScope(instancesN)
	in := Input{Scope: s, Instance: map[string]map[string]Characterization{}, Decisions: map[string]Decision{}}
	for i, inst := range s.Instances {
		row := make(map[string]Characterization, len(s.Practices))
		for k, p := range s.Practices {
			switch (i*7 + k*13) % 29 {
			case 0:
				row[p.ID] = LargelyMeets
			case 1:
				row[p.ID] = PartiallyMeets
			case 2:
				row[p.ID] = NotApplicable
			default:
				row[p.ID] = FullyMeets
			}
		}
		in.Instance[inst.ID] = row
	}
	for range 3 {
		r, err := Rate(in)
		if err != nil {
			panic(err)
		}
		for _, d := range r.OpenDecisions {
			in.Decisions[d.Key] = Decision{Value: d.Allowed[0], Rationale: "synthetic", By: "bench"}
		}
	}
	return in
}

func TestSyntheticScopeShape(t *testing.T) {
	s := syntheticScope(1)
	ai := 0
	for _, p := range s.Practices {
		if p.HasAIContext {
			ai++
		}
	}
	if len(s.ViewAreas) != 31 || len(s.Practices) != 276 || ai != 126 {
		t.Fatalf("areas %d, practices %d, with AI context %d", len(s.ViewAreas), len(s.Practices), ai)
	}
	r := mustRate(t, syntheticInput(50))
	if !r.Complete || r.MaturityLevel < 1 {
		t.Fatalf("synthetic appraisal: complete %v, ML %d, open %d", r.Complete, r.MaturityLevel, len(r.OpenDecisions))
	}
}

func BenchmarkRate(b *testing.B) {
	for _, n := range []int{1, 50, 200} {
		in := syntheticInput(n)
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Rate(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
