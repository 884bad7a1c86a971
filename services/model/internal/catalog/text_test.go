package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
)

// smallJSON and smallYAML are one-practice bundles as a person would write
// them: JSON with JSON names, YAML with proto names and friendly spellings.
const smallJSON = `{
  "model": "cmmi-aim",
  "version": "1.0",
  "displayName": "Small",
  "categories": [{"id": "managing", "displayName": "Managing"}],
  "capabilityAreas": [{"id": "MBR", "displayName": "Resilience", "category": "managing", "aliases": ["MIR"]}],
  "domains": [{"id": "core", "displayName": "Core", "core": true}],
  "practiceAreas": [{"id": "RSK", "displayName": "Risk", "capabilityArea": "MBR", "domain": "core", "aliases": ["RISK"]}],
  "practices": [{
    "id": "RSK-1.1", "practiceArea": "RSK", "level": 1, "statement": "Note risks.",
    "aiContext": [{"id": "RSK-1.1-AI-1", "text": "Note AI risks.",
      "usageScenarios": ["AI_USAGE_SCENARIO_SUPPORT_AUGMENTATION", "fully autonomous"],
      "applicability": ["building"]}]
  }],
  "views": [{"id": "v", "displayName": "V", "practiceAreas": ["RSK"],
    "maturityLevels": [{"maturityLevel": 2, "requirements": [{"practiceArea": "RSK", "level": 1}]}]}]
}`

const smallYAML = `# A small bundle.
model: cmmi-aim
version: "1.0"
display_name: Small
categories:
  - id: managing
    display_name: Managing
capability_areas:
  - {id: MBR, display_name: Resilience, category: managing, aliases: [MIR]}
domains:
- id: core
  display_name: Core
  core: true
practice_areas:
  - id: RSK
    display_name: Risk
    capability_area: MBR
    domain: core
    aliases: [RISK]
practices:
  - id: RSK-1.1
    practice_area: RSK
    level: 1
    statement: >-
      Note
      risks.
    ai_context:
      - id: RSK-1.1-AI-1
        text: |-
          Note AI risks.
        usage_scenarios: [human-augmented AI, Fully-Autonomous]
        applicability:
          - build
views:
  - id: v
    display_name: V
    practice_areas: [RSK]
    maturity_levels:
      - maturity_level: 2
        requirements: [{practice_area: RSK, level: 1}]
`

func wantTextError(t *testing.T, err error, contains ...string) {
	t.Helper()
	e, ok := errors.AsType[*errs.Error](err)
	if !ok || e.Kind != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != "bundle_text" {
		t.Fatalf("error %v; want Invalid with one violation on bundle_text", err)
	}
	for _, s := range contains {
		if !strings.Contains(strings.ToLower(e.Violations[0].Description), strings.ToLower(s)) {
			t.Errorf("error %q does not mention %q", e.Violations[0].Description, s)
		}
	}
}

