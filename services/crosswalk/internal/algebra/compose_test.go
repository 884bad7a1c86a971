package algebra

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// observeTable enumerates every triple of non-empty subsets A, B, C of an
// n-element universe and records, for each pair (A→B, B→C), the set of A→C
// relationships seen.
func observeTable(n int) [NoRelationship + 1][NoRelationship + 1]relSet {
	var obs [NoRelationship + 1][NoRelationship + 1]relSet
	lim := uint32(1) << n
	for a := uint32(1); a < lim; a++ {
		for b := uint32(1); b < lim; b++ {
			ab := classifyBits(a, b)
			for c := uint32(1); c < lim; c++ {
				obs[ab][classifyBits(b, c)] |= setOf(classifyBits(a, c))
			}
		}
	}
	return obs
}

// TestComposeTableExhaustive is the mechanical proof of the composition
// table in docs/crosswalk-algebra.md. The relationships among three sets
// depend only on which of the seven Venn regions are non-empty, and any
// pattern of non-empty regions is realized with one element per region, so
// the 127³ triples of non-empty subsets of a seven-element universe show
// every combination that any finite non-empty sets can show.
func TestComposeTableExhaustive(t *testing.T) {
	obs := observeTable(7)
	for _, ab := range stated {
		for _, bc := range stated {
			got := obs[ab][bc]
			if got == 0 {
				t.Errorf("%s∘%s: no triple of sets realizes it", ab, bc)
			}
			if got != table[ab][bc] {
				t.Errorf("%s∘%s: observed %v, table says %v", ab, bc, got.list(), table[ab][bc].list())
			}
			if want := got.single(); Compose(ab, bc) != want {
				t.Errorf("Compose(%s, %s) = %s, observed %v", ab, bc, Compose(ab, bc), got.list())
			}
			if p := Possible(ab, bc); !slices.Equal(p, got.list()) {
				t.Errorf("Possible(%s, %s) = %v, observed %v", ab, bc, p, got.list())
			}
		}
	}
	// Nothing outside the five stated relationships is ever observed.
	for ab := range obs {
		for bc := range obs[ab] {
			if obs[ab][bc]&^anyRel != 0 {
				t.Errorf("observed a non-stated relationship in cell %d,%d", ab, bc)
			}
		}
	}
}

// TestComposeTableUniverseSize records the remark in the document: four
// elements already realize the whole table, three do not.
func TestComposeTableUniverseSize(t *testing.T) {
	if observeTable(3) == table {
		t.Error("a three-element universe realizes the whole table; update the document")
	}
	if observeTable(4) != table {
		t.Error("a four-element universe does not realize the whole table; update the document")
	}
}

// TestComposeTableRegionPatterns builds one triple of sets per pattern of
// non-empty Venn regions (2⁷ patterns, one element per region) with maps,
// classifies them with Classify, and checks that the patterns whose three
// sets are non-empty realize exactly the table.
func TestComposeTableRegionPatterns(t *testing.T) {
	var obs [NoRelationship + 1][NoRelationship + 1]relSet
	for pattern := range 1 << 7 {
		// Region k (1..7) holds element k when bit k-1 of pattern is set;
		// the element is in A, B, C according to bits 0, 1, 2 of k.
		A, B, C := map[int]bool{}, map[int]bool{}, map[int]bool{}
		for k := 1; k <= 7; k++ {
			if pattern&(1<<(k-1)) == 0 {
				continue
			}
			A[k], B[k], C[k] = k&1 != 0, k&2 != 0, k&4 != 0
		}
		ab, bc, ac := Classify(A, B), Classify(B, C), Classify(A, C)
		if ab == Unspecified || bc == Unspecified {
			continue // a set is empty: outside the algebra
		}
		obs[ab][bc] |= setOf(ac)
	}
	if obs != table {
		t.Errorf("region patterns give %v, table is %v", obs, table)
	}
}

