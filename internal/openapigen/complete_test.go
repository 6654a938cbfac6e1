package openapigen

import (
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sportello/sportello/domain"
)

// docWith returns a document whose one component schema has the property p.
func docWith(p *openapi3.Schema) *openapi3.T {
	return &openapi3.T{
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{
			"api.Thing": {Value: &openapi3.Schema{Properties: openapi3.Schemas{"p": {Value: p}}}},
		}},
	}
}

func TestNullableRefsRewritesSwagsForm(t *testing.T) {
	doc := docWith(&openapi3.Schema{Nullable: true, AllOf: openapi3.SchemaRefs{{Ref: "#/components/schemas/api.Other"}}})
	if err := nullableRefs(doc); err != nil {
		t.Fatal(err)
	}
	p := doc.Components.Schemas["api.Thing"].Value.Properties["p"].Value
	if p.Nullable || p.AllOf != nil || len(p.AnyOf) != 2 || p.AnyOf[0].Ref != "#/components/schemas/api.Other" ||
		!p.AnyOf[1].Value.Nullable || !p.AnyOf[1].Value.Type.Is("object") || len(p.AnyOf[1].Value.Enum) != 1 {
		t.Errorf("rewritten as %+v", p)
	}
	if err := p.AnyOf[1].Value.VisitJSON(nil); err != nil {
		t.Errorf("the null alternative refuses null: %v", err)
	}
	if err := p.AnyOf[1].Value.VisitJSON(map[string]any{}); err == nil {
		t.Errorf("the null alternative admits an object")
	}
}

func TestNullableRefsRefusesOtherForms(t *testing.T) {
	doc := docWith(&openapi3.Schema{Nullable: true, OneOf: openapi3.SchemaRefs{{Ref: "#/components/schemas/api.Other"}}})
	if err := nullableRefs(doc); err == nil || !strings.Contains(err.Error(), "api.Thing.p") {
		t.Errorf("a nullable without a type in another form: %v", err)
	}
}

func TestAnyJSONAdmitsEveryValue(t *testing.T) {
	s := anyJSON("any JSON value").Value
	for _, v := range []any{nil, "x", 1.5, true, []any{1.0, "a"}, map[string]any{"a": nil}} {
		if err := s.VisitJSON(v); err != nil {
			t.Errorf("%v: %v", v, err)
		}
	}
}

func TestEveryProblemCodeNeedsAnExample(t *testing.T) {
	saved := problemExamples[domain.ECGone]
	delete(problemExamples, domain.ECGone)
	defer func() { problemExamples[domain.ECGone] = saved }()
	err := problemComponents(&openapi3.T{Components: &openapi3.Components{}})
	if err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("a code without an example: %v", err)
	}
}
