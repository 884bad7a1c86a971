package catalog

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
	"github.com/aim-platform/aim/platform/errs"
)

// MaxViolations is the most violations ValidateBundle and ValidateView
// return. When they find more, the last violation says how many were left
// out.
const MaxViolations = 1000

// Length limits, in characters.
const (
	maxDisplayName = 200
	maxDescription = 4000
	maxStatement   = 4000
	maxExplanation = 8000
	maxAIText      = 4000
)

// Id patterns. Model ids use idPattern from catalog.go; practice area and
// capability area ids are checked by validAreaToken.
var (
	versionIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,62}$`)
	lowerIDPattern   = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	aiIDPattern      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]{0,99}$`)
)

const (
	modelIDRule   = "lower-case letters, digits and hyphens, starting with a letter or digit, at most 63 characters"
	versionIDRule = "lower-case letters, digits, dots and hyphens, starting with a letter or digit, at most 63 characters"
	lowerIDRule   = "lower-case letters, digits and hyphens, starting with a letter, at most 63 characters"
	upperIDRule   = "upper-case letters and digits, starting with a letter, at most 16 characters"
	aiIDRule      = "letters, digits, dots, hyphens and underscores, starting with a letter, at most 100 characters"
)

// ValidateBundle checks a bundle against every rule of the model catalog and
// returns all the problems it finds, or nil. Each violation names the field
// by its proto path, for example "practices[12].level" or
// "views[0].maturity_levels[1].requirements[2].practice_area". Violations
// come in the order their fields appear in the bundle, so the result is
// deterministic.
//
// References between elements must use canonical ids: an alias where an id
// is expected is reported with the id to use.
func ValidateBundle(b *modelv1.ModelBundle) []errs.FieldViolation {
	v := &violations{}
	if b == nil {
		v.add("bundle", "is required")
		return v.result()
	}
	ix := newIndex(b)
	v.id("model", b.GetModel(), idPattern.MatchString, modelIDRule)
	v.id("version", b.GetVersion(), versionIDPattern.MatchString, versionIDRule)
	v.text("display_name", b.GetDisplayName(), true, maxDisplayName)
	v.text("description", b.GetDescription(), false, maxDescription)
	validateCategories(v, b)
	validateCapabilityAreas(v, ix, b)
	validateDomains(v, b)
	validatePracticeAreas(v, ix, b)
	validatePractices(v, ix, b)
	validateBundleViews(v, ix, b)
	return v.result()
}

// ValidateView checks a tenant's own view against the content of the
// version it belongs to, with the rules of the views that ship in a bundle.
// Practice area entries may name a practice area by alias, in any letter
// case; CanonicalView maps them to acronyms. Paths start with "view.", as in
// "view.maturity_levels[0].requirements[2].level". The output-only fields
// (name, built_in, etag) are not checked.
func ValidateView(b *modelv1.ModelBundle, view *modelv1.View) []errs.FieldViolation {
	v := &violations{}
	if view == nil {
		v.add("view", "is required")
		return v.result()
	}
	validateViewBody(v, newIndex(b), "view", view.GetDisplayName(), view.GetDescription(),
		view.GetPracticeAreas(), view.GetMaturityLevels(), true)
	return v.result()
}

func validateCategories(v *violations, b *modelv1.ModelBundle) {
	seen := map[string]string{}
	for i, c := range b.GetCategories() {
		p := at("categories", i)
		if v.id(p+".id", c.GetId(), lowerIDPattern.MatchString, lowerIDRule) {
			v.unique(seen, p+".id", c.GetId())
		}
		v.text(p+".display_name", c.GetDisplayName(), true, maxDisplayName)
		v.text(p+".description", c.GetDescription(), false, maxDescription)
	}
}

func validateCapabilityAreas(v *violations, ix *index, b *modelv1.ModelBundle) {
	idPaths := firstPaths("capability_areas", b.GetCapabilityAreas(), (*modelv1.BundleCapabilityArea).GetId)
	seen, seenAliases := map[string]string{}, map[string]string{}
	for i, ca := range b.GetCapabilityAreas() {
		p := at("capability_areas", i)
		if v.id(p+".id", ca.GetId(), validAreaToken, upperIDRule) {
			v.unique(seen, p+".id", ca.GetId())
		}
		v.text(p+".display_name", ca.GetDisplayName(), true, maxDisplayName)
		if v.id(p+".category", ca.GetCategory(), lowerIDPattern.MatchString, lowerIDRule) && !ix.categories[ca.GetCategory()] {
			v.add(p+".category", "no category has the id %q", ca.GetCategory())
		}
		v.text(p+".description", ca.GetDescription(), false, maxDescription)
		for j, a := range ca.GetAliases() {
			v.alias(at(p+".aliases", j), a, idPaths, seenAliases)
		}
	}
}

