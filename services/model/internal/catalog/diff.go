package catalog

import (
	"slices"

	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

// Diff lists what changed from older to newer: practice areas and practices
// added and removed, practices whose content differs (naming the fields:
// "practice_area", "level", "statement", "explanation", "ai_context"), and
// AI context additions added, removed and changed (text, usage scenarios or
// applicability). Order inside a practice's AI context and inside the enum
// lists does not count as a change. Practice ids come in key order, practice
// area and addition ids in string order. Either bundle may be nil, which
// counts as empty.
func Diff(newer, older *modelv1.ModelBundle) *modelv1.DiffModelVersionsResponse {
	d := &modelv1.DiffModelVersionsResponse{}

	newAreas, oldAreas := areaSet(newer), areaSet(older)
	d.AddedPracticeAreas = missingFrom(newAreas, oldAreas)
	d.RemovedPracticeAreas = missingFrom(oldAreas, newAreas)
	slices.Sort(d.AddedPracticeAreas)
	slices.Sort(d.RemovedPracticeAreas)

	newPractices, oldPractices := practiceMap(newer), practiceMap(older)
	d.AddedPractices = missingFrom(newPractices, oldPractices)
	d.RemovedPractices = missingFrom(oldPractices, newPractices)
	slices.SortFunc(d.AddedPractices, comparePracticeIDStrings)
	slices.SortFunc(d.RemovedPractices, comparePracticeIDStrings)
	for id, n := range newPractices {
		if o, ok := oldPractices[id]; ok {
			if fields := changedPracticeFields(n, o); len(fields) > 0 {
				d.ChangedPractices = append(d.ChangedPractices, &modelv1.PracticeChange{Practice: id, Fields: fields})
			}
		}
	}
	slices.SortFunc(d.ChangedPractices, func(x, y *modelv1.PracticeChange) int {
		return comparePracticeIDStrings(x.GetPractice(), y.GetPractice())
	})

	newAI, oldAI := additionMap(newer), additionMap(older)
	d.AddedAiContext = missingFrom(newAI, oldAI)
	d.RemovedAiContext = missingFrom(oldAI, newAI)
	for id, n := range newAI {
		if o, ok := oldAI[id]; ok && !proto.Equal(n, o) {
			d.ChangedAiContext = append(d.ChangedAiContext, id)
		}
	}
	slices.Sort(d.AddedAiContext)
	slices.Sort(d.RemovedAiContext)
	slices.Sort(d.ChangedAiContext)
	return d
}

// changedPracticeFields names the fields in which two practices differ.
func changedPracticeFields(n, o *modelv1.BundlePractice) []string {
	var fields []string
	if n.GetPracticeArea() != o.GetPracticeArea() {
		fields = append(fields, "practice_area")
	}
	if n.GetLevel() != o.GetLevel() {
		fields = append(fields, "level")
	}
	if n.GetStatement() != o.GetStatement() {
		fields = append(fields, "statement")
	}
	if n.GetExplanation() != o.GetExplanation() {
		fields = append(fields, "explanation")
	}
	if !sameAIContext(n.GetAiContext(), o.GetAiContext()) {
		fields = append(fields, "ai_context")
	}
	return fields
}

// sameAIContext compares two lists of additions regardless of order.
func sameAIContext(a, b []*modelv1.AiContextAddition) bool {
	if len(a) != len(b) {
		return false
	}
	ca, cb := canonicalAdditions(a), canonicalAdditions(b)
	for i := range ca {
		if !proto.Equal(ca[i], cb[i]) {
			return false
		}
	}
	return true
}

// canonicalAdditions returns sorted copies of additions.
func canonicalAdditions(in []*modelv1.AiContextAddition) []*modelv1.AiContextAddition {
	out := make([]*modelv1.AiContextAddition, len(in))
	for i, a := range in {
		out[i] = proto.CloneOf(a)
	}
	sortAIContext(out)
	return out
}

func areaSet(b *modelv1.ModelBundle) map[string]bool {
	m := map[string]bool{}
	for _, pa := range b.GetPracticeAreas() {
		m[pa.GetId()] = true
	}
	return m
}

// practiceMap maps practice ids to practices; a repeated id keeps the first.
func practiceMap(b *modelv1.ModelBundle) map[string]*modelv1.BundlePractice {
	m := map[string]*modelv1.BundlePractice{}
	for _, p := range b.GetPractices() {
		if _, dup := m[p.GetId()]; !dup {
			m[p.GetId()] = p
		}
	}
	return m
}

// additionMap maps AI context addition ids to sorted copies of the
// additions; a repeated id keeps the first.
func additionMap(b *modelv1.ModelBundle) map[string]*modelv1.AiContextAddition {
	m := map[string]*modelv1.AiContextAddition{}
	for _, p := range b.GetPractices() {
		for _, a := range p.GetAiContext() {
			if _, dup := m[a.GetId()]; !dup {
				c := proto.CloneOf(a)
				sortAIContext([]*modelv1.AiContextAddition{c})
				m[a.GetId()] = c
			}
		}
	}
	return m
}

// missingFrom returns the keys of a that b lacks, unsorted.
func missingFrom[V any](a, b map[string]V) []string {
	var out []string
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
