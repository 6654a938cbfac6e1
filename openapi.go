// Package sportello is the repository root: it ships the OpenAPI contract, generated from the
// handlers' annotations (see api/generate.go), so that the binary serves exactly the file that
// CI checks for staleness.
package sportello

import _ "embed"

// OpenAPI is openapi.yaml, the OpenAPI 3 contract of the HTTP API.
//
//go:embed openapi.yaml
var OpenAPI []byte
