package clauses

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDefaultsCounts(t *testing.T) {
	d, err := Defaults()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		// 43 in clauses 4–10; Annex A: "A", 9 objective groups, 38 controls.
		"iso-iec-42001-2023": 91,
		// 4; 5 and 5.1–5.7; 6 and 6.1–6.7; annexes A, B, C.
		"iso-iec-23894-2023": 20,
		// 4; 5 with 5.1–5.7, 5.4.1–5.4.5, 5.7.1–5.7.2; 6 with 6.1–6.7 and 11 sub-clauses.
		"iso-31000-2018": 35,
		// 1–8.
		"iso-iec-23053-2022": 8,
	}
	if len(d) != len(want) {
		t.Errorf("Defaults has %d frameworks, want %d", len(d), len(want))
	}
	for fw, n := range want {
		if got := len(d[fw]); got != n {
			t.Errorf("%s: %d clauses, want %d", fw, got, n)
		}
	}
}

func TestISO42001AnnexA(t *testing.T) {
	d, err := Defaults()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Clause{}
	for _, c := range d["iso-iec-42001-2023"] {
		byID[c.ID] = c
	}
	a, ok := byID["A"]
	if !ok || a.Parent != "" || a.Title != "Reference control objectives and controls" {
		t.Fatalf("annex node A = %+v, %v", a, ok)
	}
	under := func(c Clause, root string) bool {
		for p := c.Parent; p != ""; p = byID[p].Parent {
			if p == root {
				return true
			}
		}
		return false
	}
	var groups, controls int
	for _, c := range d["iso-iec-42001-2023"] {
		if !under(c, "A") {
			continue
		}
		if c.Parent == "A" {
			groups++
		} else {
			controls++
			if byID[c.Parent].Parent != "A" {
				t.Errorf("control %s sits under %s, not an objective group", c.ID, c.Parent)
			}
		}
	}
	if groups != 9 || controls != 38 {
		t.Errorf("Annex A: %d objective groups and %d controls, want 9 and 38", groups, controls)
	}
	// No titles are known for A.6.1 and A.6.2: their controls sit under A.6 and say so.
	for _, id := range []string{"A.6.1.2", "A.6.1.3", "A.6.2.2", "A.6.2.8"} {
		c := byID[id]
		if c.Parent != "A.6" || c.Note == "" {
			t.Errorf("%s = %+v, want parent A.6 with a note", id, c)
		}
	}
	for _, id := range []string{"A.1", "A.6.1", "A.6.2", "4.1.1"} {
		if _, ok := byID[id]; ok {
			t.Errorf("%s is not in the reference facts but is in the tree", id)
		}
	}
}

func TestDefaultsTrees(t *testing.T) {
	d, err := Defaults()
	if err != nil {
		t.Fatal(err)
	}
	for fw, cs := range d {
		seen := map[string]bool{}
		for _, c := range cs {
			if !ValidID(c.ID) {
				t.Errorf("%s: invalid id %q", fw, c.ID)
			}
			if seen[c.ID] {
				t.Errorf("%s: duplicate id %s", fw, c.ID)
			}
			if c.Parent != "" && !seen[c.Parent] {
				t.Errorf("%s: %s's parent %s missing or listed after it", fw, c.ID, c.Parent)
			}
			if c.Parent != "" && !strings.HasPrefix(c.ID, c.Parent+".") {
				t.Errorf("%s: %s's parent %s is not a dotted prefix", fw, c.ID, c.Parent)
			}
			if c.Parent != ParentOf(c.ID) && c.Note == "" {
				t.Errorf("%s: %s skips a level (parent %s, ParentOf %s) without a note", fw, c.ID, c.Parent, ParentOf(c.ID))
			}
			if strings.Contains(c.ID, ".p.") {
				t.Errorf("%s: shipped tree holds paragraph id %s", fw, c.ID)
			}
			if strings.TrimSpace(c.Title) == "" {
				t.Errorf("%s: %s has no title", fw, c.ID)
			}
			seen[c.ID] = true
		}
	}
	var bestGuess []string
	for _, c := range d["iso-iec-23053-2022"] {
		if c.BestGuess {
			bestGuess = append(bestGuess, c.ID)
		}
	}
	if got := strings.Join(bestGuess, ","); got != "4,5,6,7,8" {
		t.Errorf("ISO/IEC 23053 best-guess clauses = %s, want 4,5,6,7,8", got)
	}
	for fw, cs := range d {
		if fw == "iso-iec-23053-2022" {
			continue
		}
		for _, c := range cs {
			if c.BestGuess {
				t.Errorf("%s: %s marked best guess", fw, c.ID)
			}
		}
	}
}

