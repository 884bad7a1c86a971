package rating

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aim-platform/aim/platform/errs"
)

// Violation reasons, one family per input rule (see RuleIDs).
const (
	ReasonEmptyID            = "EMPTY_ID"            // INP-1
	ReasonDuplicateID        = "DUPLICATE_ID"        // INP-1
	ReasonOutOfRange         = "OUT_OF_RANGE"        // INP-2
	ReasonUnknownReference   = "UNKNOWN_REFERENCE"   // INP-3
	ReasonNotApplicablePair  = "NOT_APPLICABLE_PAIR" // INP-4
	ReasonUnknownDecision    = "UNKNOWN_DECISION"    // INP-5
	ReasonValueNotAllowed    = "VALUE_NOT_ALLOWED"   // INP-5
	ReasonDecisionIncomplete = "DECISION_INCOMPLETE" // INP-5
	ReasonUndefinedLevel     = "UNDEFINED_LEVEL"     // INP-6
)

// Level bounds of practice groups and maturity levels.
const (
	MinPracticeLevel = 1
	MaxPracticeLevel = 5
	MinMaturityLevel = 2
	MaxMaturityLevel = 5
	// MaxCapabilityLevel is the highest capability level: levels 4 and 5
	// count towards maturity levels only.
	MaxCapabilityLevel = 3
)

// plan is a checked, indexed copy of an Input that the rating steps share.
type plan struct {
	in        Input
	practices []Practice
	instances []Instance
	np, ni    int
	pidx      map[string]int
	iidx      map[string]int
	// grid and applies are practice-major: index p*ni + i.
	grid    []Characterization
	applies []bool // nil: every practice applies to every instance
	areas   []areaPlan
	areaIdx map[string]int
	carried []bool // per practice: taken over from in.Previous
	// prevGroups and prevOrg index in.Previous.
	prevGroups map[AreaLevel]LevelRating
	prevOrg    map[string]OrgCharacterization
}

// areaPlan lists an area's practices by level.
type areaPlan struct {
	name   string
	groups [][]int // groups[L-1]: practice indexes at level L, by id
}

type violations []errs.FieldViolation

func (v *violations) add(field, reason, format string, args ...any) {
	*v = append(*v, errs.FieldViolation{Field: field, Description: fmt.Sprintf(format, args...), Reason: reason})
}

func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	slices.SortFunc(v, func(a, b errs.FieldViolation) int {
		return cmp.Or(strings.Compare(a.Field, b.Field), strings.Compare(a.Description, b.Description))
	})
	return errs.InvalidArgument(v...)
}

