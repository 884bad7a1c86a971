package rating

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Rate rates an appraisal. It never panics and changes nothing it is
// given. The error is an *errs.Error of kind Invalid, with one field
// violation per problem, when the input is malformed (rules INP-1 to
// INP-6); the rating itself never fails: what it cannot decide yet it
// reports as not rated, pending, missing or an open decision.
func Rate(in Input) (Result, error) {
	p, err := newPlan(in)
	if err != nil {
		return Result{}, err
	}
	var r Result
	used := map[string]bool{}
	org := p.aggregate(&r, used)
	p.rateAreas(&r, org, used)
	r.Missing = p.missing()

	// CMP-1: complete when there is something to rate, every applicable
	// pair is characterized and no decision is open.
	r.Complete = p.np > 0 && len(r.Missing) == 0 && len(r.OpenDecisions) == 0
	for _, o := range org {
		if o.Rule == RuleAggNoInstances {
			r.Complete = false
		}
	}
	p.maturity(&r)
	r.Benchmark = benchmark(p.practices, org)

	r.Org = slices.Clone(org)
	slices.SortFunc(r.Org, func(a, b OrgCharacterization) int { return strings.Compare(a.Practice, b.Practice) })
	slices.SortFunc(r.OpenDecisions, func(a, b OpenDecision) int { return strings.Compare(a.Key, b.Key) })
	for _, key := range slices.Sorted(maps.Keys(in.Decisions)) {
		if !used[key] {
			r.UnusedDecisions = append(r.UnusedDecisions, key)
		}
	}
	return r, nil
}

// aggregate characterizes every practice for the organizational unit
// (rules AGG-1 to AGG-9, APR-2). The result is indexed like the scope's
// practices.
func (p *plan) aggregate(r *Result, used map[string]bool) []OrgCharacterization {
	org := make([]OrgCharacterization, p.np)
	for k, pr := range p.practices {
		o := &org[k]
		o.Practice = pr.ID
		if p.carried[k] {
			prev := p.prevOrg[pr.ID]
			o.Value, o.Decision, o.Carried, o.Rule = prev.Value, prev.Decision, true, RuleReassessCarry
			continue
		}
		if p.ni == 0 {
			o.Rule = RuleAggNoInstances
			continue
		}
		var n [NotApplicable + 1]int
		row := p.grid[k*p.ni : (k+1)*p.ni]
		for i, c := range row {
			if p.applies != nil && !p.applies[k*p.ni+i] {
				n[NotApplicable]++
				continue
			}
			n[c]++
		}
		fmlm, pmdm := n[FullyMeets]+n[LargelyMeets], n[PartiallyMeets]+n[DoesNotMeet]
		switch {
		case n[Unspecified] > 0:
			o.Rule = RuleAggMissing
		case fmlm+pmdm+n[NotYet] == 0:
			o.Value, o.Rule = NotApplicable, RuleAggNA
		case fmlm+pmdm == 0:
			o.Value, o.Rule = NotYet, RuleAggNY
		case pmdm == 0 && n[LargelyMeets] == 0:
			o.Value, o.Rule = FullyMeets, RuleAggFM
		case pmdm == 0:
			o.Value, o.Rule = LargelyMeets, RuleAggLM
		case fmlm == 0 && n[PartiallyMeets] > 0:
			o.Value, o.Rule = PartiallyMeets, RuleAggPM
		case fmlm == 0:
			o.Value, o.Rule = DoesNotMeet, RuleAggDM
		default:
			o.Rule = RuleAggJudgement
			key := OrgDecisionKey(pr.ID)
			if d, ok := p.in.Decisions[key]; ok {
				used[key] = true
				o.Decision = key
				o.Value = LargelyMeets
				if d.Value == ValuePM {
					o.Value = PartiallyMeets
				}
				continue
			}
			o.Pending = true
			o.Allowed = []Characterization{LargelyMeets, PartiallyMeets}
			r.OpenDecisions = append(r.OpenDecisions, OpenDecision{
				Key: key, Rule: RuleAggJudgement, Allowed: []string{ValueLM, ValuePM},
				Question: fmt.Sprintf("The instances disagree on practice %s (FM %d, LM %d, PM %d, DM %d). "+
					"Is it Largely Meets or Partially Meets for the organizational unit?",
					pr.ID, n[FullyMeets], n[LargelyMeets], n[PartiallyMeets], n[DoesNotMeet]),
			})
		}
	}
	return org
}

