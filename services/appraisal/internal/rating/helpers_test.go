package rating

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aim-platform/aim/platform/errs"
)

// Short names for the characterizations in tables.
const (
	xx = Unspecified
	fm = FullyMeets
	lm = LargelyMeets
	pm = PartiallyMeets
	dm = DoesNotMeet
	ny = NotYet
	na = NotApplicable
)

// prac returns a practice whose area and level come from its id, "RSK-3.1".
func prac(id string) Practice {
	area, rest, _ := strings.Cut(id, "-")
	level, _ := strconv.Atoi(strings.SplitN(rest, ".", 2)[0])
	return Practice{ID: id, Area: area, Level: level, Domain: "Core"}
}

// aiPrac returns a practice with AI context in a domain and scenarios.
func aiPrac(id, domain string, scenarios ...Scenario) Practice {
	p := prac(id)
	p.Domain, p.HasAIContext, p.Scenarios = domain, true, scenarios
	return p
}

// instances returns instances i1..in.
func instances(n int) []Instance {
	out := make([]Instance, n)
	for k := range out {
		out[k] = Instance{ID: fmt.Sprintf("i%d", k+1)}
	}
	return out
}

// byPractice turns practice id → values per instance (i1, i2, ...) into
// the Input's instance → practice map. Unspecified values are left out.
func byPractice(m map[string][]Characterization) map[string]map[string]Characterization {
	out := map[string]map[string]Characterization{}
	for pid, vals := range m {
		for k, c := range vals {
			if c == Unspecified {
				continue
			}
			inst := fmt.Sprintf("i%d", k+1)
			if out[inst] == nil {
				out[inst] = map[string]Characterization{}
			}
			out[inst][pid] = c
		}
	}
	return out
}

// decide returns recorded decisions for key → value.
func decide(m map[string]string) map[string]Decision {
	out := map[string]Decision{}
	for k, v := range m {
		out[k] = Decision{Key: k, Value: v, Rationale: "the team weighed the evidence", By: "lead appraiser",
			At: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	}
	return out
}

// input builds an Input from practices, an instance count, values per
// practice and decisions.
func input(practices []Practice, n int, vals map[string][]Characterization, decisions map[string]string) Input {
	return Input{
		Scope:     Scope{Practices: practices, Instances: instances(n)},
		Instance:  byPractice(vals),
		Decisions: decide(decisions),
	}
}

func mustRate(t testing.TB, in Input) Result {
	t.Helper()
	r, err := rateBoth(t, in)
	if err != nil {
		t.Fatalf("Rate: %v", err)
	}
	return r
}

func level(t testing.TB, r Result, area string, l int) LevelRating {
	t.Helper()
	a, ok := r.Area(area)
	if !ok {
		t.Fatalf("no area %s in %+v", area, r.Areas)
	}
	lr, ok := a.At(l)
	if !ok {
		t.Fatalf("area %s has no level %d", area, l)
	}
	return lr
}

// violations returns the field violations of an Invalid error.
func invalidFields(t testing.TB, err error) []errs.FieldViolation {
	t.Helper()
	e, ok := errors.AsType[*errs.Error](err)
	if !ok || e.Kind != errs.Invalid {
		t.Fatalf("error = %v; want an Invalid *errs.Error", err)
	}
	return e.Violations
}

// withCells returns in with its Instance map given as Input.Cells instead,
// an instance's pairs together, in a fixed order.
func withCells(in Input) Input {
	insts := slices.Sorted(maps.Keys(in.Instance))
	m := in.Instance
	in.Instance = nil
	in.Cells = func(yield func(instance, practice []byte, c Characterization) error) error {
		for _, i := range insts {
			for _, p := range slices.Sorted(maps.Keys(m[i])) {
				if err := yield([]byte(i), []byte(p), m[i][p]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return in
}

// rateBoth rates in as it is and with its characterizations given as
// Cells, and fails the test unless both ways give the same result or the
// same violations. Every table test that rates through mustRate or rateBoth
// therefore checks the two input forms agree.
func rateBoth(t testing.TB, in Input) (Result, error) {
	t.Helper()
	r, err := Rate(in)
	if in.Cells != nil {
		return r, err
	}
	rc, errc := Rate(withCells(in))
	if fmt.Sprint(err) != fmt.Sprint(errc) || !reflect.DeepEqual(violationsOf(err), violationsOf(errc)) {
		t.Fatalf("Rate with Instance: %v\nRate with Cells: %v", err, errc)
	}
	if err == nil && !reflect.DeepEqual(r, rc) {
		t.Fatalf("Rate with Cells differs from Rate with Instance:\n%+v\n%+v", rc, r)
	}
	return r, err
}

func violationsOf(err error) []errs.FieldViolation {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Violations
	}
	return nil
}
