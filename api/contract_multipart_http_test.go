package api_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestMultipartFromSpec: for each multipart operation of openapi.yaml, a request built from
// the spec alone is accepted. Each JSON part is the schema's example, or else the smallest
// value its schema allows (required properties only, one item per required array, the first
// enum value); each file part a small PDF. What no schema can know — the path parameters and
// the names of this server's records (a procedure, a case) — comes from the world the test
// sets up, and the caller is the client the operation is meant for.
func TestMultipartFromSpec(t *testing.T) {
	doc, err := apptest.Contract()
	if err != nil {
		t.Fatal(err)
	}
	ops := multipartOperations(doc)
	if len(ops) == 0 {
		t.Fatal("openapi.yaml has no multipart operation")
	}
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		calls := specWorld(t, s)
		c := newClient(t, s)
		for _, op := range ops {
			t.Run(op.key, func(t *testing.T) {
				call, ok := calls[op.key]
				if !ok {
					t.Fatalf("%s: no caller in specWorld", op.key)
				}
				ct, body := specMultipart(t, op.schema, op.encoding, call)
				path := op.path
				for name, v := range call.params {
					path = strings.ReplaceAll(path, "{"+name+"}", v)
				}
				r := c.do(op.method, path, call.token, body, append([]string{"Content-Type", ct}, call.headers...)...)
				if r.Status/100 != 2 {
					t.Errorf("%s built from openapi.yaml: %d %s", op.key, r.Status, r.Body)
				}
			})
		}
	})
}

// multipartOp is an operation with a multipart/form-data request body.
type multipartOp struct {
	key, method, path string
	schema            *openapi3.Schema
	encoding          map[string]*openapi3.Encoding
}

func multipartOperations(doc *openapi3.T) []multipartOp {
	var ops []multipartOp
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			if mt := op.RequestBody.Value.Content.Get("multipart/form-data"); mt != nil {
				ops = append(ops, multipartOp{key: method + " " + path, method: method, path: path,
					schema: mt.Schema.Value, encoding: mt.Encoding})
			}
		}
	}
	slices.SortFunc(ops, func(a, b multipartOp) int { return strings.Compare(a.key, b.key) })
	return ops
}

// specCall is how the world calls one operation.
type specCall struct {
	token    string
	headers  []string          // name/value pairs, e.g. X-Applicant-Id
	params   map[string]string // path parameters
	metadata map[string]any    // names of this server's records, laid over the built metadata
	// files are file parts whose content a schema cannot describe (an import's zip), by part
	// name; the others are small PDFs.
	files map[string]specFile
}

// specFile is a file part's name, media type and content.
type specFile struct {
	filename, contentType string
	content               []byte
}

// specWorld sets up what the operations refer to: a procedure with one mandatory document
// and no form, an office's clerk, a portal, and two of the portal's cases (one in progress),
// and says how each operation is called.
func specWorld(t *testing.T, s *apptest.Server) map[string]specCall {
	c := newClient(t, s)
	operator := s.NewClient(t, "protocollo", []string{"protocol_operator"})
	clerk := s.NewClient(t, "suap", []string{"clerk"}, "SUAP")
	portal := s.NewClient(t, "portale", []string{"portal"})
	c.json("POST", "/v1/procedures", s.AdminToken, map[string]any{
		"code": "prova", "name": "Procedimento di prova", "audience": "both", "description": "Prova",
		"required_documents": []map[string]any{{"name": "Domanda", "formats": []string{"application/pdf"}, "mandatory": true}},
		"form_schema":        map[string]any{"type": "object"}, "office": "SUAP", "class": "VI.3", "deadline_days": 30,
	}).expect(t, http.StatusCreated)
	caseMeta := map[string]any{"procedure": "prova", "form": map[string]any{}}
	domanda := []apptest.Part{{Name: "document", Filename: "domanda.pdf", Content: apptest.PDF("domanda")}}
	var open, handled api.Case
	c.submit(portal, bizApplicant, caseMeta, domanda).decode(t, http.StatusCreated, &open)
	c.submit(portal, bizApplicant, caseMeta, domanda).decode(t, http.StatusCreated, &handled)
	c.json("POST", "/v1/cases/"+handled.ID+"/transitions", clerk, map[string]string{"to": "in_progress"}).expect(t, http.StatusOK)
	applicant := []string{"X-Applicant-Id", bizApplicant}
	records := s.NewClient(t, "archivio", []string{"records_officer"})
	reg := c.mustRegister(operator, "Da conservare")
	var pkg api.ArchivePackage
	c.json("POST", "/v1/archive/packages", records, map[string]any{"registrations": []string{
		fmt.Sprintf("%s/%d/%s", reg.Register, reg.Year, reg.NumberFormatted)}}).decode(t, http.StatusAccepted, &pkg)
	if p := c.waitPackage(records, pkg.ID); p.State != "ready" {
		t.Fatalf("package %+v", p)
	}
	return map[string]specCall{
		"POST /v1/archive/packages/{id}/report": {token: records, params: map[string]string{"id": pkg.ID},
			metadata: map[string]any{"outcome": "acknowledged"}},
		// subject and correspondents are optional in the schema because an e-mail message
		// proposes them; a PDF needs them.
		"POST /v1/registrations": {token: operator, metadata: map[string]any{"subject": "Richiesta",
			"correspondents": []map[string]any{{"role": "sender", "type": "person", "name": "Mario Rossi"}}}},
		"POST /v1/documents":              {token: operator},
		"POST /v1/cases":                  {token: portal, headers: applicant, metadata: caseMeta},
		"POST /v1/cases/{id}/messages":    {token: portal, headers: applicant, params: map[string]string{"id": open.ID}},
		"POST /v1/cases/{id}/transitions": {token: clerk, params: map[string]string{"id": handled.ID}, metadata: map[string]any{"to": "approved"}},
		"POST /v1/imports": {token: s.NewClient(t, "scanner", []string{"importer"}), files: map[string]specFile{"file": {
			filename: "lotto.zip", contentType: "application/zip", content: specArchive(t)}}},
	}
}

