package domain

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// formProcedure is a valid procedure with the given form schema.
func formProcedure(schema string) Procedure {
	return Procedure{Code: "p", Name: "P", Audience: AudienceBoth, FormSchema: json.RawMessage(schema),
		Office: "UFF", Class: "I.1", DeadlineDays: 30}
}

// schemaFieldErrors validates a procedure with schema, returning its field errors; it fails the
// test if validation does not finish (a schema naming a FIFO would block a loader forever).
func schemaFieldErrors(t *testing.T, schema string) (string, []FieldError) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		p := formProcedure(schema)
		done <- p.Validate()
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatalf("validating %s hangs", schema)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != ECValidation {
		t.Fatalf("%s: want validation_failed, got %v", schema, err)
	}
	return err.Error(), e.Fields
}

// TestFormSchemaRefusesOutsideRefs: a form schema may refer only within itself. A reference to
// a file, a relative path, a web address, a FIFO, a non-standard metaschema or through an $id
// elsewhere is refused at its place, and the answer shows neither the target's content nor a
// path of the server.
func TestFormSchemaRefusesOutsideRefs(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.json")
	if err := os.WriteFile(secret, []byte(`{"const": "TOP-SECRET"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if err := os.MkdirAll("data", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("data/admin.key", []byte(`"TOP-SECRET"`), 0o600); err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"const": "TOP-SECRET"}`))
	}))
	defer srv.Close()

	for _, tc := range []struct{ name, schema, field string }{
		{"ErrFileURL", `{"properties": {"a": {"$ref": "file://` + secret + `"}}}`, "form_schema/properties/a/$ref"},
		{"ErrRelativePath", `{"$ref": "data/admin.key"}`, "form_schema/$ref"},
		{"ErrAbsolutePath", `{"$ref": "` + secret + `"}`, "form_schema/$ref"},
		{"ErrHTTP", `{"items": {"$ref": "` + srv.URL + `/schema.json"}}`, "form_schema/items/$ref"},
		{"ErrFIFO", `{"$defs": {"x": {"$ref": "file://` + fifo + `"}}, "$ref": "#/$defs/x"}`, "form_schema/$defs/x/$ref"},
		{"ErrFIFOPath", `{"$ref": "` + fifo + `"}`, "form_schema/$ref"},
		{"ErrDynamicRef", `{"properties": {"a": {"$dynamicRef": "` + srv.URL + `/s.json#meta"}}}`, "form_schema/properties/a/$dynamicRef"},
		{"ErrMetaschema", `{"$schema": "` + srv.URL + `/meta.json", "type": "object"}`, "form_schema/$schema"},
		{"ErrMetaschemaFile", `{"$schema": "file://` + secret + `"}`, "form_schema/$schema"},
		{"ErrIDElsewhere", `{"$id": "file://` + dir + `/", "properties": {"a": {"$ref": "secret.json"}}}`, "form_schema/properties/a/$ref"},
		{"ErrRelativeToOutsideID", `{"$id": "` + srv.URL + `/root.json", "$ref": "other.json#/x"}`, "form_schema/$ref"},
		{"ErrRefBesideConst", `{"const": {"$ref": "#/x"}, "properties": {"$ref": {"$ref": "file://` + secret + `"}}}`, "form_schema/properties/$ref/$ref"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, fields := schemaFieldErrors(t, tc.schema)
			if len(fields) != 1 || fields[0].Field != tc.field || fields[0].Message != outsideRefMessage {
				t.Errorf("fields %+v, want %s: %s", fields, tc.field, outsideRefMessage)
			}
			for _, leak := range []string{"TOP-SECRET", dir, "sportello.invalid"} {
				if strings.Contains(text, leak) {
					t.Errorf("error %q shows %q", text, leak)
				}
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("compiling form schemas made %d web requests", n)
	}
}

// TestFormSchemaInDocumentRefs: references within the schema — JSON pointers, $defs, anchors,
// dynamic anchors, a nested $id's own pointers — and the standard metaschemas keep working.
func TestFormSchemaInDocumentRefs(t *testing.T) {
	for _, tc := range []struct{ name, schema, good, bad, field string }{
		{"Defs", `{"$defs": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}, "properties": {"zip": {"$ref": "#/$defs/zip"}}}`,
			`{"zip": "00100"}`, `{"zip": "Rome"}`, "form/zip"},
		{"Anchor", `{"$defs": {"n": {"$anchor": "count", "type": "integer"}}, "properties": {"n": {"$ref": "#count"}}}`,
			`{"n": 3}`, `{"n": "three"}`, "form/n"},
		{"DynamicAnchor", `{"$dynamicAnchor": "node", "type": "object", "properties": {"child": {"$dynamicRef": "#node"}, "v": {"type": "string"}}}`,
			`{"child": {"v": "x"}}`, `{"child": {"v": 1}}`, "form/child/v"},
		{"NestedID", `{"properties": {"a": {"$id": "https://example.org/a.json", "$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s"}}}`,
			`{"a": "x"}`, `{"a": 1}`, "form/a"},
		{"Draft7", `{"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/definitions/s"}}}`,
			`{"a": "x"}`, `{"a": 1}`, "form/a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := formProcedure(tc.schema)
			if err := p.Validate(); err != nil {
				t.Fatalf("schema refused: %v", err)
			}
			if err := p.ValidateForm(json.RawMessage(tc.good)); err != nil {
				t.Errorf("good form refused: %v", err)
			}
			var e *Error
			if err := p.ValidateForm(json.RawMessage(tc.bad)); !errors.As(err, &e) || len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
				t.Errorf("bad form: %v", err)
			}
		})
	}
}

// TestFormSchemaInvalid: a schema its metaschema refuses is named at the failing place, without
// the address references resolve against.
func TestFormSchemaInvalid(t *testing.T) {
	text, fields := schemaFieldErrors(t, `{"properties": {"a": {"type": "no-such-type"}}}`)
	if len(fields) == 0 || fields[0].Field != "form_schema/properties/a/type" || !strings.Contains(fields[0].Message, "JSON Schema") {
		t.Errorf("fields %+v", fields)
	}
	if strings.Contains(text, "sportello.invalid") || strings.Contains(text, "file:") {
		t.Errorf("error %q shows an address", text)
	}
	_, fields = schemaFieldErrors(t, `{"$ref": "#/$defs/missing"}`)
	if len(fields) != 1 || fields[0].Field != "form_schema" || strings.Contains(fields[0].Message, "sportello.invalid") {
		t.Errorf("missing pointer: %+v", fields)
	}
}

// TestFormOfStoredSchemaWithOutsideRef: a stored procedure whose schema refers outside itself
// (published before references were checked) fails the submission as the server's fault; its
// target is never read, so its content cannot reach a portal in a validation message.
func TestFormOfStoredSchemaWithOutsideRef(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secret, []byte(`{"const": "TOP-SECRET"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p := formProcedure(`{"properties": {"a": {"$ref": "file://` + secret + `"}}}`)
	err := p.ValidateForm(json.RawMessage(`{"a": "guess"}`))
	if CodeOf(err) != ECInternal || strings.Contains(err.Error(), "TOP-SECRET") {
		t.Errorf("want an internal error without the file's content, got %v", err)
	}
}
