package rating

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aim-platform/aim/platform/errs"
)

// AppraisalKind is an appraisal type. The values match the API enum.
type AppraisalKind int

// The appraisal types.
const (
	KindUnspecified        AppraisalKind = iota
	Benchmark                            // full appraisal; a rating of record for 3 years
	Sustainment                          // reduced scope; extends a rating of record by 2 years
	Evaluation                           // informal; no rating of record
	ActionPlanReassessment               // re-rates what failed or was not rated
)

// String returns the type's enum name.
func (k AppraisalKind) String() string {
	switch k {
	case Benchmark:
		return "BENCHMARK"
	case Sustainment:
		return "SUSTAINMENT"
	case Evaluation:
		return "EVALUATION"
	case ActionPlanReassessment:
		return "ACTION_PLAN_REASSESSMENT"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Validity periods and limits.
const (
	BenchmarkYears      = 3
	SustainmentYears    = 2
	MaxSustainmentInRow = 3
)

// Validity says whether and until when an appraisal's result is the rating
// of record.
type Validity struct {
	Kind           AppraisalKind
	RatingOfRecord bool
	RatedAt        time.Time
	// Expires is when the rating of record lapses; zero without one.
	Expires time.Time
	// Sustainments counts the sustainment appraisals since the last
	// benchmark, this one included.
	Sustainments int
	// MaturityLevel is the level of record (for a sustainment, after
	// CapSustainment); 0 without one.
	MaturityLevel int
	Rule          string
}

// Expiry returns the validity of an appraisal of the given type, rated at
// ratedAt with the given maturity level (0 for none). previous is the
// validity of the rating of record it builds on: required for Sustainment
// and ActionPlanReassessment, ignored otherwise.
//
// Benchmark: 3 years from ratedAt (VAL-1). Sustainment: the previous
// expiry plus 2 years (VAL-2), at most 3 in a row (VAL-3), the level capped
// at the previous one (VAL-4). Evaluation: no rating of record (VAL-5).
// Action Plan Reappraisal: the previous expiry and count (VAL-6).
//
// A missing ratedAt or an unknown type is an Invalid error; a previous
// rating that is absent, not of record or expired, or a fourth sustainment
// in a row, is a FailedPrecondition error.
func Expiry(kind AppraisalKind, ratedAt time.Time, level int, previous *Validity) (Validity, error) {
	if ratedAt.IsZero() {
		return Validity{}, errs.InvalidArgument(errs.Violation("rated_at", "is required"))
	}
	if level < 0 || level > MaxMaturityLevel {
		return Validity{}, errs.InvalidArgument(errs.Violation("maturity_level", "must be from 0 to %d, not %d", MaxMaturityLevel, level))
	}
	v := Validity{Kind: kind, RatedAt: ratedAt}
	switch kind {
	case Benchmark:
		v.RatingOfRecord, v.Expires, v.MaturityLevel, v.Rule = true, ratedAt.AddDate(BenchmarkYears, 0, 0), level, RuleValidBenchmark
		return v, nil
	case Evaluation:
		v.Rule = RuleValidEvaluation
		return v, nil
	case Sustainment, ActionPlanReassessment:
	default:
		return Validity{}, errs.InvalidArgument(errs.Violation("kind", "%d is not an appraisal type", int(kind)))
	}

	switch {
	case previous == nil || !previous.RatingOfRecord:
		return Validity{}, errs.New(errs.FailedPrecondition, "NO_RATING_OF_RECORD",
			"a %s appraisal builds on a rating of record, and there is none", kind)
	case ratedAt.After(previous.Expires):
		return Validity{}, errs.New(errs.FailedPrecondition, "RATING_EXPIRED",
			"the rating of record expired on %s, before this %s appraisal", previous.Expires.Format(time.DateOnly), kind)
	}
	v.RatingOfRecord = true
	if kind == ActionPlanReassessment {
		v.Expires, v.Sustainments, v.MaturityLevel, v.Rule = previous.Expires, previous.Sustainments, level, RuleValidReappraisal
		return v, nil
	}
	if previous.Sustainments >= MaxSustainmentInRow {
		return Validity{}, errs.New(errs.FailedPrecondition, "BENCHMARK_DUE",
			"%d sustainment appraisals in a row already extend this rating; a benchmark appraisal is due", previous.Sustainments)
	}
	v.Expires = previous.Expires.AddDate(SustainmentYears, 0, 0)
	v.Sustainments = previous.Sustainments + 1
	v.MaturityLevel = CapSustainment(level, *previous)
	v.Rule = RuleValidSustainment
	return v, nil
}

// CapSustainment returns the maturity level a sustainment appraisal may
// record: the level it rated, never above the level of the rating of
// record it sustains (VAL-4).
func CapSustainment(level int, previous Validity) int {
	return min(level, previous.MaturityLevel)
}

// ReassessmentScope returns what an Action Plan Reappraisal re-rates after
// previous (APR-1): every practice group (area and level) that previous
// did not rate satisfied or not applicable (that is, not satisfied, not
// rated or pending), sorted by area and level. Groups the previous result
// does not hold, or holds without a final value for each practice, are
// rated as well; everything else is carried (APR-2, see Input.Previous).
func ReassessmentScope(previous Result) []AreaLevel {
	var out []AreaLevel
	for _, a := range previous.Areas {
		for _, l := range a.Levels {
			if l.Group != Satisfied && l.Group != RatingNotApplicable {
				out = append(out, AreaLevel{Area: a.Area, Level: l.Level})
			}
		}
	}
	slices.SortFunc(out, func(x, y AreaLevel) int {
		return cmp.Or(strings.Compare(x.Area, y.Area), cmp.Compare(x.Level, y.Level))
	})
	return slices.CompactFunc(out, func(x, y AreaLevel) bool { return x == y })
}
