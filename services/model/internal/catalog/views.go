package catalog

import (
	"slices"
	"strconv"
	"strings"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
)

// ResolveView returns what a view selects from a version's content.
//
// With maturityLevel 0 it is the whole view: every practice area of the view
// at the highest level any of its practices has, and all their practices.
// With a maturity level from 2 to 5 that the view defines, it is what that
// level requires together with the levels below it: each practice area any
// of those levels names, at the highest level they require, and the
// practices of those areas at or below that level.
//
// Areas come sorted by acronym, practices (as ids) in key order. Practice
// areas may be named by alias; the result uses acronyms. A maturity level
// the view does not define, or a practice area b lacks, is an Invalid error
// naming the field "maturity_level" or "view".
func ResolveView(b *modelv1.ModelBundle, v *modelv1.View, maturityLevel int) (areas []*modelv1.PracticeAreaLevel, practices []string, err error) {
	if v == nil {
		return nil, nil, errs.InvalidArgument(errs.Violation("view", "is required"))
	}
	ix := newIndex(b)
	resolve := func(s string) (string, error) {
		id, _, ok := ix.practiceAreas.resolve(strings.ToUpper(strings.TrimSpace(s)))
		if !ok {
			return "", errs.InvalidArgument(errs.Violation("view",
				"the view names practice area %q, which the model version does not have", s))
		}
		return id, nil
	}

	want := map[string]int{} // canonical area → required level
	switch {
	case maturityLevel == 0:
		for _, s := range v.GetPracticeAreas() {
			id, err := resolve(s)
			if err != nil {
				return nil, nil, err
			}
			want[id] = ix.maxLevel[id]
		}
	case maturityLevel < 2 || maturityLevel > 5:
		return nil, nil, errs.InvalidArgument(errs.Violation("maturity_level",
			"must be 0 (the whole view) or a maturity level from 2 to 5, not %d", maturityLevel))
	default:
		defined := false
		for _, ml := range v.GetMaturityLevels() {
			level := int(ml.GetMaturityLevel())
			if level == maturityLevel {
				defined = true
			}
			if level > maturityLevel {
				continue
			}
			for _, req := range ml.GetRequirements() {
				id, err := resolve(req.GetPracticeArea())
				if err != nil {
					return nil, nil, err
				}
				want[id] = max(want[id], int(req.GetLevel()))
			}
		}
		if !defined {
			return nil, nil, errs.InvalidArgument(errs.Violation("maturity_level",
				"the view defines maturity levels %s; %d is not one of them", definedLevels(v), maturityLevel))
		}
	}

	for id, level := range want {
		areas = append(areas, &modelv1.PracticeAreaLevel{PracticeArea: id, Level: int32(level)})
	}
	slices.SortFunc(areas, func(x, y *modelv1.PracticeAreaLevel) int {
		return strings.Compare(x.GetPracticeArea(), y.GetPracticeArea())
	})

	var ids []PracticeID
	for _, p := range b.GetPractices() {
		id, _, ok := ix.practiceAreas.resolve(p.GetPracticeArea())
		if !ok {
			continue
		}
		level, selected := want[id]
		if !selected || int(p.GetLevel()) > level {
			continue
		}
		pid, err := ParsePracticeID(p.GetId())
		if err != nil {
			continue
		}
		ids = append(ids, pid)
	}
	slices.SortFunc(ids, PracticeID.Compare)
	ids = slices.CompactFunc(ids, func(x, y PracticeID) bool { return x.Compare(y) == 0 })
	practices = make([]string, len(ids))
	for i, id := range ids {
		practices[i] = id.String()
	}
	return areas, practices, nil
}

// definedLevels lists the maturity levels a view defines, "2, 3", or
// "none".
func definedLevels(v *modelv1.View) string {
	var levels []int
	for _, ml := range v.GetMaturityLevels() {
		levels = append(levels, int(ml.GetMaturityLevel()))
	}
	if len(levels) == 0 {
		return "none"
	}
	slices.Sort(levels)
	levels = slices.Compact(levels)
	parts := make([]string, len(levels))
	for i, l := range levels {
		parts[i] = strconv.Itoa(l)
	}
	return strings.Join(parts, ", ")
}
