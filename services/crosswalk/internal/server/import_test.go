package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
)

const tsv = crosswalkv1.Format_FORMAT_TSV

// mine is tenant A's crosswalk from the sample model to ISO/IEC 42001.
const mine = "crosswalks/mine"

func TestImportSeedTable(t *testing.T) {
	h := newHarness(t)
	created := h.create(t, tenantA, "mine", cmmi, iso42001)
	resp := h.importDoc(t, tenantA, mine, tsv, seedFixture(t))
	if resp.GetMappingCount() != 12 {
		t.Errorf("mapping_count = %d, want 12", resp.GetMappingCount())
	}
	if !slices.Equal(resp.GetWarnings(), seedWarnings) {
		t.Errorf("warnings = %q, want %q", resp.GetWarnings(), seedWarnings)
	}
	cw := resp.GetCrosswalk()
	if cw.GetMappingCount() != 12 || cw.GetEtag() == created.GetEtag() || !cw.GetUpdateTime().AsTime().After(created.GetUpdateTime().AsTime().Add(-time.Nanosecond)) {
		t.Errorf("crosswalk after import = %v", cw)
	}
	if got := h.get(t, tenantA, mine); !proto.Equal(got, cw) {
		t.Errorf("Get = %v\nImport = %v", got, cw)
	}
	checkSeedMappings(t, mine, h.mappings(t, tenantA, mine))

	t.Run("reverse resolve", func(t *testing.T) {
		out, err := h.client.ResolveMappings(h.viewer(t, tenantA), &crosswalkv1.ResolveMappingsRequest{
			Crosswalk: mine, Elements: []string{"4.1.2.p.1.b"}, Direction: crosswalkv1.ResolveMappingsRequest_DIRECTION_REVERSE,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := &crosswalkv1.ResolveMappingsResponse{Results: []*crosswalkv1.ResolvedMapping{{
			From: "4.1.2.p.1.b", To: "RSK-3.3", ToFramework: cmmi, Relationship: sub,
			Path: []*crosswalkv1.PathStep{{
				Mapping: mine + "/mappings/rsk-3-3--4-1-2-p-1-b", From: "4.1.2.p.1.b", To: "RSK-3.3", Relationship: sub, Match: "exact",
			}},
		}}}
		if !proto.Equal(out, want) {
			t.Fatalf("ResolveMappings =\n%v\nwant\n%v", out, want)
		}
	})

	t.Run("import again replaces", func(t *testing.T) {
		doc := `{"mappings": [{"source": "RSK 3.4", "target": "6.1.2", "relationship": "RELATIONSHIP_EQUAL", "strength": 7}]}`
		again := h.importDoc(t, tenantA, mine, crosswalkv1.Format_FORMAT_JSON, doc)
		if again.GetMappingCount() != 1 || again.GetCrosswalk().GetMappingCount() != 1 || len(again.GetWarnings()) != 0 {
			t.Fatalf("second import = %v", again)
		}
		got := h.mappings(t, tenantA, mine)
		if len(got) != 1 || got[0].GetSource() != "RSK-3.4" || got[0].GetTarget() != "6.1.2" || got[0].GetStrength() != 7 ||
			got[0].GetName() != mine+"/mappings/rsk-3-4--6-1-2" {
			t.Fatalf("after the second import: %v", got)
		}
	})
}

// Each spelling of a practice the catalog knows lands on its canonical id.
func TestImportPracticeSpellings(t *testing.T) {
	h := newHarness(t)
	h.create(t, tenantA, "mine", cmmi, iso42001)
	doc := "Practice,Relationship,Clause ID\n" +
		"RISK 3.1,2. Intersects With,4.1\n" +
		"RSK 3.2,Subset Of,ISO 6.1.2\n" +
		"RSK-3.3,superset_of,ISO/IEC 6.1.3\n" +
		"PLAN 2.2,=,7.2\n"
	resp := h.importDoc(t, tenantA, mine, crosswalkv1.Format_FORMAT_CSV, doc)
	if resp.GetMappingCount() != 4 || len(resp.GetWarnings()) != 0 {
		t.Fatalf("import = %v", resp)
	}
	want := []string{
		`PLAN-2.2|RELATIONSHIP_EQUAL|7.2|0|""|""`,
		`RSK-3.1|RELATIONSHIP_INTERSECTS_WITH|4.1|0|""|""`,
		`RSK-3.2|RELATIONSHIP_SUBSET_OF|6.1.2|0|""|""`,
		`RSK-3.3|RELATIONSHIP_SUPERSET_OF|6.1.3|0|""|""`,
	}
	if got := describe(h.mappings(t, tenantA, mine)); !slices.Equal(got, want) {
		t.Fatalf("mappings =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// replaceLine returns the fixture with 1-based line n replaced.
func replaceLine(text string, n int, line string) string {
	lines := strings.Split(text, "\n")
	lines[n-1] = line
	return strings.Join(lines, "\n")
}

// junk returns about size bytes of lines of random words: text that holds
// no practice, relationship or clause.
func junk(size, lineLen int) string {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.Grow(size + lineLen)
	col := 0
	for b.Len() < size {
		for range 3 + r.IntN(8) {
			b.WriteByte(byte('a' + r.IntN(26)))
		}
		col += 10
		switch {
		case col >= lineLen:
			b.WriteByte('\n')
			col = 0
		default:
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// TestImportMalformed imports bad documents over a crosswalk holding the
// seed's mappings: each is refused with every problem named by line and
// column, and nothing changes.
func TestImportMalformed(t *testing.T) {
	h := newHarness(t)
	h.create(t, tenantA, "mine", cmmi, iso42001)
	before := h.importDoc(t, tenantA, mine, tsv, seedFixture(t)).GetCrosswalk()
	seed := seedFixture(t)
	lines := strings.Split(seed, "\n")

	tests := []struct {
		name    string
		format  crosswalkv1.Format
		content string
		fields  []string
		// want are texts the violations' descriptions hold, in order.
		want []string
		// once skips the validate_only repeat (for the slow cases).
		once bool
	}{
		{
			name:    "bad relationship word",
			format:  tsv,
			content: replaceLine(seed, 5, strings.Replace(lines[4], "1. Subset Of", "6. Kind Of", 1)),
			fields:  []string{"content.line[5].relationship"},
			want:    []string{"6. Kind Of"},
		},
		{
			name:    "relationship number disagrees with the word",
			format:  tsv,
			content: replaceLine(seed, 7, strings.Replace(lines[6], "4. Superior Of", "1. Superior Of", 1)),
			// The continuation row below inherits the relationship as written.
			fields: []string{"content.line[7].relationship", "content.line[8].relationship"},
			want:   []string{"1. Superior Of", "1. Superior Of"},
		},
		{
			name:    "unknown practice",
			format:  tsv,
			content: replaceLine(seed, 13, strings.Replace(lines[12], "MC 2.4", "ZZZ 9.9", 1)),
			// The continuation row below names the same practice.
			fields: []string{"content.line[13].practice", "content.line[14].practice"},
			want:   []string{"ZZZ 9.9", "ZZZ 9.9"},
		},
		{
			name:    "ragged row",
			format:  tsv,
			content: seed + "\nManaging\tPMW\tCore\tPlanning (PLAN)\tPLAN 2.6",
			fields:  []string{"content.line[15].relationship", "content.line[15].clause"},
		},
		{
			name:    "conflicting duplicate pair",
			format:  tsv,
			content: seed + "\nManaging\tMIR\tCore\tRisk and Opportunity Management (RISK)\tRISK 3.1\t3. Equal\tISO 4.1\tUnderstanding the organization and its context",
			fields:  []string{"content.line[15].relationship"},
			want:    []string{"line 3"},
		},
		{
			name:    "clause that is not a clause id",
			format:  crosswalkv1.Format_FORMAT_JSON,
			content: `{"mappings": [{"source": "RSK-3.1", "target": "4.1", "relationship": "RELATIONSHIP_EQUAL"}, {"source": "RSK-3.2", "target": "four point one", "relationship": "RELATIONSHIP_EQUAL"}]}`,
			fields:  []string{"content.line[2].clause"},
		},
		{
			name:    "JSON without a relationship",
			format:  crosswalkv1.Format_FORMAT_JSON,
			content: `{"mappings": [{"source": "RSK-3.1", "target": "4.1"}, {"source": "RSK-3.2", "target": "4.2", "relationship": "RELATIONSHIP_INDETERMINATE"}]}`,
			fields:  []string{"content.line[1].relationship", "content.line[2].relationship"},
		},
		{
			name:    "JSON conflicting duplicate",
			format:  crosswalkv1.Format_FORMAT_JSON,
			content: `{"mappings": [{"source": "RSK-3.1", "target": "4.1", "relationship": "RELATIONSHIP_EQUAL"}, {"source": "RSK 3.1", "target": "4.1", "relationship": "RELATIONSHIP_SUBSET_OF"}]}`,
			fields:  []string{"content.line[2].relationship"},
			want:    []string{"line 1"},
		},
		{
			name:    "not JSON",
			format:  crosswalkv1.Format_FORMAT_JSON,
			content: seed,
			fields:  []string{"content.line[1].content"},
		},
		{
			name:    "OSCAL unknown relationship",
			format:  crosswalkv1.Format_FORMAT_OSCAL_MAPPING_JSON,
			content: `{"mapping-collection": {"mappings": [{"maps": [{"relationship": "kind-of", "sources": [{"id-ref": "el-RSK-3.1"}], "targets": [{"id-ref": "el-4.1"}]}]}]}}`,
			fields:  []string{"content.line[1].relationship"},
		},
		{
			// Long lines of junk: each is a row with nothing recognizable.
			name:    "junk text",
			format:  tsv,
			content: junk(6<<20, 3000),
			once:    true,
		},
		{
			// One line of junk, no delimiter.
			name:    "junk line",
			format:  crosswalkv1.Format_FORMAT_CSV,
			content: junk(4<<20, 1<<30),
			fields:  []string{"content.line[1].row"},
			once:    true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			for _, validateOnly := range []bool{false, true} {
				if validateOnly && tt.once {
					break
				}
				_, err := h.client.ImportCrosswalk(h.editor(t, tenantA), &crosswalkv1.ImportCrosswalkRequest{
					Name: mine, Format: tt.format, Content: tt.content, ValidateOnly: validateOnly,
				})
				got := violations(t, err)
				if len(got) == 0 {
					t.Fatal("no field violations")
				}
				var fields []string
				for _, v := range got {
					fields = append(fields, v.GetField())
					if !strings.HasPrefix(v.GetField(), "content.line[") {
						t.Errorf("violation %q does not name a line and column", v.GetField())
					}
				}
				if tt.fields != nil && !slices.Equal(fields, tt.fields) {
					t.Fatalf("violations = %q, want %q (%v)", fields, tt.fields, got)
				}
				for i, w := range tt.want {
					if !strings.Contains(got[i].GetDescription(), w) {
						t.Errorf("violation %d %q does not mention %q", i, got[i].GetDescription(), w)
					}
				}
			}
			if d := time.Since(start); d > 2*time.Minute {
				t.Errorf("took %v", d)
			}
			if after := h.get(t, tenantA, mine); !proto.Equal(after, before) {
				t.Fatalf("the crosswalk changed:\nbefore %v\nafter  %v", before, after)
			}
			checkSeedMappings(t, mine, h.mappings(t, tenantA, mine))
		})
	}
}

// The API takes documents of up to 16 MiB; about 10 MB of junk text is
// within that limit and must be refused as a malformed table, quickly.
func TestImportTenMegabytesOfJunk(t *testing.T) {
	h := newHarness(t)
	h.create(t, tenantA, "mine", cmmi, iso42001)
	before := h.importDoc(t, tenantA, mine, tsv, seedFixture(t)).GetCrosswalk()
	content := junk(10_000_000, 300)
	// A hang guard, not a speed check (speed is measured by the benchmark
	// suite): the call must come back, however loaded the machine.
	ctx, cancel := context.WithTimeout(h.editor(t, tenantA), 2*time.Minute)
	defer cancel()
	_, err := h.client.ImportCrosswalk(ctx, &crosswalkv1.ImportCrosswalkRequest{Name: mine, Format: tsv, Content: content})
	for _, v := range violations(t, err) {
		if !strings.HasPrefix(v.GetField(), "content.line[") {
			t.Errorf("violation %q does not name a line and column", v.GetField())
		}
	}
	if after := h.get(t, tenantA, mine); !proto.Equal(after, before) {
		t.Fatalf("the crosswalk changed")
	}
}

func TestImportValidateOnly(t *testing.T) {
	h := newHarness(t)
	created := h.create(t, tenantA, "mine", cmmi, iso42001)
	resp, err := h.client.ImportCrosswalk(h.editor(t, tenantA), &crosswalkv1.ImportCrosswalkRequest{
		Name: mine, Format: tsv, Content: seedFixture(t), ValidateOnly: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetMappingCount() != 12 || !slices.Equal(resp.GetWarnings(), seedWarnings) {
		t.Fatalf("validate_only = count %d, warnings %q", resp.GetMappingCount(), resp.GetWarnings())
	}
	if !proto.Equal(resp.GetCrosswalk(), created) {
		t.Fatalf("validate_only reports the crosswalk as %v, want it unchanged %v", resp.GetCrosswalk(), created)
	}
	if got := h.get(t, tenantA, mine); !proto.Equal(got, created) {
		t.Fatalf("validate_only changed the crosswalk: %v", got)
	}
	if got := h.mappings(t, tenantA, mine); len(got) != 0 {
		t.Fatalf("validate_only wrote %d mappings", len(got))
	}
}

func TestImportCatalogUnavailable(t *testing.T) {
	h := newHarness(t)
	h.create(t, tenantA, "mine", cmmi, iso42001)
	before := h.importDoc(t, tenantA, mine, tsv, seedFixture(t)).GetCrosswalk()
	h.catalog.setUnavailable(true)
	for _, validateOnly := range []bool{false, true} {
		_, err := h.client.ImportCrosswalk(h.editor(t, tenantA), &crosswalkv1.ImportCrosswalkRequest{
			Name: mine, Format: crosswalkv1.Format_FORMAT_JSON, ValidateOnly: validateOnly,
			Content: `{"mappings": [{"source": "RSK-3.1", "target": "6.1.2", "relationship": "RELATIONSHIP_EQUAL"}]}`,
		})
		if reason := errorReason(t, err, codes.Unavailable); reason != "DEPENDENCY_UNAVAILABLE" {
			t.Fatalf("reason = %q", reason)
		}
	}
	if after := h.get(t, tenantA, mine); !proto.Equal(after, before) {
		t.Fatalf("the crosswalk changed")
	}
	checkSeedMappings(t, mine, h.mappings(t, tenantA, mine))

	// A crosswalk between standards does not need the catalog.
	h.create(t, tenantA, "iso", iso42001, iso23894)
	h.importDoc(t, tenantA, "crosswalks/iso", crosswalkv1.Format_FORMAT_JSON, `{"mappings": [{"source": "6.1.2", "target": "6.4", "relationship": "RELATIONSHIP_EQUAL"}]}`)

	h.catalog.setUnavailable(false)
	h.importDoc(t, tenantA, mine, crosswalkv1.Format_FORMAT_JSON, `{"mappings": [{"source": "RSK-3.1", "target": "6.1.2", "relationship": "RELATIONSHIP_EQUAL"}]}`)
}

func TestImportRequestValidation(t *testing.T) {
	h := newHarness(t)
	h.create(t, tenantA, "mine", cmmi, iso42001)
	tests := []struct {
		name  string
		req   *crosswalkv1.ImportCrosswalkRequest
		field string
	}{
		{"no format", &crosswalkv1.ImportCrosswalkRequest{Name: mine, Content: "x"}, "format"},
		{"no content", &crosswalkv1.ImportCrosswalkRequest{Name: mine, Format: tsv}, "content"},
		{"bad name", &crosswalkv1.ImportCrosswalkRequest{Name: "mine", Format: tsv, Content: "x"}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.client.ImportCrosswalk(h.editor(t, tenantA), tt.req)
			wantViolations(t, err, tt.field)
		})
	}
	_, err := h.client.ImportCrosswalk(h.editor(t, tenantA), &crosswalkv1.ImportCrosswalkRequest{Name: "crosswalks/nope", Format: tsv, Content: seedFixture(t)})
	wantStatus(t, err, codes.NotFound)
}

func TestExportRoundTrip(t *testing.T) {
	h := newHarness(t)
	h.create(t, tenantA, "mine", cmmi, iso42001)
	h.importDoc(t, tenantA, mine, tsv, seedFixture(t))
	want := describe(h.mappings(t, tenantA, mine))

	formats := []struct {
		format      crosswalkv1.Format
		contentType string
	}{
		{crosswalkv1.Format_FORMAT_CSV, "text/csv"},
		{crosswalkv1.Format_FORMAT_TSV, "text/tab-separated-values"},
		{crosswalkv1.Format_FORMAT_JSON, "application/json"},
		{crosswalkv1.Format_FORMAT_OSCAL_MAPPING_JSON, "application/json"},
	}
	for i, f := range formats {
		t.Run(f.format.String(), func(t *testing.T) {
			resp, err := h.client.ExportCrosswalk(h.viewer(t, tenantA), &crosswalkv1.ExportCrosswalkRequest{Name: mine, Format: f.format})
			if err != nil {
				t.Fatal(err)
			}
			body := resp.GetBody()
			if !strings.HasPrefix(body.GetContentType(), f.contentType) {
				t.Errorf("content type %q, want %q", body.GetContentType(), f.contentType)
			}
			if f.format == crosswalkv1.Format_FORMAT_JSON || f.format == crosswalkv1.Format_FORMAT_OSCAL_MAPPING_JSON {
				if !json.Valid(body.GetData()) {
					t.Fatalf("not JSON:\n%s", body.GetData())
				}
			}
			id := fmt.Sprintf("copy-%d", i)
			h.create(t, tenantA, id, cmmi, iso42001)
			imported := h.importDoc(t, tenantA, "crosswalks/"+id, f.format, string(body.GetData()))
			if imported.GetMappingCount() != 12 || !slices.Equal(imported.GetWarnings(), seedWarnings) {
				t.Errorf("re-import: count %d, warnings %q", imported.GetMappingCount(), imported.GetWarnings())
			}
			copied := h.mappings(t, tenantA, "crosswalks/"+id)
			if got := describe(copied); !slices.Equal(got, want) {
				t.Fatalf("round trip =\n%s\nwant\n%s\ndocument:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), body.GetData())
			}
			checkSeedMappings(t, "crosswalks/"+id, copied)
		})
	}

	t.Run("unspecified is CSV", func(t *testing.T) {
		resp, err := h.client.ExportCrosswalk(h.viewer(t, tenantA), &crosswalkv1.ExportCrosswalkRequest{Name: mine})
		if err != nil {
			t.Fatal(err)
		}
		csvResp, err := h.client.ExportCrosswalk(h.viewer(t, tenantA), &crosswalkv1.ExportCrosswalkRequest{Name: mine, Format: crosswalkv1.Format_FORMAT_CSV})
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(resp, csvResp) {
			t.Fatalf("unspecified export differs from CSV")
		}
	})

	t.Run("strength and rationale survive JSON and OSCAL", func(t *testing.T) {
		h.create(t, tenantA, "rich", cmmi, iso42001)
		doc := `{"mappings": [
			{"source": "RSK-3.1", "target": "6.1.2", "relationship": "RELATIONSHIP_EQUAL", "strength": 9, "rationale": "both assess AI risk", "note": "AI risk assessment"},
			{"source": "PLAN-2.2", "target": "A.6.2.4", "relationship": "RELATIONSHIP_NO_RELATIONSHIP", "strength": 2}
		]}`
		h.importDoc(t, tenantA, "crosswalks/rich", crosswalkv1.Format_FORMAT_JSON, doc)
		rich := describe(h.mappings(t, tenantA, "crosswalks/rich"))
		for i, format := range []crosswalkv1.Format{crosswalkv1.Format_FORMAT_JSON, crosswalkv1.Format_FORMAT_OSCAL_MAPPING_JSON} {
			resp, err := h.client.ExportCrosswalk(h.viewer(t, tenantA), &crosswalkv1.ExportCrosswalkRequest{Name: "crosswalks/rich", Format: format})
			if err != nil {
				t.Fatal(err)
			}
			id := fmt.Sprintf("rich-%d", i)
			h.create(t, tenantA, id, cmmi, iso42001)
			h.importDoc(t, tenantA, "crosswalks/"+id, format, string(resp.GetBody().GetData()))
			if got := describe(h.mappings(t, tenantA, "crosswalks/"+id)); !slices.Equal(got, rich) {
				t.Errorf("%v round trip =\n%s\nwant\n%s", format, strings.Join(got, "\n"), strings.Join(rich, "\n"))
			}
		}
	})
}

// Between standards, source ids are checked as clause ids and target ids
// against the target's tree.
func TestImportBetweenStandards(t *testing.T) {
	h := newHarness(t)
	h.create(t, tenantA, "iso", iso42001, iso23894)
	const name = "crosswalks/iso"
	_, err := h.client.ImportCrosswalk(h.editor(t, tenantA), &crosswalkv1.ImportCrosswalkRequest{
		Name: name, Format: crosswalkv1.Format_FORMAT_JSON,
		Content: `{"mappings": [
			{"source": "6.1.2", "target": "6.4", "relationship": "RELATIONSHIP_EQUAL"},
			{"source": "RSK-3.1", "target": "6.4", "relationship": "RELATIONSHIP_EQUAL"},
			{"source": "6.1.3", "target": "6..4", "relationship": "RELATIONSHIP_EQUAL"}
		]}`,
	})
	wantViolations(t, err, "content.line[2].source", "content.line[3].clause")
	if cw := h.get(t, tenantA, name); cw.GetMappingCount() != 0 {
		t.Fatalf("mapping_count = %d after a refused import", cw.GetMappingCount())
	}
	if got := h.mappings(t, tenantA, name); len(got) != 0 {
		t.Fatalf("a refused import wrote %d mappings", len(got))
	}
	resp := h.importDoc(t, tenantA, name, crosswalkv1.Format_FORMAT_JSON,
		`{"mappings": [{"source": "6.1.2.p.1.a", "target": "6.4", "relationship": "RELATIONSHIP_SUBSET_OF"}]}`)
	if resp.GetMappingCount() != 1 || len(resp.GetWarnings()) != 0 {
		t.Fatalf("import = %v", resp)
	}
	if h.catalog.callCount() != 0 {
		t.Fatalf("the catalog was asked about clauses")
	}
}
