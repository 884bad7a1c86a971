package appraisal

import (
	"fmt"

	"github.com/aim-platform/aim/platform/errs"
)

var stateNames = map[State]string{
	StateUnspecified: "UNSPECIFIED", StateDraft: "DRAFT", StatePlanned: "PLANNED", StateConducting: "CONDUCTING",
	StateRated: "RATED", StateReported: "REPORTED", StateClosed: "CLOSED", StateCancelled: "CANCELLED",
}

func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Transition checks that the life cycle allows moving from one state to
// another; a move out of order is FAILED_PRECONDITION with reason
// INVALID_TRANSITION.
func Transition(from, to State) error {
	if CanTransition(from, to) {
		return nil
	}
	return errs.New(errs.FailedPrecondition, "INVALID_TRANSITION", "an appraisal in state %s cannot move to %s", from, to)
}

// What each state accepts. Every rule answers FAILED_PRECONDITION with
// reason WRONG_STATE when broken.
var accepts = map[string][]State{
	"edit the scope":         {StateDraft},
	"change instances":       {StateDraft, StatePlanned, StateConducting},
	"change evidence":        {StateDraft, StatePlanned, StateConducting},
	"characterize practices": {StateConducting},
	"record team decisions":  {StateConducting},
	"change findings":        {StatePlanned, StateConducting, StateRated},
	"change the team":        {StateDraft, StatePlanned, StateConducting, StateRated},
}

// Accepts checks that an appraisal in state s allows the named activity:
// "edit the scope", "change instances", "change evidence", "characterize
// practices", "record team decisions", "change findings" or "change the
// team".
func Accepts(s State, activity string) error {
	for _, ok := range accepts[activity] {
		if s == ok {
			return nil
		}
	}
	return errs.New(errs.FailedPrecondition, "WRONG_STATE", "cannot %s while the appraisal is %s", activity, s)
}
