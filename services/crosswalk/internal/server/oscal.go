package server

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	crosswalkv1 "github.com/aim-platform/aim/gen/aim/crosswalk/v1"
)

// The OSCAL mapping collection subset this service reads and writes: one
// mapping per crosswalk, one map entry per mapping. OSCAL id-refs are
// tokens that cannot start with a digit, so element ids are written with an
// "el-" prefix ("el-4.1.2", "el-RSK-3.1") and read back without it. These
// structs cover only what we emit; they are not a general OSCAL model.
type oscalDoc struct {
	Collection oscalCollection `json:"mapping-collection"`
}

type oscalCollection struct {
	UUID       string          `json:"uuid"`
	Metadata   oscalMetadata   `json:"metadata"`
	Provenance oscalProvenance `json:"provenance"`
	Mappings   []oscalMapping  `json:"mappings"`
}

type oscalMetadata struct {
	Title        string `json:"title"`
	LastModified string `json:"last-modified"`
	Version      string `json:"version"`
	OSCALVersion string `json:"oscal-version"`
}

type oscalProvenance struct {
	Method            string `json:"method"`
	MatchingRationale string `json:"matching-rationale"`
	Status            string `json:"status"`
	Description       string `json:"mapping-description"`
}

type oscalResource struct {
	Type string `json:"type"`
	Href string `json:"href"`
}

type oscalMapping struct {
	UUID           string        `json:"uuid"`
	SourceResource oscalResource `json:"source-resource"`
	TargetResource oscalResource `json:"target-resource"`
	Maps           []oscalMap    `json:"maps"`
}

type oscalMap struct {
	UUID         string      `json:"uuid"`
	Relationship string      `json:"relationship"`
	Sources      []oscalRef  `json:"sources"`
	Targets      []oscalRef  `json:"targets"`
	Props        []oscalProp `json:"props,omitempty"`
	Remarks      string      `json:"remarks,omitempty"`
}

type oscalRef struct {
	Type  string `json:"type"`
	IDRef string `json:"id-ref"`
}

type oscalProp struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	NS    string `json:"ns,omitempty"`
}

const oscalNS = "https://aim-platform.dev/ns/oscal"

var oscalRelationships = map[crosswalkv1.Relationship]string{
	crosswalkv1.Relationship_RELATIONSHIP_EQUAL:           "equal-to",
	crosswalkv1.Relationship_RELATIONSHIP_SUBSET_OF:       "subset-of",
	crosswalkv1.Relationship_RELATIONSHIP_SUPERSET_OF:     "superset-of",
	crosswalkv1.Relationship_RELATIONSHIP_INTERSECTS_WITH: "intersects-with",
	crosswalkv1.Relationship_RELATIONSHIP_NO_RELATIONSHIP: "no-relationship",
}

// uuidFrom derives a stable version-5-style UUID from text.
func uuidFrom(text string) string {
	sum := sha256.Sum256([]byte(text))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func exportOSCALMappings(cw *crosswalkv1.Crosswalk, mappings []*crosswalkv1.Mapping, now time.Time) ([]byte, error) {
	m := oscalMapping{
		UUID:           uuidFrom(cw.GetName() + "/mapping"),
		SourceResource: oscalResource{Type: "catalog", Href: "#" + cw.GetSourceFramework()},
		TargetResource: oscalResource{Type: "catalog", Href: "#" + cw.GetTargetFramework()},
	}
	for _, x := range mappings {
		entry := oscalMap{
			UUID:         uuidFrom(x.GetName()),
			Relationship: oscalRelationships[x.GetRelationship()],
			Sources:      []oscalRef{{Type: "control", IDRef: "el-" + x.GetSource()}},
			Targets:      []oscalRef{{Type: "control", IDRef: "el-" + x.GetTarget()}},
			Remarks:      x.GetRationale(),
		}
		if x.GetStrength() > 0 {
			entry.Props = append(entry.Props, oscalProp{Name: "strength", Value: fmt.Sprint(x.GetStrength()), NS: oscalNS})
		}
		if x.GetNote() != "" {
			entry.Props = append(entry.Props, oscalProp{Name: "note", Value: x.GetNote(), NS: oscalNS})
		}
		m.Maps = append(m.Maps, entry)
	}
	updated := now
	if cw.GetUpdateTime() != nil {
		updated = cw.GetUpdateTime().AsTime()
	}
	doc := oscalDoc{Collection: oscalCollection{
		UUID: uuidFrom(cw.GetName()),
		Metadata: oscalMetadata{Title: cw.GetDisplayName(), LastModified: updated.UTC().Format(time.RFC3339),
			Version: cw.GetEtag(), OSCALVersion: "1.1.3"},
		Provenance: oscalProvenance{Method: "human", MatchingRationale: "semantic", Status: "complete",
			Description: "Set-theory relationship mapping (NIST IR 8477) exported by AIM Platform."},
		Mappings: []oscalMapping{m},
	}}
	return json.MarshalIndent(doc, "", "  ")
}

func parseOSCALMappings(content string) ([]candidate, []problem) {
	var doc oscalDoc
	dec := json.NewDecoder(strings.NewReader(content))
	if err := dec.Decode(&doc); err != nil {
		return nil, []problem{{line: 1, column: "content", msg: "not an OSCAL mapping collection: " + err.Error()}}
	}
	relOf := map[string]crosswalkv1.Relationship{}
	for r, token := range oscalRelationships {
		relOf[token] = r
	}
	relOf["equivalent-to"] = crosswalkv1.Relationship_RELATIONSHIP_EQUAL
	var out []candidate
	var problems []problem
	n := 0
	for _, m := range doc.Collection.Mappings {
		for _, e := range m.Maps {
			n++
			rel, ok := relOf[e.Relationship]
			if !ok {
				problems = append(problems, problem{line: n, column: "relationship", msg: fmt.Sprintf("unknown OSCAL relationship %q", e.Relationship)})
				continue
			}
			if len(e.Sources) != 1 || len(e.Targets) != 1 {
				problems = append(problems, problem{line: n, column: "content", msg: "each map entry must have one source and one target"})
				continue
			}
			c := candidate{m: &crosswalkv1.Mapping{
				Source: strings.TrimPrefix(e.Sources[0].IDRef, "el-"), Target: strings.TrimPrefix(e.Targets[0].IDRef, "el-"),
				Relationship: rel, Rationale: e.Remarks,
			}, line: n}
			for _, p := range e.Props {
				switch p.Name {
				case "strength":
					var v int32
					if _, err := fmt.Sscan(p.Value, &v); err != nil || v < 0 || v > 10 {
						problems = append(problems, problem{line: n, column: "strength", msg: "strength must be from 0 to 10"})
					}
					c.m.Strength = v
				case "note":
					c.m.Note = p.Value
				}
			}
			c.sourceAsWritten = c.m.GetSource()
			out = append(out, c)
		}
	}
	return out, problems
}
