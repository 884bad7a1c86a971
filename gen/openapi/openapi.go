// Package openapi embeds the merged OpenAPI v2 document of the AIM Platform
// REST API. protoc-gen-openapiv2 writes aim.swagger.json from the protos
// (`make generate`); the gateway serves it at /openapi.json, mended as
// described at mend.
package openapi

import (
	_ "embed"
	"encoding/json"
	"strings"
	"sync"
)

//go:embed aim.swagger.json
var generated []byte

// pathParamNames renames path parameters that protoc-gen-openapiv2 names by
// cutting the final "s" off the collection ID before them (its
// expand_slashed_path_patterns option has no way to say the singular).
var pathParamNames = map[string]string{
	"categorie": "category", // categories/{categorie}
}

// document is mended on first use (about 8 ms), not when the package loads:
// only the gateway serves it.
var document = sync.OnceValue(func() []byte { return mend(generated) })

// mend fixes two things the generator writes, in the paths of the document:
// the singulars of pathParamNames, and path parameters of singleton
// resources ({name=settings} becomes the literal path /v1/settings, but the
// generator keeps a required "name" path parameter that no client could
// fill). The result is re-encoded with sorted keys. A document that does
// not decode is served as generated (TestPathParameters fails on it).
func mend(doc []byte) []byte {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return doc
	}
	paths, _ := d["paths"].(map[string]any)
	mended := make(map[string]any, len(paths))
	for path, item := range paths {
		for from, to := range pathParamNames {
			path = strings.ReplaceAll(path, "{"+from+"}", "{"+to+"}")
		}
		if ops, ok := item.(map[string]any); ok {
			for _, op := range ops {
				if o, ok := op.(map[string]any); ok {
					o["parameters"] = mendParameters(path, o["parameters"])
				}
			}
		}
		mended[path] = item
	}
	d["paths"] = mended
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return doc
	}
	return out
}

// mendParameters renames and drops the path parameters of one operation of
// path.
func mendParameters(path string, params any) any {
	list, ok := params.([]any)
	if !ok {
		return params
	}
	kept := make([]any, 0, len(list))
	for _, p := range list {
		m, ok := p.(map[string]any)
		if ok && m["in"] == "path" {
			name, _ := m["name"].(string)
			if to, ok := pathParamNames[name]; ok {
				name = to
				m["name"] = to
			}
			if !strings.Contains(path, "{"+name+"}") {
				continue
			}
		}
		kept = append(kept, p)
	}
	return kept
}

// Document returns a copy of the OpenAPI document as JSON.
func Document() []byte {
	return append([]byte(nil), document()...)
}
