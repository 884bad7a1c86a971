// Package samples embeds the crosswalk installed into an empty store: the
// CMMI-to-ISO/IEC 42001 excerpt of the seed's Crosswalk Quick Start Guide,
// kept exactly as a user's copy-paste of the published table looks (two
// header rows, shifted continuation rows), so the default also exercises the
// table parser. It is sample content: a handful of rows, not a crosswalk
// to appraise against.
package samples

import (
	_ "embed"
	"strings"
)

//go:embed cmmi-aim-iso-42001-excerpt.tsv
var excerpt string

// CrosswalkID is the id of the sample crosswalk.
const CrosswalkID = "cmmi-aim-iso-42001-sample"

// Excerpt returns the table text.
func Excerpt() string { return excerpt }

// practiceAreaAliases maps the seed's practice area spellings to the
// catalog's acronyms (reference facts: the seed writes RISK for RSK).
var practiceAreaAliases = map[string]string{"RISK": "RSK"}

// PracticeID turns a label as the seed writes it ("RISK 3.1") into the
// catalog's practice id ("RSK-3.1").
func PracticeID(label string) string {
	area, rest, ok := strings.Cut(strings.TrimSpace(label), " ")
	if !ok {
		area, rest, _ = strings.Cut(label, "-")
	}
	if canonical, ok := practiceAreaAliases[strings.ToUpper(area)]; ok {
		area = canonical
	}
	return strings.ToUpper(area) + "-" + strings.TrimSpace(rest)
}
