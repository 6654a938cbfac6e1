package openapigen

import (
	"fmt"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sportello/sportello/api"
)

// upload is a multipart/form-data request body as the server reads it (api/uploads.go): one
// `metadata` part, JSON of a Go type, and file parts, each of which may repeat or not.
type upload struct {
	method, path string
	metadata     any
	files        []filePart
}

// filePart is a file part of an upload; one that repeats may do so api.MaxFileParts times.
type filePart struct {
	name, description string
	repeats           bool
}

// uploads lists every multipart body the API takes. Swagger 2.0 knows form fields only as
// strings and single files, so swag's output says neither what the metadata part holds nor
// that a part repeats.
var uploads = []upload{
	{"POST", "/v1/registrations", api.RegistrationMetadata{}, []filePart{
		{"document", "The primary document (required unless the metadata names document_id)", false},
		{"attachment", "The attachments, one part each, matched in order to attachment_descriptions", true},
	}},
	{"POST", "/v1/documents", api.DocumentMetadata{}, []filePart{{"document", "The document", false}}},
	{"POST", "/v1/cases", api.CaseMetadata{}, []filePart{
		{"document", "The documents, one part each, matched in order to metadata.documents", true},
	}},
	{"POST", "/v1/cases/{id}/messages", api.CaseMessageMetadata{}, []filePart{
		{"document", "The documents of the message, one part each", true},
	}},
	{"POST", "/v1/archive/packages/{id}/report", api.PackageOutcomeRequest{}, []filePart{
		{"report", "The conservator's rapporto di versamento (XML or PDF): required to acknowledge", false},
	}},
	{"POST", "/v1/cases/{id}/transitions", api.CaseTransitionRequest{}, []filePart{
		{"document", "The final act (a PDF), to approve or reject with an act of one's own", false},
	}},
}

// multipartBodies describes each upload's multipart body: the metadata part refers to the
// schema of its Go type and is encoded as application/json, and a repeating file part is an
// array of files.
func multipartBodies(doc *openapi3.T) error {
	for _, u := range uploads {
		op := doc.Paths.Find(u.path).GetOperation(u.method)
		if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
			return fmt.Errorf("%s %s has no documented body", u.method, u.path)
		}
		mt := op.RequestBody.Value.Content.Get("multipart/form-data")
		if mt == nil {
			return fmt.Errorf("%s %s takes no multipart/form-data", u.method, u.path)
		}
		name, err := addSchema(doc, u.metadata)
		if err != nil {
			return err
		}
		body := &openapi3.Schema{
			Type:     &openapi3.Types{"object"},
			Required: []string{"metadata"},
			Properties: openapi3.Schemas{"metadata": {Value: &openapi3.Schema{
				Description: fmt.Sprintf("JSON (%s)", name[len(schemaPrefix):]),
				AllOf:       openapi3.SchemaRefs{{Ref: "#/components/schemas/" + name}},
			}}},
		}
		// A file's name is in its part's Content-Disposition header, which OAS 3.0.3 gives no
		// schema: the server's limits on filenames (api/filenames.go) cannot be declared.
		for _, f := range u.files {
			file := openapi3.NewStringSchema().WithFormat("binary")
			if f.repeats {
				file = openapi3.NewArraySchema().WithItems(file).WithMaxItems(api.MaxFileParts)
			}
			file.Description = f.description
			body.Properties[f.name] = file.NewRef()
		}
		if old := mt.Schema; old != nil && old.Value != nil && slices.Contains(old.Value.Required, "document") {
			body.Required = append(body.Required, "document")
		}
		mt.Schema = body.NewRef()
		mt.Encoding = map[string]*openapi3.Encoding{"metadata": {ContentType: "application/json"}}
	}
	return nil
}
