package algebra

import (
	"errors"
	"strconv"
	"testing"
)

// all lists every defined value, Unspecified and Indeterminate included.
var all = []Relationship{Unspecified, Equal, SubsetOf, SupersetOf, IntersectsWith, NoRelationship, Indeterminate}

func TestEnumValues(t *testing.T) {
	// The API enum order: EQUAL=1, SUBSET_OF=2, SUPERSET_OF=3,
	// INTERSECTS_WITH=4, NO_RELATIONSHIP=5; Indeterminate=6.
	want := map[Relationship]int{Unspecified: 0, Equal: 1, SubsetOf: 2, SupersetOf: 3, IntersectsWith: 4, NoRelationship: 5, Indeterminate: 6}
	for r, v := range want {
		if int(r) != v {
			t.Errorf("%s = %d, want %d", r, int(r), v)
		}
	}
}

func TestString(t *testing.T) {
	want := []string{"UNSPECIFIED", "EQUAL", "SUBSET_OF", "SUPERSET_OF", "INTERSECTS_WITH", "NO_RELATIONSHIP", "INDETERMINATE"}
	for i, r := range all {
		if got := r.String(); got != want[i] {
			t.Errorf("Relationship(%d).String() = %q, want %q", int(r), got, want[i])
		}
	}
	for _, r := range []Relationship{-1, 7, 42} {
		if got, want := r.String(), "Relationship("+strconv.Itoa(int(r))+")"; got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestStatedAndSeedLabel(t *testing.T) {
	labels := map[Relationship]string{
		SubsetOf:       "1. Subset Of",
		IntersectsWith: "2. Intersects With",
		Equal:          "3. Equal",
		SupersetOf:     "4. Superior Of",
		NoRelationship: "5. Not Related",
	}
	for _, r := range append(all, -1, 7) {
		if got, want := r.Stated(), labels[r] != ""; got != want {
			t.Errorf("%s.Stated() = %v, want %v", r, got, want)
		}
		if got := r.SeedLabel(); got != labels[r] {
			t.Errorf("%s.SeedLabel() = %q, want %q", r, got, labels[r])
		}
		if !r.Stated() {
			continue
		}
		if got, err := Parse(r.SeedLabel()); err != nil || got != r {
			t.Errorf("Parse(%q) = %s, %v; want %s", r.SeedLabel(), got, err, r)
		}
		if got, err := Parse(r.String()); err != nil || got != r {
			t.Errorf("Parse(%q) = %s, %v; want %s", r.String(), got, err, r)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Relationship
	}{
		// API names.
		{"EQUAL", Equal},
		{"SUBSET_OF", SubsetOf},
		{"SUPERSET_OF", SupersetOf},
		{"INTERSECTS_WITH", IntersectsWith},
		{"NO_RELATIONSHIP", NoRelationship},
		{"RELATIONSHIP_EQUAL", Equal},
		{"relationship_subset_of", SubsetOf},
		{"Relationship No Relationship", NoRelationship},
		// Words, any case and spacing.
		{"Equal", Equal},
		{"equal", Equal},
		{"equals", Equal},
		{"=", Equal},
		{" = ", Equal},
		{"subset of", SubsetOf},
		{"Subset Of", SubsetOf},
		{"  SUBSET   of ", SubsetOf},
		{"subset-of", SubsetOf},
		{"subset", SubsetOf},
		{"⊂", SubsetOf},
		{"superset of", SupersetOf},
		{"Superset", SupersetOf},
		{"superior of", SupersetOf},
		{"Superior Of", SupersetOf},
		{"⊃", SupersetOf},
		{"intersects with", IntersectsWith},
		{"Intersects With", IntersectsWith},
		{"intersects", IntersectsWith},
		{"intersect with", IntersectsWith},
		{"not related", NoRelationship},
		{"Not Related", NoRelationship},
		{"no relationship", NoRelationship},
		{"unrelated", NoRelationship},
		{"disjoint", NoRelationship},
		{"\tno\trelationship\n", NoRelationship},
		// The seed's numbered labels.
		{"1. Subset Of", SubsetOf},
		{"2. Intersects With", IntersectsWith},
		{"3. Equal", Equal},
		{"4. Superior Of", SupersetOf},
		{"5. Not Related", NoRelationship},
		{"3.Equal", Equal},
		{"3 Equal", Equal},
		{"3) Equal", Equal},
		{" 3 .  equal ", Equal},
		{"03. Equal", Equal},
		{"4. Superset Of", SupersetOf},
		{"4. SUPERSET_OF", SupersetOf},
		{"5. No Relationship", NoRelationship},
		{"5. disjoint", NoRelationship},
		{"1. ⊂", SubsetOf},
		{"3. =", Equal},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"   ",
		"EQUALS_TO",
		"subset off",
		"sub set of",
		"overlaps",
		"UNSPECIFIED",
		"RELATIONSHIP_UNSPECIFIED",
		"INDETERMINATE",
		"relationship",
		// A number that disagrees with the word under the seed's numbering.
		"1. Equal",
		"2. Subset Of",
		"3. Subset Of",
		"4. Equal",
		"5. Intersects With",
		"1. Superior Of",
		"2. Not Related",
		// Numbers out of range, bare, or garbled.
		"0. Equal",
		"6. Equal",
		"99999999999999999999999. Equal",
		"3",
		"3.",
		" 4 ) ",
		"-1. Subset Of",
		"3.5 Equal",
		"3.. Equal",
		"3. 3. Equal",
		"Equal 3",
	} {
		got, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) = %s, want an error", in, got)
			continue
		}
		if got != Unspecified {
			t.Errorf("Parse(%q) = %s with error, want Unspecified", in, got)
		}
		if !errors.Is(err, ErrUnknownRelationship) {
			t.Errorf("Parse(%q) error %v does not wrap ErrUnknownRelationship", in, err)
		}
	}
}

func TestInvert(t *testing.T) {
	want := map[Relationship]Relationship{
		Unspecified:    Unspecified,
		Equal:          Equal,
		SubsetOf:       SupersetOf,
		SupersetOf:     SubsetOf,
		IntersectsWith: IntersectsWith,
		NoRelationship: NoRelationship,
		Indeterminate:  Indeterminate,
	}
	for _, r := range all {
		if got := Invert(r); got != want[r] {
			t.Errorf("Invert(%s) = %s, want %s", r, got, want[r])
		}
		if got := Invert(Invert(r)); got != r {
			t.Errorf("Invert(Invert(%s)) = %s", r, got)
		}
	}
	for _, r := range []Relationship{-1, 7, 42} {
		if got := Invert(r); got != Indeterminate {
			t.Errorf("Invert(%d) = %s, want INDETERMINATE", int(r), got)
		}
	}
}

// TestInvertMatchesSets checks inversion on concrete sets: the relationship
// from b to a is the inverse of the one from a to b.
func TestInvertMatchesSets(t *testing.T) {
	const n = 5
	for a := uint32(1); a < 1<<n; a++ {
		for b := uint32(1); b < 1<<n; b++ {
			if got, want := classifyBits(b, a), Invert(classifyBits(a, b)); got != want {
				t.Fatalf("sets %b, %b: B→A = %s, Invert(A→B) = %s", a, b, got, want)
			}
		}
	}
}

func TestClassify(t *testing.T) {
	set := func(xs ...int) map[int]bool {
		m := map[int]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	tests := []struct {
		a, b map[int]bool
		want Relationship
	}{
		{set(1, 2), set(2, 1), Equal},
		{set(1), set(1, 2), SubsetOf},
		{set(1, 2), set(1), SupersetOf},
		{set(1, 2), set(2, 3), IntersectsWith},
		{set(1), set(2), NoRelationship},
		{set(), set(1), Unspecified},
		{set(1), set(), Unspecified},
		{nil, nil, Unspecified},
		{set(), set(), Unspecified},
		// Keys mapped to false are not members.
		{map[int]bool{1: true, 2: false}, set(1), Equal},
		{map[int]bool{1: true, 2: false}, map[int]bool{1: true, 2: true}, SubsetOf},
		{map[int]bool{1: false}, set(1), Unspecified},
		{set(1, 3), map[int]bool{1: true, 2: true, 3: false}, IntersectsWith},
	}
	for _, tt := range tests {
		if got := Classify(tt.a, tt.b); got != tt.want {
			t.Errorf("Classify(%v, %v) = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
	// Generic over any comparable key.
	if got := Classify(map[string]bool{"4.1": true}, map[string]bool{"4.1": true, "4.2": true}); got != SubsetOf {
		t.Errorf("Classify on strings = %s, want SUBSET_OF", got)
	}
}

// classifyBits is the tests' own classifier for sets held as bitmasks,
// written directly from the definitions and independent of Classify.
func classifyBits(a, b uint32) Relationship {
	switch {
	case a == 0 || b == 0:
		return Unspecified
	case a == b:
		return Equal
	case a&^b == 0: // A ⊆ B, A ≠ B
		return SubsetOf
	case b&^a == 0: // B ⊆ A, A ≠ B
		return SupersetOf
	case a&b != 0:
		return IntersectsWith
	}
	return NoRelationship
}

func bitsToMap(x uint32) map[int]bool {
	m := map[int]bool{}
	for i := 0; x != 0; i, x = i+1, x>>1 {
		if x&1 != 0 {
			m[i] = true
		}
	}
	return m
}

// TestClassifyAgreesWithBits checks Classify against classifyBits on every
// pair of subsets (empty included) of a six-element universe.
func TestClassifyAgreesWithBits(t *testing.T) {
	const n = 6
	maps := make([]map[int]bool, 1<<n)
	for x := range maps {
		maps[x] = bitsToMap(uint32(x))
	}
	for a := range maps {
		for b := range maps {
			if got, want := Classify(maps[a], maps[b]), classifyBits(uint32(a), uint32(b)); got != want {
				t.Fatalf("Classify(%b, %b) = %s, want %s", a, b, got, want)
			}
		}
	}
}

func TestComposeStrength(t *testing.T) {
	tests := []struct {
		in   []int
		want int
	}{
		{nil, 0},
		{[]int{}, 0},
		{[]int{7}, 7},
		{[]int{10, 10}, 10},
		{[]int{8, 3, 9}, 3},
		{[]int{1, 10}, 1},
		{[]int{5, 0, 9}, 0},
		{[]int{0}, 0},
		{[]int{5, 11}, 0},
		{[]int{-1, 5}, 0},
	}
	for _, tt := range tests {
		if got := ComposeStrength(tt.in...); got != tt.want {
			t.Errorf("ComposeStrength(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
