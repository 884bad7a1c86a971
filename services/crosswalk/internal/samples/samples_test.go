package samples

import (
	"strings"
	"testing"
)

func TestPracticeID(t *testing.T) {
	for in, want := range map[string]string{"RISK 3.1": "RSK-3.1", "PLAN 2.2": "PLAN-2.2", "MC 2.4": "MC-2.4", "RSK-3.3": "RSK-3.3"} {
		if got := PracticeID(in); got != want {
			t.Errorf("PracticeID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExcerptIsTheSeedTable(t *testing.T) {
	if !strings.HasPrefix(Excerpt(), "CMMI Model\tCategory") || !strings.Contains(Excerpt(), "MC 2.4") {
		t.Fatal("the embedded excerpt is not the seed's table")
	}
}
