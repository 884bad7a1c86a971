package algebra

import "math/bits"

// relSet is a set of stated relationships, bit r standing for Relationship r.
type relSet uint8

func setOf(rs ...Relationship) relSet {
	var s relSet
	for _, r := range rs {
		s |= 1 << uint(r)
	}
	return s
}

// anyRel is what an unknown relationship (Unspecified, Indeterminate or out
// of range) may be: any of the five.
var anyRel = setOf(stated[:]...)

// known returns the set a relationship stands for: itself when stated, any
// of the five otherwise.
func known(r Relationship) relSet {
	if r.Stated() {
		return setOf(r)
	}
	return anyRel
}

func (s relSet) list() []Relationship {
	out := make([]Relationship, 0, bits.OnesCount8(uint8(s)))
	for _, r := range stated {
		if s&(1<<uint(r)) != 0 {
			out = append(out, r)
		}
	}
	return out
}

// single returns the only member of s, or Indeterminate when s has none or
// several.
func (s relSet) single() Relationship {
	if bits.OnesCount8(uint8(s)) != 1 {
		return Indeterminate
	}
	return Relationship(bits.TrailingZeros8(uint8(s)))
}

func (s relSet) invert() relSet {
	var out relSet
	for _, r := range s.list() {
		out |= setOf(Invert(r))
	}
	return out
}

// Shorthands for the table below.
const (
	eq = relSet(1) << Equal
	sb = relSet(1) << SubsetOf
	sp = relSet(1) << SupersetOf
	in = relSet(1) << IntersectsWith
	no = relSet(1) << NoRelationship
)

// table[ab][bc] is the set of relationships A→C that finite non-empty sets
// A, B, C can have when A→B is ab and B→C is bc. Every cell is derived and
// proved in docs/crosswalk-algebra.md, and TestComposeTableExhaustive checks
// it against every triple of non-empty subsets of a seven-element universe.
var table = [NoRelationship + 1][NoRelationship + 1]relSet{
	Equal: {
		Equal:          eq,
		SubsetOf:       sb,
		SupersetOf:     sp,
		IntersectsWith: in,
		NoRelationship: no,
	},
	SubsetOf: {
		Equal:          sb,
		SubsetOf:       sb,
		SupersetOf:     eq | sb | sp | in | no,
		IntersectsWith: sb | in | no,
		NoRelationship: no,
	},
	SupersetOf: {
		Equal:          sp,
		SubsetOf:       eq | sb | sp | in,
		SupersetOf:     sp,
		IntersectsWith: sp | in,
		NoRelationship: sp | in | no,
	},
	IntersectsWith: {
		Equal:          in,
		SubsetOf:       sb | in,
		SupersetOf:     sp | in | no,
		IntersectsWith: eq | sb | sp | in | no,
		NoRelationship: sp | in | no,
	},
	NoRelationship: {
		Equal:          no,
		SubsetOf:       sb | in | no,
		SupersetOf:     no,
		IntersectsWith: sb | in | no,
		NoRelationship: eq | sb | sp | in | no,
	},
}

// composeSet composes a set of possible A→B relationships with a set of
// possible B→C relationships.
func composeSet(ab, bc relSet) relSet {
	var out relSet
	for _, x := range ab.list() {
		for _, y := range bc.list() {
			out |= table[x][y]
		}
	}
	return out
}

// Possible returns, in enum order, every relationship A→C that finite
// non-empty sets A, B, C can have when A→B is ab and B→C is bc. An input that
// is not a stated relationship (Unspecified, Indeterminate, out of range)
// stands for "any of the five". The result is never empty.
func Possible(ab, bc Relationship) []Relationship {
	return composeSet(known(ab), known(bc)).list()
}

// Compose returns the relationship A→C that A→B = ab and B→C = bc force:
// the only member of Possible(ab, bc), or Indeterminate when set theory
// allows several. Unspecified and Indeterminate inputs give Indeterminate.
func Compose(ab, bc Relationship) Relationship {
	if !ab.Stated() || !bc.Stated() {
		return Indeterminate
	}
	return table[ab][bc].single()
}

// PossibleChain returns, in enum order, every relationship from the first
// set to the last that a chain of non-empty sets X0→X1→...→Xn with the given
// consecutive relationships can have. Each intermediate set of possibilities
// is carried forward whole, so nothing is lost when an intermediate step
// alone would be Indeterminate. An empty chain returns the five
// relationships: it says nothing.
func PossibleChain(rels ...Relationship) []Relationship {
	return chainSet(rels).list()
}

func chainSet(rels []Relationship) relSet {
	if len(rels) == 0 {
		return anyRel
	}
	s := known(rels[0])
	for _, r := range rels[1:] {
		s = composeSet(s, known(r))
	}
	return s
}

// ComposeChain returns the relationship from the first set to the last of a
// chain X0→X1→...→Xn: the only member of PossibleChain(rels...), or
// Indeterminate. One relationship composes to itself (Indeterminate if it is
// not stated); an empty chain is Indeterminate.
func ComposeChain(rels ...Relationship) Relationship {
	if len(rels) == 0 {
		return Indeterminate
	}
	return chainSet(rels).single()
}

// Strength bounds: a mapping's optional strength is 1 (weakest) to 10
// (strongest); 0 means not given.
const (
	StrengthUnknown = 0
	StrengthMin     = 1
	StrengthMax     = 10
)

// ComposeStrength returns the strength of a chain of mappings: the weakest
// link, that is the minimum of the strengths along the path. If any strength
// is unknown (0) or outside 1..10, or the chain is empty, the result is
// unknown (0).
func ComposeStrength(strengths ...int) int {
	if len(strengths) == 0 {
		return StrengthUnknown
	}
	m := StrengthMax
	for _, s := range strengths {
		if s < StrengthMin || s > StrengthMax {
			return StrengthUnknown
		}
		m = min(m, s)
	}
	return m
}
