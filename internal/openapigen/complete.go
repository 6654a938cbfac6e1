package openapigen

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
)

// schemaPrefix is how swag names the api package's types in components/schemas.
const schemaPrefix = "api."

// complete says in OpenAPI 3 what Swagger 2.0 could not.
func complete(doc *openapi3.T) error {
	bearer(doc)
	applicantProblems(doc)
	statuses(doc)
	if err := problemComponents(doc); err != nil {
		return err
	}
	tooMany, err := tooManyRequests(doc)
	if err != nil {
		return err
	}
	for path, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if strings.HasPrefix(path, "/v1/") {
				op.Responses.Set("429", tooMany)
			}
			for status, resp := range op.Responses.Map() {
				if resp.Ref != "" {
					continue
				}
				problemJSON(resp.Value)
				anyMediaType(resp.Value)
				pdfBinary(resp.Value)
				switch status {
				case "401":
					challenge(resp.Value)
				case "503":
					retryAfter(resp.Value)
				}
				if err := problemResponseExamples(doc, path, op, status, resp.Value); err != nil {
					return err
				}
			}
		}
	}
	pruneExamples(doc)
	anyValues(doc)
	if err := nullableRefs(doc); err != nil {
		return err
	}
	if err := classImport(doc); err != nil {
		return err
	}
	if err := multipartBodies(doc); err != nil {
		return err
	}
	return patterns(doc)
}

// applicantProblems declares on every /v1 operation the answers authentication gives before any
// handler runs: 422 to a portal that names no applicant, or a bad one, in X-Applicant-Id, and
// 403 to anyone else who names one.
func applicantProblems(doc *openapi3.T) {
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for _, op := range item.Operations() {
			unauthorized := op.Responses.Status(401)
			if unauthorized == nil || unauthorized.Value == nil {
				continue
			}
			for status, text := range map[int]string{403: "Forbidden", 422: "Unprocessable Entity"} {
				if op.Responses.Status(status) == nil {
					desc := text
					op.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Value: &openapi3.Response{
						Description: &desc, Content: unauthorized.Value.Content}})
				}
			}
		}
	}
}

// classImport describes the bodies POST /v1/classes takes: one class or an array of them as
// JSON, or the same columns as CSV text.
func classImport(doc *openapi3.T) error {
	item := doc.Paths.Value("/v1/classes")
	if item == nil || item.Post == nil || item.Post.RequestBody == nil {
		return fmt.Errorf("POST /v1/classes is not documented")
	}
	content := item.Post.RequestBody.Value.Content
	js := content.Get("application/json")
	if js == nil || js.Schema == nil {
		return fmt.Errorf("POST /v1/classes has no JSON body")
	}
	one := js.Schema
	js.Schema = &openapi3.SchemaRef{Value: &openapi3.Schema{OneOf: openapi3.SchemaRefs{
		one, {Value: &openapi3.Schema{Type: &openapi3.Types{"array"}, Items: one, MinItems: 1}},
	}}}
	content["text/csv"] = &openapi3.MediaType{Schema: &openapi3.SchemaRef{Value: &openapi3.Schema{
		Type:        &openapi3.Types{"string"},
		Description: "header row code,level,parent,title[,description,retention_years,valid_from,valid_to], then one class per line",
	}}}
	return nil
}

// anyValues turns properties marked x-any (history's old and new values) into schemas that
// accept any JSON value, which swag cannot express.
func anyValues(doc *openapi3.T) {
	for _, s := range doc.Components.Schemas {
		for name, p := range s.Value.Properties {
			if p.Value != nil && p.Value.Extensions["x-any"] == true {
				s.Value.Properties[name] = anyJSON(p.Value.Description)
			}
		}
	}
}

// bearer declares the API key as HTTP bearer authentication (Swagger 2.0 knows only apiKey).
func bearer(doc *openapi3.T) {
	ref := doc.Components.SecuritySchemes["BearerAuth"]
	if ref == nil || ref.Value == nil {
		return
	}
	desc := ref.Value.Description
	ref.Value = openapi3.NewSecurityScheme().WithType("http").WithScheme("bearer").WithDescription(desc)
}

// problemJSON gives error responses their real media type, application/problem+json.
func problemJSON(resp *openapi3.Response) {
	for _, mt := range resp.Content {
		if mt.Schema != nil && mt.Schema.Ref == "#/components/schemas/"+schemaPrefix+"Problem" {
			resp.Content = openapi3.Content{"application/problem+json": mt}
			return
		}
	}
}

