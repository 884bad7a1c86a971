// Package rating turns the characterizations an appraisal team records into
// the ratings of a CMMI AIM appraisal, free of gRPC and storage.
//
// Rate is a pure function. It aggregates the characterization of each
// practice from the sampled instances to the organizational unit, rates
// each practice area per practice group level, derives a capability level
// per practice area and, when the scope targets one, the maturity level of
// the view. Beside the maturity level it profiles the practices with AI
// context per domain and per AI usage scenario (the AI benchmark, this
// platform's own measure).
//
// Where the appraisal method leaves the outcome to the team's judgement,
// Rate does not guess: it reports the allowed values as an open decision
// and waits for a recorded Decision (value, rationale, who). Every outcome
// names the rule that produced it; the rules, with their ids, are written
// down in docs/rating-rules.md, and RuleIDs lists them.
//
// Expiry, CapSustainment and ReassessmentScope apply the validity rules of
// the appraisal types: Benchmark, Sustainment, Evaluation and Action Plan
// Reappraisal.
package rating
