package algebra

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Relationship is the set-theory relationship from a source set A to a
// target set B, both finite and non-empty.
//
// Values 1 to 5 follow the API enum (EQUAL=1 ... NO_RELATIONSHIP=5).
// Indeterminate is never stated by a mapping: it is what a composition
// returns when set theory does not force a single relationship.
type Relationship int

const (
	// Unspecified is the zero value: no relationship was given.
	Unspecified Relationship = iota
	// Equal: A = B.
	Equal
	// SubsetOf: A ⊂ B, proper (A ⊆ B and A ≠ B).
	SubsetOf
	// SupersetOf: A ⊃ B, proper (A ⊇ B and A ≠ B). The seed calls it
	// "Superior Of".
	SupersetOf
	// IntersectsWith: A ∩ B ≠ ∅, A ⊄ B and B ⊄ A (each has something the
	// other lacks). It excludes Equal, SubsetOf and SupersetOf.
	IntersectsWith
	// NoRelationship: A ∩ B = ∅ (disjoint).
	NoRelationship
	// Indeterminate is a composition result only: more than one of the five
	// stated relationships is consistent with the inputs.
	Indeterminate
)

// stated lists the five relationships a mapping can state, in enum order.
var stated = [...]Relationship{Equal, SubsetOf, SupersetOf, IntersectsWith, NoRelationship}

var names = [...]string{
	Unspecified:    "UNSPECIFIED",
	Equal:          "EQUAL",
	SubsetOf:       "SUBSET_OF",
	SupersetOf:     "SUPERSET_OF",
	IntersectsWith: "INTERSECTS_WITH",
	NoRelationship: "NO_RELATIONSHIP",
	Indeterminate:  "INDETERMINATE",
}

// String returns the API enum name ("EQUAL", "SUBSET_OF", ...,
// "INDETERMINATE", "UNSPECIFIED"); an out-of-range value prints as
// "Relationship(n)".
func (r Relationship) String() string {
	if r >= 0 && int(r) < len(names) {
		return names[r]
	}
	return "Relationship(" + strconv.Itoa(int(r)) + ")"
}

// Stated reports whether r is one of the five relationships a mapping can
// state (Equal, SubsetOf, SupersetOf, IntersectsWith, NoRelationship).
func (r Relationship) Stated() bool { return r >= Equal && r <= NoRelationship }

// seedNumber is the seed table's numbering: 1 Subset Of, 2 Intersects With,
// 3 Equal, 4 Superior Of, 5 Not Related. It differs from the enum order.
var seedNumber = map[Relationship]int{
	SubsetOf:       1,
	IntersectsWith: 2,
	Equal:          3,
	SupersetOf:     4,
	NoRelationship: 5,
}

var seedWords = map[Relationship]string{
	SubsetOf:       "Subset Of",
	IntersectsWith: "Intersects With",
	Equal:          "Equal",
	SupersetOf:     "Superior Of",
	NoRelationship: "Not Related",
}

// SeedLabel returns the seed table's spelling ("1. Subset Of", "2. Intersects
// With", "3. Equal", "4. Superior Of", "5. Not Related") for a stated
// relationship, and "" otherwise. Parse accepts every label it returns.
func (r Relationship) SeedLabel() string {
	if !r.Stated() {
		return ""
	}
	return strconv.Itoa(seedNumber[r]) + ". " + seedWords[r]
}

// ErrUnknownRelationship is wrapped by every error Parse returns.
var ErrUnknownRelationship = errors.New("unknown relationship")

// words maps a normalized spelling (lower case, '_' and '-' read as spaces,
// runs of spaces collapsed) to its relationship.
var words = map[string]Relationship{
	"equal":           Equal,
	"equals":          Equal,
	"=":               Equal,
	"subset of":       SubsetOf,
	"subset":          SubsetOf,
	"⊂":               SubsetOf,
	"superset of":     SupersetOf,
	"superset":        SupersetOf,
	"superior of":     SupersetOf,
	"⊃":               SupersetOf,
	"intersects with": IntersectsWith,
	"intersects":      IntersectsWith,
	"intersect with":  IntersectsWith,
	"no relationship": NoRelationship,
	"not related":     NoRelationship,
	"unrelated":       NoRelationship,
	"disjoint":        NoRelationship,
}