// tooManyRequests declares, once among the components, the 429 that the rate limits
// (api/ratelimit.go) may answer to any /v1 request, with its Retry-After header, and returns a
// reference to it.
func tooManyRequests(doc *openapi3.T) (*openapi3.ResponseRef, error) {
	desc := "Over a rate limit: too many requests with this API key, or too many failed authentications from this address"
	examples, err := problemExamplesOf(doc, "/v1/registrations", nil, "429")
	if err != nil {
		return nil, err
	}
	resp := openapi3.NewResponse().WithDescription(desc).WithContent(openapi3.Content{
		"application/problem+json": &openapi3.MediaType{
			Schema:   openapi3.NewSchemaRef("#/components/schemas/"+schemaPrefix+"Problem", nil),
			Examples: examples,
		},
	})
	retryAfter(resp)
	if doc.Components.Responses == nil {
		doc.Components.Responses = openapi3.ResponseBodies{}
	}
	doc.Components.Responses["TooManyRequests"] = &openapi3.ResponseRef{Value: resp}
	return &openapi3.ResponseRef{Ref: "#/components/responses/TooManyRequests", Value: resp}, nil
}

// challenge documents the WWW-Authenticate header of 401 answers (RFC 6750).
func challenge(resp *openapi3.Response) {
	if resp.Headers == nil {
		resp.Headers = openapi3.Headers{}
	}
	resp.Headers["WWW-Authenticate"] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
		Description: `Bearer realm="sportello", with error="invalid_token" when a token was sent`,
		Required:    true,
		Schema:      openapi3.NewStringSchema().NewRef(),
	}}}
}

// anyMediaType lets file downloads carry the media type sniffed at upload, whatever it is.
func anyMediaType(resp *openapi3.Response) {
	for _, mt := range resp.Content {
		if s := mt.Schema; s != nil && s.Value != nil && s.Value.Format == "binary" {
			resp.Content = openapi3.Content{"*/*": mt}
			return
		}
	}
}

// pdfBinary makes a PDF answer bytes: swag gives every produced media type the one schema of
// the response, which for a JSON-or-PDF answer (receipts) is the JSON one. The XML form of a
// JSON-or-XML answer (the Allegato 5 metadata), like the CSV form of a JSON-or-CSV answer (the
// statistics), is text the JSON schema cannot describe: a string.
func pdfBinary(resp *openapi3.Response) {
	if mt := resp.Content["application/pdf"]; mt != nil {
		mt.Schema = &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "binary"}}
	}
	for _, text := range []string{"application/xml", "text/csv"} {
		if mt := resp.Content[text]; mt != nil && resp.Content["application/json"] != nil {
			mt.Schema = &openapi3.SchemaRef{Value: openapi3.NewStringSchema()}
		}
	}
}

// addSchema adds the schema of a request type that no swag annotation references directly,
// generated from its Go type and tags, and returns its component name. Nested types reuse
// swag's components.
func addSchema(doc *openapi3.T, v any) (string, error) {
	typeName := func(t reflect.Type) string { return schemaPrefix + t.Name() }
	schemas := openapi3.Schemas{}
	g := openapi3gen.NewGenerator(
		openapi3gen.CreateTypeNameGenerator(typeName),
		openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{
			ExportComponentSchemas: true, ExportTopLevelSchema: true,
		}),
		openapi3gen.SchemaCustomizer(fromTags),
	)
	if _, err := g.NewSchemaRefForValue(v, schemas); err != nil {
		return "", fmt.Errorf("schema of %T: %w", v, err)
	}
	for name, s := range schemas {
		if _, ok := doc.Components.Schemas[name]; !ok {
			doc.Components.Schemas[name] = s
		}
	}
	return typeName(reflect.TypeOf(v)), nil
}

// fromTags reads the swag struct tags (enums, format, string examples) that openapi3gen ignores, and
// marks the fields without omitempty as required, as swag does with RequiredByDefault.
func fromTags(_ string, t reflect.Type, tag reflect.StructTag, s *openapi3.Schema) error {
	if e := tag.Get("enums"); e != "" {
		for _, v := range strings.Split(e, ",") {
			s.Enum = append(s.Enum, v)
		}
	}
	if f := tag.Get("format"); f != "" {
		s.Format = f
	}
	if err := limitTags(t, tag, s); err != nil {
		return err
	}
	if ex := tag.Get("example"); ex != "" && s.Type.Is("string") {
		s.Example = ex
	}
	if t.Kind() != reflect.Struct || tag != "" {
		return nil
	}
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" && !slices.Contains(strings.Split(opts, ","), "omitempty") {
			s.Required = append(s.Required, name)
		}
	}
	return nil
}
