package openapigen

import (
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// nullableRefs rewrites every optional reference: swag marks a nullable field that refers to
// another schema with `nullable: true` beside an `allOf` of the reference, but OAS 3.0.3 lets
// `nullable` add null only to a `type` in the same schema, so strict validators refuse the
// null the server sends. The field becomes "the referenced schema, or null": an anyOf of the
// reference and a schema that admits only null. Any other `nullable` without a `type` is an
// error, so that a new form is noticed here instead of by the portals.
func nullableRefs(doc *openapi3.T) error {
	var err error
	eachSchema(doc, func(where string, s *openapi3.Schema) {
		if !s.Nullable || s.Type != nil || err != nil {
			return
		}
		if len(s.AllOf) != 1 || s.AllOf[0].Ref == "" || s.AnyOf != nil || s.OneOf != nil {
			err = fmt.Errorf("%s: nullable without a type, in a form openapigen does not rewrite", where)
			return
		}
		s.AnyOf = openapi3.SchemaRefs{s.AllOf[0], onlyNull()}
		s.AllOf, s.Nullable = nil, false
	})
	return err
}

// onlyNull is the OAS 3.0.3 schema whose only value is null.
func onlyNull() *openapi3.SchemaRef {
	return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"object"}, Nullable: true, Enum: []any{nil}}}
}

// anyJSON is a schema that admits any JSON value, null included, in terms OAS 3.0.3 validators
// agree on: an empty schema would refuse null to some, and `nullable` needs a `type`.
func anyJSON(description string) *openapi3.SchemaRef {
	types := []string{"string", "number", "boolean", "array", "object"}
	s := &openapi3.Schema{Description: description}
	for _, t := range types {
		alt := &openapi3.Schema{Type: &openapi3.Types{t}}
		switch t {
		case "array":
			alt.Items = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
		case "object":
			alt.Nullable = true
		}
		s.AnyOf = append(s.AnyOf, &openapi3.SchemaRef{Value: alt})
	}
	return &openapi3.SchemaRef{Value: s}
}

// eachSchema calls f on every schema written out in doc (not on references to them): the
// components and the schemas inline in parameters, bodies and responses, with their nested
// schemas. where names the schema for errors.
func eachSchema(doc *openapi3.T, f func(where string, s *openapi3.Schema)) {
	var walk func(where string, ref *openapi3.SchemaRef)
	walk = func(where string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Ref != "" || ref.Value == nil {
			return
		}
		s := ref.Value
		f(where, s)
		for name, p := range s.Properties {
			walk(where+"."+name, p)
		}
		walk(where+"[]", s.Items)
		walk(where+"{}", s.AdditionalProperties.Schema)
		walk(where+"!", s.Not)
		for _, xs := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, x := range xs {
				walk(where+"|", x)
			}
		}
	}
	for name, s := range doc.Components.Schemas {
		walk(name, s)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			for _, p := range op.Parameters {
				if p.Value != nil {
					walk(where+" "+p.Value.Name, p.Value.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for mt, c := range op.RequestBody.Value.Content {
					walk(where+" "+mt, c.Schema)
				}
			}
			for status, r := range op.Responses.Map() {
				if r.Value != nil {
					for mt, c := range r.Value.Content {
						walk(where+" "+status+" "+mt, c.Schema)
					}
				}
			}
		}
	}
}
