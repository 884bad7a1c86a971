package filter

import (
	"maps"
	"testing"
)

// fuzzRecords are matched by every filter the fuzzer parses, to check that
// the canonical form means the same as the original.
var fuzzRecords = []Values{
	{},
	{
		"domain": []string{"data", "ops"}, "practice_area": []string{"RSK"},
		"title": []string{"X"}, "level": []int64{-1, 2, 7}, "active": []bool{false},
		"owner": []string{"bob"}, "priority": []int64{3}, "scenario": []string{"chat", "straße"},
	},
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		`domain = "data" AND level >= 2`,
		`( level >= 2 ) AND domain = 'DATA'`,
		`title = 'a\'b\"c\\d' AND active = true`,
		`practice_area = risk AND priority >= -3`,
		`((owner = bob) AND (scenario != "ſ"))`,
		`level = 1 OR level = 2`,
		`NOT active = true`,
		`title = "unterminated`,
		"title = \"\xff\"",
		`level = 99999999999999999999`,
		`(level = 1`,
		`level = 1 AND`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		f1, err := Parse(expr, testSchema)
		if err != nil {
			checkInvalid(t, err)
			return
		}
		s1 := f1.String()
		f2, err := Parse(s1, testSchema)
		if err != nil {
			t.Fatalf("Parse(%q) gave %q, which does not parse: %v", expr, s1, err)
		}
		if s2 := f2.String(); s2 != s1 {
			t.Fatalf("Parse(%q) gave %q, which parses to %q", expr, s1, s2)
		}
		if e1, e2 := f1.Equalities(), f2.Equalities(); !maps.Equal(e1, e2) {
			t.Fatalf("Equalities of %q = %v, of its canonical form %v", expr, e1, e2)
		}
		for _, rec := range fuzzRecords {
			if f1.Match(rec) != f2.Match(rec) {
				t.Fatalf("%q and its canonical form %q disagree on %v", expr, s1, rec)
			}
		}
	})
}
