package rating

import (
	"fmt"
	"time"
)

// Characterization is how far a practice is implemented, for one instance
// or, after aggregation, for the organizational unit. The zero value means
// not characterized.
type Characterization int

// The characterizations, in the order of the API enum.
const (
	Unspecified    Characterization = iota // not characterized
	FullyMeets                             // FM
	LargelyMeets                           // LM
	PartiallyMeets                         // PM
	DoesNotMeet                            // DM
	NotYet                                 // NY: the instance has not reached the point where the practice is done
	NotApplicable                          // NA
)

// String returns the two-letter code ("FM", ...), or "" for Unspecified.
func (c Characterization) String() string {
	switch c {
	case Unspecified:
		return ""
	case FullyMeets:
		return "FM"
	case LargelyMeets:
		return "LM"
	case PartiallyMeets:
		return "PM"
	case DoesNotMeet:
		return "DM"
	case NotYet:
		return "NY"
	case NotApplicable:
		return "NA"
	}
	return fmt.Sprintf("characterization(%d)", int(c))
}

func (c Characterization) valid() bool { return c >= Unspecified && c <= NotApplicable }

// Scenario is an AI usage scenario. The values match the model API enum.
type Scenario int

// The AI usage scenarios. ISACA's public wording for them is human-augmented
// AI, autonomous augmentation and fully autonomous AI.
const (
	NoScenario           Scenario = iota // the instance uses no AI, or it is not recorded
	SupportAugmentation                  // people do the work, AI assists
	VerifiedAugmentation                 // AI does the work, people verify it
	FullyAutonomous                      // AI does the work on its own
)

// String returns the scenario's enum name, or "" for NoScenario.
func (s Scenario) String() string {
	switch s {
	case NoScenario:
		return ""
	case SupportAugmentation:
		return "SUPPORT_AUGMENTATION"
	case VerifiedAugmentation:
		return "VERIFIED_AUGMENTATION"
	case FullyAutonomous:
		return "FULLY_AUTONOMOUS"
	}
	return fmt.Sprintf("scenario(%d)", int(s))
}

// Scenarios returns the AI usage scenarios in enum order.
func Scenarios() []Scenario {
	return []Scenario{SupportAugmentation, VerifiedAugmentation, FullyAutonomous}
}

// Practice is one practice in scope, copied from the pinned model version.
type Practice struct {
	ID    string // e.g. "RSK-3.1"
	Area  string // practice area acronym, e.g. "RSK"
	Level int    // practice group level, 1–5
	// Domain is the practice area's domain ("Core", "Development", ...). It
	// is required for practices with AI context.
	Domain       string
	HasAIContext bool
	// Scenarios are the AI usage scenarios its AI context additions apply to.
	Scenarios []Scenario
}

// Instance is one sampled project or work unit.
type Instance struct {
	ID       string
	Scenario Scenario // the instance's AI usage scenario; NoScenario if none
	Subgroup string
}

// AreaLevel names a practice area at a practice group level.
type AreaLevel struct {
	Area  string
	Level int
}

// Scope is what an appraisal rates.
type Scope struct {
	// Practices are the practices in scope.
	Practices []Practice
	// Instances are the sampled instances.
	Instances []Instance
	// Applies reports whether a practice applies to an instance. Nil means
	// every practice applies to every instance; the team then marks what
	// does not apply with NotApplicable.
	Applies func(p Practice, i Instance) bool
	// ViewAreas are the practice areas of the view. When set, every
	// practice and every maturity level requirement must name one of them.
	ViewAreas []string
	// MaturityLevels holds, for each maturity level 2–5 the view defines,
	// the practice areas and levels that level requires.
	MaturityLevels map[int][]AreaLevel
	// TargetMaturityLevel is the maturity level the appraisal aims at, one
	// the view defines, or 0 for a capability profile only.
	TargetMaturityLevel int
}