// specArchive is the smallest import: a manifest naming one PDF.
func specArchive(t *testing.T) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, content := range map[string][]byte{
		"manifest.csv": []byte("file,subject,sender_name\ndomanda.pdf,Domanda,Mario Rossi\n"),
		"domanda.pdf":  apptest.PDF("domanda"),
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// specMultipart builds a multipart body from the properties of schema: a JSON part for an
// object (the example, or the smallest valid value, with over laid on it), a PDF for a binary
// string (one for an array of them).
func specMultipart(t *testing.T, schema *openapi3.Schema, encoding map[string]*openapi3.Encoding, call specCall) (string, *bytes.Buffer) {
	t.Helper()
	body := &bytes.Buffer{}
	w := multipart.NewWriter(body)
	for _, name := range slices.Sorted(maps.Keys(schema.Properties)) {
		prop := resolved(schema.Properties[name].Value)
		if prop.Type.Is("array") && prop.Items != nil && resolved(prop.Items.Value).Format == "binary" {
			prop = resolved(prop.Items.Value)
		}
		h := textproto.MIMEHeader{}
		var content []byte
		switch {
		case prop.Type.Is("string") && prop.Format == "binary":
			part, ok := call.files[name]
			if !ok {
				part = specFile{filename: name + ".pdf", contentType: "application/pdf", content: apptest.PDF(name)}
			}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, name, part.filename))
			h.Set("Content-Type", part.contentType)
			content = part.content
		case prop.Type.Is("object"):
			v, err := specValue(prop)
			if err != nil {
				t.Fatalf("part %s: %v", name, err)
			}
			obj, _ := v.(map[string]any)
			maps.Copy(obj, call.metadata)
			if content, err = json.Marshal(obj); err != nil {
				t.Fatal(err)
			}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, name))
			ct := "application/json"
			if e := encoding[name]; e != nil && e.ContentType != "" {
				ct = e.ContentType
			}
			h.Set("Content-Type", ct)
		default:
			t.Fatalf("part %s: openapi.yaml gives it no schema to build it from (%s)", name, prop.Type)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(content)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), body
}

// resolved is the schema a single-element allOf (a $ref with siblings) stands for.
func resolved(s *openapi3.Schema) *openapi3.Schema {
	for len(s.AllOf) == 1 && s.Type == nil && len(s.Properties) == 0 {
		s = s.AllOf[0].Value
	}
	return s
}

// specValue is the schema's example, or else the smallest value it allows: the required
// properties of an object, one item of a required array, the first enum value. A string with
// a pattern and no example cannot be guessed: the spec should give one.
func specValue(s *openapi3.Schema) (any, error) {
	s = resolved(s)
	switch {
	case s.Example != nil:
		return s.Example, nil
	case len(s.Enum) > 0:
		return s.Enum[0], nil
	case s.Type.Is("object"):
		obj := map[string]any{}
		for _, name := range s.Required {
			p := s.Properties[name]
			if p == nil {
				return nil, fmt.Errorf("%s: required but not described", name)
			}
			v, err := specValue(p.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			obj[name] = v
		}
		return obj, nil
	case s.Type.Is("array"):
		item, err := specValue(s.Items.Value)
		if err != nil {
			return nil, err
		}
		items := []any{item}
		for uint64(len(items)) < s.MinItems {
			items = append(items, item)
		}
		return items, nil
	case s.Type.Is("boolean"):
		return false, nil
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min, nil
		}
		return 1, nil
	case s.Type.Is("string"):
		switch {
		case s.Format == "date-time":
			return time.Now().UTC().Format(time.RFC3339), nil
		case s.Format == "date":
			return time.Now().UTC().Format(time.DateOnly), nil
		case s.Format != "" || s.Pattern != "":
			return nil, fmt.Errorf("a string of format %q, pattern %q needs an example", s.Format, s.Pattern)
		}
		return strings.Repeat("x", max(int(s.MinLength), 5)), nil
	}
	return nil, fmt.Errorf("no value for a schema of type %s", s.Type)
}
