package appraisal

import "testing"

func TestParseName(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"appraisals/a1", "a1", false},
		{"appraisals/benchmark-2026", "benchmark-2026", false},
		{"appraisals/", "", true},
		{"appraisals/A1", "", true},
		{"appraisals/a1/instances/x", "", true},
		{"models/a1", "", true},
	}
	for _, tt := range tests {
		got, err := ParseName(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseName(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestNewIDIsValidAndFresh(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if _, err := ParseName(Name(id)); err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
}

func TestCanTransition(t *testing.T) {
	all := []State{StateDraft, StatePlanned, StateConducting, StateRated, StateReported, StateClosed, StateCancelled}
	allowed := map[[2]State]bool{
		{StateDraft, StatePlanned}:        true,
		{StatePlanned, StateConducting}:   true,
		{StateConducting, StateRated}:     true,
		{StateRated, StateReported}:       true,
		{StateReported, StateClosed}:      true,
		{StateDraft, StateCancelled}:      true,
		{StatePlanned, StateCancelled}:    true,
		{StateConducting, StateCancelled}: true,
		{StateRated, StateCancelled}:      true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := CanTransition(from, to); got != allowed[[2]State{from, to}] {
				t.Errorf("CanTransition(%d, %d) = %v", from, to, got)
			}
		}
	}
	for _, s := range []State{StateReported, StateClosed, StateCancelled} {
		if !s.ReadOnly() {
			t.Errorf("state %d should be read-only", s)
		}
	}
	if StateConducting.ReadOnly() {
		t.Error("CONDUCTING is not read-only")
	}
}

func TestAccepts(t *testing.T) {
	tests := []struct {
		state    State
		activity string
		ok       bool
	}{
		{StateDraft, "edit the scope", true},
		{StatePlanned, "edit the scope", false},
		{StateConducting, "characterize practices", true},
		{StatePlanned, "characterize practices", false},
		{StateRated, "characterize practices", false},
		{StateConducting, "change instances", true},
		{StateRated, "change instances", false},
		{StateRated, "change findings", true},
		{StateReported, "change findings", false},
		{StateReported, "change the team", false},
		{StateCancelled, "change evidence", false},
		{StateConducting, "no such activity", false},
	}
	for _, tt := range tests {
		if err := Accepts(tt.state, tt.activity); (err == nil) != tt.ok {
			t.Errorf("Accepts(%s, %q) = %v, want ok=%v", tt.state, tt.activity, err, tt.ok)
		}
	}
	if err := Transition(StateDraft, StateRated); err == nil {
		t.Error("DRAFT to RATED allowed")
	}
	if err := Transition(StateConducting, StateCancelled); err != nil {
		t.Error(err)
	}
}