// TestNoTextBeyondTitles checks the raw files: only the known keys, and
// titles short single-line headings rather than clause text.
func TestNoTextBeyondTitles(t *testing.T) {
	entries, err := data.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"id": true, "parent": true, "title": true, "bestGuess": true, "note": true}
	for _, e := range entries {
		b, err := data.ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if len(raw) != 2 || raw["framework"] == nil || raw["clauses"] == nil {
			t.Errorf("%s: top-level keys must be exactly framework and clauses", e.Name())
		}
		var cs []map[string]any
		if err := json.Unmarshal(raw["clauses"], &cs); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		for _, c := range cs {
			for k := range c {
				if !allowed[k] {
					t.Errorf("%s: clause %v has field %q", e.Name(), c["id"], k)
				}
			}
			title, _ := c["title"].(string)
			if len(title) > 90 || strings.ContainsAny(title, "\n.;:") {
				t.Errorf("%s: clause %v title %q looks like text, not a heading", e.Name(), c["id"], title)
			}
		}
	}
}

func TestParse(t *testing.T) {
	ok := `{"framework":"f","clauses":[{"id":"4","title":"T"},{"id":"4.1","parent":"4","title":"T"}]}`
	if _, err := parse([]byte(ok)); err != nil {
		t.Fatalf("parse(ok) = %v", err)
	}
	bad := map[string]string{
		"unknown field":   `{"framework":"f","clauses":[{"id":"4","title":"T","text":"shall"}]}`,
		"no framework":    `{"clauses":[{"id":"4","title":"T"}]}`,
		"no clauses":      `{"framework":"f","clauses":[]}`,
		"invalid id":      `{"framework":"f","clauses":[{"id":"4.","title":"T"}]}`,
		"duplicate":       `{"framework":"f","clauses":[{"id":"4","title":"T"},{"id":"4","title":"T"}]}`,
		"empty title":     `{"framework":"f","clauses":[{"id":"4","title":" "}]}`,
		"missing parent":  `{"framework":"f","clauses":[{"id":"4.1","parent":"4","title":"T"}]}`,
		"parent omitted":  `{"framework":"f","clauses":[{"id":"4","title":"T"},{"id":"4.1","title":"T"}]}`,
		"parent too high": `{"framework":"f","clauses":[{"id":"4","title":"T"},{"id":"4.1","parent":"4","title":"T"},{"id":"4.1.2","parent":"4","title":"T"}]}`,
		"child first":     `{"framework":"f","clauses":[{"id":"4.1","parent":"4","title":"T"},{"id":"4","title":"T"}]}`,
		"trailing data":   `{"framework":"f","clauses":[{"id":"4","title":"T"}]} {}`,
	}
	for name, in := range bad {
		if _, err := parse([]byte(in)); err == nil {
			t.Errorf("parse(%s) succeeded", name)
		}
	}
}

func TestParentOf(t *testing.T) {
	tests := []struct{ in, want string }{
		// A letter item sits under its paragraph, a paragraph under its clause.
		{"4.1.2.p.1.a", "4.1.2.p.1"},
		{"4.1.2.p.1", "4.1.2"},
		{"4.1.2", "4.1"},
		{"4.1", "4"},
		{"4", ""},
		{"10.2", "10"},
		{"A.6.2.4", "A.6.2"},
		{"A.6.2", "A.6"},
		{"A.2", "A"},
		{"A", ""},
		{"A.6.1.2.p.3.b", "A.6.1.2.p.3"},
		{"5.p.2", "5"},
		{"", ""},
		{"4.1.x", ""},
	}
	for _, tt := range tests {
		if got := ParentOf(tt.in); got != tt.want {
			t.Errorf("ParentOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidID(t *testing.T) {
	valid := []string{"4", "0", "10", "4.1.2", "A", "B", "A.2", "A.10.4", "A.6.1.2", "4.1.2.p.1", "4.1.2.p.1.a", "A.6.2.4.p.2", "5.p.12.z"}
	invalid := []string{"", ".", "4.", ".4", "4..1", "04", "4.01", "a", "AA", "A.", "A.B", "4.1.p", "4.1.p.0", "4.1.p.1.A", "4.1.p.1.ab",
		"4.1.p.1.a.b", "4.1.q.1", "p.1", "4.1.2.p.1.p.2", " 4", "4 ", "4.1-2", "A6.1"}
	for _, id := range valid {
		if !ValidID(id) {
			t.Errorf("ValidID(%q) = false", id)
		}
	}
	for _, id := range invalid {
		if ValidID(id) {
			t.Errorf("ValidID(%q) = true", id)
		}
	}
}
