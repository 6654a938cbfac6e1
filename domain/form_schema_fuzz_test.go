package domain

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzFormSchema compiles any schema an admin could publish and validates any form a portal
// could send against it. Neither may panic or hang; compiling reaches nothing outside the
// schema (whatever the loader is asked is refused and reported as such), and no answer shows
// the address references resolve against. The seeds, in testdata/fuzz/FuzzFormSchema, are the
// shipped catalogue's schemas and forms, and references in and out of a schema.
func FuzzFormSchema(f *testing.F) {
	f.Fuzz(func(t *testing.T, schema, form []byte) {
		loader := &refusingLoader{}
		compiled, err := compileFormWith(schema, loader)
		if err != nil {
			fields := schemaFields(t, err)
			if len(loader.asked) > 0 && fields[0].Message != outsideRefMessage {
				t.Fatalf("schema reached %v, answered %v", loader.asked, err)
			}
			for _, f := range fields {
				if !strings.HasPrefix(f.Field, "form_schema") {
					t.Fatalf("schema error names %q", f.Field)
				}
			}
			return
		}
		if len(loader.asked) > 0 {
			t.Fatalf("schema compiled although it reached %v", loader.asked)
		}
		if compiled == nil {
			t.Fatal("no schema and no error")
		}
		if err := validateForm(compiled, json.RawMessage(form)); err != nil {
			for _, f := range schemaFields(t, err) {
				if f.Field != "form" && !strings.HasPrefix(f.Field, "form/") {
					t.Fatalf("form error names %q", f.Field)
				}
			}
		}
	})
}

// schemaFields returns the field errors of a validation_failed err, failing the test for any
// other error or one showing the base address.
func schemaFields(t *testing.T, err error) []FieldError {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != ECValidation || len(e.Fields) == 0 {
		t.Fatalf("want validation_failed with fields, got %v", err)
	}
	if strings.Contains(err.Error(), formSchemaURL) {
		t.Fatalf("error shows the base address: %v", err)
	}
	return e.Fields
}
