package filter

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Limits on the filters Parse accepts.
const (
	MaxLength = 1024 // bytes, of the input and of its canonical form
	MaxTerms  = 32
)

// Kind is the type of a filterable field.
type Kind int

// The kinds of field.
const (
	String Kind = iota + 1 // text, compared case-insensitively
	Int                    // a 64-bit signed integer
	Bool                   // true or false
	Enum                   // one of a fixed set of values
)

func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Int:
		return "int"
	case Bool:
		return "bool"
	case Enum:
		return "enum"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Field declares a filterable field.
type Field struct {
	Kind Kind
	// Values lists the allowed values of an Enum field, in their canonical
	// spelling. Aliases maps other spellings to one of Values. Both are
	// matched against a filter's value without regard to case.
	Values  []string
	Aliases map[string]string
	// Ops narrows the operators the field takes. Nil means the default for
	// the kind: = and != for String, Enum and Bool, all six for Int. Ops can
	// only narrow: an operator outside the default never applies.
	Ops []string
}

// Schema maps field names, as they appear in a filter, to their declaration.
type Schema map[string]Field

// Record gives Match the values of a record's fields. Each method is called
// only for fields of the matching kind: Strings for String and Enum fields,
// Ints for Int fields, Bools for Bool fields. A field may have any number of
// values. Enum values are expected in their canonical spelling, though they
// are compared without regard to case.
type Record interface {
	Strings(field string) []string
	Ints(field string) []int64
	Bools(field string) []bool
}

// Values is a Record kept in a map, convenient for tests and for callers
// that build records on the fly. Each entry holds a []string, []int64 or
// []bool; an entry of another type reads as no values.
type Values map[string]any

// Strings returns v[field] if it is a []string.
func (v Values) Strings(field string) []string { s, _ := v[field].([]string); return s }

// Ints returns v[field] if it is a []int64.
func (v Values) Ints(field string) []int64 { s, _ := v[field].([]int64); return s }

// Bools returns v[field] if it is a []bool.
func (v Values) Bools(field string) []bool { s, _ := v[field].([]bool); return s }

// Filter is a parsed filter. The zero value and nil both match everything.
// A Filter is immutable and safe for concurrent use.
type Filter struct {
	terms []term // sorted by text, without duplicates
}

// term is one comparison, with its value in canonical form.
type term struct {
	field string
	kind  Kind
	op    string
	str   string // String (case-folded) and Enum (canonical spelling)
	num   int64  // Int
	flag  bool   // Bool
	text  string // canonical rendering: field op value
}

func newFilter(terms []term) *Filter {
	slices.SortFunc(terms, func(a, b term) int { return strings.Compare(a.text, b.text) })
	terms = slices.CompactFunc(terms, func(a, b term) bool { return a.text == b.text })
	return &Filter{terms: terms}
}

// Match reports whether rec satisfies every term of the filter.
func (f *Filter) Match(rec Record) bool {
	if f == nil {
		return true
	}
	for i := range f.terms {
		if !f.terms[i].match(rec) {
			return false
		}
	}
	return true
}

func (t *term) match(rec Record) bool {
	switch t.kind {
	case String, Enum:
		has := slices.ContainsFunc(rec.Strings(t.field), func(v string) bool { return strings.EqualFold(v, t.str) })
		return has == (t.op == "=")
	case Int:
		vals := rec.Ints(t.field)
		switch t.op {
		case "=":
			return slices.Contains(vals, t.num)
		case "!=":
			return !slices.Contains(vals, t.num)
		}
		return slices.ContainsFunc(vals, t.compare)
	case Bool:
		return slices.Contains(rec.Bools(t.field), t.flag) == (t.op == "=")
	}
	return false
}

// compare reports whether v satisfies an ordering term.
func (t *term) compare(v int64) bool {
	switch t.op {
	case "<":
		return v < t.num
	case "<=":
		return v <= t.num
	case ">":
		return v > t.num
	case ">=":
		return v >= t.num
	}
	return false
}

// value returns the term's value as Equalities reports it.
func (t *term) value() string {
	switch t.kind {
	case Int:
		return strconv.FormatInt(t.num, 10)
	case Bool:
		return strconv.FormatBool(t.flag)
	}
	return t.str
}

// Equalities returns the value each field must have according to the
// filter's "=" terms, so that a caller can narrow a scan: practice_area =
// "risk" with an alias to RSK gives {"practice_area": "RSK"}. Every term is
// AND-ed, so each such value is required; a record still has to pass Match.
//
// Values are canonical: the canonical spelling for Enum, the case-folded
// text for String (a caller narrowing on a String field must therefore index
// it case-folded, see Filter.String), decimal for Int, and "true" or "false"
// for Bool. When several "=" terms constrain one field (which a multi-valued
// field can satisfy), the least in canonical order is reported. The result is
// nil when there are none; the caller may keep it.
func (f *Filter) Equalities() map[string]string {
	if f == nil {
		return nil
	}
	var m map[string]string
	for i := range f.terms {
		t := &f.terms[i]
		if t.op != "=" {
			continue
		}
		if m == nil {
			m = make(map[string]string)
		}
		if _, ok := m[t.field]; !ok {
			m[t.field] = t.value()
		}
	}
	return m
}

// String returns the filter in canonical form, such as
//
//	domain = "data" AND level >= 2
//
// Two filters that differ only in spacing, quoting, parentheses, the case of
// String values, the spelling of Enum values and aliases, Int formatting, or
// the order and repetition of terms have the same canonical form, so it can
// bind a page token to a filter. It does not reason about logic: level > 1
// and level >= 2 differ. The canonical form parses back to an equal Filter.
// Nil and empty filters give "".
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	var b strings.Builder
	for i := range f.terms {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(f.terms[i].text)
	}
	return b.String()
}

// render sets t.text.
func (t *term) render() {
	v := t.value()
	if t.kind == String || t.kind == Enum {
		v = quote(v)
	}
	t.text = t.field + " " + t.op + " " + v
}

// quote returns s in double quotes, escaping what the parser requires.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// fold maps s to a representative of its case-folding class: fold(a) ==
// fold(b) exactly when strings.EqualFold(a, b). Each rune becomes the least
// lower-case member of its simple folding orbit (or the least member, when no
// member is lower case), so ASCII text comes out in lower case.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	if r < 0x80 {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	best, bestLower := r, unicode.IsLower(r)
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		lower := unicode.IsLower(f)
		if lower && !bestLower || lower == bestLower && f < best {
			best, bestLower = f, lower
		}
	}
	return best
}