func TestParseBundleTextSmallDocuments(t *testing.T) {
	for name, text := range map[string]string{"json": smallJSON, "yaml": smallYAML} {
		t.Run(name, func(t *testing.T) {
			b, err := ParseBundleText([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			mustBeValid(t, b)
			a := b.GetPractices()[0].GetAiContext()[0]
			if got := a.GetUsageScenarios(); len(got) != 2 || got[0] != support || got[1] != autonom {
				t.Errorf("usage scenarios %v", got)
			}
			if got := a.GetApplicability(); len(got) != 1 || got[0] != building {
				t.Errorf("applicability %v", got)
			}
			if b.GetPractices()[0].GetStatement() != "Note risks." || a.GetText() != "Note AI risks." {
				t.Errorf("text: %q, %q", b.GetPractices()[0].GetStatement(), a.GetText())
			}
			if b.GetVersion() != "1.0" || b.GetCapabilityAreas()[0].GetAliases()[0] != "MIR" {
				t.Errorf("bundle: %v", b)
			}
		})
	}
}

func TestParseBundleTextSpellings(t *testing.T) {
	scenarios := []struct {
		spelling string
		want     modelv1.AiUsageScenario
	}{
		{"AI_USAGE_SCENARIO_SUPPORT_AUGMENTATION", support},
		{"ai_usage_scenario_support_augmentation", support},
		{"SUPPORT_AUGMENTATION", support},
		{"support augmentation", support},
		{"support-augmentation", support},
		{"Support  Augmentation", support},
		{"human-augmented", support},
		{"human augmented", support},
		{"human-augmented AI", support},
		{"Human-Augmented AI", support},
		{"AI_USAGE_SCENARIO_VERIFIED_AUGMENTATION", verified},
		{"VERIFIED_AUGMENTATION", verified},
		{"verified augmentation", verified},
		{"verified-augmentation", verified},
		{"autonomous augmentation", verified},
		{"Autonomous-Augmentation", verified},
		{"AI_USAGE_SCENARIO_FULLY_AUTONOMOUS", autonom},
		{"FULLY_AUTONOMOUS", autonom},
		{"fully autonomous", autonom},
		{"fully-autonomous", autonom},
		{"fully autonomous AI", autonom},
		{"AI_USAGE_SCENARIO_UNSPECIFIED", modelv1.AiUsageScenario_AI_USAGE_SCENARIO_UNSPECIFIED},
	}
	for _, tt := range scenarios {
		for _, format := range []string{`{"practices":[{"aiContext":[{"usageScenarios":[%q]}]}]}`,
			"practices:\n- ai_context:\n  - usage_scenarios: [%q]\n"} {
			b, err := ParseBundleText(fmt.Appendf(nil, format, tt.spelling))
			if err != nil {
				t.Errorf("%q: %v", tt.spelling, err)
				continue
			}
			if got := b.GetPractices()[0].GetAiContext()[0].GetUsageScenarios(); len(got) != 1 || got[0] != tt.want {
				t.Errorf("%q gives %v, want %v", tt.spelling, got, tt.want)
			}
		}
	}
	applicability := []struct {
		spelling string
		want     modelv1.AiApplicability
	}{
		{"AI_APPLICABILITY_BUILDING", building},
		{"BUILDING", building},
		{"building", building},
		{"build", building},
		{"Build", building},
		{"AI_APPLICABILITY_ACQUIRING", acquire},
		{"ACQUIRING", acquire},
		{"acquiring", acquire},
		{"acquire", acquire},
		{"acquiring or integrating", acquire},
		{"Acquiring-or-integrating", acquire},
	}
	for _, tt := range applicability {
		for _, format := range []string{`{"practices":[{"ai_context":[{"applicability":[%q]}]}]}`,
			"practices:\n- aiContext:\n  - applicability: [%q]\n"} {
			b, err := ParseBundleText(fmt.Appendf(nil, format, tt.spelling))
			if err != nil {
				t.Errorf("%q: %v", tt.spelling, err)
				continue
			}
			if got := b.GetPractices()[0].GetAiContext()[0].GetApplicability(); len(got) != 1 || got[0] != tt.want {
				t.Errorf("%q gives %v, want %v", tt.spelling, got, tt.want)
			}
		}
	}
}

func TestParseBundleTextKeysInBothForms(t *testing.T) {
	snake := `{"display_name": "S", "capability_areas": [{"id": "EQ", "display_name": "Q"}],
		"practice_areas": [{"id": "PQA", "capability_area": "EQ"}],
		"practices": [{"id": "PQA-1.1", "practice_area": "PQA", "ai_context": [{"id": "A", "usage_scenarios": [1, "FULLY_AUTONOMOUS"]}]}],
		"views": [{"id": "v", "practice_areas": ["PQA"], "maturity_levels": [{"maturity_level": 2}]}]}`
	camel := `{"displayName": "S", "capabilityAreas": [{"id": "EQ", "displayName": "Q"}],
		"practiceAreas": [{"id": "PQA", "capabilityArea": "EQ"}],
		"practices": [{"id": "PQA-1.1", "practiceArea": "PQA", "aiContext": [{"id": "A", "usageScenarios": ["SUPPORT_AUGMENTATION", 3]}]}],
		"views": [{"id": "v", "practiceAreas": ["PQA"], "maturityLevels": [{"maturityLevel": 2}]}]}`
	a, err := ParseBundleText([]byte(snake))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseBundleText([]byte(camel))
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(a, b) {
		t.Errorf("snake_case and lowerCamelCase differ:\n%s\nversus\n%s", prototext.Format(a), prototext.Format(b))
	}
	if a.GetPracticeAreas()[0].GetCapabilityArea() != "EQ" || a.GetViews()[0].GetMaturityLevels()[0].GetMaturityLevel() != 2 {
		t.Errorf("fields lost: %s", prototext.Format(a))
	}
}

func TestParseBundleTextErrors(t *testing.T) {
	deepJSON := strings.Repeat(`{"practices":[`, 40) + strings.Repeat(`]}`, 40)
	deepFlowYAML := "views: " + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "\n"
	var deepBlockYAML strings.Builder
	for i := range 70 {
		fmt.Fprintf(&deepBlockYAML, "%sk%d:\n", strings.Repeat(" ", i), i)
	}
	var aliasYAML strings.Builder
	aliasYAML.WriteString("a0: &a0 [x]\n")
	for i := 1; i <= 70; i++ {
		fmt.Fprintf(&aliasYAML, "a%d: &a%d [*a%d]\n", i, i, i-1)
	}
	tests := []struct {
		name     string
		text     string
		contains []string
	}{
		{"empty", "", []string{"empty"}},
		{"blank", " \n\t\n", []string{"empty"}},
		{"YAML null", "~\n", []string{"object"}},
		{"top-level list", "[1, 2]", []string{"object", "list"}},
		{"top-level string", "hello", []string{"object", "string"}},
		{"JSON syntax", "{\n  \"model\": \"a\",\n  \"version\" \"b\"\n}", []string{"line 3", "column"}},
		{"JSON trailing comma", `{"model": "a",}`, []string{"line 1"}},
		{"JSON truncated", `{"model": "a", "categories": [`, []string{"ends"}},
		{"JSON extra data", `{"model": "a"} {"model": "b"}`, []string{"more after", "line 1"}},
		{"YAML syntax", "model: a\nversion: [1\ndisplay_name: x\n", []string{"YAML", "line"}},
		{"YAML tab indentation", "model: a\n\tversion: b\n", []string{"YAML", "line"}},
		{"YAML duplicate key", "model: a\nmodel: b\n", []string{"YAML", "model"}},
		{"JSON duplicate key", `{"model": "a", "model": "b"}`, []string{"duplicate", "model"}},
		{"JSON duplicate key in two forms", `{"displayName": "a", "display_name": "b"}`, []string{"duplicate"}},
		{"unknown field", `{"model": "a", "colour": "red"}`, []string{"unknown field", `"colour"`}},
		{"unknown nested field", `{"practices": [{"id": "X-1.1"}, {"statment": "x"}]}`, []string{"practices[1].statment", "unknown field"}},
		{"unknown YAML field", "practice_areas:\n- id: RSK\n  acronym: RSK\n", []string{"practice_areas[0].acronym"}},
		{"bad usage scenario", `{"practices": [{"aiContext": [{"usageScenarios": ["SUPPORT_AUGMENTATION", "half autonomous"]}]}]}`,
			[]string{"practices[0].ai_context[0].usage_scenarios[1]", "half autonomous", "not an AI usage scenario"}},
		{"bad applicability", "practices:\n- ai_context:\n  - applicability: [selling]\n",
			[]string{"applicability[0]", "selling"}},
		{"enum as object", `{"practices": [{"aiContext": [{"applicability": [{}]}]}]}`, []string{"applicability"}},
		{"string expected", "model: a\nversion: 3.0\n", []string{"version", "expected a string", "quote"}},
		{"boolean for string", `{"displayName": true}`, []string{"display_name", "expected a string"}},
		{"list expected", `{"practices": {"id": "x"}}`, []string{"practices", "expected a list"}},
		{"object expected", `{"practices": ["RSK-1.1"]}`, []string{"practices[0]", "expected an object"}},
		{"number for int as text", `{"practices": [{"level": "three"}]}`, []string{"level"}},
		{"number out of range", `{"practices": [{"level": 99999999999}]}`, []string{"level"}},
		{"bool for bool field as string", `{"sample": "maybe"}`, []string{"sample"}},
		{"invalid UTF-8", "{\"model\": \"a\xff\"}", []string{"UTF-8", "line 1"}},
		{"invalid UTF-8 YAML", "model: a\ndisplay_name: \xc3\x28\n", []string{"UTF-8", "line 2"}},
		{"too deep JSON", deepJSON, []string{"deeper than 64"}},
		{"too deep YAML flow", deepFlowYAML, []string{"deeper than 64", "line 1"}},
		{"too deep YAML block", deepBlockYAML.String(), []string{"deeper than 64", "line 65"}},
		{"too deep YAML dashes", "practices:\n" + strings.Repeat("- ", 70) + "x\n", []string{"deeper than 64", "line 2"}},
		{"too deep YAML mixed", "views:\n" + strings.Repeat("- ", 30) + strings.Repeat("[", 40) + "\n", []string{"deeper than 64", "line 2"}},
		{"too deep YAML aliases", aliasYAML.String(), []string{"deeper than 64", "aliases"}},
		{"too big", `{"description": "` + strings.Repeat("x", MaxBundleTextBytes) + `"}`, []string{"16 MiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseBundleText([]byte(tt.text))
			if err == nil {
				t.Fatalf("parsed: %s", prototext.Format(b))
			}
			wantTextError(t, err, tt.contains...)
		})
	}
}

func TestParseBundleTextAcceptsNearLimits(t *testing.T) {
	// 64 levels is allowed; the bundle schema stops it long before.
	within := strings.Repeat("[", 63) + strings.Repeat("]", 63)
	_, err := ParseBundleText([]byte(`{"views": ` + within + `}`))
	wantTextError(t, err, "expected")
	if strings.Contains(err.Error(), "deeper") {
		t.Errorf("64 levels rejected as too deep: %v", err)
	}
	// A document just under the size limit parses.
	pad := MaxBundleTextBytes - len(`{"description": ""}`)
	big := `{"description": "` + strings.Repeat("x", pad) + `"}`
	if _, err := ParseBundleText([]byte(big)); err != nil {
		t.Errorf("document of %d bytes: %v", len(big), err)
	}
	// A byte order mark, null fields and content that fails validation
	// still parse: parsing checks syntax and schema only.
	b, err := ParseBundleText([]byte("\uFEFF{\"model\": \"BAD MODEL\", \"practices\": null}"))
	if err != nil || b.GetModel() != "BAD MODEL" {
		t.Errorf("got %v, %v", b, err)
	}
	// A YAML plain scalar full of brackets and quotes is not nesting.
	yamlText := "description: it's [not] {nested} \"at\" all [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n" +
		"display_name: |\n  [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n"
	if b, err := ParseBundleText([]byte(yamlText)); err != nil || !strings.HasPrefix(b.GetDisplayName(), "[[[") {
		t.Errorf("brackets in scalars: %v, %v", b, err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	tricky := testBundle()
	tricky.DisplayName = "yes"
	tricky.Description = "null"
	tricky.Version = "3.0"
	tricky.Categories[0].Description = "1e3"
	tricky.Categories[1].Description = "# not a comment: really\n- not a list\n  indented \"quoted\" 'single' \\ back\\slash\ttab"
	tricky.Practices[0].Statement = "Ünïcödé — 風險 🚀 <html> & more"
	tricky.Practices[1].Explanation = "  leading and trailing spaces  "
	tricky.Practices[0].AiContext[0].UsageScenarios = append(tricky.Practices[0].AiContext[0].UsageScenarios, 7) // unknown number survives
	tests := map[string]*modelv1.ModelBundle{
		"small":  testBundle(),
		"full":   fullBundle(),
		"tricky": tricky,
		"empty":  {},
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			j, err := MarshalBundleJSON(b)
			if err != nil {
				t.Fatal(err)
			}
			y, err := MarshalBundleYAML(b)
			if err != nil {
				t.Fatal(err)
			}
			for format, text := range map[string][]byte{"json": j, "yaml": y} {
				back, err := ParseBundleText(text)
				if err != nil {
					t.Fatalf("%s: %v\n%s", format, err, text)
				}
				if !proto.Equal(back, b) {
					t.Errorf("%s round trip differs:\n%s\nversus\n%s\ntext:\n%s", format, prototext.Format(back), prototext.Format(b), text)
				}
			}
			again, _ := MarshalBundleJSON(b)
			if !bytes.Equal(j, again) {
				t.Error("MarshalBundleJSON is not stable")
			}
		})
	}
}

func TestMarshalBundleJSONForm(t *testing.T) {
	j, err := MarshalBundleJSON(testBundle())
	if err != nil {
		t.Fatal(err)
	}
	text := string(j)
	for _, want := range []string{
		"{\n  \"model\": \"cmmi-aim\",\n",
		`"displayName": "Test model"`,
		`"usageScenarios": [`,
		`"AI_USAGE_SCENARIO_SUPPORT_AUGMENTATION"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("JSON lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "explanation") {
		t.Error("unset fields should be left out")
	}
	y, err := MarshalBundleYAML(testBundle())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(y, []byte("displayName: Test model\n")) {
		t.Errorf("YAML:\n%s", y)
	}
}
