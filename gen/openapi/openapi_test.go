package openapi

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestPathParameters checks the served document: every {placeholder} of a
// path is a path parameter of each of its operations and the other way
// round, and no placeholder is a collection ID with its "s" cut off.
func TestPathParameters(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In string }
		}
	}
	if err := json.Unmarshal(Document(), &doc); err != nil {
		t.Fatal(err)
	}
	placeholder := regexp.MustCompile(`\{([^}]+)\}`)
	for path, ops := range doc.Paths {
		var want []string
		for _, m := range placeholder.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		segs := strings.Split(path, "/")
		for i, s := range segs {
			if i > 0 && strings.HasPrefix(s, "{") && strings.HasSuffix(segs[i-1], "ies") && strings.HasSuffix(s, "ie}") {
				t.Errorf("%s: placeholder %s is %s with its s cut off", path, s, segs[i-1])
			}
		}
		for method, op := range ops {
			var got []string
			for _, p := range op.Parameters {
				if p.In == "path" {
					got = append(got, p.Name)
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s %s: path parameters %v, placeholders %v", method, path, got, want)
			}
		}
	}
	if len(doc.Paths) == 0 {
		t.Fatal("the document has no paths")
	}
}
