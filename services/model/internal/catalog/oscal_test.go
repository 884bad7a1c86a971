package catalog

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

var (
	oscalToken = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]*$`)
	uuidV5     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

var testMeta = OSCALMeta{Title: "CMMI AIM", Version: "3.0", LastModified: time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))}

// exported is the shape of an exported catalog, read back generically.
type exported struct {
	Catalog struct {
		UUID     string         `json:"uuid"`
		Metadata map[string]any `json:"metadata"`
		Groups   []struct {
			ID       string      `json:"id"`
			Class    string      `json:"class"`
			Title    string      `json:"title"`
			Props    []oscalProp `json:"props"`
			Parts    []oscalPart `json:"parts"`
			Controls []struct {
				ID    string      `json:"id"`
				Class string      `json:"class"`
				Title string      `json:"title"`
				Props []oscalProp `json:"props"`
				Parts []oscalPart `json:"parts"`
			} `json:"controls"`
		} `json:"groups"`
	} `json:"catalog"`
}

func exportAndRead(t *testing.T, b *modelv1.ModelBundle, meta OSCALMeta) ([]byte, exported) {
	t.Helper()
	data, err := ExportOSCALCatalog(b, meta)
	if err != nil {
		t.Fatal(err)
	}
	var doc exported
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("output is not the expected JSON: %v\n%s", err, data)
	}
	return data, doc
}

// allIDs collects every id in an exported catalog.
func allIDs(doc exported) []string {
	var ids []string
	for _, g := range doc.Catalog.Groups {
		ids = append(ids, g.ID)
		for _, p := range g.Parts {
			ids = append(ids, p.ID)
		}
		for _, c := range g.Controls {
			ids = append(ids, c.ID)
			for _, p := range c.Parts {
				ids = append(ids, p.ID)
			}
		}
	}
	return ids
}

func TestExportOSCALCatalogFullBundle(t *testing.T) {
	b := fullBundle()
	data, doc := exportAndRead(t, b, testMeta)
	if len(doc.Catalog.Groups) != 31 {
		t.Errorf("%d groups, want 31", len(doc.Catalog.Groups))
	}
	controls := 0
	for _, g := range doc.Catalog.Groups {
		controls += len(g.Controls)
	}
	if controls != len(b.GetPractices()) {
		t.Errorf("%d controls, want %d", controls, len(b.GetPractices()))
	}
	seen := map[string]bool{}
	for _, id := range allIDs(doc) {
		if !oscalToken.MatchString(id) {
			t.Errorf("id %q is not an OSCAL token", id)
		}
		if seen[id] {
			t.Errorf("id %q is repeated", id)
		}
		seen[id] = true
	}
	m := doc.Catalog.Metadata
	if m["oscal-version"] != "1.1.2" || m["title"] != "CMMI AIM" || m["version"] != "3.0" || m["last-modified"] != "2025-03-01T11:00:00Z" {
		t.Errorf("metadata %v", m)
	}
	if _, ok := m["remarks"]; ok {
		t.Error("remarks on content that is not sample")
	}
	if !uuidV5.MatchString(doc.Catalog.UUID) {
		t.Errorf("uuid %q is not a version 5 UUID", doc.Catalog.UUID)
	}
	again, _ := ExportOSCALCatalog(reversed(b), testMeta)
	if !bytes.Equal(data, again) {
		t.Error("the same content in another order exports differently")
	}
}

func TestExportOSCALCatalogShape(t *testing.T) {
	_, doc := exportAndRead(t, testBundle(), testMeta)
	if doc.Catalog.Metadata["remarks"] == nil {
		t.Error("sample content needs remarks")
	}
	if len(doc.Catalog.Groups) != 3 {
		t.Fatalf("%d groups", len(doc.Catalog.Groups))
	}
	g := doc.Catalog.Groups[2] // RSK, after DQ and PQA
	if g.ID != "rsk" || g.Class != "practice-area" || g.Title != "Risk and Opportunity Management" {
		t.Errorf("group %s %s %q", g.ID, g.Class, g.Title)
	}
	props := map[string]string{}
	for _, p := range g.Props {
		props[p.Name] = p.Value
	}
	if props["label"] != "RSK" || props["domain"] != "core" || props["capability-area"] != "MBR" || props["category"] != "managing" {
		t.Errorf("group props %v", g.Props)
	}
	if len(g.Parts) != 1 || g.Parts[0].ID != "rsk_smt" || g.Parts[0].Name != "overview" || g.Parts[0].Prose != "Finding and handling risks." {
		t.Errorf("group parts %+v", g.Parts)
	}
	var ids []string
	for _, c := range g.Controls {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, " ") != "rsk-1.1 rsk-2.1 rsk-2.2 rsk-3.1" {
		t.Errorf("controls %q", ids)
	}
	c := g.Controls[2] // RSK-2.2
	if c.Class != "practice" || c.Title != "RSK 2.2" {
		t.Errorf("control %s %s %q", c.ID, c.Class, c.Title)
	}
	if len(c.Props) != 2 || c.Props[0] != (oscalProp{Name: "label", Value: "RSK 2.2"}) ||
		c.Props[1].Name != "practice-group-level" || c.Props[1].Value != "2" {
		t.Errorf("control props %+v", c.Props)
	}
	if len(c.Parts) != 3 || c.Parts[0].ID != "rsk-2.2_smt" || c.Parts[0].Name != "statement" || c.Parts[0].Prose != "Track risks." {
		t.Fatalf("control parts %+v", c.Parts)
	}
	ai := c.Parts[1]
	if ai.ID != "rsk-2.2-ai-1" || ai.Name != "guidance" || ai.Class != "ai-context" || ai.Prose != "Track model drift." {
		t.Errorf("AI part %+v", ai)
	}
	want := []oscalProp{
		{Name: "ai-usage-scenario", NS: oscalNamespace, Value: "fully-autonomous"},
		{Name: "ai-applicability", NS: oscalNamespace, Value: "building"},
	}
	if len(ai.Props) != 2 || ai.Props[0] != want[0] || ai.Props[1] != want[1] {
		t.Errorf("AI props %+v", ai.Props)
	}

	withGuidance := testBundle()
	withGuidance.Practices[0].Explanation = "Because."
	_, doc = exportAndRead(t, withGuidance, testMeta)
	parts := doc.Catalog.Groups[2].Controls[0].Parts
	if len(parts) != 3 || parts[1].ID != "rsk-1.1_gdn" || parts[1].Name != "guidance" || parts[1].Prose != "Because." || parts[1].Class != "" {
		t.Errorf("parts with guidance %+v", parts)
	}
	scenarios := 0
	for _, p := range parts[2].Props {
		if p.Name == "ai-usage-scenario" {
			scenarios++
		}
	}
	if scenarios != 2 {
		t.Errorf("AI part props %+v", parts[2].Props)
	}
}

func TestExportOSCALCatalogMeta(t *testing.T) {
	b := testBundle()
	_, doc := exportAndRead(t, b, OSCALMeta{LastModified: testMeta.LastModified})
	if doc.Catalog.Metadata["title"] != "Test model" || doc.Catalog.Metadata["version"] != "3.0-test" {
		t.Errorf("defaults from the bundle: %v", doc.Catalog.Metadata)
	}
	first := doc.Catalog.UUID
	_, doc = exportAndRead(t, reversed(b), OSCALMeta{LastModified: testMeta.LastModified})
	if doc.Catalog.UUID != first {
		t.Error("the derived UUID depends on order")
	}
	b.Practices[0].Statement = "Changed."
	_, doc = exportAndRead(t, b, OSCALMeta{LastModified: testMeta.LastModified})
	if doc.Catalog.UUID == first {
		t.Error("the derived UUID ignores content")
	}
	given := "0B7C3E2A-1F4D-4A5B-9C8D-7E6F5A4B3C2D"
	_, doc = exportAndRead(t, b, OSCALMeta{LastModified: testMeta.LastModified, UUID: given})
	if doc.Catalog.UUID != strings.ToLower(given) {
		t.Errorf("uuid %q", doc.Catalog.UUID)
	}

	errorCases := map[string]struct {
		b    *modelv1.ModelBundle
		meta OSCALMeta
	}{
		"no last-modified": {testBundle(), OSCALMeta{}},
		"bad UUID":         {testBundle(), OSCALMeta{LastModified: testMeta.LastModified, UUID: "not-a-uuid"}},
		"v1 UUID":          {testBundle(), OSCALMeta{LastModified: testMeta.LastModified, UUID: "6ba7b811-9dad-11d1-80b4-00c04fd430c8"}},
		"unknown area": {func() *modelv1.ModelBundle {
			b := testBundle()
			b.Practices[0].PracticeArea = "XYZ"
			return b
		}(), testMeta},
	}
	for name, tt := range errorCases {
		if _, err := ExportOSCALCatalog(tt.b, tt.meta); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestExportOSCALCatalogMakesOddIDsValid(t *testing.T) {
	b := testBundle()
	// Ids validation would reject, made into unique tokens all the same.
	b.Practices[0].AiContext[0].Id = "9 lives"
	b.Practices[2].AiContext[0].Id = "rsk"
	b.Practices[2].AiContext[1].Id = "RSK-2.2"
	b.Practices[3].AiContext = []*modelv1.AiContextAddition{{Id: ""}, {Id: "ü"}}
	_, doc := exportAndRead(t, b, testMeta)
	seen := map[string]bool{}
	for _, id := range allIDs(doc) {
		if !oscalToken.MatchString(id) || seen[id] {
			t.Errorf("id %q invalid or repeated", id)
		}
		seen[id] = true
	}
}

func TestOSCALIDsClaim(t *testing.T) {
	ids := oscalIDs{}
	for _, tt := range []struct{ in, want string }{
		{"RSK", "rsk"}, {"RSK-3.1", "rsk-3.1"}, {"rsk", "rsk_2"}, {"RSK", "rsk_3"},
		{"3x", "_3x"}, {"", "_"}, {"a b/c", "a_b_c"}, {"_x", "_x"}, {".x", "_.x"},
	} {
		if got := ids.claim(tt.in); got != tt.want {
			t.Errorf("claim(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestContentUUIDIsStable pins the name-based catalog UUID: exports made
// before the switch to google/uuid keep their ids.
func TestContentUUIDIsStable(t *testing.T) {
	if got, want := contentUUID("sha256:abc"), "71a6cec7-846e-54b1-909c-b2c8b0e7b273"; got != want {
		t.Fatalf("contentUUID = %s, want %s", got, want)
	}
}
