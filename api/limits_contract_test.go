package api_test

import (
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The limits openapi.yaml declares on what clients send: on the properties of request bodies
// (reached from each operation's body, through references, arrays and allOf/oneOf) and on
// parameters. A property is named `api.Schema.property` (`[]` for its items), a parameter
// `METHOD path in name` (`GET /v1/registrations query limit`).

// declaredLimits returns every limit-bearing schema of a request, by name.
func declaredLimits(doc *openapi3.T) map[string]*openapi3.Schema {
	limits := map[string]*openapi3.Schema{}
	seen := map[string]bool{}
	var visit func(name string, ref *openapi3.SchemaRef)
	visit = func(name string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil {
			return
		}
		if ref.Ref != "" {
			name = strings.TrimPrefix(ref.Ref, "#/components/schemas/")
			if seen[name] {
				return
			}
			seen[name] = true
		} else if limited(ref.Value) {
			limits[name] = ref.Value
		}
		s := ref.Value
		for _, sub := range slices.Concat(s.AllOf, s.OneOf, s.AnyOf) {
			visit(name, sub)
		}
		if s.Items != nil {
			visit(name+"[]", s.Items)
		}
		for prop, p := range s.Properties {
			visit(name+"."+prop, p)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					visit(method+" "+path, mt.Schema)
				}
			}
			for _, p := range op.Parameters {
				if p.Value == nil || p.Value.Schema == nil || !limited(p.Value.Schema.Value) {
					continue
				}
				limits[method+" "+path+" "+p.Value.In+" "+p.Value.Name] = p.Value.Schema.Value
			}
		}
	}
	return limits
}

// limited reports whether s declares a limit this test checks against the server.
func limited(s *openapi3.Schema) bool {
	return s != nil && (s.MaxLength != nil || s.MinLength > 0 || s.Pattern != "" || len(s.Enum) > 0 ||
		s.Min != nil || s.Max != nil || s.MaxItems != nil || s.MinItems > 0)
}
