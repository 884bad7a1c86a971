package filter

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aim-platform/aim/platform/errs"
)

// Parse parses expr against schema. An empty or all-whitespace expr gives a
// Filter that matches everything.
//
// A bad filter is an *errs.Error of kind errs.Invalid with one violation on
// field "filter" that says what is wrong and at which byte offset, such as
//
//	unknown field "domian" at offset 0; known fields: domain, level
//	level wants an integer, got "high" at offset 8
//	operator < does not apply to domain (offset 7)
//
// A field of the schema with no valid Kind is a programming error and gives
// an errs.Internal error.
func Parse(expr string, schema Schema) (*Filter, error) {
	if len(expr) > MaxLength {
		return nil, invalid("filter is %d bytes long; the limit is %d", len(expr), MaxLength)
	}
	if !utf8.ValidString(expr) {
		at := 0
		for at < len(expr) {
			r, n := utf8.DecodeRuneInString(expr[at:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			at += n
		}
		return nil, invalid("filter is not valid UTF-8 at offset %d", at)
	}
	p := &parser{src: expr, schema: schema}
	if err := p.parse(); err != nil {
		return nil, err
	}
	f := newFilter(p.terms)
	if n := len(f.String()); n > MaxLength {
		return nil, invalid("filter is %d bytes long once normalized; the limit is %d", n, MaxLength)
	}
	return f, nil
}

func invalid(format string, args ...any) error {
	return errs.InvalidArgument(errs.Violation("filter", format, args...))
}

// parser is a recursive-descent parser over the bytes of one filter. It
// scans tokens as it goes, since what a token may be depends on where it is:
// a field name is followed by an operator and then a value.
type parser struct {
	src    string
	pos    int
	schema Schema
	terms  []term
}

// parse reads the whole input.
func (p *parser) parse() error {
	p.skipSpace()
	if p.eof() {
		return nil
	}
	if err := p.sequence(); err != nil {
		return err
	}
	if !p.eof() { // sequence stops early only at ")"
		return invalid("unbalanced parentheses: ) at offset %d has no matching (", p.pos)
	}
	return nil
}

// sequence reads term { AND term } and stops at ")" or the end.
func (p *parser) sequence() error {
	for {
		if err := p.term(); err != nil {
			return err
		}
		p.skipSpace()
		if p.eof() || p.src[p.pos] == ')' {
			return nil
		}
		at := p.pos
		w := p.word()
		switch {
		case w == "AND":
			p.skipSpace()
			if p.eof() || p.src[p.pos] == ')' {
				return invalid("AND at offset %d has no term after it", at)
			}
		case strings.EqualFold(w, "OR"):
			return invalid("OR is not supported (offset %d); terms can only be joined with AND", at)
		case strings.EqualFold(w, "NOT"):
			return invalid("NOT is not supported (offset %d)", at)
		case w == "and":
			return invalid("%q at offset %d must be written AND, in upper case", w, at)
		case w == "":
			return invalid("unexpected %s at offset %d; want AND or the end of the filter", p.describe(at), at)
		default:
			return invalid("unexpected %q at offset %d; terms must be joined with AND", w, at)
		}
	}
}

// term reads one comparison or a parenthesised group.
func (p *parser) term() error {
	p.skipSpace()
	at := p.pos
	if p.eof() {
		return invalid("want a term at offset %d, got the end of the filter", at)
	}
	switch p.src[at] {
	case '(':
		p.pos++
		p.skipSpace()
		if !p.eof() && p.src[p.pos] == ')' {
			return invalid("empty parentheses at offset %d", at)
		}
		if err := p.sequence(); err != nil {
			return err
		}
		if p.eof() {
			return invalid("unbalanced parentheses: ( at offset %d is not closed", at)
		}
		p.pos++ // ")"
		return nil
	case '-':
		return invalid("NOT is not supported (the - at offset %d negates)", at)
	}

	name := p.word()
	switch name {
	case "":
		return invalid("unexpected %s at offset %d; want a field name or (", p.describe(at), at)
	case "NOT":
		return invalid("NOT is not supported (offset %d)", at)
	case "AND", "OR":
		return invalid("want a term at offset %d, got %s", at, name)
	}
	if len(p.terms) == MaxTerms {
		return invalid("filter has more than %d terms (offset %d)", MaxTerms, at)
	}
	field, ok := p.schema[name]
	if !ok {
		return invalid("unknown field %q at offset %d; known fields: %s", name, at, strings.Join(p.fieldNames(), ", "))
	}
	if field.Kind < String || field.Kind > Enum {
		return errs.New(errs.Internal, "INTERNAL", "filter: field %q has invalid kind %v", name, field.Kind)
	}

	p.skipSpace()
	opAt := p.pos
	op := p.op()
	switch {
	case op == "" && !p.eof() && p.src[opAt] == ':':
		return invalid("operator : is not supported (offset %d); use =", opAt)
	case op == "":
		return invalid("want an operator after %s at offset %d, got %s", name, opAt, p.describe(opAt))
	case !field.allows(op):
		return invalid("operator %s does not apply to %s (offset %d)", op, name, opAt)
	}

	p.skipSpace()
	valAt := p.pos
	raw, err := p.value(name)
	if err != nil {
		return err
	}
	t := term{field: name, kind: field.Kind, op: op}
	switch field.Kind {
	case String:
		t.str = fold(raw)
	case Enum:
		v, ok := field.canonical(raw)
		if !ok {
			return invalid("%s wants one of %s, got %q at offset %d", name, strings.Join(field.Values, ", "), raw, valAt)
		}
		t.str = v
	case Int:
		n, err := strconv.ParseInt(raw, 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return invalid("%s value %s at offset %d does not fit in 64 bits", name, raw, valAt)
		}
		if err != nil {
			return invalid("%s wants an integer, got %q at offset %d", name, raw, valAt)
		}
		t.num = n
	case Bool:
		switch {
		case strings.EqualFold(raw, "true"):
			t.flag = true
		case strings.EqualFold(raw, "false"):
		default:
			return invalid("%s wants true or false, got %q at offset %d", name, raw, valAt)
		}
	}
	t.render()
	p.terms = append(p.terms, t)
	return nil
}

// value reads a quoted or bare value and returns its text.
func (p *parser) value(field string) (string, error) {
	at := p.pos
	if p.eof() {
		return "", invalid("want a value for %s at offset %d, got the end of the filter", field, at)
	}
	if q := p.src[at]; q == '"' || q == '\'' {
		return p.quoted()
	}
	v := p.bare()
	switch v {
	case "":
		return "", invalid("want a value for %s at offset %d, got %s", field, at, p.describe(at))
	case "AND", "OR", "NOT":
		return "", invalid("want a value for %s at offset %d, got %s; quote it to mean the word", field, at, v)
	}
	return v, nil
}

// quoted reads a quoted string, undoing its escapes.
func (p *parser) quoted() (string, error) {
	at := p.pos
	q := p.src[at]
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.src[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.src):
			e := p.src[p.pos+1]
			if e != '"' && e != '\'' && e != '\\' {
				r, _ := utf8.DecodeRuneInString(p.src[p.pos+1:])
				return "", invalid(`unknown escape \%c at offset %d; only \", \' and \\ are allowed`, r, p.pos)
			}
			b.WriteByte(e)
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", invalid("unterminated string starting at offset %d", at)
}

// op reads a comparison operator, or returns "" without moving.
func (p *parser) op() string {
	for _, op := range [...]string{"<=", ">=", "!=", "=", "<", ">"} {
		if strings.HasPrefix(p.src[p.pos:], op) {
			p.pos += len(op)
			return op
		}
	}
	return ""
}

// word reads a run of letters, digits, underscores and dots: a field name or
// a keyword. Dots are included so that a dotted path is reported whole as an
// unknown field.
func (p *parser) word() string {
	return p.run(func(c byte) bool { return isAlnum(c) || c == '_' || c == '.' })
}

// bare reads an unquoted value.
func (p *parser) bare() string {
	return p.run(func(c byte) bool { return isAlnum(c) || strings.IndexByte("_.:-+", c) >= 0 })
}

func (p *parser) run(ok func(byte) bool) string {
	start := p.pos
	for !p.eof() && ok(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func (p *parser) skipSpace() {
	for !p.eof() && strings.IndexByte(" \t\r\n", p.src[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

// describe names what sits at offset at, for error messages.
func (p *parser) describe(at int) string {
	if at >= len(p.src) {
		return "the end of the filter"
	}
	r, _ := utf8.DecodeRuneInString(p.src[at:])
	return fmt.Sprintf("%q", r)
}

func (p *parser) fieldNames() []string {
	names := make([]string, 0, len(p.schema))
	for name := range p.schema {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// allows reports whether op applies to the field.
func (f *Field) allows(op string) bool {
	if f.Kind != Int && op != "=" && op != "!=" {
		return false
	}
	return f.Ops == nil || slices.Contains(f.Ops, op)
}

// canonical maps an Enum value, in any case, to its canonical spelling.
func (f *Field) canonical(v string) (string, bool) {
	for _, c := range f.Values {
		if strings.EqualFold(c, v) {
			return c, true
		}
	}
	// Sorted, so that a schema with aliases differing only in case still
	// gives the same answer every time.
	for _, alias := range slices.Sorted(maps.Keys(f.Aliases)) {
		if !strings.EqualFold(alias, v) {
			continue
		}
		c := f.Aliases[alias]
		for _, canon := range f.Values {
			if strings.EqualFold(canon, c) {
				return canon, true
			}
		}
		return c, true
	}
	return "", false
}
