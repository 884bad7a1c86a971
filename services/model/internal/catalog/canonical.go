package catalog

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

// Canonicalize returns a deep copy of b in canonical order: categories,
// capability areas, domains, practice areas and views by id; practices by
// key (area, then level, then number, numerically); aliases, AI context
// additions (by id), usage scenarios and applicability sorted; a view's
// practice areas sorted, its maturity levels by level and each level's
// requirements by practice area. Nothing else changes: ids are not
// rewritten and duplicates are kept. b itself is left as it is. A nil b
// gives an empty bundle.
func Canonicalize(b *modelv1.ModelBundle) *modelv1.ModelBundle {
	if b == nil {
		return &modelv1.ModelBundle{}
	}
	c := proto.CloneOf(b)
	slices.SortStableFunc(c.Categories, func(x, y *modelv1.BundleCategory) int {
		return strings.Compare(x.GetId(), y.GetId())
	})
	slices.SortStableFunc(c.CapabilityAreas, func(x, y *modelv1.BundleCapabilityArea) int {
		return strings.Compare(x.GetId(), y.GetId())
	})
	for _, ca := range c.CapabilityAreas {
		slices.Sort(ca.GetAliases())
	}
	slices.SortStableFunc(c.Domains, func(x, y *modelv1.BundleDomain) int {
		return strings.Compare(x.GetId(), y.GetId())
	})
	slices.SortStableFunc(c.PracticeAreas, func(x, y *modelv1.BundlePracticeArea) int {
		return strings.Compare(x.GetId(), y.GetId())
	})
	for _, pa := range c.PracticeAreas {
		slices.Sort(pa.GetAliases())
	}
	slices.SortStableFunc(c.Practices, func(x, y *modelv1.BundlePractice) int {
		return comparePracticeIDStrings(x.GetId(), y.GetId())
	})
	for _, p := range c.Practices {
		sortAIContext(p.GetAiContext())
	}
	slices.SortStableFunc(c.Views, func(x, y *modelv1.BundleView) int {
		return strings.Compare(x.GetId(), y.GetId())
	})
	for _, v := range c.Views {
		slices.Sort(v.GetPracticeAreas())
		sortMaturityLevels(v.GetMaturityLevels())
	}
	return c
}

// sortAIContext sorts additions by id and each one's enum lists, in place.
func sortAIContext(additions []*modelv1.AiContextAddition) {
	slices.SortStableFunc(additions, func(x, y *modelv1.AiContextAddition) int {
		return strings.Compare(x.GetId(), y.GetId())
	})
	for _, a := range additions {
		slices.Sort(a.GetUsageScenarios())
		slices.Sort(a.GetApplicability())
	}
}

// sortMaturityLevels sorts maturity levels by level and their requirements
// by practice area, then level, in place.
func sortMaturityLevels(levels []*modelv1.MaturityLevelRequirement) {
	slices.SortStableFunc(levels, func(x, y *modelv1.MaturityLevelRequirement) int {
		return cmp.Compare(x.GetMaturityLevel(), y.GetMaturityLevel())
	})
	for _, ml := range levels {
		slices.SortStableFunc(ml.GetRequirements(), func(x, y *modelv1.PracticeAreaLevel) int {
			if c := strings.Compare(x.GetPracticeArea(), y.GetPracticeArea()); c != 0 {
				return c
			}
			return cmp.Compare(x.GetLevel(), y.GetLevel())
		})
	}
}

// Digest returns "sha256:" and the hex SHA-256 of the deterministic binary
// encoding of Canonicalize(b). Since the canonical form sorts every
// collection, two bundles with the same content listed in any order share a
// digest, and any change of content (a statement, an alias, a scenario)
// changes it. The model and version ids and the version's display name and
// description are part of the content.
//
// A string that is not valid UTF-8 cannot be encoded; such a bundle never
// passes ValidateBundle, and its digest is taken with each invalid byte
// sequence replaced by U+FFFD.
func Digest(b *modelv1.ModelBundle) string {
	c := Canonicalize(b)
	opts := proto.MarshalOptions{Deterministic: true}
	data, err := opts.Marshal(c)
	if err != nil {
		validUTF8(c.ProtoReflect())
		data, _ = opts.Marshal(c)
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// validUTF8 replaces invalid UTF-8 in every string field of m, in place.
func validUTF8(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Kind() == protoreflect.StringKind:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				l.Set(i, protoreflect.ValueOfString(strings.ToValidUTF8(l.Get(i).String(), "\uFFFD")))
			}
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				validUTF8(l.Get(i).Message())
			}
		case fd.Kind() == protoreflect.StringKind:
			m.Set(fd, protoreflect.ValueOfString(strings.ToValidUTF8(v.String(), "\uFFFD")))
		case fd.Message() != nil && !fd.IsMap():
			validUTF8(v.Message())
		}
		return true
	})
}

// Counts returns the sizes of b's content.
func Counts(b *modelv1.ModelBundle) *modelv1.ContentCounts {
	c := &modelv1.ContentCounts{
		Categories:      int32(len(b.GetCategories())),
		CapabilityAreas: int32(len(b.GetCapabilityAreas())),
		Domains:         int32(len(b.GetDomains())),
		PracticeAreas:   int32(len(b.GetPracticeAreas())),
		Practices:       int32(len(b.GetPractices())),
		Views:           int32(len(b.GetViews())),
	}
	for _, p := range b.GetPractices() {
		if n := len(p.GetAiContext()); n > 0 {
			c.PracticesWithAiContext++
			c.AiContextAdditions += int32(n)
		}
	}
	return c
}

// CanonicalView returns a copy of a tenant's view with every practice area
// named by its acronym in b (aliases and lower-case spellings resolved), in
// the order Canonicalize uses for views. Names that do not resolve are kept
// as written; ValidateView reports them.
func CanonicalView(b *modelv1.ModelBundle, view *modelv1.View) *modelv1.View {
	if view == nil {
		return nil
	}
	ix := newIndex(b)
	canonical := func(s string) string {
		if id, _, ok := ix.practiceAreas.resolve(strings.ToUpper(strings.TrimSpace(s))); ok {
			return id
		}
		return s
	}
	c := proto.CloneOf(view)
	for i, s := range c.GetPracticeAreas() {
		c.PracticeAreas[i] = canonical(s)
	}
	for _, ml := range c.GetMaturityLevels() {
		for _, req := range ml.GetRequirements() {
			req.PracticeArea = canonical(req.GetPracticeArea())
		}
	}
	slices.Sort(c.GetPracticeAreas())
	sortMaturityLevels(c.GetMaturityLevels())
	return c
}
