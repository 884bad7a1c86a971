package rating

// Rule ids. Each names one row of docs/rating-rules.md; outcomes carry the
// id of the rule that decided them. The ids are stable: a changed rule gets
// a new id, a retired id is never reused.
const (
	// Input checks (an Invalid error; the violation's Reason is given).
	RuleInputIDs       = "INP-1" // ids empty or repeated: EMPTY_ID, DUPLICATE_ID
	RuleInputRange     = "INP-2" // levels, scenarios, values out of range: OUT_OF_RANGE
	RuleInputReference = "INP-3" // unknown instance, practice or area: UNKNOWN_REFERENCE
	RuleInputApplies   = "INP-4" // a value for a pair that does not apply or is carried: NOT_APPLICABLE_PAIR
	RuleInputDecision  = "INP-5" // a malformed decision: UNKNOWN_DECISION, VALUE_NOT_ALLOWED, DECISION_INCOMPLETE
	RuleInputTarget    = "INP-6" // a target maturity level the view does not define: UNDEFINED_LEVEL

	// Aggregation of instance characterizations to the organizational unit.
	RuleAggMissing     = "AGG-1" // an applicable instance is uncharacterized: not rated
	RuleAggNoInstances = "AGG-2" // the scope has no instance: not rated
	RuleAggNA          = "AGG-3" // no applicable instance, or all NA: NA
	RuleAggNY          = "AGG-4" // all applicable instances NY: NY
	RuleAggFM          = "AGG-5" // all FM (NY left out): FM
	RuleAggLM          = "AGG-6" // FM and LM only, at least one LM: LM
	RuleAggJudgement   = "AGG-7" // FM/LM and PM/DM mixed: team decides LM or PM
	RuleAggPM          = "AGG-8" // PM and DM only, at least one PM: PM
	RuleAggDM          = "AGG-9" // all DM: DM

	// Practice group ratings (the practices of one area at one level).
	RuleGroupEmpty      = "PAR-0"  // no practice of the area at this level: NA
	RuleGroupNotRated   = "PAR-1"  // a practice not rated at org level: not rated
	RuleGroupNotYet     = "PAR-2"  // a practice NY at org level: not rated
	RuleGroupNA         = "PAR-3"  // all practices NA: NA
	RuleGroupWeak       = "PAR-4"  // a practice PM or DM: not satisfied
	RuleGroupPending    = "PAR-5"  // an org judgement is open: pending
	RuleGroupAllFM      = "PAR-6"  // all FM (or NA): satisfied
	RuleGroupJudgement  = "PAR-7"  // FM/LM with at least one LM: team decides
	RuleLevelNotRated   = "PAR-8"  // a group at or below L not rated: not rated
	RuleLevelNotSatisfy = "PAR-9"  // a group at or below L not satisfied: not satisfied
	RuleLevelPending    = "PAR-10" // a group at or below L pending: pending
	RuleLevelNA         = "PAR-11" // every group at or below L NA: NA
	RuleLevelSatisfied  = "PAR-12" // otherwise: satisfied

	// Capability levels.
	RuleCapability    = "CL-1" // highest L in 1..3 at which the area is satisfied
	RuleCapabilityCL0 = "CL-2" // satisfied at no level: CL0
	RuleCapabilityCap = "CL-3" // satisfied above level 3: still CL3
	RuleCapabilityNA  = "CL-4" // NA at every level up to 3: no capability level

	// Maturity level.
	RuleMaturityNone        = "ML-1" // no target: capability profile only
	RuleMaturityRequirement = "ML-2" // a requirement is met iff satisfied or NA
	RuleMaturityOutOfScope  = "ML-3" // a required area with no practice in scope: never met
	RuleMaturityLevel       = "ML-4" // achieved / not achieved / undetermined per level
	RuleMaturityHighest     = "ML-5" // complete: highest level achieved with all below
	RuleMaturityInitial     = "ML-6" // complete, no level achieved: ML1
	RuleMaturityIncomplete  = "ML-7" // incomplete: no maturity level yet
	RuleMaturityNAOnly      = "ML-8" // no requirement satisfied (all NA): not achieved

	// Completeness.
	RuleComplete = "CMP-1"

	// AI benchmark (this platform's own measure).
	RuleBenchSelect   = "BM-1" // practices with AI context, org values, per domain
	RuleBenchScenario = "BM-2" // per AI usage scenario of the practice's additions
	RuleBenchCounts   = "BM-3" // counts by org characterization
	RuleBenchScore    = "BM-4" // the 0–100 score
	RuleBenchBeside   = "BM-5" // never changes a rating

	// Validity of appraisal results.
	RuleValidBenchmark   = "VAL-1" // 3 years
	RuleValidSustainment = "VAL-2" // extends the expiry by 2 years
	RuleValidInARow      = "VAL-3" // at most 3 sustainments in a row
	RuleValidCap         = "VAL-4" // a sustainment never raises the level
	RuleValidEvaluation  = "VAL-5" // no rating of record
	RuleValidReappraisal = "VAL-6" // keeps the previous expiry

	// Action Plan Reappraisal.
	RuleReassessScope = "APR-1" // what failed or was not rated
	RuleReassessCarry = "APR-2" // everything else is carried
)

// RuleIDs returns every rule id, in the order of docs/rating-rules.md.
func RuleIDs() []string {
	return []string{
		RuleInputIDs, RuleInputRange, RuleInputReference, RuleInputApplies, RuleInputDecision, RuleInputTarget,
		RuleAggMissing, RuleAggNoInstances, RuleAggNA, RuleAggNY, RuleAggFM, RuleAggLM, RuleAggJudgement, RuleAggPM, RuleAggDM,
		RuleGroupEmpty, RuleGroupNotRated, RuleGroupNotYet, RuleGroupNA, RuleGroupWeak, RuleGroupPending, RuleGroupAllFM, RuleGroupJudgement,
		RuleLevelNotRated, RuleLevelNotSatisfy, RuleLevelPending, RuleLevelNA, RuleLevelSatisfied,
		RuleCapability, RuleCapabilityCL0, RuleCapabilityCap, RuleCapabilityNA,
		RuleMaturityNone, RuleMaturityRequirement, RuleMaturityOutOfScope, RuleMaturityLevel, RuleMaturityHighest, RuleMaturityInitial, RuleMaturityIncomplete, RuleMaturityNAOnly,
		RuleComplete,
		RuleBenchSelect, RuleBenchScenario, RuleBenchCounts, RuleBenchScore, RuleBenchBeside,
		RuleValidBenchmark, RuleValidSustainment, RuleValidInARow, RuleValidCap, RuleValidEvaluation, RuleValidReappraisal,
		RuleReassessScope, RuleReassessCarry,
	}
}
