package server

import (
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
)

// FuzzParseDocument feeds arbitrary import documents to parseDocument, the
// parser behind ImportCrosswalk, in every format (the JSON mapping document
// and the OSCAL mapping collection above all; CSV and TSV also go through
// the table parser's own fuzz target). It must never panic, and what it
// returns must be safe to use: every candidate a mapping with a definite
// relationship and strings that marshal, every problem a field violation
// that a google.rpc.BadRequest can carry (valid UTF-8, else the status
// could not be marshalled and the client would see INTERNAL), and, when it
// reports no problem, every strength within 0..10.
func FuzzParseDocument(f *testing.F) {
	cw := &crosswalkv1.Crosswalk{
		Name: "crosswalks/fuzz", DisplayName: "Fuzz", SourceFramework: "frameworks/cmmi-aim", TargetFramework: "frameworks/iso-iec-42001-2023",
	}
	mappings := []*crosswalkv1.Mapping{
		{Source: "RSK-3.1", Target: "6.1.2", Relationship: crosswalkv1.Relationship_RELATIONSHIP_SUBSET_OF, Strength: 7, Rationale: "risk", Note: "n"},
		{Source: "GOV-2.1", Target: "5.2", Relationship: crosswalkv1.Relationship_RELATIONSHIP_EQUAL},
	}
	oscal, err := exportOSCALMappings(cw, mappings, time.Unix(1_800_000_000, 0).UTC())
	if err != nil {
		f.Fatal(err)
	}
	seeds := []struct {
		format  crosswalkv1.Format
		content string
	}{
		{crosswalkv1.Format_FORMAT_JSON, `{"mappings":[{"source":"RSK-3.1","target":"6.1.2","relationship":"RELATIONSHIP_SUBSET_OF","strength":7}]}`},
		{crosswalkv1.Format_FORMAT_JSON, `{"mappings":[{"source":"RSK-3.1","target":"6.1.2","relationship":"RELATIONSHIP_INDETERMINATE"}]}`},
		{crosswalkv1.Format_FORMAT_JSON, `{"mappings":[{"source":"a","target":"b","relationship":"RELATIONSHIP_EQUAL","strength":11}]}`},
		{crosswalkv1.Format_FORMAT_JSON, `{"mappings":[{"source":"\u00ff","relationship":2,"unknown":1}]}`},
		{crosswalkv1.Format_FORMAT_JSON, `{"mappings":[[[[[[[[[[`},
		{crosswalkv1.Format_FORMAT_JSON, `null`},
		{crosswalkv1.Format_FORMAT_OSCAL_MAPPING_JSON, string(oscal)},
		{crosswalkv1.Format_FORMAT_OSCAL_MAPPING_JSON, `{"mapping-collection":{"mappings":[{"maps":[{"relationship":"subset-of","sources":[{"id-ref":"el-RSK-3.1"}],"targets":[{"id-ref":"el-6.1.2"}],"props":[{"name":"strength","value":"99"}]}]}]}}`},
		{crosswalkv1.Format_FORMAT_OSCAL_MAPPING_JSON, `{"mapping-collection":{"mappings":[{"maps":[{"relationship":"equivalent-to","sources":[],"targets":[{"id-ref":"x"},{"id-ref":"y"}]}]}]}}`},
		{crosswalkv1.Format_FORMAT_OSCAL_MAPPING_JSON, `{"mapping-collection":{"mappings":[{"maps":[{"relationship":"é\u0000"}]}]}}`},
		{crosswalkv1.Format_FORMAT_OSCAL_MAPPING_JSON, `{"mapping-collection":7}`},
		{crosswalkv1.Format_FORMAT_CSV, "Practice,Clause,Relationship\nRSK-3.1,6.1.2,subset\n"},
		{crosswalkv1.Format_FORMAT_TSV, "Practice\tClause\tRelationship\nRSK-3.1\t6.1.2\tsubset€\n"},
		{crosswalkv1.Format_FORMAT_UNSPECIFIED, "x"},
	}
	for _, s := range seeds {
		f.Add(uint8(s.format), s.content)
	}

	f.Fuzz(func(t *testing.T, format uint8, content string) {
		// Neither transport delivers a string that is not UTF-8: gRPC and
		// protojson both refuse it before a handler runs.
		if !utf8.ValidString(content) {
			t.Skip()
		}
		// Formats past the last one are unsupported, like UNSPECIFIED.
		fm := crosswalkv1.Format(format % 6)
		candidates, problems := parseDocument(fm, content)
		for i, p := range problems {
			v := p.violation()
			if p.line < 0 || p.column == "" || p.msg == "" {
				t.Fatalf("problem %d is incomplete: %+v", i, p)
			}
			if !utf8.ValidString(v.Field) || !utf8.ValidString(v.Description) {
				t.Fatalf("problem %d is not valid UTF-8, so no status can carry it: %q %q", i, v.Field, v.Description)
			}
		}
		for i, c := range candidates {
			if c.m == nil || c.line < 1 {
				t.Fatalf("candidate %d is incomplete: %+v", i, c)
			}
			switch c.m.GetRelationship() {
			case crosswalkv1.Relationship_RELATIONSHIP_UNSPECIFIED, crosswalkv1.Relationship_RELATIONSHIP_INDETERMINATE:
				t.Fatalf("candidate %d has no definite relationship: %v", i, c.m)
			}
			if _, err := proto.Marshal(c.m); err != nil {
				t.Fatalf("candidate %d cannot be stored: %v (%q)", i, err, c.m)
			}
			if len(problems) == 0 && (c.m.GetStrength() < 0 || c.m.GetStrength() > 10) {
				t.Fatalf("candidate %d has strength %d and no problem says so", i, c.m.GetStrength())
			}
		}
		if fm != crosswalkv1.Format_FORMAT_CSV && fm != crosswalkv1.Format_FORMAT_TSV &&
			fm != crosswalkv1.Format_FORMAT_JSON && fm != crosswalkv1.Format_FORMAT_OSCAL_MAPPING_JSON && len(problems) == 0 {
			t.Fatalf("format %v accepted", fm)
		}
	})
}
