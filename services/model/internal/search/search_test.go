package search

import (
	"slices"
	"testing"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

func practice(id, statement string, ai ...string) *modelv1.Practice {
	p := &modelv1.Practice{Name: "models/m/versions/v/practiceAreas/X/practices/" + id, Label: id, Statement: statement}
	for i, text := range ai {
		p.AiContext = append(p.AiContext, &modelv1.AiContextAddition{Id: id + "-AI-" + string(rune('1'+i)), Text: text})
	}
	return p
}

func TestSearchRanksAIContext(t *testing.T) {
	ix, err := Build([]*modelv1.Practice{
		practice("PLAN-2.1", "Plan the work and keep the plan current."),
		practice("DQ-2.1", "Check that data is fit for its purpose.",
			"Examine training data for bias and for how well it represents the people the AI system serves."),
		practice("VV-3.2", "Verify work products against their requirements.",
			"Test trained models for biased outcomes across groups."),
		practice("DM-2.3", "Keep data assets under control."),
		practice("RSK-3.1", "Identify risks and opportunities.",
			"Treat drift in production data as a risk to monitor."),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })

	hits, err := ix.Search("bias in training data", 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) < 2 || hits[0].Practice != "DQ-2.1" {
		t.Fatalf("hits = %+v; want DQ-2.1 first", hits)
	}
	if !slices.Equal(hits[0].MatchedAIContext, []string{"DQ-2.1-AI-1"}) {
		t.Fatalf("matched additions = %v", hits[0].MatchedAIContext)
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Fatalf("hits not ranked: %+v", hits)
		}
	}
	if slices.ContainsFunc(hits, func(h Hit) bool { return h.Practice == "PLAN-2.1" }) {
		t.Fatalf("a practice without any query term matched: %+v", hits)
	}

	// Labels are searchable; keep filters; limit cuts.
	hits, err = ix.Search("RSK-3.1", 10, nil)
	if err != nil || len(hits) == 0 || hits[0].Practice != "RSK-3.1" {
		t.Fatalf("label search = %+v, %v", hits, err)
	}
	hits, err = ix.Search("data", 1, func(p string) bool { return p != "DQ-2.1" })
	if err != nil || len(hits) != 1 || hits[0].Practice == "DQ-2.1" {
		t.Fatalf("filtered search = %+v, %v", hits, err)
	}
	hits, err = ix.Search("zzzz nothing", 10, nil)
	if err != nil || len(hits) != 0 {
		t.Fatalf("no-match search = %+v, %v", hits, err)
	}
}
