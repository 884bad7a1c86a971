package filter

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/aim-platform/aim/platform/errs"
)

// testSchema is the schema of the tests and the fuzzer.
var testSchema = Schema{
	"domain": {Kind: Enum, Values: []string{"data", "model", "ops"},
		Aliases: map[string]string{"dat": "data", "MLOps": "ops"}},
	"practice_area": {Kind: Enum, Values: []string{"RSK", "GOV"},
		Aliases: map[string]string{"risk": "rsk", "governance": "GOV"}},
	"title":    {Kind: String},
	"level":    {Kind: Int},
	"active":   {Kind: Bool},
	"owner":    {Kind: String, Ops: []string{"="}},
	"priority": {Kind: Int, Ops: []string{"=", ">="}},
	"scenario": {Kind: String},
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, expr, want string
	}{
		{"empty", "", ""},
		{"whitespace", " \t\r\n ", ""},
		{"single", `domain = "data"`, `domain = "data"`},
		{"no spaces", `domain="data"`, `domain = "data"`},
		{"bare word", `domain=data`, `domain = "data"`},
		{"single quotes", `domain='data'`, `domain = "data"`},
		{"enum case", `domain = DATA`, `domain = "data"`},
		{"enum alias", `domain = mlops`, `domain = "ops"`},
		{"alias to other case", `practice_area = RISK`, `practice_area = "RSK"`},
		{"enum !=", `domain != model`, `domain != "model"`},
		{"string folded", `title = "Hello World"`, `title = "hello world"`},
		{"string unicode fold", `title = "ſtraße K"`, `title = "straße k"`},
		{"string escapes", `title = "a\"b\'c\\d"`, `title = "a\"b'c\\d"`},
		{"single quote escapes", `title = 'it\'s "x"'`, `title = "it's \"x\""`},
		{"string empty", `title = ""`, `title = ""`},
		{"string bare punctuation", `title = a.b:c-d_e`, `title = "a.b:c-d_e"`},
		{"string keyword quoted", `title = "AND"`, `title = "and"`},
		{"string from digits", `title = 007`, `title = "007"`},
		{"int =", `level = 3`, `level = 3`},
		{"int !=", `level != 3`, `level != 3`},
		{"int <", `level < 3`, `level < 3`},
		{"int <=", `level <= 3`, `level <= 3`},
		{"int >", `level > 3`, `level > 3`},
		{"int >=", `level >= 3`, `level >= 3`},
		{"int sign", `level >= -3`, `level >= -3`},
		{"int plus", `level = +3`, `level = 3`},
		{"int leading zeros", `level = 007`, `level = 7`},
		{"int quoted", `level = "12"`, `level = 12`},
		{"int min", `level > -9223372036854775808`, `level > -9223372036854775808`},
		{"bool", `active = TRUE`, `active = true`},
		{"bool false", `active != False`, `active != false`},
		{"restricted ops", `owner = bob AND priority >= 2`, `owner = "bob" AND priority >= 2`},
		{"and chain", `level >= 2 AND level < 5 AND domain = data`, `domain = "data" AND level < 5 AND level >= 2`},
		{"parens", `(level >= 2)`, `level >= 2`},
		{"nested parens", `((level >= 2 AND (domain = data)) AND active = true)`, `active = true AND domain = "data" AND level >= 2`},
		{"and before paren", `level=2 AND(domain=data)`, `domain = "data" AND level = 2`},
		{"quote before and", `title="x"AND level=1`, `level = 1 AND title = "x"`},
		{"newlines", "level\n>=\n2\nAND\ndomain\t=\tdata", `domain = "data" AND level >= 2`},
		{"duplicates", `level = 2 AND level = 2 AND level = 02`, `level = 2`},
		{"max terms", strings.Repeat("level = 1 AND ", MaxTerms-1) + "level = 2", `level = 1 AND level = 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.expr, testSchema)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.expr, err)
			}
			if got := f.String(); got != tt.want {
				t.Fatalf("Parse(%q).String() = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, expr, want string // want is a substring of the description
	}{
		{"unknown field", `domian = data`, `unknown field "domian" at offset 0; known fields: active, domain, level, owner, practice_area, priority, scenario, title`},
		{"unknown later field", `level = 1 AND Level = 2`, `unknown field "Level" at offset 14`},
		{"dotted field", `a.b = 1`, `unknown field "a.b"`},
		{"bad op for string", `domain < data`, `operator < does not apply to domain (offset 7)`},
		{"bad op for bool", `active >= true`, `operator >= does not apply to active`},
		{"op outside Ops", `owner != bob`, `operator != does not apply to owner`},
		{"op outside Ops int", `priority < 3`, `operator < does not apply to priority`},
		{"has op", `title:foo`, `operator : is not supported (offset 5)`},
		{"no op", `level 3`, `want an operator after level at offset 6, got '3'`},
		{"no op at end", `level`, `want an operator after level at offset 5, got the end of the filter`},
		{"not int", `level = high`, `level wants an integer, got "high" at offset 8`},
		{"not int float", `level = 1.5`, `level wants an integer, got "1.5"`},
		{"int overflow", `level = 9223372036854775808`, `level value 9223372036854775808 at offset 8 does not fit in 64 bits`},
		{"int underflow", `level = -9223372036854775809`, `does not fit in 64 bits`},
		{"not bool", `active = yes`, `active wants true or false, got "yes"`},
		{"not enum", `domain = infra`, `domain wants one of data, model, ops, got "infra" at offset 9`},
		{"empty enum", `domain = ""`, `domain wants one of`},
		{"no value", `level =`, `want a value for level at offset 7, got the end of the filter`},
		{"value garbage", `level = *`, `want a value for level at offset 8, got '*'`},
		{"keyword value", `title = AND`, `quote it to mean the word`},
		{"unterminated quote", `title = "abc`, `unterminated string starting at offset 8`},
		{"unterminated after escape", `title = 'abc\'`, `unterminated string starting at offset 8`},
		{"trailing backslash", `title = "abc\`, `unterminated string`},
		{"bad escape", `title = "a\nb"`, `unknown escape \n at offset 10`},
		{"dangling AND", `level = 1 AND`, `AND at offset 10 has no term after it`},
		{"dangling AND in parens", `(level = 1 AND )`, `AND at offset 11 has no term after it`},
		{"leading AND", `AND level = 1`, `want a term at offset 0, got AND`},
		{"double AND", `level = 1 AND AND level = 2`, `want a term at offset 14, got AND`},
		{"lower and", `level = 1 and level = 2`, `"and" at offset 10 must be written AND`},
		{"juxtaposed", `level = 1 level = 2`, `unexpected "level" at offset 10; terms must be joined with AND`},
		{"OR", `level = 1 OR level = 2`, `OR is not supported`},
		{"lower or", `level = 1 or level = 2`, `OR is not supported`},
		{"NOT", `NOT level = 1`, `NOT is not supported`},
		{"NOT after AND", `level = 1 AND NOT level = 2`, `NOT is not supported`},
		{"minus", `-level = 1`, `NOT is not supported`},
		{"too long", `title = "` + strings.Repeat("x", MaxLength) + `"`, `filter is 1034 bytes long; the limit is 1024`},
		{"too long normalized", longBare, `filter is 1115 bytes long once normalized; the limit is 1024`},
		{"too many terms", strings.Repeat("level = 1 AND ", MaxTerms) + "level = 2", `filter has more than 32 terms (offset 448)`},
		{"unclosed paren", `(level = 1`, `unbalanced parentheses: ( at offset 0 is not closed`},
		{"extra close paren", `level = 1)`, `unbalanced parentheses: ) at offset 9 has no matching (`},
		{"only close paren", `)`, `want a field name or (`},
		{"empty parens", `level = 1 AND ()`, `empty parentheses at offset 14`},
		{"garbage", `level = 1 ; drop`, `unexpected ';' at offset 10; want AND or the end of the filter`},
		{"garbage start", `*`, `unexpected '*' at offset 0; want a field name or (`},
		{"nul byte", "level = 1\x00", `unexpected '\x00' at offset 9`},
		{"non-ascii outside quotes", `level = 1 AND é = 2`, `unexpected 'é' at offset 14`},
		{"invalid utf8", "title = \"a\xffb\"", `filter is not valid UTF-8 at offset 10`},
		{"paren then term", `(level = 1) (level = 2)`, `unexpected '(' at offset 12`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.expr, testSchema)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error", tt.expr, f)
			}
			desc := checkInvalid(t, err)
			if !strings.Contains(desc, tt.want) {
				t.Fatalf("Parse(%q) error %q, want it to contain %q", tt.expr, desc, tt.want)
			}
		})
	}
}

// longBare fits in MaxLength but its canonical form, which quotes the values
// and spaces the operators, does not.
var longBare = func() string {
	terms := make([]string, MaxTerms)
	for i := range terms {
		terms[i] = fmt.Sprintf("title=%020d", i)
	}
	return strings.Join(terms, " AND ")
}()

// checkInvalid checks that err is what a client should see for a bad filter
// and returns the violation's description.
func checkInvalid(t *testing.T, err error) string {
	t.Helper()
	e, ok := errors.AsType[*errs.Error](err)
	if !ok || e.Kind != errs.Invalid || len(e.Violations) != 1 || e.Violations[0].Field != "filter" {
		t.Fatalf("error %#v is not an Invalid error with one violation on field filter", err)
	}
	return e.Violations[0].Description
}

func TestParseBadSchema(t *testing.T) {
	_, err := Parse("x = 1", Schema{"x": {}})
	if errs.KindOf(err) != errs.Internal {
		t.Fatalf("Parse with a kindless field: %v, want an Internal error", err)
	}
}

func TestCanonical(t *testing.T) {
	same := [][]string{
		{
			`domain="data" AND level>=2`,
			`( level >= 2 ) AND domain = 'DATA'`,
			`level >= +02 AND domain = dat AND (domain = Data)`,
		},
		{
			`title = 'O\'Brien' AND active = true`,
			`active=TRUE AND title="o'brien"`,
			`(active = true) AND (title = "O'BRIEN" AND active = true)`,
		},
		{
			`practice_area = RSK`,
			`practice_area = "risk"`,
			`practice_area='Rsk'`,
		},
		{"", "  ", "\n"},
	}
	for _, group := range same {
		var first string
		for i, expr := range group {
			f, err := Parse(expr, testSchema)
			if err != nil {
				t.Fatalf("Parse(%q): %v", expr, err)
			}
			if i == 0 {
				first = f.String()
			} else if got := f.String(); got != first {
				t.Errorf("Parse(%q).String() = %q, want %q as for %q", expr, got, first, group[0])
			}
		}
	}

	different := []string{
		`level > 1`, `level >= 1`, `level = 1`, `level != 1`,
		`title = "1"`, `title != "1"`, `domain = data`, `domain = model`,
		`level = 1 AND level = 2`,
	}
	seen := map[string]string{}
	for _, expr := range different {
		f, err := Parse(expr, testSchema)
		if err != nil {
			t.Fatalf("Parse(%q): %v", expr, err)
		}
		if prev, ok := seen[f.String()]; ok {
			t.Errorf("%q and %q have the same canonical form %q", prev, expr, f.String())
		}
		seen[f.String()] = expr
	}
}

func TestMatch(t *testing.T) {
	rec := Values{
		"domain":        []string{"data"},
		"practice_area": []string{"RSK"},
		"title":         []string{"Model Risk Review"},
		"scenario":      []string{"chat", "Search", "summarise"},
		"level":         []int64{2, 5},
		"active":        []bool{true},
		// owner has no values.
	}
	tests := []struct {
		expr string
		want bool
	}{
		{"", true},
		{`domain = data`, true},
		{`domain = DATA`, true},
		{`domain = dat`, true},
		{`domain = model`, false},
		{`domain != model`, true},
		{`domain != data`, false},
		{`practice_area = risk`, true},
		{`title = "model risk review"`, true},
		{`title = "model risk"`, false},
		{`title != "MODEL RISK REVIEW"`, false},
		// Several values: = wants any, != wants none.
		{`scenario = chat`, true},
		{`scenario = search`, true},
		{`scenario = SUMMARISE`, true},
		{`scenario = translate`, false},
		{`scenario != chat`, false},
		{`scenario != translate`, true},
		{`scenario = chat AND scenario = search`, true},
		{`scenario = chat AND scenario = translate`, false},
		{`level = 2`, true},
		{`level = 5`, true},
		{`level = 3`, false},
		{`level != 2`, false},
		{`level != 3`, true},
		{`level < 2`, false},
		{`level < 3`, true},
		{`level <= 2`, true},
		{`level > 5`, false},
		{`level > 4`, true},
		{`level >= 5`, true},
		{`level >= 6`, false},
		// Any value may satisfy each term on its own.
		{`level < 3 AND level > 4`, true},
		{`active = true`, true},
		{`active = false`, false},
		{`active != false`, true},
		{`active != true`, false},
		// No values: = never holds, != always does.
		{`owner = bob`, false},
		{`priority = 1`, false},
		{`priority >= -9223372036854775808`, false},
		{`(domain = data AND level >= 5) AND active = true`, true},
		{`domain = data AND level >= 6`, false},
	}
	for _, tt := range tests {
		f, err := Parse(tt.expr, testSchema)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.expr, err)
		}
		if got := f.Match(rec); got != tt.want {
			t.Errorf("Parse(%q).Match = %v, want %v", tt.expr, got, tt.want)
		}
	}

	var none *Filter
	if !none.Match(rec) || none.String() != "" || none.Equalities() != nil {
		t.Error("a nil Filter should match everything and have no form or equalities")
	}
	if !(&Filter{}).Match(Values{}) {
		t.Error("the zero Filter should match everything")
	}
}

func TestEqualities(t *testing.T) {
	tests := []struct {
		expr string
		want map[string]string
	}{
		{"", nil},
		{`level >= 2`, nil},
		{`domain != data`, nil},
		{`practice_area = risk`, map[string]string{"practice_area": "RSK"}},
		{`(practice_area = "GOVERNANCE") AND level > 1`, map[string]string{"practice_area": "GOV"}},
		{`domain = Data AND level = 02 AND active = TRUE AND title = "Hi"`,
			map[string]string{"domain": "data", "level": "2", "active": "true", "title": "hi"}},
		{`scenario = search AND scenario = chat`, map[string]string{"scenario": "chat"}},
		{`domain = ops AND domain != model`, map[string]string{"domain": "ops"}},
	}
	for _, tt := range tests {
		f, err := Parse(tt.expr, testSchema)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.expr, err)
		}
		if got := f.Equalities(); !maps.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("Parse(%q).Equalities() = %v, want %v", tt.expr, got, tt.want)
		}
	}
}

func TestFold(t *testing.T) {
	pairs := [][2]string{
		{"ABC", "abc"}, {"ſ", "s"}, {"\u212a", "k"}, {"ΣΑΣ", "σας"}, {"Straße", "STRAßE"}, {"", ""},
	}
	for _, p := range pairs {
		if !strings.EqualFold(p[0], p[1]) {
			t.Fatalf("bad test pair %q", p)
		}
		if a, b := fold(p[0]), fold(p[1]); a != b || fold(a) != a {
			t.Errorf("fold(%q) = %q, fold(%q) = %q; want equal and stable", p[0], a, p[1], b)
		}
	}
	if got := fold("Hello, World"); got != "hello, world" {
		t.Errorf("fold ASCII = %q", got)
	}
	if fold("a") == fold("b") {
		t.Error("fold merges distinct letters")
	}
}