// newPlan checks an Input (rules INP-1 to INP-6) and indexes it.
func newPlan(in Input) (*plan, error) {
	s := in.Scope
	p := &plan{
		in: in, practices: s.Practices, instances: s.Instances,
		np: len(s.Practices), ni: len(s.Instances),
		pidx: make(map[string]int, len(s.Practices)), iidx: make(map[string]int, len(s.Instances)),
		areaIdx: map[string]int{},
	}
	var v violations

	view := make(map[string]bool, len(s.ViewAreas))
	for k, a := range s.ViewAreas {
		path := fmt.Sprintf("scope.view_areas[%d]", k)
		switch {
		case a == "":
			v.add(path, ReasonEmptyID, "the practice area must not be empty")
		case view[a]:
			v.add(path, ReasonDuplicateID, "practice area %s is repeated", a)
		}
		view[a] = true
	}

	for k, pr := range s.Practices {
		path := fmt.Sprintf("scope.practices[%d]", k)
		switch _, dup := p.pidx[pr.ID]; {
		case pr.ID == "":
			v.add(path+".id", ReasonEmptyID, "the practice id must not be empty")
		case dup:
			v.add(path+".id", ReasonDuplicateID, "practice %s is repeated", pr.ID)
		default:
			p.pidx[pr.ID] = k
		}
		switch {
		case pr.Area == "":
			v.add(path+".area", ReasonEmptyID, "the practice area must not be empty")
		case len(s.ViewAreas) > 0 && !view[pr.Area]:
			v.add(path+".area", ReasonUnknownReference, "practice area %s is not in the view", pr.Area)
		}
		if pr.Level < MinPracticeLevel || pr.Level > MaxPracticeLevel {
			v.add(path+".level", ReasonOutOfRange, "the practice group level must be from %d to %d, not %d",
				MinPracticeLevel, MaxPracticeLevel, pr.Level)
		}
		if pr.HasAIContext && pr.Domain == "" {
			v.add(path+".domain", ReasonEmptyID, "a practice with AI context needs a domain")
		}
		for j, sc := range pr.Scenarios {
			if sc < SupportAugmentation || sc > FullyAutonomous {
				v.add(fmt.Sprintf("%s.scenarios[%d]", path, j), ReasonOutOfRange, "%d is not an AI usage scenario", int(sc))
			}
		}
	}

	for k, inst := range s.Instances {
		path := fmt.Sprintf("scope.instances[%d]", k)
		switch _, dup := p.iidx[inst.ID]; {
		case inst.ID == "":
			v.add(path+".id", ReasonEmptyID, "the instance id must not be empty")
		case dup:
			v.add(path+".id", ReasonDuplicateID, "instance %s is repeated", inst.ID)
		default:
			p.iidx[inst.ID] = k
		}
		if inst.Scenario < NoScenario || inst.Scenario > FullyAutonomous {
			v.add(path+".scenario", ReasonOutOfRange, "%d is not an AI usage scenario", int(inst.Scenario))
		}
	}

	for _, ml := range sortedKeys(s.MaturityLevels) {
		path := fmt.Sprintf("scope.maturity_levels[%d]", ml)
		if ml < MinMaturityLevel || ml > MaxMaturityLevel {
			v.add(path, ReasonOutOfRange, "a view defines maturity levels %d to %d, not %d", MinMaturityLevel, MaxMaturityLevel, ml)
		}
		seen := map[string]bool{}
		for j, req := range s.MaturityLevels[ml] {
			rp := fmt.Sprintf("%s[%d]", path, j)
			switch {
			case req.Area == "":
				v.add(rp+".area", ReasonEmptyID, "the practice area must not be empty")
			case seen[req.Area]:
				v.add(rp+".area", ReasonDuplicateID, "practice area %s is repeated", req.Area)
			case len(s.ViewAreas) > 0 && !view[req.Area]:
				v.add(rp+".area", ReasonUnknownReference, "practice area %s is not in the view", req.Area)
			}
			seen[req.Area] = true
			if req.Level < MinPracticeLevel || req.Level > MaxPracticeLevel {
				v.add(rp+".level", ReasonOutOfRange, "the practice group level must be from %d to %d, not %d",
					MinPracticeLevel, MaxPracticeLevel, req.Level)
			}
		}
	}
	if t := s.TargetMaturityLevel; t != 0 {
		if _, ok := s.MaturityLevels[t]; !ok || t < MinMaturityLevel || t > MaxMaturityLevel {
			v.add("scope.target_maturity_level", ReasonUndefinedLevel,
				"the target must be 0 (capability profile) or a maturity level the view defines, not %d", t)
		}
	}

	p.indexAreas()
	p.indexPrevious()
	if err := p.fillGrid(&v); err != nil {
		return nil, err
	}
	p.checkDecisions(&v)
	if err := v.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// indexAreas groups the practices by area and level, areas by name and
// practices by id.
func (p *plan) indexAreas() {
	order := make([]int, p.np)
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int {
		x, y := p.practices[a], p.practices[b]
		return cmp.Or(strings.Compare(x.Area, y.Area), cmp.Compare(x.Level, y.Level), strings.Compare(x.ID, y.ID))
	})
	for _, k := range order {
		pr := p.practices[k]
		if pr.Level < MinPracticeLevel || pr.Level > MaxPracticeLevel {
			continue // reported by newPlan
		}
		ai, ok := p.areaIdx[pr.Area]
		if !ok {
			ai = len(p.areas)
			p.areaIdx[pr.Area] = ai
			p.areas = append(p.areas, areaPlan{name: pr.Area})
		}
		a := &p.areas[ai]
		for len(a.groups) < pr.Level {
			a.groups = append(a.groups, nil)
		}
		a.groups[pr.Level-1] = append(a.groups[pr.Level-1], k)
	}
}

// indexPrevious marks the practices an Action Plan Reappraisal carries
// over (rule APR-2): those of every practice group the previous result
// rated satisfied or not applicable, when it holds a final value for each
// of their practices.
func (p *plan) indexPrevious() {
	p.carried = make([]bool, p.np)
	prev := p.in.Previous
	if prev == nil {
		return
	}
	p.prevGroups = map[AreaLevel]LevelRating{}
	for _, a := range prev.Areas {
		for _, l := range a.Levels {
			p.prevGroups[AreaLevel{a.Area, l.Level}] = l
		}
	}
	p.prevOrg = make(map[string]OrgCharacterization, len(prev.Org))
	for _, o := range prev.Org {
		p.prevOrg[o.Practice] = o
	}
	for _, a := range p.areas {
		for l, group := range a.groups {
			g, ok := p.prevGroups[AreaLevel{a.name, l + 1}]
			if !ok || len(group) == 0 || (g.Group != Satisfied && g.Group != RatingNotApplicable) {
				continue
			}
			all := true
			for _, k := range group {
				o, ok := p.prevOrg[p.practices[k].ID]
				if !ok || o.Pending || o.Value == Unspecified || !o.Value.valid() {
					all = false
					break
				}
			}
			if all {
				for _, k := range group {
					p.carried[k] = true
				}
			}
		}
	}
}

