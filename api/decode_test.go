package api

import (
	"slices"
	"testing"

	"github.com/sportello/sportello/domain"
)

func TestDecodeStrict(t *testing.T) {
	cases := map[string]struct {
		body  string
		code  domain.ErrorCode
		field string
	}{
		"ErrEmpty":           {``, domain.ECValidation, "body"},
		"ErrSyntax":          {`{"reason": }`, domain.ECValidation, "body"},
		"ErrTruncated":       {`{"reason": "x"`, domain.ECValidation, "body"},
		"ErrTrailing":        {`{"reason": "x"} {}`, domain.ECValidation, "body"},
		"ErrNotObject":       {`["x"]`, domain.ECValidation, "body"},
		"ErrUnknown":         {`{"reason": "x", "reasn": "y"}`, domain.ECValidation, "reasn"},
		"ErrWrongCase":       {`{"Reason": "x"}`, domain.ECValidation, "Reason"},
		"ErrType":            {`{"reason": 42}`, domain.ECValidation, "reason"},
		"OK":                 {`{"reason": "x", "authorization": "y"}`, "", ""},
		"OKWhitespaceAround": {" \n{\"reason\": \"x\"}\n", "", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var in AnnulmentRequest
			err := decodeStrict([]byte(tc.body), &in, "body", nil)
			if tc.code == "" {
				if err != nil || in.Reason != "x" {
					t.Fatalf("decode: %v, %+v", err, in)
				}
				return
			}
			if codeOf(t, err) != tc.code || err.(*domain.Error).Fields[0].Field != tc.field {
				t.Errorf("error %v, want %s naming %s", err, tc.code, tc.field)
			}
		})
	}
}

func TestDecodeStrictNested(t *testing.T) {
	var m RegistrationMetadata
	err := decodeStrict([]byte(`{"correspondents":[{"name":"a"},{"nme":"b"}],"sender_reference":{"numbr":"1"}}`), &m, "metadata", metadataUnknown)
	var fields []string
	for _, f := range err.(*domain.Error).Fields {
		fields = append(fields, f.Field)
	}
	if !slices.Equal(fields, []string{"correspondents[1].nme", "sender_reference.numbr"}) {
		t.Errorf("fields %v", fields)
	}
}

func TestMetadataUnknown(t *testing.T) {
	for _, f := range []string{"id", "year", "number", "number_formatted", "identifier", "registered_at", "date", "status", "annulment", "position"} {
		if !slices.Contains(systemAssigned, f) {
			t.Errorf("%s is not refused as system-assigned", f)
		}
	}
	for _, f := range []string{"subject", "register", "direction", "document", "attachments"} {
		if slices.Contains(systemAssigned, f) {
			t.Errorf("%s is wrongly system-assigned", f)
		}
	}
}

func TestPatchClassification(t *testing.T) {
	cases := map[string]domain.ErrorCode{
		"subject": domain.ECImmutable, "number": domain.ECImmutable, "correspondents": domain.ECImmutable,
		"status": domain.ECImmutable, "document": domain.ECImmutable, "registered_at": domain.ECImmutable,
		"colour": domain.ECValidation, "offices[0].x": domain.ECValidation,
	}
	for field, want := range cases {
		if got, _ := patchUnknown(field); got != want {
			t.Errorf("patchUnknown(%s) = %s, want %s", field, got, want)
		}
	}
	var p RegistrationPatch
	err := decodeStrict([]byte(`{"colour":"red","subject":"x","class":"VI"}`), &p, "body", patchUnknown)
	if codeOf(t, err) != domain.ECImmutable {
		t.Errorf("an immutable field beside an unknown one: %v, want immutable_field", err)
	}
}
