package api

// Regenerate openapi.yaml (the OpenAPI 3 contract) from the annotations on the handlers.
// TestOpenAPIUpToDate fails when it is stale.
//go:generate go run ../internal/openapigen/cmd -root ..
