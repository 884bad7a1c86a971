package rating

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aim-platform/aim/platform/errs"
)

// fuzzInput decodes bytes into an Input that may be malformed in any of
// the ways Rate checks.
func fuzzInput(data []byte) Input {
	pos := 0
	next := func() int {
		if pos >= len(data) {
			return 0
		}
		pos++
		return int(data[pos-1])
	}
	var in Input
	areas := []string{"A", "B", "C", ""}
	for range next() % 12 {
		area := areas[next()%len(areas)]
		lvl := next()%7 - (next() % 2) // -1..6
		p := Practice{ID: fmt.Sprintf("%s-%d.%d", area, lvl, next()%3), Area: area, Level: lvl, Domain: areas[next()%len(areas)]}
		if next()%2 == 0 {
			p.HasAIContext = true
			p.Scenarios = []Scenario{Scenario(next()%5 - 1)}
		}
		in.Scope.Practices = append(in.Scope.Practices, p)
	}
	for range next() % 5 {
		in.Scope.Instances = append(in.Scope.Instances, Instance{ID: fmt.Sprintf("i%d", next()%5), Scenario: Scenario(next() % 5)})
	}
	if next()%3 == 0 {
		in.Scope.ViewAreas = areas[:1+next()%3]
	}
	if next()%4 == 0 {
		in.Scope.Applies = func(p Practice, i Instance) bool { return (len(p.ID)+len(i.ID))%3 != 0 }
	}
	in.Scope.MaturityLevels = map[int][]AreaLevel{}
	for range next() % 4 {
		ml := next() % 7
		in.Scope.MaturityLevels[ml] = append(in.Scope.MaturityLevels[ml], AreaLevel{areas[next()%len(areas)], next()%7 - 1})
	}
	in.Scope.TargetMaturityLevel = next() % 6
	in.Instance = map[string]map[string]Characterization{}
	for range next() % 40 {
		inst := fmt.Sprintf("i%d", next()%6)
		if in.Instance[inst] == nil {
			in.Instance[inst] = map[string]Characterization{}
		}
		pid := fmt.Sprintf("%s-%d.%d", areas[next()%len(areas)], next()%6, next()%3)
		in.Instance[inst][pid] = Characterization(next()%9 - 1)
	}
	in.Decisions = map[string]Decision{}
	values := []string{ValueLM, ValuePM, ValueSatisfied, ValueNotSatisfied, "FM", ""}
	for range next() % 6 {
		var key string
		if next()%2 == 0 {
			key = fmt.Sprintf("org:%s-%d.%d", areas[next()%len(areas)], next()%6, next()%3)
		} else {
			key = fmt.Sprintf("par:%s:%d", areas[next()%len(areas)], next()%7)
		}
		in.Decisions[key] = Decision{Value: values[next()%len(values)], Rationale: "r", By: strings.Repeat("b", next()%2)}
	}
	return in
}

func checkInvariants(t *testing.T, r Result) {
	t.Helper()
	if !slices.IsSortedFunc(r.Org, func(a, b OrgCharacterization) int { return strings.Compare(a.Practice, b.Practice) }) ||
		!slices.IsSortedFunc(r.Areas, func(a, b AreaRating) int { return strings.Compare(a.Area, b.Area) }) ||
		!slices.IsSortedFunc(r.OpenDecisions, func(a, b OpenDecision) int { return strings.Compare(a.Key, b.Key) }) ||
		!slices.IsSorted(r.UnusedDecisions) {
		t.Fatalf("unsorted result: %+v", r)
	}
	if r.Complete && (len(r.Missing) > 0 || len(r.OpenDecisions) > 0) {
		t.Fatalf("complete with missing or open: %+v", r)
	}
	if r.MaturityLevel < 0 || r.MaturityLevel > MaxMaturityLevel || r.MaturityRule == "" {
		t.Fatalf("maturity %d (%q)", r.MaturityLevel, r.MaturityRule)
	}
	for _, a := range r.Areas {
		if a.Capability.Level < 0 || a.Capability.Level > MaxCapabilityLevel || a.Capability.Rule == "" {
			t.Fatalf("capability %+v", a.Capability)
		}
		for _, l := range a.Levels {
			if l.Rule == "" || l.GroupRule == "" {
				t.Fatalf("level without rule: %+v", l)
			}
		}
	}
	for _, o := range r.Org {
		if o.Rule == "" {
			t.Fatalf("practice without rule: %+v", o)
		}
	}
}

func FuzzRate(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 0, 1, 0, 0, 0, 1, 2, 2, 0, 0, 3, 0, 9, 1})
	f.Add([]byte("\x08\x01\x02\x00\x01\x00\x00\x02\x03\x01\x01\x02\x00\x04\x01\x02\x00\x03\x02\x01\x01\x05\x10\x00\x01\x02\x01\x01"))
	f.Add([]byte("the quick brown fox jumps over the lazy dog, twice: the quick brown fox jumps over the lazy dog"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzInput(data)
		r, err := Rate(in)
		if err != nil {
			if e, ok := errors.AsType[*errs.Error](err); !ok || e.Kind != errs.Invalid || len(e.Violations) == 0 {
				t.Fatalf("error %v is not Invalid with violations", err)
			}
			return
		}
		checkInvariants(t, r)
		// Use the result as the previous appraisal of a reappraisal.
		in.Previous = &r
		in.Instance = nil
		if r2, err := Rate(in); err == nil {
			checkInvariants(t, r2)
		}
		_ = ReassessmentScope(r)
	})
}
