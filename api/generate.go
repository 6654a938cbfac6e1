package api

// Regenerate openapi.yaml (the OpenAPI 3 contract) from the annotations on the handlers, then
// the Go client generated from the contract (internal/apiclient). TestOpenAPIUpToDate fails when
// openapi.yaml is stale, CI when either is.
//go:generate go run ../internal/openapigen/cmd -root ..
//go:generate go tool oapi-codegen -config ../internal/apiclient/oapi-codegen.yaml -o ../internal/apiclient/client.gen.go ../openapi.yaml
