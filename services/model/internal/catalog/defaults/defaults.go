// Package defaults embeds the catalog's default content: a sample model
// bundle shaped like CMMI AIM (its identifiers and names from public facts,
// every description written for this platform), installed as shared,
// published content into an empty store.
package defaults

import _ "embed"

//go:embed cmmi-aim-sample.yaml
var sampleBundle []byte

// SampleBundle returns the sample bundle's YAML text.
func SampleBundle() []byte { return append([]byte(nil), sampleBundle...) }