// Decision is a recorded team judgement.
type Decision struct {
	Key       string // the decision key; empty means the key it is stored under
	Value     string // one of the values the open decision allows
	Rationale string // why; required
	By        string // who decided; required
	At        time.Time
}

// Decision values.
const (
	ValueLM           = "LM"            // org decision: Largely Meets
	ValuePM           = "PM"            // org decision: Partially Meets
	ValueSatisfied    = "satisfied"     // group decision: weaknesses are not significant
	ValueNotSatisfied = "not-satisfied" // group decision: weaknesses are significant
)

// OrgDecisionKey returns the key of the judgement on a practice's
// organizational characterization: "org:RSK-3.1".
func OrgDecisionKey(practice string) string { return "org:" + practice }

// GroupDecisionKey returns the key of the judgement on whether a practice
// group is satisfied: "par:RSK:3".
func GroupDecisionKey(area string, level int) string { return fmt.Sprintf("par:%s:%d", area, level) }

// Input is everything Rate reads.
type Input struct {
	Scope Scope
	// Instance holds the instance characterizations: instance id → practice
	// id → characterization. Absent and Unspecified mean not characterized.
	Instance map[string]map[string]Characterization
	// Cells, when set, is read instead of Instance: it calls yield once per
	// characterization, each pair at most once (the same rules apply), and
	// returns the first error yield or its own reading
	// returns. The ids are byte slices so that a caller reading thousands
	// of stored characterizations need not copy them into maps and strings
	// first; Rate does not keep them after yield returns. Cells is best given
	// an instance's pairs together (the engine looks the instance up again
	// only when it changes).
	Cells func(yield func(instance, practice []byte, c Characterization) error) error
	// Decisions are the recorded team decisions by key.
	Decisions map[string]Decision
	// Previous is, for an Action Plan Reappraisal, the result it follows:
	// practice groups outside ReassessmentScope(*Previous) are carried from
	// it instead of being rated again. Nil for the other appraisal types.
	Previous *Result
}

// Rating is the outcome for a practice group or a practice area at a level.
type Rating int

// The ratings, in the order of the API enum.
const (
	RatingUnspecified   Rating = iota
	Satisfied                  // every practice meets its intent
	NotSatisfied               // a practice falls short
	NotRated                   // characterizations are missing or not yet
	RatingNotApplicable        // no practice applies
	Pending                    // waits for a team decision
)

// String returns the rating's name ("satisfied", ...).
func (r Rating) String() string {
	switch r {
	case RatingUnspecified:
		return ""
	case Satisfied:
		return "satisfied"
	case NotSatisfied:
		return "not-satisfied"
	case NotRated:
		return "not-rated"
	case RatingNotApplicable:
		return "not-applicable"
	case Pending:
		return "pending"
	}
	return fmt.Sprintf("rating(%d)", int(r))
}

// OrgCharacterization is a practice's characterization for the
// organizational unit.
type OrgCharacterization struct {
	Practice string
	// Value is the characterization; Unspecified while not rated or pending.
	Value Characterization
	// Pending is true while a team decision is required; Allowed then lists
	// the values it may take.
	Pending bool
	Allowed []Characterization
	Rule    string // the rule that decided it
	// Decision is the key of the team decision applied, if any.
	Decision string
	// Carried is true when an Action Plan Reappraisal took the value over
	// from the previous appraisal.
	Carried bool
}

// LevelRating is a practice area's rating at one practice group level.
type LevelRating struct {
	Level int
	// Group rates the practices at exactly this level.
	Group     Rating
	GroupRule string
	// Decision is the key of the team decision applied to the group, if any.
	Decision string
	// Rating rates the area at this level, that is its groups 1..Level.
	Rating Rating
	Rule   string
}

// CapabilityLevel is a practice area's capability level, CL0–CL3.
type CapabilityLevel struct {
	Level         int
	NotApplicable bool // the area is not applicable at any level up to 3
	Rule          string
}

