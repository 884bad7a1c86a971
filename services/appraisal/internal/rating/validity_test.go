package rating

import (
	"slices"
	"testing"
	"time"

	"github.com/aim-platform/aim/platform/errs"
)

func TestExpiry(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	bench := Validity{Kind: Benchmark, RatingOfRecord: true, RatedAt: day(2026, 3, 1), Expires: day(2029, 3, 1), MaturityLevel: 3, Rule: RuleValidBenchmark}
	sus := func(n int) *Validity {
		v := bench
		v.Kind, v.Sustainments, v.Expires = Sustainment, n, day(2029+2*n, 3, 1)
		return &v
	}
	tests := []struct {
		name     string
		kind     AppraisalKind
		ratedAt  time.Time
		level    int
		previous *Validity
		want     Validity
		errKind  errs.Kind
		reason   string
	}{
		{"VAL-1 a benchmark holds 3 years", Benchmark, day(2026, 3, 1), 3, nil,
			bench, 0, ""},
		{"VAL-1 a benchmark ignores a previous rating", Benchmark, day(2026, 3, 1), 3, sus(3),
			bench, 0, ""},
		{"VAL-2 a sustainment extends the expiry by 2 years", Sustainment, day(2028, 2, 1), 3, &bench,
			Validity{Kind: Sustainment, RatingOfRecord: true, RatedAt: day(2028, 2, 1), Expires: day(2031, 3, 1), Sustainments: 1, MaturityLevel: 3, Rule: RuleValidSustainment}, 0, ""},
		{"VAL-2 a sustainment needs a rating of record", Sustainment, day(2028, 2, 1), 3, nil,
			Validity{}, errs.FailedPrecondition, "NO_RATING_OF_RECORD"},
		{"VAL-2 an evaluation is nothing to sustain", Sustainment, day(2028, 2, 1), 3, &Validity{Kind: Evaluation},
			Validity{}, errs.FailedPrecondition, "NO_RATING_OF_RECORD"},
		{"VAL-2 a sustainment after the expiry is refused", Sustainment, day(2029, 3, 2), 3, &bench,
			Validity{}, errs.FailedPrecondition, "RATING_EXPIRED"},
		{"VAL-3 the third sustainment in a row is allowed", Sustainment, day(2032, 1, 1), 3, sus(2),
			Validity{Kind: Sustainment, RatingOfRecord: true, RatedAt: day(2032, 1, 1), Expires: day(2035, 3, 1), Sustainments: 3, MaturityLevel: 3, Rule: RuleValidSustainment}, 0, ""},
		{"VAL-3 a fourth sustainment in a row is refused", Sustainment, day(2034, 1, 1), 3, sus(3),
			Validity{}, errs.FailedPrecondition, "BENCHMARK_DUE"},
		{"VAL-4 a sustainment never raises the level", Sustainment, day(2028, 2, 1), 5, &bench,
			Validity{Kind: Sustainment, RatingOfRecord: true, RatedAt: day(2028, 2, 1), Expires: day(2031, 3, 1), Sustainments: 1, MaturityLevel: 3, Rule: RuleValidSustainment}, 0, ""},
		{"VAL-4 a lower sustained level stands", Sustainment, day(2028, 2, 1), 2, &bench,
			Validity{Kind: Sustainment, RatingOfRecord: true, RatedAt: day(2028, 2, 1), Expires: day(2031, 3, 1), Sustainments: 1, MaturityLevel: 2, Rule: RuleValidSustainment}, 0, ""},
		{"VAL-5 an evaluation is no rating of record", Evaluation, day(2026, 3, 1), 3, &bench,
			Validity{Kind: Evaluation, RatedAt: day(2026, 3, 1), Rule: RuleValidEvaluation}, 0, ""},
		{"VAL-6 a reappraisal keeps the previous expiry", ActionPlanReassessment, day(2026, 9, 1), 3, sus(1),
			Validity{Kind: ActionPlanReassessment, RatingOfRecord: true, RatedAt: day(2026, 9, 1), Expires: day(2031, 3, 1), Sustainments: 1, MaturityLevel: 3, Rule: RuleValidReappraisal}, 0, ""},
		{"VAL-6 a reappraisal needs a previous appraisal", ActionPlanReassessment, day(2026, 9, 1), 3, nil,
			Validity{}, errs.FailedPrecondition, "NO_RATING_OF_RECORD"},
		{"INP-2 no rating time", Benchmark, time.Time{}, 3, nil, Validity{}, errs.Invalid, "INVALID_ARGUMENT"},
		{"INP-2 a level out of range", Benchmark, day(2026, 3, 1), 6, nil, Validity{}, errs.Invalid, "INVALID_ARGUMENT"},
		{"INP-2 an unknown appraisal type", AppraisalKind(9), day(2026, 3, 1), 3, nil, Validity{}, errs.Invalid, "INVALID_ARGUMENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expiry(tt.kind, tt.ratedAt, tt.level, tt.previous)
			if tt.reason != "" {
				e, ok := err.(*errs.Error)
				if !ok || e.Kind != tt.errKind || e.Reason != tt.reason {
					t.Fatalf("error = %v; want %v %s", err, tt.errKind, tt.reason)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Expiry = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestCapSustainment(t *testing.T) {
	tests := []struct {
		name            string
		level, previous int
		want            int
	}{
		{"VAL-4 higher level capped", 4, 3, 3},
		{"VAL-4 same level kept", 3, 3, 3},
		{"VAL-4 lower level kept", 1, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CapSustainment(tt.level, Validity{MaturityLevel: tt.previous}); got != tt.want {
				t.Fatalf("CapSustainment(%d, %d) = %d; want %d", tt.level, tt.previous, got, tt.want)
			}
		})
	}
}

// aprScope: EST levels 1–2, TS levels 1–3; ML2 needs EST:2, ML3 adds TS:3.
func aprScope() Scope {
	var ps []Practice
	for _, id := range []string{"EST-1.1", "EST-2.1", "TS-1.1", "TS-2.1", "TS-3.1", "TS-3.2"} {
		ps = append(ps, prac(id))
	}
	return Scope{
		Practices: ps, Instances: instances(2),
		MaturityLevels:      map[int][]AreaLevel{2: {{"EST", 2}}, 3: {{"EST", 3}, {"TS", 3}}},
		TargetMaturityLevel: 3,
	}
}

func TestActionPlanReappraisal(t *testing.T) {
	s := aprScope()
	first := mustRate(t, Input{Scope: s, Instance: byPractice(map[string][]Characterization{
		"EST-1.1": {fm, fm}, "EST-2.1": {fm, pm}, "TS-1.1": {fm, fm}, "TS-2.1": {lm, lm}, "TS-3.1": {pm, dm}, "TS-3.2": {fm, fm},
	}), Decisions: decide(map[string]string{"org:EST-2.1": ValueLM, "par:EST:2": ValueSatisfied, "par:TS:2": ValueSatisfied})})
	if !first.Complete || first.MaturityLevel != 2 {
		t.Fatalf("first appraisal: ML %d complete %v", first.MaturityLevel, first.Complete)
	}

	t.Run("APR-1 only what failed or was not rated", func(t *testing.T) {
		if got, want := ReassessmentScope(first), []AreaLevel{{"TS", 3}}; !slices.Equal(got, want) {
			t.Fatalf("scope = %v; want %v", got, want)
		}
	})
	t.Run("APR-1 not rated and pending groups are re-rated", func(t *testing.T) {
		r := Result{Areas: []AreaRating{
			{Area: "TS", Levels: []LevelRating{{Level: 1, Group: Pending}, {Level: 2, Group: RatingNotApplicable}}},
			{Area: "EST", Levels: []LevelRating{{Level: 1, Group: Satisfied}, {Level: 2, Group: NotRated}}},
		}}
		if got, want := ReassessmentScope(r), []AreaLevel{{"EST", 2}, {"TS", 1}}; !slices.Equal(got, want) {
			t.Fatalf("scope = %v; want %v", got, want)
		}
	})

	t.Run("APR-2 everything else is carried", func(t *testing.T) {
		in := Input{Scope: s, Previous: &first, Instance: byPractice(map[string][]Characterization{
			"TS-3.1": {fm, lm}, "TS-3.2": {fm, fm},
		}), Decisions: decide(map[string]string{"par:TS:3": ValueSatisfied})}
		r := mustRate(t, in)
		if !r.Complete || r.MaturityLevel != 3 || len(r.Missing) != 0 {
			t.Fatalf("reappraisal: ML %d complete %v missing %v open %v", r.MaturityLevel, r.Complete, r.Missing, r.OpenDecisions)
		}
		o, _ := r.Practice("EST-2.1")
		if !o.Carried || o.Value != lm || o.Rule != RuleReassessCarry || o.Decision != "org:EST-2.1" {
			t.Fatalf("carried practice = %+v", o)
		}
		if g := level(t, r, "TS", 2); g.GroupRule != RuleReassessCarry || g.Group != Satisfied || g.Decision != "par:TS:2" {
			t.Fatalf("carried group = %+v", g)
		}
		if g := level(t, r, "TS", 3); g.GroupRule != RuleGroupJudgement || g.Group != Satisfied {
			t.Fatalf("re-rated group = %+v", g)
		}
	})
	t.Run("APR-2 a group new to the scope is rated", func(t *testing.T) {
		s2 := aprScope()
		s2.Practices = append(s2.Practices, prac("RSK-1.1"))
		r := mustRate(t, Input{Scope: s2, Previous: &first, Instance: byPractice(map[string][]Characterization{
			"TS-3.1": {fm, fm}, "TS-3.2": {fm, fm},
		})})
		if want := []Pair{{"i1", "RSK-1.1"}, {"i2", "RSK-1.1"}}; !slices.Equal(r.Missing, want) {
			t.Fatalf("missing = %v; want %v", r.Missing, want)
		}
	})
	t.Run("INP-4 a carried practice is not characterized again", func(t *testing.T) {
		_, err := Rate(Input{Scope: s, Previous: &first, Instance: byPractice(map[string][]Characterization{
			"EST-1.1": {fm},
		})})
		v := invalidFields(t, err)
		if len(v) != 1 || v[0].Field != "instance[i1][EST-1.1]" || v[0].Reason != ReasonNotApplicablePair {
			t.Fatalf("violations = %+v", v)
		}
	})
}
