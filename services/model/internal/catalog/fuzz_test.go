package catalog

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	modelv1 "github.com/aim-platform/aim/gen/aim/model/v1"
)

// FuzzParseBundleText feeds arbitrary text to the parser. It must never
// panic, and whatever it accepts must be safe for every other rule of the
// package, and survive a JSON round trip.
func FuzzParseBundleText(f *testing.F) {
	f.Add([]byte(smallJSON))
	f.Add([]byte(smallYAML))
	for _, b := range []*modelv1.ModelBundle{testBundle(), {}} {
		j, _ := MarshalBundleJSON(b)
		y, _ := MarshalBundleYAML(b)
		f.Add(j)
		f.Add(y)
	}
	for _, s := range []string{
		`{}`, `{"practices":[{"id":"RSK-1.1","aiContext":[{"usageScenarios":["human-augmented AI",2]}]}]}`,
		`{"views":[{"maturityLevels":[{"maturityLevel":9,"requirements":[{"practiceArea":"x","level":-1}]}]}]}`,
		"practices:\n- ai_context:\n  - applicability: [acquiring or integrating, build]\n",
		"a: &a [x]\nb: [*a, *a]\n", "- [[[]]]\n", "{\"model\": \"\\u0000\"}", "x: |\n  [[[\n",
		"version: 3.0\n", `{"practices": {"id": 1}}`, "\uFEFF{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundleText(data)
		if err != nil {
			if b != nil {
				t.Fatal("a bundle and an error")
			}
			return
		}
		_ = ValidateBundle(b)
		_ = Canonicalize(b)
		_ = Digest(b)
		_ = Counts(b)
		_ = Diff(b, testBundle())
		for _, bv := range b.GetViews() {
			v := viewOf(bv)
			_ = ValidateView(b, v)
			_ = CanonicalView(b, v)
			for _, level := range []int{0, 2, 3, 5} {
				_, _, _ = ResolveView(b, v, level)
			}
		}
		_, _ = ExportOSCALCatalog(b, OSCALMeta{LastModified: time.Unix(0, 0)})
		j, err := MarshalBundleJSON(b)
		if err != nil {
			return // invalid UTF-8 cannot come out of the parser, but be safe
		}
		back, err := ParseBundleText(j)
		if err != nil {
			t.Fatalf("re-parsing the JSON of an accepted bundle: %v\n%s", err, j)
		}
		if !proto.Equal(back, b) {
			t.Fatalf("JSON round trip differs\n%s", j)
		}
	})
}