func validateDomains(v *violations, b *modelv1.ModelBundle) {
	core := -1
	for i, d := range b.GetDomains() {
		if d.GetCore() {
			core = i
			break
		}
	}
	if core < 0 {
		v.add("domains", "exactly one domain must be the core domain (core: true); none is")
	}
	seen := map[string]string{}
	for i, d := range b.GetDomains() {
		p := at("domains", i)
		if v.id(p+".id", d.GetId(), lowerIDPattern.MatchString, lowerIDRule) {
			v.unique(seen, p+".id", d.GetId())
		}
		v.text(p+".display_name", d.GetDisplayName(), true, maxDisplayName)
		v.text(p+".description", d.GetDescription(), false, maxDescription)
		if d.GetCore() && i != core {
			v.add(p+".core", "exactly one domain may be the core domain; %s already is", at("domains", core))
		}
	}
}

func validatePracticeAreas(v *violations, ix *index, b *modelv1.ModelBundle) {
	if len(b.GetPracticeAreas()) == 0 {
		v.add("practice_areas", "at least one practice area is required")
	}
	idPaths := firstPaths("practice_areas", b.GetPracticeAreas(), (*modelv1.BundlePracticeArea).GetId)
	seen, seenAliases := map[string]string{}, map[string]string{}
	for i, pa := range b.GetPracticeAreas() {
		p := at("practice_areas", i)
		if validAreaToken(pa.GetId()) && ix.practiceCount[pa.GetId()] == 0 {
			v.add(p, "practice area %s has no practices; every practice area needs at least one", pa.GetId())
		}
		if v.id(p+".id", pa.GetId(), validAreaToken, upperIDRule) {
			v.unique(seen, p+".id", pa.GetId())
		}
		v.text(p+".display_name", pa.GetDisplayName(), true, maxDisplayName)
		v.reference(p+".capability_area", pa.GetCapabilityArea(), ix.capabilityAreas, "capability area", false)
		if v.id(p+".domain", pa.GetDomain(), lowerIDPattern.MatchString, lowerIDRule) && !ix.domains[pa.GetDomain()] {
			v.add(p+".domain", "no domain has the id %q", pa.GetDomain())
		}
		v.text(p+".description", pa.GetDescription(), false, maxDescription)
		for j, a := range pa.GetAliases() {
			v.alias(at(p+".aliases", j), a, idPaths, seenAliases)
		}
	}
}

func validatePractices(v *violations, ix *index, b *modelv1.ModelBundle) {
	seen := map[string]string{}
	seenAI := map[string]string{}
	for i, pr := range b.GetPractices() {
		p := at("practices", i)
		area, _, areaKnown := ix.practiceAreas.resolve(pr.GetPracticeArea())

		id, idErr := ParsePracticeID(pr.GetId())
		switch {
		case pr.GetId() == "":
			v.add(p+".id", "is required")
		case !v.text(p+".id", pr.GetId(), false, 0):
		case idErr != nil:
			v.add(p+".id", "%v", idErr)
		default:
			v.unique(seen, p+".id", id.String())
			checkPracticeID(v, ix, p+".id", pr.GetId(), id, area, areaKnown)
		}

		v.reference(p+".practice_area", pr.GetPracticeArea(), ix.practiceAreas, "practice area", false)

		level := int(pr.GetLevel())
		switch {
		case level < MinLevel || level > MaxLevel:
			v.add(p+".level", "the practice group level must be from %d to %d, not %d", MinLevel, MaxLevel, level)
		case idErr == nil && id.Level != level:
			v.add(p+".level", "level %d does not match the level in the id %s", level, pr.GetId())
		}
		v.text(p+".statement", pr.GetStatement(), true, maxStatement)
		v.text(p+".explanation", pr.GetExplanation(), false, maxExplanation)
		for j, a := range pr.GetAiContext() {
			validateAIAddition(v, at(p+".ai_context", j), a, seenAI)
		}
	}
}

// checkPracticeID checks a parsed practice id against its practice's
// practice area (when that is known): the acronym must be the area's own,
// not an alias, and the id must be written in canonical form.
func checkPracticeID(v *violations, ix *index, path, raw string, id PracticeID, area string, areaKnown bool) {
	if id.Level < MinLevel || id.Level > MaxLevel {
		v.add(path, "the level in %s must be from %d to %d", id, MinLevel, MaxLevel)
	}
	if areaKnown {
		idArea, alias, _ := ix.practiceAreas.resolve(id.Area)
		switch {
		case idArea == area && alias:
			v.add(path, "%s is an alias of practice area %s; write the id with the acronym, %s",
				id.Area, area, PracticeID{Area: area, Level: id.Level, Number: id.Number})
			return
		case idArea != area:
			v.add(path, "the acronym %s does not match practice_area %s", id.Area, area)
			return
		}
	}
	if id.String() != raw {
		v.add(path, "write the practice id as %s", id)
	}
}

