package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

// OSCALVersion is the OSCAL version of the catalogs ExportOSCALCatalog
// writes.
const OSCALVersion = "1.1.2"

// oscalNamespace is the namespace of the properties this platform defines;
// OSCAL asks that names outside its own set carry one.
const oscalNamespace = "https://aim-platform.dev/ns/oscal"

// OSCALMeta is what an OSCAL catalog says about itself beyond the model
// content.
type OSCALMeta struct {
	// Title of the catalog; the bundle's display name when empty.
	Title string
	// Version of the document; the bundle's version id when empty.
	Version string
	// LastModified is when the content last changed; required.
	LastModified time.Time
	// UUID of the catalog. When empty, a name-based (version 5) UUID is
	// derived from the content digest, so the same content always gets the
	// same UUID.
	UUID string
}

// The types below cover only the part of the OSCAL catalog model that
// ExportOSCALCatalog writes: a catalog with metadata and groups of controls,
// each with properties and parts.
type oscalDocument struct {
	Catalog oscalCatalog `json:"catalog"`
}

type oscalCatalog struct {
	UUID     string        `json:"uuid"`
	Metadata oscalMetadata `json:"metadata"`
	Groups   []oscalGroup  `json:"groups,omitempty"`
}

type oscalMetadata struct {
	Title        string `json:"title"`
	LastModified string `json:"last-modified"`
	Version      string `json:"version"`
	OSCALVersion string `json:"oscal-version"`
	Remarks      string `json:"remarks,omitempty"`
}

type oscalGroup struct {
	ID       string         `json:"id"`
	Class    string         `json:"class"`
	Title    string         `json:"title"`
	Props    []oscalProp    `json:"props,omitempty"`
	Parts    []oscalPart    `json:"parts,omitempty"`
	Controls []oscalControl `json:"controls,omitempty"`
}

type oscalControl struct {
	ID    string      `json:"id"`
	Class string      `json:"class"`
	Title string      `json:"title"`
	Props []oscalProp `json:"props,omitempty"`
	Parts []oscalPart `json:"parts,omitempty"`
}

type oscalPart struct {
	ID    string      `json:"id"`
	Name  string      `json:"name"`
	NS    string      `json:"ns,omitempty"`
	Class string      `json:"class,omitempty"`
	Props []oscalProp `json:"props,omitempty"`
	Prose string      `json:"prose,omitempty"`
}

type oscalProp struct {
	Name  string `json:"name"`
	NS    string `json:"ns,omitempty"`
	Value string `json:"value"`
}

var uuidPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$`)

// ExportOSCALCatalog writes b as an OSCAL 1.1.2 catalog in JSON. Each
// practice area is a group (id the lower-case acronym, "rsk") with its
// domain, capability area and category as properties and its description as
// an overview part; each practice is a control (id "rsk-3.1", title
// "RSK 3.1") with its level as a property, its statement and explanation as
// statement and guidance parts, and one guidance part of class "ai-context"
// per AI context addition, carrying the usage scenarios and applicability as
// properties. Groups and controls come in canonical order, so the same
// content always gives the same bytes. b should pass ValidateBundle; a
// practice whose practice area b lacks is an error.
func ExportOSCALCatalog(b *modelv1.ModelBundle, meta OSCALMeta) ([]byte, error) {
	if meta.LastModified.IsZero() {
		return nil, errors.New("export OSCAL catalog: the last-modified time is required")
	}
	id := meta.UUID
	if id == "" {
		id = contentUUID(Digest(b))
	} else if !uuidPattern.MatchString(id) {
		return nil, fmt.Errorf("export OSCAL catalog: %q is not an RFC 4122 version 4 or 5 UUID", id)
	}
	c := Canonicalize(b)
	doc := oscalDocument{Catalog: oscalCatalog{
		UUID: strings.ToLower(id),
		Metadata: oscalMetadata{
			Title:        firstNonBlank(meta.Title, c.GetDisplayName(), strings.TrimSpace(c.GetModel()+" "+c.GetVersion()), "Model catalog"),
			LastModified: meta.LastModified.UTC().Format(time.RFC3339),
			Version:      firstNonBlank(meta.Version, c.GetVersion(), "unversioned"),
			OSCALVersion: OSCALVersion,
		},
	}}
	if c.GetSample() {
		doc.Catalog.Metadata.Remarks = "Sample content written for the AIM platform in its own words; " +
			"it is not the licensed model text and is meant for trying the platform."
	}

	ix := newIndex(c)
	categoryOf := map[string]string{}
	for _, ca := range c.GetCapabilityAreas() {
		categoryOf[ca.GetId()] = ca.GetCategory()
	}
	ids := oscalIDs{}
	groupAt := map[string]int{}
	for _, pa := range c.GetPracticeAreas() {
		if _, dup := groupAt[pa.GetId()]; dup {
			continue
		}
		gid := ids.claim(pa.GetId())
		capArea, _, _ := ix.capabilityAreas.resolve(pa.GetCapabilityArea())
		g := oscalGroup{
			ID:    gid,
			Class: "practice-area",
			Title: firstNonBlank(pa.GetDisplayName(), pa.GetId()),
			Props: props(
				oscalProp{Name: "label", Value: pa.GetId()},
				oscalProp{Name: "domain", NS: oscalNamespace, Value: pa.GetDomain()},
				oscalProp{Name: "capability-area", NS: oscalNamespace, Value: firstNonBlank(capArea, pa.GetCapabilityArea())},
				oscalProp{Name: "category", NS: oscalNamespace, Value: categoryOf[capArea]},
			),
		}
		if d := strings.TrimSpace(pa.GetDescription()); d != "" {
			g.Parts = []oscalPart{{ID: ids.claim(gid + "_smt"), Name: "overview", Prose: d}}
		}
		groupAt[pa.GetId()] = len(doc.Catalog.Groups)
		doc.Catalog.Groups = append(doc.Catalog.Groups, g)
	}

	for _, p := range c.GetPractices() {
		area, _, ok := ix.practiceAreas.resolve(p.GetPracticeArea())
		if !ok {
			return nil, fmt.Errorf("export OSCAL catalog: practice %q names practice area %q, which the bundle lacks", p.GetId(), p.GetPracticeArea())
		}
		g := &doc.Catalog.Groups[groupAt[area]]
		g.Controls = append(g.Controls, practiceControl(p, &ids))
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("export OSCAL catalog: %w", err)
	}
	return buf.Bytes(), nil
}

// practiceControl returns the control for one practice.
func practiceControl(p *modelv1.BundlePractice, ids *oscalIDs) oscalControl {
	title := p.GetId()
	if id, err := ParsePracticeID(p.GetId()); err == nil {
		title = id.Label()
	}
	cid := ids.claim(p.GetId())
	ctl := oscalControl{
		ID:    cid,
		Class: "practice",
		Title: title,
		Props: props(
			oscalProp{Name: "label", Value: title},
			oscalProp{Name: "practice-group-level", NS: oscalNamespace, Value: strconv.Itoa(int(p.GetLevel()))},
		),
	}
	if s := strings.TrimSpace(p.GetStatement()); s != "" {
		ctl.Parts = append(ctl.Parts, oscalPart{ID: ids.claim(cid + "_smt"), Name: "statement", Prose: s})
	}
	if e := strings.TrimSpace(p.GetExplanation()); e != "" {
		ctl.Parts = append(ctl.Parts, oscalPart{ID: ids.claim(cid + "_gdn"), Name: "guidance", Prose: e})
	}
	for _, a := range p.GetAiContext() {
		part := oscalPart{
			ID:    ids.claim(firstNonBlank(a.GetId(), cid+"_ai")),
			Name:  "guidance",
			Class: "ai-context",
			Prose: strings.TrimSpace(a.GetText()),
		}
		for _, s := range a.GetUsageScenarios() {
			if v := oscalEnumValue(s.String()); v != "" && s != modelv1.AiUsageScenario_AI_USAGE_SCENARIO_UNSPECIFIED {
				part.Props = append(part.Props, oscalProp{Name: "ai-usage-scenario", NS: oscalNamespace, Value: v})
			}
		}
		for _, ap := range a.GetApplicability() {
			if v := oscalEnumValue(ap.String()); v != "" && ap != modelv1.AiApplicability_AI_APPLICABILITY_UNSPECIFIED {
				part.Props = append(part.Props, oscalProp{Name: "ai-applicability", NS: oscalNamespace, Value: v})
			}
		}
		ctl.Parts = append(ctl.Parts, part)
	}
	return ctl
}

// oscalEnumValue turns an enum value name into a property value:
// AI_USAGE_SCENARIO_FULLY_AUTONOMOUS gives "fully-autonomous". A number (an
// unknown value) gives "".
func oscalEnumValue(name string) string {
	short := shortEnumName(name)
	if short == name {
		return ""
	}
	return strings.ReplaceAll(strings.ToLower(short), "_", "-")
}

// props drops properties without a value; OSCAL requires one.
func props(ps ...oscalProp) []oscalProp {
	out := ps[:0]
	for _, p := range ps {
		if strings.TrimSpace(p.Value) != "" {
			out = append(out, p)
		}
	}
	return out
}

// oscalIDs hands out OSCAL ids (tokens: a letter or underscore, then
// letters, digits, '.', '-' and '_'), unique within one document.
type oscalIDs map[string]bool

// claim returns the lower-cased token form of s, made unique with a
// numbered suffix when already taken.
func (ids oscalIDs) claim(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	id := b.String()
	if id == "" || ((id[0] < 'a' || id[0] > 'z') && id[0] != '_') {
		id = "_" + id
	}
	unique := id
	for n := 2; ids[unique]; n++ {
		unique = id + "_" + strconv.Itoa(n)
	}
	ids[unique] = true
	return unique
}

// contentUUID derives a version 5 UUID (RFC 9562) from a content digest in
// the URL namespace, so that the same content always has the same id.
func contentUUID(digest string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://aim-platform.dev/oscal/catalogs/"+digest)).String()
}

// firstNonBlank returns the first of its arguments that is not blank.
func firstNonBlank(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