func TestComposeUnknownInputs(t *testing.T) {
	unknown := []Relationship{Unspecified, Indeterminate, -1, 7}
	for _, u := range unknown {
		for _, r := range all {
			if got := Compose(u, r); got != Indeterminate {
				t.Errorf("Compose(%s, %s) = %s, want INDETERMINATE", u, r, got)
			}
			if got := Compose(r, u); got != Indeterminate {
				t.Errorf("Compose(%s, %s) = %s, want INDETERMINATE", r, u, got)
			}
		}
		// An unknown input stands for any of the five; composing it with
		// anything still leaves more than one possibility, so the
		// INDETERMINATE above is also what the set semantics gives.
		for _, r := range stated {
			if p := Possible(u, r); len(p) < 2 {
				t.Errorf("Possible(%s, %s) = %v, want several", u, r, p)
			}
			if p := Possible(r, u); len(p) < 2 {
				t.Errorf("Possible(%s, %s) = %v, want several", r, u, p)
			}
		}
		if p := Possible(u, u); !slices.Equal(p, stated[:]) {
			t.Errorf("Possible(%s, %s) = %v, want all five", u, u, p)
		}
	}
}

func TestComposeEqualIsIdentity(t *testing.T) {
	for _, r := range all {
		if !r.Stated() {
			continue
		}
		if got := Compose(Equal, r); got != r {
			t.Errorf("Compose(EQUAL, %s) = %s", r, got)
		}
		if got := Compose(r, Equal); got != r {
			t.Errorf("Compose(%s, EQUAL) = %s", r, got)
		}
	}
}

// TestComposeNamedCells spells out the cells quoted in the brief and the
// document, so a reader can find them without decoding the table.
func TestComposeNamedCells(t *testing.T) {
	tests := []struct{ ab, bc, want Relationship }{
		{SubsetOf, SubsetOf, SubsetOf},
		{SubsetOf, SupersetOf, Indeterminate},
		{SubsetOf, NoRelationship, NoRelationship},
		{SupersetOf, SubsetOf, Indeterminate},
		{SupersetOf, SupersetOf, SupersetOf},
		{NoRelationship, SupersetOf, NoRelationship},
		{NoRelationship, SubsetOf, Indeterminate},
		{NoRelationship, NoRelationship, Indeterminate},
		{IntersectsWith, IntersectsWith, Indeterminate},
		{IntersectsWith, SubsetOf, Indeterminate},
	}
	for _, tt := range tests {
		if got := Compose(tt.ab, tt.bc); got != tt.want {
			t.Errorf("Compose(%s, %s) = %s, want %s", tt.ab, tt.bc, got, tt.want)
		}
	}
	// Forced exclusions inside indeterminate cells.
	if p := Possible(SupersetOf, SubsetOf); slices.Contains(p, NoRelationship) {
		t.Errorf("Possible(SUPERSET_OF, SUBSET_OF) = %v includes NO_RELATIONSHIP", p)
	}
	if p := Possible(IntersectsWith, SubsetOf); !slices.Equal(p, []Relationship{SubsetOf, IntersectsWith}) {
		t.Errorf("Possible(INTERSECTS_WITH, SUBSET_OF) = %v", p)
	}
}

// TestComposeInverseSymmetry: reading a chain A→B→C backwards, C→B→A, gives
// the inverse relationship: Compose(Invert(bc), Invert(ab)) equals
// Invert(Compose(ab, bc)), and likewise for the sets of possibilities.
func TestComposeInverseSymmetry(t *testing.T) {
	for _, ab := range all {
		for _, bc := range all {
			if got, want := Compose(Invert(bc), Invert(ab)), Invert(Compose(ab, bc)); got != want {
				t.Errorf("Compose(Invert(%s), Invert(%s)) = %s, Invert(Compose) = %s", bc, ab, got, want)
			}
			got := setOf(Possible(Invert(bc), Invert(ab))...)
			want := setOf(Possible(ab, bc)...).invert()
			if got != want {
				t.Errorf("Possible(Invert(%s), Invert(%s)) = %v, want %v", bc, ab, got.list(), want.list())
			}
		}
	}
}

