package rating

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const rulesDoc = "../../../../docs/rating-rules.md"

// documentedRules returns the rule ids of the rule tables of
// docs/rating-rules.md, in order.
func documentedRules(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(rulesDoc)
	if err != nil {
		t.Fatalf("read the rules: %v", err)
	}
	row := regexp.MustCompile(`^\| ([A-Z]+-\d+) \|`)
	var ids []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			ids = append(ids, m[1])
		}
	}
	return ids
}

func TestRulesAreDocumented(t *testing.T) {
	doc, code := documentedRules(t), RuleIDs()
	if !slices.Equal(doc, code) {
		t.Fatalf("docs/rating-rules.md lists\n%v\nRuleIDs returns\n%v", doc, code)
	}
	seen := map[string]bool{}
	for _, id := range code {
		if seen[id] {
			t.Fatalf("rule %s is listed twice", id)
		}
		seen[id] = true
	}
}

// TestEveryRuleHasATestCase checks that for every rule some test case name
// starts with its id ("AGG-7 team decided LM").
func TestEveryRuleHasATestCase(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	caseName := regexp.MustCompile(`"([A-Z]+-\d+) [^"]+"`)
	named := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range caseName.FindAllStringSubmatch(string(b), -1) {
			named[m[1]] = true
		}
	}
	for _, id := range RuleIDs() {
		if !named[id] {
			t.Errorf("rule %s has no test case named after it", id)
		}
	}
	for id := range named {
		if !slices.Contains(RuleIDs(), id) {
			t.Errorf("a test case names %s, which is no rule", id)
		}
	}
}

func TestRuleOutcomesUseKnownIDs(t *testing.T) {
	r := mustRate(t, workedExample())
	known := RuleIDs()
	check := func(what, id string) {
		if !slices.Contains(known, id) {
			t.Errorf("%s carries rule %q, which is not documented", what, id)
		}
	}
	for _, o := range r.Org {
		check(o.Practice, o.Rule)
	}
	for _, a := range r.Areas {
		check(a.Area, a.Capability.Rule)
		for _, l := range a.Levels {
			check(a.Area, l.Rule)
			check(a.Area, l.GroupRule)
		}
	}
	check("maturity", r.MaturityRule)
	for _, d := range r.OpenDecisions {
		check(d.Key, d.Rule)
	}
}
