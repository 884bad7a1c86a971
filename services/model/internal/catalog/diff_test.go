package catalog

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

func TestDiff(t *testing.T) {
	older := testBundle()
	newer := reversed(testBundle()) // order alone is no change

	// A practice area and its practices added, with an AI addition.
	newer.PracticeAreas = append(newer.PracticeAreas, &modelv1.BundlePracticeArea{
		Id: "CM", DisplayName: "Configuration Management", CapabilityArea: "EQ", Domain: "core"})
	newer.Practices = append(newer.Practices,
		&modelv1.BundlePractice{Id: "CM-1.1", PracticeArea: "CM", Level: 1, Statement: "Track versions.",
			AiContext: []*modelv1.AiContextAddition{{Id: "CM-1.1-AI-1", Text: "Version the models."}}},
		&modelv1.BundlePractice{Id: "RSK-2.10", PracticeArea: "RSK", Level: 2, Statement: "Tenth."},
		&modelv1.BundlePractice{Id: "RSK-2.3", PracticeArea: "RSK", Level: 2, Statement: "Third."},
	)
	byID := func(b *modelv1.ModelBundle, id string) *modelv1.BundlePractice {
		for _, p := range b.GetPractices() {
			if p.GetId() == id {
				return p
			}
		}
		t.Fatalf("no practice %s", id)
		return nil
	}
	// Removed: PQA-2.1 (no AI) and DQ-2.1 (with DQ-2.1-AI-1).
	newer.Practices = slices.DeleteFunc(newer.Practices, func(p *modelv1.BundlePractice) bool {
		return p.GetId() == "PQA-2.1" || p.GetId() == "DQ-2.1"
	})
	// Changed practices.
	byID(newer, "RSK-3.1").Statement = "Plan risk handling well."
	byID(newer, "RSK-3.1").Explanation = "Because."
	byID(newer, "PQA-1.1").AiContext[0].Text = "Check AI-assisted reviews often."
	rsk22 := byID(newer, "RSK-2.2")
	rsk22.AiContext = slices.DeleteFunc(rsk22.AiContext, func(a *modelv1.AiContextAddition) bool { return a.GetId() == "RSK-2.2-AI-2" })
	byID(newer, "DQ-1.1").AiContext[0].Applicability = append(byID(newer, "DQ-1.1").AiContext[0].Applicability, acquire)
	// RSK-1.1-AI-1 has its scenarios and applicability reversed: no change.

	got := Diff(newer, older)
	want := &modelv1.DiffModelVersionsResponse{
		AddedPracticeAreas: []string{"CM"},
		AddedPractices:     []string{"CM-1.1", "RSK-2.3", "RSK-2.10"},
		RemovedPractices:   []string{"DQ-2.1", "PQA-2.1"},
		ChangedPractices: []*modelv1.PracticeChange{
			{Practice: "DQ-1.1", Fields: []string{"ai_context"}},
			{Practice: "PQA-1.1", Fields: []string{"ai_context"}},
			{Practice: "RSK-2.2", Fields: []string{"ai_context"}},
			{Practice: "RSK-3.1", Fields: []string{"statement", "explanation"}},
		},
		AddedAiContext:   []string{"CM-1.1-AI-1"},
		RemovedAiContext: []string{"DQ-2.1-AI-1", "RSK-2.2-AI-2"},
		ChangedAiContext: []string{"DQ-1.1-AI-1", "PQA-1.1-AI-1"},
	}
	if !proto.Equal(got, want) {
		t.Errorf("Diff =\n%s\nwant\n%s", prototext.Format(got), prototext.Format(want))
	}

	back := Diff(older, newer)
	if !slices.Equal(back.GetAddedPractices(), want.GetRemovedPractices()) ||
		!slices.Equal(back.GetRemovedPracticeAreas(), want.GetAddedPracticeAreas()) ||
		!slices.Equal(back.GetRemovedAiContext(), want.GetAddedAiContext()) {
		t.Errorf("reverse diff is not the mirror image:\n%s", prototext.Format(back))
	}
}

func TestDiffPracticeFields(t *testing.T) {
	extra := func() *modelv1.AiContextAddition { return &modelv1.AiContextAddition{Id: "A", Text: "a"} }
	tests := []struct {
		name   string
		change func(older, newer *modelv1.BundlePractice)
		want   []string
	}{
		{"none", func(_, _ *modelv1.BundlePractice) {}, nil},
		{"practice area", func(_, p *modelv1.BundlePractice) { p.PracticeArea = "RISK" }, []string{"practice_area"}},
		{"level", func(_, p *modelv1.BundlePractice) { p.Level = 2 }, []string{"level"}},
		{"statement", func(_, p *modelv1.BundlePractice) { p.Statement = "x" }, []string{"statement"}},
		{"explanation", func(_, p *modelv1.BundlePractice) { p.Explanation = "x" }, []string{"explanation"}},
		{"AI scenario", func(_, p *modelv1.BundlePractice) { p.AiContext[0].UsageScenarios = nil }, []string{"ai_context"}},
		{"AI addition added", func(_, p *modelv1.BundlePractice) { p.AiContext = append(p.AiContext, extra()) }, []string{"ai_context"}},
		{"AI order", func(o, p *modelv1.BundlePractice) {
			o.AiContext = append(o.AiContext, extra())
			p.AiContext = append([]*modelv1.AiContextAddition{extra()}, p.AiContext...)
		}, nil},
		{"enum order", func(_, p *modelv1.BundlePractice) { slices.Reverse(p.AiContext[0].UsageScenarios) }, nil},
		{"all", func(_, p *modelv1.BundlePractice) {
			p.PracticeArea, p.Level, p.Statement, p.Explanation, p.AiContext = "X", 4, "s", "e", nil
		}, []string{"practice_area", "level", "statement", "explanation", "ai_context"}},
	}
	for _, tt := range tests {
		older, newer := testBundle(), testBundle()
		tt.change(older.Practices[0], newer.Practices[0])
		got := Diff(newer, older).GetChangedPractices()
		var fields []string
		switch {
		case len(got) == 1 && got[0].GetPractice() == "RSK-1.1":
			fields = got[0].GetFields()
		case len(got) > 0:
			t.Errorf("%s: changed practices %v", tt.name, got)
		}
		if !slices.Equal(fields, tt.want) {
			t.Errorf("%s: changed fields %q, want %q", tt.name, fields, tt.want)
		}
	}
}

func TestDiffNilAndIdentical(t *testing.T) {
	if d := Diff(testBundle(), testBundle()); !proto.Equal(d, &modelv1.DiffModelVersionsResponse{}) {
		t.Errorf("identical bundles differ: %s", prototext.Format(d))
	}
	d := Diff(testBundle(), nil)
	if len(d.GetAddedPracticeAreas()) != 3 || len(d.GetAddedPractices()) != 9 || len(d.GetAddedAiContext()) != 7 {
		t.Errorf("diff against nil: %s", prototext.Format(d))
	}
	if d := Diff(nil, nil); !proto.Equal(d, &modelv1.DiffModelVersionsResponse{}) {
		t.Errorf("nil against nil: %s", prototext.Format(d))
	}
}