func validateAIAddition(v *violations, p string, a *modelv1.AiContextAddition, seen map[string]string) {
	if v.id(p+".id", a.GetId(), aiIDPattern.MatchString, aiIDRule) {
		// Ids are compared without letter case: exports lower-case them.
		v.unique(seen, p+".id", strings.ToLower(a.GetId()))
	}
	v.text(p+".text", a.GetText(), true, maxAIText)
	scenarios := map[modelv1.AiUsageScenario]int{}
	for k, s := range a.GetUsageScenarios() {
		sp := at(p+".usage_scenarios", k)
		switch first, dup := scenarios[s]; {
		case s == modelv1.AiUsageScenario_AI_USAGE_SCENARIO_UNSPECIFIED:
			v.add(sp, "name a usage scenario: SUPPORT_AUGMENTATION, VERIFIED_AUGMENTATION or FULLY_AUTONOMOUS")
		case s.Descriptor().Values().ByNumber(s.Number()) == nil:
			v.add(sp, "%d is not a usage scenario", s.Number())
		case dup:
			v.add(sp, "%s is repeated; %s already names it", shortEnumName(s.String()), at(p+".usage_scenarios", first))
		default:
			scenarios[s] = k
		}
	}
	applicability := map[modelv1.AiApplicability]int{}
	for k, ap := range a.GetApplicability() {
		pp := at(p+".applicability", k)
		switch first, dup := applicability[ap]; {
		case ap == modelv1.AiApplicability_AI_APPLICABILITY_UNSPECIFIED:
			v.add(pp, "name an applicability: BUILDING or ACQUIRING")
		case ap.Descriptor().Values().ByNumber(ap.Number()) == nil:
			v.add(pp, "%d is not an applicability", ap.Number())
		case dup:
			v.add(pp, "%s is repeated; %s already names it", shortEnumName(ap.String()), at(p+".applicability", first))
		default:
			applicability[ap] = k
		}
	}
}

func validateBundleViews(v *violations, ix *index, b *modelv1.ModelBundle) {
	seen := map[string]string{}
	for i, bv := range b.GetViews() {
		p := at("views", i)
		if v.id(p+".id", bv.GetId(), lowerIDPattern.MatchString, lowerIDRule) {
			v.unique(seen, p+".id", bv.GetId())
		}
		validateViewBody(v, ix, p, bv.GetDisplayName(), bv.GetDescription(),
			bv.GetPracticeAreas(), bv.GetMaturityLevels(), false)
	}
}

// validateViewBody checks what bundle views and tenant views share. With
// allowAliases a practice area may be named by alias or in lower case;
// without, it must be the acronym.
func validateViewBody(v *violations, ix *index, p, displayName, description string,
	areas []string, levels []*modelv1.MaturityLevelRequirement, allowAliases bool) {
	v.text(p+".display_name", displayName, true, maxDisplayName)
	v.text(p+".description", description, false, maxDescription)

	resolve := func(path, s string) (string, bool) {
		name := s
		if allowAliases {
			name = strings.ToUpper(strings.TrimSpace(s))
		}
		if !v.reference(path, name, ix.practiceAreas, "practice area", allowAliases) {
			return "", false
		}
		area, _, _ := ix.practiceAreas.resolve(name)
		return area, true
	}

	if len(areas) == 0 {
		v.add(p+".practice_areas", "at least one practice area is required")
	}
	inView := map[string]string{}
	for j, s := range areas {
		ap := at(p+".practice_areas", j)
		area, ok := resolve(ap, s)
		if !ok {
			continue
		}
		if first, dup := inView[area]; dup {
			v.add(ap, "practice area %s is repeated; %s already names it", area, first)
			continue
		}
		inView[area] = ap
	}

	seenLevels := map[int32]string{}
	for k, ml := range levels {
		mp := at(p+".maturity_levels", k)
		switch first, dup := seenLevels[ml.GetMaturityLevel()]; {
		case ml.GetMaturityLevel() < 2 || ml.GetMaturityLevel() > 5:
			v.add(mp+".maturity_level", "a view defines maturity levels 2 to 5, not %d", ml.GetMaturityLevel())
		case dup:
			v.add(mp+".maturity_level", "maturity level %d is repeated; %s already defines it", ml.GetMaturityLevel(), first)
		default:
			seenLevels[ml.GetMaturityLevel()] = mp
		}
		required := map[string]string{}
		for r, req := range ml.GetRequirements() {
			rp := at(mp+".requirements", r)
			area, ok := resolve(rp+".practice_area", req.GetPracticeArea())
			if ok {
				if first, dup := required[area]; dup {
					v.add(rp+".practice_area", "practice area %s is repeated; %s already requires it", area, first)
				} else {
					required[area] = rp
				}
				if _, in := inView[area]; !in {
					v.add(rp+".practice_area", "practice area %s is not one of the view's practice areas", area)
				}
			}
			level := int(req.GetLevel())
			switch {
			case level < MinLevel || level > MaxLevel:
				v.add(rp+".level", "the practice group level must be from %d to %d, not %d", MinLevel, MaxLevel, level)
			case ok && ix.maxLevel[area] > 0 && level > ix.maxLevel[area]:
				v.add(rp+".level", "practice area %s has no practices above level %d, so it cannot require level %d", area, ix.maxLevel[area], level)
			}
		}
	}
}