// chains returns every chain of the given length over the given values.
func chains(values []Relationship, length int) [][]Relationship {
	out := [][]Relationship{nil}
	for range length {
		var next [][]Relationship
		for _, c := range out {
			for _, v := range values {
				next = append(next, append(slices.Clone(c), v))
			}
		}
		out = next
	}
	return out
}

func TestComposeChain(t *testing.T) {
	if got := ComposeChain(); got != Indeterminate {
		t.Errorf("ComposeChain() = %s", got)
	}
	if p := PossibleChain(); !slices.Equal(p, stated[:]) {
		t.Errorf("PossibleChain() = %v", p)
	}
	for _, r := range all {
		want := r
		if !r.Stated() {
			want = Indeterminate
		}
		if got := ComposeChain(r); got != want {
			t.Errorf("ComposeChain(%s) = %s, want %s", r, got, want)
		}
		for _, s := range all {
			if got, want := ComposeChain(r, s), Compose(r, s); got != want {
				t.Errorf("ComposeChain(%s, %s) = %s, Compose = %s", r, s, got, want)
			}
		}
	}
	tests := []struct {
		in   []Relationship
		want Relationship
	}{
		{[]Relationship{SubsetOf, SubsetOf, SubsetOf}, SubsetOf},
		{[]Relationship{SubsetOf, Equal, SubsetOf, NoRelationship}, NoRelationship},
		{[]Relationship{SubsetOf, NoRelationship, SupersetOf}, NoRelationship},
		{[]Relationship{SupersetOf, SupersetOf, Equal, SupersetOf}, SupersetOf},
		{[]Relationship{SubsetOf, SupersetOf, SubsetOf}, Indeterminate},
		{[]Relationship{SubsetOf, Indeterminate, SubsetOf}, Indeterminate},
		{[]Relationship{Equal, Equal, Unspecified}, Indeterminate},
	}
	for _, tt := range tests {
		if got := ComposeChain(tt.in...); got != tt.want {
			t.Errorf("ComposeChain(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestComposeChainAssociativity checks, for every chain of three and four
// stated relationships (and with Indeterminate in any position for three),
// that grouping does not matter: folding Compose from the left, folding it
// from the right and ComposeChain agree. It also checks the remark in the
// document that carrying whole sets of possibilities (PossibleChain) never
// pins down a relationship that step-by-step Compose leaves INDETERMINATE,
// that PossibleChain is itself associative, and that the reversed chain of
// inverses composes to the inverse.
func TestComposeChainAssociativity(t *testing.T) {
	values := append(slices.Clone(stated[:]), Indeterminate)
	for _, length := range []int{3, 4, 5} {
		vs := stated[:]
		if length == 3 {
			vs = values
		}
		for _, c := range chains(vs, length) {
			left := c[0]
			for _, r := range c[1:] {
				left = Compose(left, r)
			}
			right := c[len(c)-1]
			for i := len(c) - 2; i >= 0; i-- {
				right = Compose(c[i], right)
			}
			chain := ComposeChain(c...)
			reversed := make([]Relationship, len(c))
			for i, r := range c {
				reversed[len(c)-1-i] = Invert(r)
			}
			if got := ComposeChain(reversed...); got != Invert(chain) {
				t.Errorf("chain %v: reversed chain gives %s, want %s", c, got, Invert(chain))
			}
			if left != right || left != chain {
				t.Errorf("chain %v: left fold %s, right fold %s, ComposeChain %s", c, left, right, chain)
			}
			// Set-level associativity: (c0..ck)∘(ck+1..cn) is the same for
			// every split point.
			whole := chainSet(c)
			for k := 1; k < len(c); k++ {
				if split := composeSet(chainSet(c[:k]), chainSet(c[k:])); split != whole {
					t.Errorf("chain %v split at %d: %v, whole %v", c, k, split.list(), whole.list())
				}
			}
		}
	}
}

// TestPossibleChainRegionPatterns proves PossibleChain exact for chains of
// three relationships (four sets A→B→C→D): it builds one quadruple per
// pattern of non-empty regions of four sets (2¹⁵ patterns, one element per
// region) and checks that the A→D relationships seen for each chain are
// exactly PossibleChain's answer — neither more (soundness) nor fewer
// (nothing is lost by carrying sets of possibilities step by step).
func TestPossibleChainRegionPatterns(t *testing.T) {
	obs := map[[3]Relationship]relSet{}
	for pattern := uint32(0); pattern < 1<<15; pattern++ {
		// Region k (1..15) is element k-1; it lies in set j when bit j of k
		// is set.
		var sets [4]uint32
		for k := 1; k <= 15; k++ {
			if pattern&(1<<(k-1)) == 0 {
				continue
			}
			for j := range sets {
				if k&(1<<j) != 0 {
					sets[j] |= 1 << (k - 1)
				}
			}
		}
		if sets[0] == 0 || sets[1] == 0 || sets[2] == 0 || sets[3] == 0 {
			continue
		}
		key := [3]Relationship{classifyBits(sets[0], sets[1]), classifyBits(sets[1], sets[2]), classifyBits(sets[2], sets[3])}
		obs[key] |= setOf(classifyBits(sets[0], sets[3]))
	}
	for _, c := range chains(stated[:], 3) {
		key := [3]Relationship(c)
		if got, want := obs[key], chainSet(c); got != want {
			t.Errorf("chain %v: observed %v, PossibleChain %v", c, got.list(), want.list())
		}
	}
}

// randomSet returns a random non-empty set drawn from {0, ..., n-1}, with a
// few keys mapped to false (not members) to exercise Classify.
func randomSet(rng *rand.Rand, n int) map[int]bool {
	for {
		m := map[int]bool{}
		for i := range n {
			switch rng.IntN(3) {
			case 0:
				m[i] = true
			case 1:
				if rng.IntN(4) == 0 {
					m[i] = false
				}
			}
		}
		for _, in := range m {
			if in {
				return m
			}
		}
	}
}

// TestComposeRandomSets is the property test: for random finite non-empty
// sets, the real A→C relationship is always among Possible(A→B, B→C), and
// equals Compose(A→B, B→C) whenever that is not INDETERMINATE. It also
// checks that every possibility the table lists turns up (the table is not
// looser than it has to be), and does the same for chains of up to five
// relationships with PossibleChain and ComposeChain.
func TestComposeRandomSets(t *testing.T) {
	rng := rand.New(rand.NewPCG(8477, 2024))
	var seen [NoRelationship + 1][NoRelationship + 1]relSet
	const iterations = 100_000
	for range iterations {
		n := 1 + rng.IntN(7)
		a, b, c := randomSet(rng, n), randomSet(rng, n), randomSet(rng, n)
		ab, bc, ac := Classify(a, b), Classify(b, c), Classify(a, c)
		if !slices.Contains(Possible(ab, bc), ac) {
			t.Fatalf("A=%v B=%v C=%v: A→C %s not in Possible(%s, %s) = %v", a, b, c, ac, ab, bc, Possible(ab, bc))
		}
		if r := Compose(ab, bc); r != Indeterminate && r != ac {
			t.Fatalf("A=%v B=%v C=%v: Compose(%s, %s) = %s, real A→C %s", a, b, c, ab, bc, r, ac)
		}
		seen[ab][bc] |= setOf(ac)
	}
	if seen != table {
		t.Errorf("random sets realized %v, table is %v", seen, table)
	}

	for range iterations / 5 {
		n := 1 + rng.IntN(8)
		k := 2 + rng.IntN(5) // sets in the chain
		sets := make([]map[int]bool, k)
		for i := range sets {
			sets[i] = randomSet(rng, n)
		}
		rels := make([]Relationship, k-1)
		for i := range rels {
			rels[i] = Classify(sets[i], sets[i+1])
		}
		real := Classify(sets[0], sets[k-1])
		if !slices.Contains(PossibleChain(rels...), real) {
			t.Fatalf("chain %v: real %s not in PossibleChain %v", rels, real, PossibleChain(rels...))
		}
		if r := ComposeChain(rels...); r != Indeterminate && r != real {
			t.Fatalf("chain %v: ComposeChain %s, real %s", rels, r, real)
		}
	}
}

// docExample is one concrete triple of sets from the proofs in the document.
type docExample struct {
	ab, bc, ac Relationship
	a, b, c    []int
}

// docExamples are the witness sets quoted in docs/crosswalk-algebra.md: for
// every indeterminate cell, one triple per possible outcome.
var docExamples = []docExample{
	// SUBSET_OF ∘ SUPERSET_OF, B = {1,2,3}
	{SubsetOf, SupersetOf, Equal, []int{1}, []int{1, 2, 3}, []int{1}},
	{SubsetOf, SupersetOf, SubsetOf, []int{1}, []int{1, 2, 3}, []int{1, 2}},
	{SubsetOf, SupersetOf, SupersetOf, []int{1, 2}, []int{1, 2, 3}, []int{1}},
	{SubsetOf, SupersetOf, IntersectsWith, []int{1, 2}, []int{1, 2, 3}, []int{2, 3}},
	{SubsetOf, SupersetOf, NoRelationship, []int{1}, []int{1, 2, 3}, []int{2}},
	// SUBSET_OF ∘ INTERSECTS_WITH, B = {1,2,3}, C = {3,4}
	{SubsetOf, IntersectsWith, SubsetOf, []int{3}, []int{1, 2, 3}, []int{3, 4}},
	{SubsetOf, IntersectsWith, IntersectsWith, []int{2, 3}, []int{1, 2, 3}, []int{3, 4}},
	{SubsetOf, IntersectsWith, NoRelationship, []int{1}, []int{1, 2, 3}, []int{3, 4}},
	// SUPERSET_OF ∘ SUBSET_OF, B = {1}
	{SupersetOf, SubsetOf, Equal, []int{1, 2}, []int{1}, []int{1, 2}},
	{SupersetOf, SubsetOf, SubsetOf, []int{1, 2}, []int{1}, []int{1, 2, 3}},
	{SupersetOf, SubsetOf, SupersetOf, []int{1, 2, 3}, []int{1}, []int{1, 2}},
	{SupersetOf, SubsetOf, IntersectsWith, []int{1, 2}, []int{1}, []int{1, 3}},
	// SUPERSET_OF ∘ INTERSECTS_WITH, B = {1,2}, C = {2,3}
	{SupersetOf, IntersectsWith, SupersetOf, []int{1, 2, 3}, []int{1, 2}, []int{2, 3}},
	{SupersetOf, IntersectsWith, IntersectsWith, []int{1, 2, 4}, []int{1, 2}, []int{2, 3}},
	// SUPERSET_OF ∘ NO_RELATIONSHIP, B = {1}, C = {2,3}
	{SupersetOf, NoRelationship, SupersetOf, []int{1, 2, 3}, []int{1}, []int{2, 3}},
	{SupersetOf, NoRelationship, IntersectsWith, []int{1, 2}, []int{1}, []int{2, 3}},
	{SupersetOf, NoRelationship, NoRelationship, []int{1, 4}, []int{1}, []int{2, 3}},
	// INTERSECTS_WITH ∘ SUBSET_OF, A = {1,2}, B = {2,3}
	{IntersectsWith, SubsetOf, SubsetOf, []int{1, 2}, []int{2, 3}, []int{1, 2, 3}},
	{IntersectsWith, SubsetOf, IntersectsWith, []int{1, 2}, []int{2, 3}, []int{2, 3, 4}},
	// INTERSECTS_WITH ∘ SUPERSET_OF, A = {1,2}, B = {2,3,4}
	{IntersectsWith, SupersetOf, SupersetOf, []int{1, 2}, []int{2, 3, 4}, []int{2}},
	{IntersectsWith, SupersetOf, IntersectsWith, []int{1, 2}, []int{2, 3, 4}, []int{2, 3}},
	{IntersectsWith, SupersetOf, NoRelationship, []int{1, 2}, []int{2, 3, 4}, []int{3}},
	// INTERSECTS_WITH ∘ INTERSECTS_WITH, B = {2,3}
	{IntersectsWith, IntersectsWith, Equal, []int{1, 2}, []int{2, 3}, []int{1, 2}},
	{IntersectsWith, IntersectsWith, SubsetOf, []int{1, 2}, []int{2, 3}, []int{1, 2, 4}},
	{IntersectsWith, IntersectsWith, SupersetOf, []int{1, 2, 4}, []int{2, 3}, []int{1, 2}},
	{IntersectsWith, IntersectsWith, IntersectsWith, []int{1, 2}, []int{2, 3}, []int{2, 4}},
	{IntersectsWith, IntersectsWith, NoRelationship, []int{1, 2}, []int{2, 3}, []int{3, 4}},
	// INTERSECTS_WITH ∘ NO_RELATIONSHIP, A = {1,2}, B = {2,3}
	{IntersectsWith, NoRelationship, SupersetOf, []int{1, 2}, []int{2, 3}, []int{1}},
	{IntersectsWith, NoRelationship, IntersectsWith, []int{1, 2}, []int{2, 3}, []int{1, 4}},
	{IntersectsWith, NoRelationship, NoRelationship, []int{1, 2}, []int{2, 3}, []int{4}},
	// NO_RELATIONSHIP ∘ SUBSET_OF, B = {2}
	{NoRelationship, SubsetOf, SubsetOf, []int{1}, []int{2}, []int{1, 2}},
	{NoRelationship, SubsetOf, IntersectsWith, []int{1, 3}, []int{2}, []int{1, 2}},
	{NoRelationship, SubsetOf, NoRelationship, []int{1}, []int{2}, []int{2, 3}},
	// NO_RELATIONSHIP ∘ INTERSECTS_WITH, B = {2,3}, C = {1,2}
	{NoRelationship, IntersectsWith, SubsetOf, []int{1}, []int{2, 3}, []int{1, 2}},
	{NoRelationship, IntersectsWith, IntersectsWith, []int{1, 4}, []int{2, 3}, []int{1, 2}},
	{NoRelationship, IntersectsWith, NoRelationship, []int{4}, []int{2, 3}, []int{1, 2}},
	// NO_RELATIONSHIP ∘ NO_RELATIONSHIP, B = {4}
	{NoRelationship, NoRelationship, Equal, []int{1}, []int{4}, []int{1}},
	{NoRelationship, NoRelationship, SubsetOf, []int{1}, []int{4}, []int{1, 2}},
	{NoRelationship, NoRelationship, SupersetOf, []int{1, 2}, []int{4}, []int{1}},
	{NoRelationship, NoRelationship, IntersectsWith, []int{1, 2}, []int{4}, []int{2, 3}},
	{NoRelationship, NoRelationship, NoRelationship, []int{1}, []int{4}, []int{2}},
}

// TestDocExamples checks every witness quoted in the document, and that the
// witnesses cover every outcome of every indeterminate cell.
func TestDocExamples(t *testing.T) {
	set := func(xs []int) map[int]bool {
		m := map[int]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	var covered [NoRelationship + 1][NoRelationship + 1]relSet
	for _, e := range docExamples {
		a, b, c := set(e.a), set(e.b), set(e.c)
		if got := Classify(a, b); got != e.ab {
			t.Errorf("%v→%v is %s, example says %s", e.a, e.b, got, e.ab)
		}
		if got := Classify(b, c); got != e.bc {
			t.Errorf("%v→%v is %s, example says %s", e.b, e.c, got, e.bc)
		}
		if got := Classify(a, c); got != e.ac {
			t.Errorf("%v→%v is %s, example says %s", e.a, e.c, got, e.ac)
		}
		covered[e.ab][e.bc] |= setOf(e.ac)
	}
	for _, ab := range stated {
		for _, bc := range stated {
			if Compose(ab, bc) != Indeterminate {
				continue
			}
			if covered[ab][bc] != table[ab][bc] {
				t.Errorf("%s∘%s: examples show %v, table has %v", ab, bc, covered[ab][bc].list(), table[ab][bc].list())
			}
		}
	}
}

// abbrev is the notation of the table in docs/crosswalk-algebra.md.
var abbrev = map[string]Relationship{"EQ": Equal, "SUB": SubsetOf, "SUP": SupersetOf, "INT": IntersectsWith, "NONE": NoRelationship}

// TestDocumentTable reads the composition table in docs/crosswalk-algebra.md
// and checks it cell by cell against the code, so the two cannot drift.
func TestDocumentTable(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "docs", "crosswalk-algebra.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("document not found: %v", err)
	}
	rows := 0
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "| **") || !strings.Contains(line, "→") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 6 {
			t.Fatalf("table row %q: %d cells, want 6", line, len(cells))
		}
		head := strings.Trim(strings.TrimSpace(cells[0]), "*")
		head = strings.TrimSuffix(strings.TrimSpace(head), "→")
		ab, ok := abbrev[strings.TrimSpace(head)]
		if !ok {
			t.Fatalf("table row %q: unknown row head %q", line, head)
		}
		rows++
		for i, cell := range cells[1:] {
			bc := stated[i]
			got, err := parseDocCell(cell)
			if err != "" {
				t.Errorf("row %s column %s: %s", ab, bc, err)
				continue
			}
			if got != table[ab][bc] {
				t.Errorf("document row %s column %s says %v, code says %v", ab, bc, got.list(), table[ab][bc].list())
			}
		}
	}
	if rows != 5 {
		t.Errorf("found %d table rows in the document, want 5", rows)
	}
}

// parseDocCell reads "**SUB**" (forced) or "IND {SUB, INT, NONE}".
func parseDocCell(cell string) (relSet, string) {
	cell = strings.TrimSpace(cell)
	if inner, ok := strings.CutPrefix(cell, "IND {"); ok {
		inner, ok = strings.CutSuffix(inner, "}")
		if !ok {
			return 0, "unterminated set " + cell
		}
		var s relSet
		for _, f := range strings.Split(inner, ",") {
			r, ok := abbrev[strings.TrimSpace(f)]
			if !ok {
				return 0, "unknown abbreviation in " + cell
			}
			s |= setOf(r)
		}
		if s.single() != Indeterminate {
			return 0, "indeterminate cell with one member " + cell
		}
		return s, ""
	}
	r, ok := abbrev[strings.Trim(cell, "*")]
	if !ok {
		return 0, "unknown cell " + cell
	}
	return setOf(r), ""
}

// TestChainFoldIsExact proves, for chains of any length, the remark in the
// document that folding Compose step by step (INDETERMINATE absorbing) gives
// the same answer as carrying whole sets of possibilities. It computes every
// set of possibilities a chain can reach and checks that none with two or
// more members ever composes, on either side, to a single relationship.
func TestChainFoldIsExact(t *testing.T) {
	reach := map[relSet]bool{}
	var queue []relSet
	for _, r := range stated {
		reach[setOf(r)] = true
		queue = append(queue, setOf(r))
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, r := range stated {
			for _, next := range []relSet{composeSet(s, setOf(r)), composeSet(setOf(r), s)} {
				if !reach[next] {
					reach[next] = true
					queue = append(queue, next)
				}
			}
		}
	}
	for s := range reach {
		if s.single() != Indeterminate {
			continue
		}
		for _, r := range stated {
			if composeSet(s, setOf(r)).single() != Indeterminate || composeSet(setOf(r), s).single() != Indeterminate {
				t.Errorf("reachable set %v composed with %s is a single relationship", s.list(), r)
			}
		}
	}
	for _, bad := range []relSet{eq | sb, eq | sp} {
		if reach[bad] {
			t.Errorf("set %v is reachable; the document says it is not", bad.list())
		}
	}
	if len(reach) != 11 {
		t.Errorf("%d reachable sets, the document lists 11", len(reach))
	}
}
