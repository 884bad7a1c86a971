package catalog

import (
	"strings"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

// names resolves the ids and aliases of one collection. When an id is
// repeated, or an alias repeats an id or another alias, the first one wins;
// validation reports the rest.
type names struct {
	ids     map[string]bool
	aliases map[string]string // alias → canonical id
}

func newNames() names {
	return names{ids: map[string]bool{}, aliases: map[string]string{}}
}

func (n names) addID(id string) {
	if id != "" {
		n.ids[id] = true
	}
}

func (n names) addAliases(id string, aliases []string) {
	for _, a := range aliases {
		if a == "" || n.ids[a] {
			continue
		}
		if _, taken := n.aliases[a]; !taken {
			n.aliases[a] = id
		}
	}
}

// resolve returns the canonical id that s names, and whether s is an alias.
func (n names) resolve(s string) (canonical string, alias, ok bool) {
	if n.ids[s] {
		return s, false, true
	}
	if c, found := n.aliases[s]; found {
		return c, true, true
	}
	return "", false, false
}

// index holds the lookups the rules need over one bundle.
type index struct {
	categories      map[string]bool
	capabilityAreas names
	domains         map[string]bool
	practiceAreas   names
	// practiceCount and maxLevel are keyed by canonical practice area id;
	// maxLevel counts only levels within MinLevel..MaxLevel.
	practiceCount map[string]int
	maxLevel      map[string]int
}

func newIndex(b *modelv1.ModelBundle) *index {
	ix := &index{
		categories:      map[string]bool{},
		capabilityAreas: newNames(),
		domains:         map[string]bool{},
		practiceAreas:   newNames(),
		practiceCount:   map[string]int{},
		maxLevel:        map[string]int{},
	}
	for _, c := range b.GetCategories() {
		ix.categories[c.GetId()] = true
	}
	for _, ca := range b.GetCapabilityAreas() {
		ix.capabilityAreas.addID(ca.GetId())
	}
	for _, ca := range b.GetCapabilityAreas() {
		ix.capabilityAreas.addAliases(ca.GetId(), ca.GetAliases())
	}
	for _, d := range b.GetDomains() {
		ix.domains[d.GetId()] = true
	}
	for _, pa := range b.GetPracticeAreas() {
		ix.practiceAreas.addID(pa.GetId())
	}
	for _, pa := range b.GetPracticeAreas() {
		ix.practiceAreas.addAliases(pa.GetId(), pa.GetAliases())
	}
	for _, p := range b.GetPractices() {
		area, _, ok := ix.practiceAreas.resolve(p.GetPracticeArea())
		if !ok {
			continue
		}
		ix.practiceCount[area]++
		if l := int(p.GetLevel()); l >= MinLevel && l <= MaxLevel && l > ix.maxLevel[area] {
			ix.maxLevel[area] = l
		}
	}
	return ix
}

// ResolvePracticeAreaID returns the canonical acronym of the practice area
// that s names in b, by acronym or alias, in any letter case: "risk" gives
// "RSK" when RSK lists the alias RISK.
func ResolvePracticeAreaID(b *modelv1.ModelBundle, s string) (string, bool) {
	id, _, ok := newIndex(b).practiceAreas.resolve(strings.ToUpper(strings.TrimSpace(s)))
	return id, ok
}

// ResolveCapabilityAreaID returns the canonical id of the capability area
// that s names in b, by id or alias, in any letter case.
func ResolveCapabilityAreaID(b *modelv1.ModelBundle, s string) (string, bool) {
	id, _, ok := newIndex(b).capabilityAreas.resolve(strings.ToUpper(strings.TrimSpace(s)))
	return id, ok
}
