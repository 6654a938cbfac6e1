package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/sportello/sportello/internal/apptest"
)

// openapi.yaml is YAML text, a string to the contract: the validator reads application/yaml
// as text, not as the structure the text describes (kin-openapi parses YAML by default).
func init() {
	openapi3filter.RegisterBodyDecoder("application/yaml",
		func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			text, err := io.ReadAll(body)
			return string(text), err
		})
}

// contract loads openapi.yaml or stops the test.
func contract(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := apptest.Contract()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

// TestOpenAPINullableHasType holds the contract to OAS 3.0.3's nullable: it adds null only to
// a type in the same schema, so a nullable without a type (swag's nullable beside an allOf
// reference) admits no null at all for strict validators, while the server sends it.
func TestOpenAPINullableHasType(t *testing.T) {
	doc := contract(t)
	var walk func(where string, ref *openapi3.SchemaRef)
	walk = func(where string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Ref != "" || ref.Value == nil {
			return
		}
		s := ref.Value
		if s.Nullable && s.Type == nil {
			t.Errorf("%s: nullable without a type", where)
		}
		for name, p := range s.Properties {
			walk(where+"."+name, p)
		}
		walk(where+"[]", s.Items)
		for _, xs := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, x := range xs {
				walk(where+"|", x)
			}
		}
	}
	for name, s := range doc.Components.Schemas {
		walk(name, s)
	}
	// The server sends null for a registration never annulled: the schema must say so, and a
	// validator that reads nullable as OAS 3.0.3 does finds null only in a typed alternative.
	annulment := doc.Components.Schemas["api.Registration"].Value.Properties["annulment"].Value
	nullable := slices.ContainsFunc(annulment.AnyOf, func(alt *openapi3.SchemaRef) bool {
		return alt.Value != nil && alt.Value.Nullable && alt.Value.Type != nil
	})
	if !nullable || annulment.Nullable {
		t.Errorf("annulment admits null only through an untyped nullable: %+v", annulment)
	}
}

// TestOpenAPIMultipartBodies checks that each multipart body says what the server reads: a
// metadata part holding JSON of a declared schema and file parts, a repeating one as an array.
func TestOpenAPIMultipartBodies(t *testing.T) {
	doc := contract(t)
	for _, tc := range []struct {
		path, metadata string
		files          map[string]bool // file part → repeats
	}{
		{"/v1/registrations", "api.RegistrationMetadata", map[string]bool{"document": false, "attachment": true}},
		{"/v1/documents", "api.DocumentMetadata", map[string]bool{"document": false}},
		{"/v1/cases", "api.CaseMetadata", map[string]bool{"document": true}},
		{"/v1/cases/{id}/messages", "api.CaseMessageMetadata", map[string]bool{"document": true}},
		{"/v1/cases/{id}/transitions", "api.CaseTransitionRequest", map[string]bool{"document": false}},
	} {
		mt := doc.Paths.Value(tc.path).Post.RequestBody.Value.Content.Get("multipart/form-data")
		if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
			t.Errorf("POST %s: no multipart body", tc.path)
			continue
		}
		props := mt.Schema.Value.Properties
		if len(props) != len(tc.files)+1 {
			t.Errorf("POST %s: parts %v", tc.path, slices.Sorted(func(yield func(string) bool) {
				for name := range props {
					if !yield(name) {
						return
					}
				}
			}))
		}
		meta := props["metadata"]
		if meta == nil || len(meta.Value.AllOf) != 1 || meta.Value.AllOf[0].Ref != "#/components/schemas/"+tc.metadata {
			t.Errorf("POST %s: metadata is not %s", tc.path, tc.metadata)
		}
		if enc := mt.Encoding["metadata"]; enc == nil || enc.ContentType != "application/json" {
			t.Errorf("POST %s: metadata is not encoded as JSON", tc.path)
		}
		for name, repeats := range tc.files {
			part := props[name]
			if part == nil {
				t.Errorf("POST %s: no %s part", tc.path, name)
				continue
			}
			file := part.Value
			if repeats {
				if !file.Type.Is("array") {
					t.Errorf("POST %s: %s repeats but is not an array", tc.path, name)
					continue
				}
				file = file.Items.Value
			}
			if !file.Type.Is("string") || file.Format != "binary" {
				t.Errorf("POST %s: %s is not a file", tc.path, name)
			}
		}
	}
}

// TestOpenAPITransitionWithAct validates against the contract the multipart request that
// approves a case with an act of one's own, as the server reads it: the move as a JSON metadata
// part and the act as the document part.
func TestOpenAPITransitionWithAct(t *testing.T) {
	doc := contract(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	meta, _ := w.CreatePart(map[string][]string{
		"Content-Disposition": {`form-data; name="metadata"`}, "Content-Type": {"application/json"}})
	meta.Write([]byte(`{"to":"approved","note":"Accolta"}`))
	act, _ := w.CreateFormFile("document", "atto.pdf")
	act.Write([]byte("%PDF-1.7\n"))
	w.Close()
	req := httptest.NewRequest(http.MethodPost, "/v1/cases/019aefc3-1f2e-7d40-8a1b-2c3d4e5f6a7b/transitions", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	})
	if err != nil {
		t.Errorf("a transition with its act does not match the contract: %v", err)
	}
}

// TestOpenAPIOperations checks what every operation declares: a unique operationId and tags
// described at the top; on /v1 every answer that authentication and the rate limits can give
// before the handler; and for each problem response examples of its own status.
func TestOpenAPIOperations(t *testing.T) {
	doc := contract(t)
	described := map[string]bool{}
	for _, tag := range doc.Tags {
		described[tag.Name] = tag.Description != ""
	}
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s: no operationId", where)
			} else if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s and %s: both operationId %s", where, other, op.OperationID)
			}
			ids[op.OperationID] = where
			if len(op.Tags) == 0 {
				t.Errorf("%s: no tag", where)
			}
			for _, tag := range op.Tags {
				if !described[tag] {
					t.Errorf("%s: tag %q is not declared with a description", where, tag)
				}
			}
			want := []int{500}
			if strings.HasPrefix(path, "/v1/") {
				want = append(want, 401, 403, 422, 429, 503)
			} else if op.Security == nil || len(*op.Security) != 0 {
				t.Errorf("%s: does not say it needs no authentication", where)
			}
			for _, status := range want {
				if op.Responses.Status(status) == nil {
					t.Errorf("%s: %d is not declared", where, status)
				}
			}
			for status, resp := range op.Responses.Map() {
				mt := resp.Value.Content["application/problem+json"]
				if mt == nil {
					continue
				}
				if len(mt.Examples) == 0 {
					t.Errorf("%s %s: no example", where, status)
				}
				for code, ex := range mt.Examples {
					p := ex.Value.Value.(map[string]any)
					if fmt.Sprint(p["status"]) != status || p["code"] != code {
						t.Errorf("%s %s: example %s is %v %v", where, status, code, p["status"], p["code"])
					}
				}
			}
		}
	}
	spec := doc.Paths.Value("/openapi.yaml").Get.Responses.Status(200).Value.Content.Get("application/yaml")
	if spec == nil || !spec.Schema.Value.Type.Is("string") {
		t.Errorf("/openapi.yaml is not YAML text")
	}
}