// rateAreas rates every practice group (PAR-0 to PAR-7), every area at
// every level (PAR-8 to PAR-12) and the capability levels (CL-1 to CL-4).
func (p *plan) rateAreas(r *Result, org []OrgCharacterization, used map[string]bool) {
	r.Areas = make([]AreaRating, len(p.areas))
	for ai, a := range p.areas {
		ar := &r.Areas[ai]
		ar.Area = a.name
		for _, groups := range a.groups {
			for _, k := range groups {
				if ar.Domain == "" {
					ar.Domain = p.practices[k].Domain
				}
			}
		}
		ar.Levels = make([]LevelRating, len(a.groups))
		for l, group := range a.groups {
			lr := &ar.Levels[l]
			lr.Level = l + 1
			lr.Group, lr.GroupRule, lr.Decision = p.rateGroup(r, a.name, l+1, group, org, used)
			lr.Rating, lr.Rule = cumulative(ar.Levels[:l+1])
		}
		ar.Capability = capability(ar.Levels)
	}
}

// rateGroup rates the practices of one area at one level.
func (p *plan) rateGroup(r *Result, area string, level int, group []int, org []OrgCharacterization,
	used map[string]bool) (Rating, string, string) {
	if len(group) == 0 {
		return RatingNotApplicable, RuleGroupEmpty, ""
	}
	if p.carried[group[0]] {
		prev := p.prevGroups[AreaLevel{area, level}]
		return prev.Group, RuleReassessCarry, prev.Decision
	}
	var notRated, notYet, na, weak, pending int
	var lm []string
	for _, k := range group {
		o := org[k]
		switch {
		case o.Pending:
			pending++
		case o.Value == Unspecified:
			notRated++
		case o.Value == NotYet:
			notYet++
		case o.Value == NotApplicable:
			na++
		case o.Value == PartiallyMeets || o.Value == DoesNotMeet:
			weak++
		case o.Value == LargelyMeets:
			lm = append(lm, o.Practice)
		}
	}
	switch {
	case notRated > 0:
		return NotRated, RuleGroupNotRated, ""
	case notYet > 0:
		return NotRated, RuleGroupNotYet, ""
	case na == len(group):
		return RatingNotApplicable, RuleGroupNA, ""
	case weak > 0:
		return NotSatisfied, RuleGroupWeak, ""
	case pending > 0:
		return Pending, RuleGroupPending, ""
	case len(lm) == 0:
		return Satisfied, RuleGroupAllFM, ""
	}
	key := GroupDecisionKey(area, level)
	if d, ok := p.in.Decisions[key]; ok {
		used[key] = true
		if d.Value == ValueSatisfied {
			return Satisfied, RuleGroupJudgement, key
		}
		return NotSatisfied, RuleGroupJudgement, key
	}
	r.OpenDecisions = append(r.OpenDecisions, OpenDecision{
		Key: key, Rule: RuleGroupJudgement, Allowed: []string{ValueSatisfied, ValueNotSatisfied},
		Question: fmt.Sprintf("Every practice of %s at level %d is Fully or Largely Meets (Largely: %s). "+
			"Are the weaknesses without significant negative impact (satisfied), or not (not-satisfied)?",
			area, level, strings.Join(lm, ", ")),
	})
	return Pending, RuleGroupJudgement, ""
}

// cumulative rates an area at a level from its groups at that level and
// below.
func cumulative(levels []LevelRating) (Rating, string) {
	var has [Pending + 1]bool
	for _, l := range levels {
		has[l.Group] = true
	}
	switch {
	case has[NotRated]:
		return NotRated, RuleLevelNotRated
	case has[NotSatisfied]:
		return NotSatisfied, RuleLevelNotSatisfy
	case has[Pending]:
		return Pending, RuleLevelPending
	case !has[Satisfied]:
		return RatingNotApplicable, RuleLevelNA
	}
	return Satisfied, RuleLevelSatisfied
}