// AreaRating is the rating of one practice area.
type AreaRating struct {
	Area   string
	Domain string // the domain of its practices, if they name one
	// Levels runs from level 1 to the highest level of the area's practices
	// in scope.
	Levels     []LevelRating
	Capability CapabilityLevel
}

// At returns the area's rating at a level; a level above the area's
// highest is rated as the highest (levels are cumulative). ok is false when
// the area has no levels or level is below 1.
func (a AreaRating) At(level int) (LevelRating, bool) {
	if level < 1 || len(a.Levels) == 0 {
		return LevelRating{}, false
	}
	return a.Levels[min(level, len(a.Levels))-1], true
}

// LevelStatus is whether a maturity level is achieved.
type LevelStatus int

// The level statuses.
const (
	StatusUnspecified LevelStatus = iota
	Achieved
	NotAchieved
	Undetermined // waits for characterizations or decisions
)

// String returns the status's name ("achieved", ...).
func (s LevelStatus) String() string {
	switch s {
	case StatusUnspecified:
		return ""
	case Achieved:
		return "achieved"
	case NotAchieved:
		return "not-achieved"
	case Undetermined:
		return "undetermined"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// RequirementCheck is one requirement of a maturity level and whether it is
// met.
type RequirementCheck struct {
	Area  string
	Level int // the level the view requires
	// RatedAt is the level the area was judged at: Level, or the area's
	// highest level in scope when that is lower; 0 if the area has none.
	RatedAt int
	Rating  Rating
	Met     bool
	Rule    string
}

// MaturityLevelStatus is the outcome for one maturity level the view
// defines, up to the target.
type MaturityLevelStatus struct {
	Level        int
	Status       LevelStatus
	Rule         string
	Requirements []RequirementCheck // sorted by area
}

// OpenDecision is a team judgement the rating still needs.
type OpenDecision struct {
	Key      string
	Rule     string
	Question string
	Allowed  []string
}

// Pair is an (instance, practice) pair.
type Pair struct {
	Instance string
	Practice string
}

// Counts counts organizational characterizations.
type Counts struct {
	FM, LM, PM, DM, NY, NA int
	NotRated               int // not rated or waiting for a decision
}

// Profile is one row of the AI benchmark.
type Profile struct {
	Domain    string   // set on domain rows
	Scenario  Scenario // set on scenario rows
	Practices int      // practices counted
	Counts    Counts
	Rated     int // FM + LM + PM + DM
	// Score is 100 × (3·FM + 2·LM + PM) / (3·Rated), rounded half up; 0
	// when Rated is 0. It is this platform's measure, not an official one.
	Score int
}

// AIBenchmark profiles the practices with AI context. It sits beside the
// ratings and never changes them.
type AIBenchmark struct {
	Total     Profile
	Domains   []Profile // sorted by domain
	Scenarios []Profile // one per scenario, in enum order
}

// Result is what Rate returns. Every slice is sorted.
type Result struct {
	Org   []OrgCharacterization // by practice id
	Areas []AreaRating          // by area
	// MaturityLevel is 1–5 once the appraisal is complete and targets a
	// maturity level; 0 otherwise (see MaturityRule).
	MaturityLevel  int
	MaturityRule   string
	MaturityLevels []MaturityLevelStatus // levels the view defines, up to the target
	OpenDecisions  []OpenDecision        // by key
	// UnusedDecisions are recorded decisions no open question needs now.
	UnusedDecisions []string
	Missing         []Pair // by instance, then practice
	Complete        bool   // see RuleComplete
	Benchmark       AIBenchmark
}

// Practice returns the organizational characterization of a practice.
func (r Result) Practice(id string) (OrgCharacterization, bool) {
	for _, o := range r.Org {
		if o.Practice == id {
			return o, true
		}
	}
	return OrgCharacterization{}, false
}

// Area returns the rating of a practice area.
func (r Result) Area(area string) (AreaRating, bool) {
	for _, a := range r.Areas {
		if a.Area == area {
			return a, true
		}
	}
	return AreaRating{}, false
}
