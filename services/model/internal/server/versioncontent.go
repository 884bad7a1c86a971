package server

import (
	"bytes"
	"sort"
	"strings"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
	"github.com/aim-platform/aim/platform/filter"
	"github.com/aim-platform/aim/platform/resource"
	"github.com/aim-platform/aim/services/model/internal/catalog"
	"github.com/aim-platform/aim/services/model/internal/store"
)

// versionContent is one generation of a version's content, decoded once
// and indexed for the practice reads. Everything in it, the messages
// included, is shared by concurrent calls and by the responses that carry
// them (gRPC only reads a response while it marshals it): nothing may
// modify it.
type versionContent struct {
	ref store.VersionRef
	// areas maps an acronym to its practice area; areaAliases an alias to
	// the acronym.
	areas       map[string]*modelv1.PracticeArea
	areaAliases map[string]string
	// practices, keys and records are in key order: a practice, its store
	// key and its filterable fields.
	practices []*modelv1.Practice
	keys      [][]byte
	records   []practiceRecord
	// byID finds a practice by its canonical id, byName by the last segment
	// of its name (what the search index returns).
	byID   map[catalog.PracticeID]int
	byName map[string]int
	// The filter schemas of the version's practices and practice areas.
	practiceSchema, areaSchema filter.Schema
}

func newVersionContent(sc *store.VersionContent) *versionContent {
	vc := &versionContent{
		ref:         sc.Ref,
		areas:       make(map[string]*modelv1.PracticeArea, len(sc.PracticeAreas)),
		areaAliases: map[string]string{},
		practices:   sc.Practices,
		keys:        sc.PracticeKeys,
		records:     make([]practiceRecord, len(sc.Practices)),
		byID:        make(map[catalog.PracticeID]int, len(sc.Practices)),
		byName:      make(map[string]int, len(sc.Practices)),
	}
	for _, pa := range sc.PracticeAreas {
		vc.areas[resource.ID(pa.GetName())] = pa
	}
	const paAlias = store.KindPracticeArea + ":"
	for k, v := range sc.Aliases {
		if len(k) > len(paAlias) && k[:len(paAlias)] == paAlias {
			vc.areaAliases[k[len(paAlias):]] = v
		}
	}
	for i, p := range sc.Practices {
		vc.records[i] = newPracticeRecord(p, vc.areas)
		name := resource.ID(p.GetName())
		vc.byName[name] = i
		if id, err := catalog.ParsePracticeKey(sc.PracticeKeys[i]); err == nil {
			vc.byID[id] = i
		}
	}
	vc.practiceSchema = schema(vc.areas, true)
	vc.areaSchema = schema(vc.areas, false)
	return vc
}

// canonicalArea maps a practice area acronym or alias (upper case) to the
// acronym, or returns it unchanged when unknown.
func (vc *versionContent) canonicalArea(area string) string {
	if c, ok := vc.areaAliases[area]; ok {
		return c
	}
	return area
}

// practice returns the practice with id, whose area may be an alias.
func (vc *versionContent) practice(id catalog.PracticeID) (*modelv1.Practice, error) {
	id.Area = vc.canonicalArea(id.Area)
	key := id
	key.Area = strings.ToUpper(key.Area) // as the store's keys are
	i, ok := vc.byID[key]
	if !ok {
		return nil, errs.NotFoundError("Practice", store.PracticeName(vc.ref.Name(), id))
	}
	return vc.practices[i], nil
}

// page returns the practices match accepts among those whose key starts
// with prefix, in key order, from just after the key after (when not nil),
// up to limit of them. It pages exactly as the store's ScanPage does over
// the practice bucket: last is the key of the last practice returned, and
// more reports whether a practice with the prefix follows it, matching or
// not.
func (vc *versionContent) page(prefix, after []byte, limit int, match func(i int) bool) (out []*modelv1.Practice, last []byte, more bool) {
	n := len(vc.keys)
	var i int
	if after == nil || bytes.Compare(after, prefix) < 0 {
		i = sort.Search(n, func(j int) bool { return bytes.Compare(vc.keys[j], prefix) >= 0 })
	} else {
		i = sort.Search(n, func(j int) bool { return bytes.Compare(vc.keys[j], after) > 0 })
	}
	for ; i < n && bytes.HasPrefix(vc.keys[i], prefix); i++ {
		if len(out) == limit {
			return out, last, true
		}
		if match == nil || match(i) {
			if out == nil {
				out = make([]*modelv1.Practice, 0, min(limit, n-i))
			}
			out = append(out, vc.practices[i])
			last = vc.keys[i]
		}
	}
	return out, last, false
}

// practiceRecord holds a practice's filterable fields, the Record that
// filters match practices against.
type practiceRecord struct {
	area, domain, category, capabilityArea []string
	scenarios, applicability               []string
	level                                  []int64
	hasAIContext                           []bool
}

var _ filter.Record = (*practiceRecord)(nil)

func newPracticeRecord(p *modelv1.Practice, areas map[string]*modelv1.PracticeArea) practiceRecord {
	area := resource.ID(p.GetPracticeArea())
	r := practiceRecord{
		area:         []string{area},
		level:        []int64{int64(p.GetLevel())},
		hasAIContext: []bool{len(p.GetAiContext()) > 0},
	}
	if pa := areas[area]; pa != nil {
		r.domain = []string{resource.ID(pa.GetDomain())}
		r.category = []string{resource.ID(pa.GetCategory())}
		r.capabilityArea = []string{resource.ID(pa.GetCapabilityArea())}
	}
	for _, a := range p.GetAiContext() {
		for _, sc := range a.GetUsageScenarios() {
			r.scenarios = append(r.scenarios, scenarioName(sc))
		}
		for _, ap := range a.GetApplicability() {
			r.applicability = append(r.applicability, applicabilityName(ap))
		}
	}
	return r
}

func (r *practiceRecord) Strings(field string) []string {
	switch field {
	case "practice_area":
		return r.area
	case "domain":
		return r.domain
	case "category":
		return r.category
	case "capability_area":
		return r.capabilityArea
	case "usage_scenario":
		return r.scenarios
	case "applicability":
		return r.applicability
	}
	return nil
}

func (r *practiceRecord) Ints(field string) []int64 {
	if field == "level" {
		return r.level
	}
	return nil
}

func (r *practiceRecord) Bools(field string) []bool {
	if field == "has_ai_context" {
		return r.hasAIContext
	}
	return nil
}