// violations collects field violations up to MaxViolations.
type violations struct {
	list      []errs.FieldViolation
	more      int
	firstMore string
}

func (v *violations) add(field, format string, args ...any) {
	if len(v.list) >= MaxViolations-1 {
		if v.more == 0 {
			v.firstMore = field
		}
		v.more++
		return
	}
	v.list = append(v.list, errs.Violation(field, format, args...))
}

// result returns the violations, with a last one counting those left out.
func (v *violations) result() []errs.FieldViolation {
	switch {
	case v.more == 1:
		// One more fits exactly in the place the summary would take.
		v.more = 0
		v.list = append(v.list, errs.Violation(v.firstMore, "one more problem was found here"))
	case v.more > 1:
		v.list = append(v.list, errs.Violation(v.firstMore,
			"%d more problems were found, starting at this field; they are not listed", v.more))
	}
	return v.list
}

// text checks a string: valid UTF-8, no control characters other than
// newline and tab, present when required, and at most max characters when
// max is positive. It reports the first problem and says whether there was
// none.
func (v *violations) text(path, s string, required bool, max int) bool {
	if !utf8.ValidString(s) {
		v.add(path, "is not valid UTF-8")
		return false
	}
	n := 0
	for _, r := range s {
		n++
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			v.add(path, "contains the control character %U at character %d; only newlines and tabs are allowed", r, n)
			return false
		}
	}
	if required && strings.TrimSpace(s) == "" {
		v.add(path, "is required")
		return false
	}
	if max > 0 && n > max {
		v.add(path, "is %d characters long; the limit is %d", n, max)
		return false
	}
	return true
}

// id checks a required identifier against a rule and says whether it holds.
func (v *violations) id(path, s string, valid func(string) bool, rule string) bool {
	switch {
	case s == "":
		v.add(path, "is required")
		return false
	case !v.text(path, s, false, 0):
		return false
	case !valid(s):
		v.add(path, "%q is not a valid id: use %s", s, rule)
		return false
	}
	return true
}

// unique reports a value already seen in the same collection, naming where.
func (v *violations) unique(seen map[string]string, path, s string) {
	if first, dup := seen[s]; dup {
		v.add(path, "%q is already used by %s", s, first)
		return
	}
	seen[s] = path
}

// alias checks an alias of a capability area or practice area: an acronym
// that is no element's id (idPaths maps the ids of the collection to the
// path of their first use) and no earlier alias.
func (v *violations) alias(path, a string, idPaths, seen map[string]string) {
	if !v.id(path, a, validAreaToken, upperIDRule) {
		return
	}
	if first, isID := idPaths[a]; isID {
		v.add(path, "alias %q is already the id of %s", a, first)
		return
	}
	v.unique(seen, path, a)
}

// firstPaths maps each id of a collection to the path of its first use.
func firstPaths[E any](collection string, elems []E, id func(E) string) map[string]string {
	paths := map[string]string{}
	for i, e := range elems {
		if _, dup := paths[id(e)]; !dup && id(e) != "" {
			paths[id(e)] = at(collection, i) + ".id"
		}
	}
	return paths
}

// reference checks that s names an element of a collection. An alias is
// accepted when allowAlias is set and reported otherwise. It says whether s
// resolves.
func (v *violations) reference(path, s string, n names, what string, allowAlias bool) bool {
	if s == "" {
		v.add(path, "is required")
		return false
	}
	if !v.text(path, s, false, 0) {
		return false
	}
	id, alias, ok := n.resolve(s)
	switch {
	case !ok:
		v.add(path, "no %s has the id or alias %q", what, s)
		return false
	case alias && !allowAlias:
		v.add(path, "%s is an alias of %s %s; use the id %s", s, what, id, id)
	}
	return true
}

// at returns path with an index, "practices[3]".
func at(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// shortEnumName drops the type prefix of an enum value name:
// AI_USAGE_SCENARIO_FULLY_AUTONOMOUS gives FULLY_AUTONOMOUS.
func shortEnumName(s string) string {
	for _, prefix := range []string{"AI_USAGE_SCENARIO_", "AI_APPLICABILITY_"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			return rest
		}
	}
	return s
}
