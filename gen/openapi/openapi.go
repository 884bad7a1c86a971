// Package openapi embeds the merged OpenAPI v2 document of the AIM Platform
// REST API. protoc-gen-openapiv2 writes aim.swagger.json from the protos
// (`make generate`); the gateway serves it at /openapi.json.
package openapi

import _ "embed"

//go:embed aim.swagger.json
var document []byte

// Document returns a copy of the OpenAPI document as JSON.
func Document() []byte {
	return append([]byte(nil), document...)
}
