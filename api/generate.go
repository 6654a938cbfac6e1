package api

// Regenerate docs/ (swag's Swagger 2.0 output) and openapi.yaml (the OpenAPI 3 contract) from
// the annotations on the handlers. TestOpenAPIUpToDate fails when they are stale.
//go:generate go run ../internal/openapigen/cmd -root ..
