package rating

import (
	"reflect"
	"testing"
)

func TestAIBenchmark(t *testing.T) {
	practices := []Practice{
		aiPrac("EST-1.1", "Core", SupportAugmentation),
		aiPrac("EST-2.1", "Core", SupportAugmentation, VerifiedAugmentation, SupportAugmentation),
		aiPrac("TS-1.1", "Development", FullyAutonomous),
		aiPrac("TS-2.1", "Development"),
		aiPrac("DQ-1.1", "Data", VerifiedAugmentation),
		aiPrac("DQ-1.2", "Data", VerifiedAugmentation),
		prac("CM-1.1"), // no AI context
	}
	vals := map[string][]Characterization{
		"EST-1.1": {fm, fm}, "EST-2.1": {lm, fm}, "TS-1.1": {fm, pm}, "TS-2.1": {ny, ny},
		"DQ-1.1": {na, na}, "DQ-1.2": {dm, dm}, "CM-1.1": {pm, pm},
	}
	b := mustRate(t, input(practices, 2, vals, nil)).Benchmark

	tests := []struct {
		name string
		got  Profile
		want Profile
	}{
		{"BM-1 total over practices with AI context only", b.Total,
			Profile{Practices: 6, Counts: Counts{FM: 1, LM: 1, DM: 1, NY: 1, NA: 1, NotRated: 1}, Rated: 3, Score: 56}},
		{"BM-1 a row per domain, sorted", b.Domains[0],
			Profile{Domain: "Core", Practices: 2, Counts: Counts{FM: 1, LM: 1}, Rated: 2, Score: 83}},
		{"BM-1 data domain", b.Domains[1],
			Profile{Domain: "Data", Practices: 2, Counts: Counts{DM: 1, NA: 1}, Rated: 1, Score: 0}},
		{"BM-3 pending judgement counts as not rated and NY apart", b.Domains[2],
			Profile{Domain: "Development", Practices: 2, Counts: Counts{NY: 1, NotRated: 1}, Rated: 0, Score: 0}},
		{"BM-2 a repeated scenario counts once", b.Scenarios[0],
			Profile{Scenario: SupportAugmentation, Practices: 2, Counts: Counts{FM: 1, LM: 1}, Rated: 2, Score: 83}},
		{"BM-2 verified augmentation", b.Scenarios[1],
			Profile{Scenario: VerifiedAugmentation, Practices: 3, Counts: Counts{LM: 1, DM: 1, NA: 1}, Rated: 2, Score: 33}},
		{"BM-2 fully autonomous", b.Scenarios[2],
			Profile{Scenario: FullyAutonomous, Practices: 1, Counts: Counts{NotRated: 1}, Rated: 0, Score: 0}},
	}
	if len(b.Domains) != 3 || len(b.Scenarios) != 3 {
		t.Fatalf("benchmark = %+v", b)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("profile = %+v; want %+v", tt.got, tt.want)
			}
		})
	}
	t.Run("BM-2 a practice without scenarios counts in its domain and the total only", func(t *testing.T) {
		sum := 0
		for _, s := range b.Scenarios {
			sum += s.Practices
		}
		if sum != 6 { // EST-1.1 1, EST-2.1 2, TS-1.1 1, DQ 2; TS-2.1 none
			t.Fatalf("scenario rows count %d practices", sum)
		}
	})
}

func TestScore(t *testing.T) {
	tests := []struct {
		name   string
		c      Counts
		want   int
		scored bool
	}{
		{"BM-4 nothing rated", Counts{NY: 2, NA: 1, NotRated: 3}, 0, false},
		{"BM-4 all FM", Counts{FM: 4}, 100, true},
		{"BM-4 all DM", Counts{DM: 4}, 0, true},
		{"BM-4 one each of FM LM PM", Counts{FM: 1, LM: 1, PM: 1}, 67, true},
		{"BM-4 NY and NA do not count", Counts{FM: 1, DM: 1, NY: 5, NA: 5}, 50, true},
		{"BM-4 rounds half up", Counts{PM: 3, DM: 5}, 13, true},
		{"BM-4 rounds down below a half", Counts{FM: 2, LM: 1, DM: 3}, 44, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, scored := Score(tt.c)
			if got != tt.want || scored != tt.scored {
				t.Fatalf("Score(%+v) = %d, %v; want %d, %v", tt.c, got, scored, tt.want, tt.scored)
			}
		})
	}
}

func TestBenchmarkBesideRatings(t *testing.T) {
	t.Run("BM-5 AI context changes no rating", func(t *testing.T) {
		s := mlScope(3)
		in := Input{Scope: s, Instance: allOf(s, fm, map[string]Characterization{"TS-3.1": pm, "EST-2.1": lm})}
		plain := mustRate(t, in)

		ai := s
		ai.Practices = nil
		for _, p := range s.Practices {
			p.HasAIContext, p.Scenarios = true, []Scenario{FullyAutonomous}
			ai.Practices = append(ai.Practices, p)
		}
		in.Scope = ai
		withAI := mustRate(t, in)

		if withAI.Benchmark.Total.Practices != len(s.Practices) || plain.Benchmark.Total.Practices != 0 {
			t.Fatalf("benchmarks: %+v / %+v", plain.Benchmark.Total, withAI.Benchmark.Total)
		}
		plain.Benchmark, withAI.Benchmark = AIBenchmark{}, AIBenchmark{}
		if !reflect.DeepEqual(plain, withAI) {
			t.Fatalf("ratings differ:\n%+v\n%+v", plain, withAI)
		}
	})
}
