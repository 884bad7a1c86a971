package audit

import (
	"testing"
	"time"

	appraisalv1 "github.com/aim-platform/aim/gen/aim/appraisal/v1"
)

func chain(n int) []*appraisalv1.AuditEvent {
	var out []*appraisalv1.AuditEvent
	var prev *appraisalv1.AuditEvent
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for i := range n {
		e := Event(t0.Add(time.Duration(i)*time.Second), "lead", "characterization.updated", "appraisals/a/instances/i/characterizations/RSK-3.1",
			nil, &appraisalv1.Characterization{Rationale: string(rune('a' + i))})
		prev = Link(prev, e)
		out = append(out, prev)
	}
	return out
}

func verify(events []*appraisalv1.AuditEvent) (int, string) {
	var v Verifier
	for i, e := range events {
		if why := v.Next(e); why != "" {
			return i, why
		}
	}
	return -1, ""
}

func TestChainVerifies(t *testing.T) {
	events := chain(10)
	if i, why := verify(events); i != -1 {
		t.Fatalf("a fresh chain breaks at %d: %s", i, why)
	}
	if events[0].GetSequence() != 1 || events[0].GetPreviousHash() != "" || events[9].GetSequence() != 10 {
		t.Fatalf("sequence or link wrong: %v ... %v", events[0], events[9])
	}
}

func TestTamperingIsFound(t *testing.T) {
	tests := []struct {
		name   string
		tamper func([]*appraisalv1.AuditEvent) []*appraisalv1.AuditEvent
		want   int
	}{
		{"actor changed", func(e []*appraisalv1.AuditEvent) []*appraisalv1.AuditEvent { e[4].Actor = "mallory"; return e }, 4},
		{"after digest changed", func(e []*appraisalv1.AuditEvent) []*appraisalv1.AuditEvent { e[6].AfterDigest = "00"; return e }, 6},
		{"time changed", func(e []*appraisalv1.AuditEvent) []*appraisalv1.AuditEvent {
			e[2].EventTime.Seconds++
			return e
		}, 2},
		{"event rehashed without relinking", func(e []*appraisalv1.AuditEvent) []*appraisalv1.AuditEvent {
			e[3].Type = "appraisal.deleted"
			e[3].Hash = Hash(e[3])
			return e
		}, 4},
		{"event removed", func(e []*appraisalv1.AuditEvent) []*appraisalv1.AuditEvent { return append(e[:5:5], e[6:]...) }, 5},
		{"events swapped", func(e []*appraisalv1.AuditEvent) []*appraisalv1.AuditEvent { e[7], e[8] = e[8], e[7]; return e }, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, why := verify(tt.tamper(chain(10)))
			if i != tt.want || why == "" {
				t.Fatalf("broken at %d (%s), want %d", i, why, tt.want)
			}
		})
	}
}

func TestDigest(t *testing.T) {
	a := &appraisalv1.Characterization{Rationale: "x"}
	if Digest(nil) != "" || Digest(a) == "" || Digest(a) != Digest(&appraisalv1.Characterization{Rationale: "x"}) || Digest(a) == Digest(&appraisalv1.Characterization{Rationale: "y"}) {
		t.Fatal("Digest must be empty for nil and follow content otherwise")
	}
}