// capability derives an area's capability level from its level ratings.
func capability(levels []LevelRating) CapabilityLevel {
	top := min(len(levels), MaxCapabilityLevel)
	cl, na := 0, top > 0
	for _, l := range levels[:top] {
		if l.Rating == Satisfied {
			cl = l.Level
		}
		na = na && l.Rating == RatingNotApplicable
	}
	switch {
	case na:
		return CapabilityLevel{NotApplicable: true, Rule: RuleCapabilityNA}
	case cl == 0:
		return CapabilityLevel{Rule: RuleCapabilityCL0}
	case cl == MaxCapabilityLevel && len(levels) > MaxCapabilityLevel && levels[MaxCapabilityLevel].Rating == Satisfied:
		return CapabilityLevel{Level: cl, Rule: RuleCapabilityCap}
	}
	return CapabilityLevel{Level: cl, Rule: RuleCapability}
}

// missing lists the applicable pairs still uncharacterized (AGG-1), by
// instance id, then practice id.
func (p *plan) missing() []Pair {
	if p.ni == 0 || p.np == 0 {
		return nil
	}
	insts := make([]int, p.ni)
	for i := range insts {
		insts[i] = i
	}
	slices.SortFunc(insts, func(a, b int) int { return strings.Compare(p.instances[a].ID, p.instances[b].ID) })
	pracs := make([]int, 0, p.np)
	for k := range p.practices {
		if !p.carried[k] {
			pracs = append(pracs, k)
		}
	}
	slices.SortFunc(pracs, func(a, b int) int { return strings.Compare(p.practices[a].ID, p.practices[b].ID) })
	var out []Pair
	for _, i := range insts {
		for _, k := range pracs {
			if p.grid[k*p.ni+i] == Unspecified && p.appliesTo(k, i) {
				out = append(out, Pair{Instance: p.instances[i].ID, Practice: p.practices[k].ID})
			}
		}
	}
	return out
}

// maturity rates the maturity level (ML-1 to ML-8).
func (p *plan) maturity(r *Result) {
	target := p.in.Scope.TargetMaturityLevel
	if target == 0 {
		r.MaturityRule = RuleMaturityNone
		return
	}
	for _, ml := range sortedKeys(p.in.Scope.MaturityLevels) {
		if ml > target {
			break
		}
		st := MaturityLevelStatus{Level: ml, Status: Achieved, Rule: RuleMaturityLevel}
		definite := r.Complete
		for _, req := range p.in.Scope.MaturityLevels[ml] {
			c := RequirementCheck{Area: req.Area, Level: req.Level, Rating: NotRated, Rule: RuleMaturityOutOfScope}
			if ai, ok := p.areaIdx[req.Area]; ok {
				lr, _ := r.Areas[ai].At(req.Level)
				c.RatedAt, c.Rating, c.Rule = lr.Level, lr.Rating, RuleMaturityRequirement
			}
			c.Met = c.Rating == Satisfied || c.Rating == RatingNotApplicable
			if !c.Met {
				st.Status = Undetermined
				definite = definite || c.Rating == NotSatisfied || c.Rule == RuleMaturityOutOfScope
			}
			st.Requirements = append(st.Requirements, c)
		}
		if st.Status == Undetermined && definite {
			st.Status = NotAchieved
		}
		if st.Status == Achieved && !slices.ContainsFunc(st.Requirements, func(c RequirementCheck) bool { return c.Rating == Satisfied }) {
			st.Status, st.Rule = NotAchieved, RuleMaturityNAOnly
		}
		slices.SortFunc(st.Requirements, func(a, b RequirementCheck) int { return strings.Compare(a.Area, b.Area) })
		r.MaturityLevels = append(r.MaturityLevels, st)
	}
	if !r.Complete {
		r.MaturityRule = RuleMaturityIncomplete
		return
	}
	r.MaturityLevel, r.MaturityRule = 1, RuleMaturityInitial
	for _, st := range r.MaturityLevels {
		if st.Status != Achieved {
			break
		}
		r.MaturityLevel, r.MaturityRule = st.Level, RuleMaturityHighest
	}
}
