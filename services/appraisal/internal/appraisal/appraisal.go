package appraisal

import (
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Name returns the resource name of an appraisal id.
func Name(id string) string { return "appraisals/" + id }

// ParseName returns the id in an appraisals/{id} name.
func ParseName(name string) (string, error) {
	id, ok := strings.CutPrefix(name, "appraisals/")
	if !ok || !idPattern.MatchString(id) {
		return "", fmt.Errorf("%q is not an appraisal name of the form appraisals/{appraisal}", name)
	}
	return id, nil
}

// idAlphabet is lower-case and digits only, so generated ids are valid
// resource ids and read well in URLs.
const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewID returns a fresh random id: "a" and 15 characters (about 77 bits).
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[0] = 'a'
	for i := 1; i < len(b); i++ {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// State is an appraisal's life-cycle state. The values match the API enum.
type State int32

// The states, in life-cycle order.
const (
	StateUnspecified State = iota
	StateDraft
	StatePlanned
	StateConducting
	StateRated
	StateReported
	StateClosed
	StateCancelled
)

var next = map[State][]State{
	StateDraft:      {StatePlanned, StateCancelled},
	StatePlanned:    {StateConducting, StateCancelled},
	StateConducting: {StateRated, StateCancelled},
	StateRated:      {StateReported, StateCancelled},
	StateReported:   {StateClosed},
}

// CanTransition reports whether the life cycle allows moving from one state
// to another: forward one step, or to CANCELLED from any state before
// REPORTED.
func CanTransition(from, to State) bool {
	for _, s := range next[from] {
		if s == to {
			return true
		}
	}
	return false
}

// ReadOnly reports whether an appraisal in state s may no longer change.
func (s State) ReadOnly() bool {
	return s == StateReported || s == StateClosed || s == StateCancelled
}