// Parse reads a stated relationship. It accepts, ignoring case, surrounding
// space, repeated spaces and '_' or '-' between words:
//
//   - the API names: "EQUAL", "SUBSET_OF", "SUPERSET_OF", "INTERSECTS_WITH",
//     "NO_RELATIONSHIP", optionally prefixed "RELATIONSHIP_";
//   - the words: "equal", "subset of", "superset of", "superior of",
//     "intersects with", "not related", "no relationship", "disjoint",
//     and the symbols "=", "⊂", "⊃";
//   - the seed's numbered labels "1. Subset Of", "2. Intersects With",
//     "3. Equal", "4. Superior Of", "5. Not Related" (the dot may be a ')'
//     or absent). The number must agree with the word under the seed's
//     numbering, which is not the enum's.
//
// A bare number is refused (the seed's and the API's numberings disagree),
// and so are "UNSPECIFIED" and "INDETERMINATE": neither is a relationship a
// mapping can state. Every error wraps ErrUnknownRelationship.
func Parse(s string) (Relationship, error) {
	rest := strings.TrimSpace(s)
	number := 0
	if i := leadingDigits(rest); i > 0 {
		n, err := strconv.Atoi(rest[:i])
		if err != nil {
			return Unspecified, fmt.Errorf("%w: %q: bad number", ErrUnknownRelationship, s)
		}
		number = n
		rest = strings.TrimSpace(rest[i:])
		if strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, ")") {
			rest = strings.TrimSpace(rest[1:])
		}
		if number < 1 || number > 5 {
			return Unspecified, fmt.Errorf("%w: %q: the seed numbers relationships 1 to 5", ErrUnknownRelationship, s)
		}
		if rest == "" {
			return Unspecified, fmt.Errorf("%w: %q: a bare number is ambiguous, write the relationship's name", ErrUnknownRelationship, s)
		}
	}
	w := normalize(rest)
	r, ok := words[w]
	if !ok {
		if t, found := strings.CutPrefix(w, "relationship "); found {
			r, ok = words[t]
		}
	}
	if !ok {
		return Unspecified, fmt.Errorf("%w: %q", ErrUnknownRelationship, s)
	}
	if number != 0 && seedNumber[r] != number {
		return Unspecified, fmt.Errorf("%w: %q: number %d is %q in the seed's numbering, not %s",
			ErrUnknownRelationship, s, number, seedLabelFor(number), r)
	}
	return r, nil
}

func leadingDigits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func seedLabelFor(n int) string {
	for r, k := range seedNumber {
		if k == n {
			return seedWords[r]
		}
	}
	return ""
}

func normalize(s string) string {
	s = strings.ToLower(s)
	s = strings.NewReplacer("_", " ", "-", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// Invert returns the relationship from B to A given the one from A to B:
// SubsetOf and SupersetOf swap, Equal, IntersectsWith and NoRelationship are
// symmetric, and Indeterminate and Unspecified stay as they are. An
// out-of-range value inverts to Indeterminate.
func Invert(r Relationship) Relationship {
	switch r {
	case SubsetOf:
		return SupersetOf
	case SupersetOf:
		return SubsetOf
	case Unspecified, Equal, IntersectsWith, NoRelationship, Indeterminate:
		return r
	}
	return Indeterminate
}

// Classify returns the relationship from the set a to the set b; a key is a
// member when its value is true. It returns Unspecified when either set is
// empty: the algebra only speaks of non-empty sets.
func Classify[T comparable](a, b map[T]bool) Relationship {
	na, nb, both := 0, 0, 0
	for k, in := range a {
		if !in {
			continue
		}
		na++
		if b[k] {
			both++
		}
	}
	for _, in := range b {
		if in {
			nb++
		}
	}
	return classifyCounts(na, nb, both)
}

// classifyCounts classifies two sets from |A|, |B| and |A ∩ B|.
func classifyCounts(na, nb, both int) Relationship {
	switch {
	case na == 0 || nb == 0:
		return Unspecified
	case both == na && both == nb:
		return Equal
	case both == na:
		return SubsetOf
	case both == nb:
		return SupersetOf
	case both > 0:
		return IntersectsWith
	}
	return NoRelationship
}