// fillGrid copies the instance characterizations into the grid, checking
// rules INP-2 to INP-4.
func (p *plan) fillGrid(v *violations) error {
	p.grid = make([]Characterization, p.np*p.ni)
	if f := p.in.Scope.Applies; f != nil {
		p.applies = make([]bool, p.np*p.ni)
		for k, pr := range p.practices {
			row := p.applies[k*p.ni : (k+1)*p.ni]
			for i, inst := range p.instances {
				row[i] = f(pr, inst)
			}
		}
	}
	if p.in.Cells != nil {
		return p.fillGridFromCells(v)
	}
	for instID, row := range p.in.Instance {
		i, ok := p.iidx[instID]
		if !ok {
			v.add(fmt.Sprintf("instance[%s]", instID), ReasonUnknownReference, "instance %q is not in scope", instID)
			continue
		}
		for pid, c := range row {
			k, known := p.pidx[pid]
			p.setCell(v, instID, i, k, known, func() string { return pid }, c)
		}
	}
	return nil
}

// fillGridFromCells is fillGrid for Input.Cells.
func (p *plan) fillGridFromCells(v *violations) error {
	var (
		last    []byte // the previous cell's instance id
		i       = -1   // its index; -1 when it is not in scope
		unknown = map[string]bool{}
	)
	return p.in.Cells(func(inst, pid []byte, c Characterization) error {
		if last == nil || !bytes.Equal(inst, last) {
			last = append(last[:0:0], inst...)
			var ok bool
			if i, ok = p.iidx[string(inst)]; !ok {
				i = -1
				if !unknown[string(inst)] {
					unknown[string(inst)] = true
					v.add(fmt.Sprintf("instance[%s]", inst), ReasonUnknownReference, "instance %q is not in scope", inst)
				}
			}
		}
		if i >= 0 {
			k, known := p.pidx[string(pid)]
			p.setCell(v, p.instances[i].ID, i, k, known, func() string { return string(pid) }, c)
		}
		return nil
	})
}

// setCell checks characterization c of instance i for the practice at
// index k (known: its id is in scope) and puts it in the grid. pid gives
// the practice id for a violation; it is called only when there is one, so
// the common case builds no string (Cells passes byte slices).
func (p *plan) setCell(v *violations, instID string, i, k int, known bool, pid func() string, c Characterization) {
	path := func() string { return fmt.Sprintf("instance[%s][%s]", instID, pid()) }
	switch {
	case !known:
		v.add(path(), ReasonUnknownReference, "practice %q is not in scope", pid())
		return
	case !c.valid():
		v.add(path(), ReasonOutOfRange, "%d is not a characterization", int(c))
		return
	case c == Unspecified:
		return
	case p.carried[k]:
		v.add(path(), ReasonNotApplicablePair, "practice %s is carried from the previous appraisal and is not rated again", pid())
		return
	case c != NotApplicable && !p.appliesTo(k, i):
		v.add(path(), ReasonNotApplicablePair, "practice %s does not apply to instance %s; only NA may be recorded", pid(), instID)
		return
	}
	p.grid[k*p.ni+i] = c
}

func (p *plan) appliesTo(k, i int) bool { return p.applies == nil || p.applies[k*p.ni+i] }

// checkDecisions checks the recorded decisions (rule INP-5).
func (p *plan) checkDecisions(v *violations) {
	for key, d := range p.in.Decisions {
		path := fmt.Sprintf("decisions[%s]", key)
		if d.Key != "" && d.Key != key {
			v.add(path+".key", ReasonUnknownDecision, "the decision's key %q differs from the key %q it is recorded under", d.Key, key)
		}
		allowed, ok := p.decisionValues(key)
		if !ok {
			v.add(path, ReasonUnknownDecision, "%q names no practice or practice group in scope; keys are org:<practice> or par:<area>:<level>", key)
			continue
		}
		if !slices.Contains(allowed, d.Value) {
			v.add(path+".value", ReasonValueNotAllowed, "decision %s allows %s, not %q", key, strings.Join(allowed, " or "), d.Value)
		}
		if strings.TrimSpace(d.Rationale) == "" {
			v.add(path+".rationale", ReasonDecisionIncomplete, "decision %s needs a rationale", key)
		}
		if strings.TrimSpace(d.By) == "" {
			v.add(path+".by", ReasonDecisionIncomplete, "decision %s needs the name of who decided", key)
		}
	}
}

// decisionValues returns the values a decision key allows, or false when
// the key names nothing in scope.
func (p *plan) decisionValues(key string) ([]string, bool) {
	if id, ok := strings.CutPrefix(key, "org:"); ok {
		if _, ok := p.pidx[id]; ok {
			return []string{ValueLM, ValuePM}, true
		}
		return nil, false
	}
	rest, ok := strings.CutPrefix(key, "par:")
	if !ok {
		return nil, false
	}
	cut := strings.LastIndexByte(rest, ':')
	if cut < 0 {
		return nil, false
	}
	level, err := strconv.Atoi(rest[cut+1:])
	ai, known := p.areaIdx[rest[:cut]]
	if err != nil || strconv.Itoa(level) != rest[cut+1:] || !known || level < 1 || level > len(p.areas[ai].groups) || len(p.areas[ai].groups[level-1]) == 0 {
		return nil, false
	}
	return []string{ValueSatisfied, ValueNotSatisfied}, true
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
