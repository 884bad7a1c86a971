package catalog

import (
	"regexp"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

// reversed returns a copy of b with every list in reverse order.
func reversed(b *modelv1.ModelBundle) *modelv1.ModelBundle {
	c := proto.CloneOf(b)
	slices.Reverse(c.Categories)
	slices.Reverse(c.CapabilityAreas)
	for _, ca := range c.CapabilityAreas {
		slices.Reverse(ca.Aliases)
	}
	slices.Reverse(c.Domains)
	slices.Reverse(c.PracticeAreas)
	for _, pa := range c.PracticeAreas {
		slices.Reverse(pa.Aliases)
	}
	slices.Reverse(c.Practices)
	for _, p := range c.Practices {
		slices.Reverse(p.AiContext)
		for _, a := range p.AiContext {
			slices.Reverse(a.UsageScenarios)
			slices.Reverse(a.Applicability)
		}
	}
	slices.Reverse(c.Views)
	for _, v := range c.Views {
		slices.Reverse(v.PracticeAreas)
		slices.Reverse(v.MaturityLevels)
		for _, ml := range v.MaturityLevels {
			slices.Reverse(ml.Requirements)
		}
	}
	return c
}

func TestCanonicalizeSortsEverything(t *testing.T) {
	b := testBundle()
	b.PracticeAreas[0].Aliases = []string{"RSKX", "RISK"}
	b.Practices = append(b.Practices, &modelv1.BundlePractice{Id: "RSK-2.10", PracticeArea: "RSK", Level: 2, Statement: "Tenth."})
	before := proto.CloneOf(b)
	c := Canonicalize(reversed(b))
	if !proto.Equal(b, before) {
		t.Fatal("Canonicalize changed its input")
	}
	var practices []string
	for _, p := range c.GetPractices() {
		practices = append(practices, p.GetId())
	}
	want := []string{"DQ-1.1", "DQ-2.1", "PQA-1.1", "PQA-2.1", "PQA-3.1", "RSK-1.1", "RSK-2.1", "RSK-2.2", "RSK-2.10", "RSK-3.1"}
	if !slices.Equal(practices, want) {
		t.Errorf("practices in order %q, want %q", practices, want)
	}
	var areas []string
	for _, pa := range c.GetPracticeAreas() {
		areas = append(areas, pa.GetId())
	}
	if !slices.Equal(areas, []string{"DQ", "PQA", "RSK"}) {
		t.Errorf("practice areas %q", areas)
	}
	if got := c.GetPracticeAreas()[2].GetAliases(); !slices.Equal(got, []string{"RISK", "RSKX"}) {
		t.Errorf("aliases %q", got)
	}
	rsk22 := c.GetPractices()[7]
	if rsk22.GetAiContext()[0].GetId() != "RSK-2.2-AI-1" {
		t.Errorf("AI context of %s not sorted: %v", rsk22.GetId(), rsk22.GetAiContext())
	}
	first := c.GetPractices()[5].GetAiContext()[0]
	if !slices.IsSorted(first.GetUsageScenarios()) || !slices.IsSorted(first.GetApplicability()) {
		t.Errorf("enum lists not sorted: %v", first)
	}
	v := c.GetViews()[0]
	if !slices.Equal(v.GetPracticeAreas(), []string{"DQ", "PQA", "RSK"}) || v.GetMaturityLevels()[0].GetMaturityLevel() != 2 {
		t.Errorf("view not sorted: %v", v)
	}
	if r := v.GetMaturityLevels()[1].GetRequirements(); r[0].GetPracticeArea() != "DQ" || r[2].GetPracticeArea() != "RSK" {
		t.Errorf("requirements not sorted: %v", r)
	}
	if twice := Canonicalize(c); !proto.Equal(c, twice) {
		t.Errorf("Canonicalize is not idempotent:\n%s\nversus\n%s", prototext.Format(c), prototext.Format(twice))
	}
	if !proto.Equal(Canonicalize(nil), &modelv1.ModelBundle{}) {
		t.Error("Canonicalize(nil) should be empty")
	}
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func TestDigest(t *testing.T) {
	base := Digest(testBundle())
	if !digestPattern.MatchString(base) {
		t.Fatalf("digest %q", base)
	}
	if got := Digest(reversed(testBundle())); got != base {
		t.Errorf("reordered bundle has digest %s, want %s", got, base)
	}
	if got := Digest(Canonicalize(testBundle())); got != base {
		t.Errorf("canonical bundle has digest %s, want %s", got, base)
	}
	changes := map[string]func(b *modelv1.ModelBundle){
		"statement":   func(b *modelv1.ModelBundle) { b.Practices[3].Statement += "!" },
		"explanation": func(b *modelv1.ModelBundle) { b.Practices[3].Explanation = "Why." },
		"AI text":     func(b *modelv1.ModelBundle) { b.Practices[0].AiContext[0].Text = "Other." },
		"scenario dropped": func(b *modelv1.ModelBundle) {
			b.Practices[0].AiContext[0].UsageScenarios = []modelv1.AiUsageScenario{support}
		},
		"alias added":      func(b *modelv1.ModelBundle) { b.PracticeAreas[1].Aliases = []string{"QA"} },
		"requirement":      func(b *modelv1.ModelBundle) { b.Views[0].MaturityLevels[0].Requirements[0].Level = 1 },
		"sample flag":      func(b *modelv1.ModelBundle) { b.Sample = false },
		"version":          func(b *modelv1.ModelBundle) { b.Version = "3.1-test" },
		"practice removed": func(b *modelv1.ModelBundle) { b.Practices = b.Practices[1:] },
		"core domain":      func(b *modelv1.ModelBundle) { b.Domains[0].Core, b.Domains[1].Core = false, true },
	}
	seen := map[string]string{base: "base"}
	for name, change := range changes {
		b := testBundle()
		change(b)
		d := Digest(b)
		if other, dup := seen[d]; dup {
			t.Errorf("changing %s gives the digest of %s", name, other)
		}
		seen[d] = name
	}
	if Digest(nil) != Digest(&modelv1.ModelBundle{}) {
		t.Error("nil and empty bundles should share a digest")
	}
	bad := testBundle()
	bad.Practices[0].Statement = "bad \xff"
	if d := Digest(bad); !digestPattern.MatchString(d) || d == base {
		t.Errorf("digest of a bundle with invalid UTF-8: %q", d)
	}
}

func TestCounts(t *testing.T) {
	tests := []struct {
		name string
		b    *modelv1.ModelBundle
		want *modelv1.ContentCounts
	}{
		{"nil", nil, &modelv1.ContentCounts{}},
		{"small", testBundle(), &modelv1.ContentCounts{
			Categories: 2, CapabilityAreas: 2, Domains: 2, PracticeAreas: 3, Practices: 9,
			PracticesWithAiContext: 6, AiContextAdditions: 7, Views: 1,
		}},
		{"full", fullBundle(), &modelv1.ContentCounts{
			Categories: 4, CapabilityAreas: 12, Domains: 9, PracticeAreas: 31, Practices: 202,
			PracticesWithAiContext: 62, AiContextAdditions: 62, Views: 1,
		}},
	}
	for _, tt := range tests {
		if got := Counts(tt.b); !proto.Equal(got, tt.want) {
			t.Errorf("%s: Counts = %v, want %v", tt.name, got, tt.want)
		}
	}
}
