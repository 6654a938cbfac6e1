package domain

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestActFor: a portal names exactly one valid applicant in every request and then acts as that
// applicant's portal only; nobody else names one.
func TestActFor(t *testing.T) {
	portal := Principal{ID: "p", Roles: []Role{RolePortal}}
	mixed := Principal{ID: "m", Roles: []Role{RolePortal, RoleRecordsOfficer, RoleClerk}, Offices: []string{"TEC"}}
	clerk := Principal{ID: "c", Roles: []Role{RoleClerk}, Offices: []string{"TEC"}}
	t.Run("PortalActsForApplicant", func(t *testing.T) {
		got, err := portal.ActFor(ApplicantHeader, []string{" 12345678903 "})
		if err != nil || got.Applicant != "12345678903" {
			t.Fatalf("ActFor = %+v, %v", got, err)
		}
	})
	t.Run("StaffRolesSetAside", func(t *testing.T) {
		got, err := mixed.ActFor(ApplicantHeader, []string{"RSSMRA80A01H501U"})
		if err != nil || !slices.Equal(got.Roles, []Role{RolePortal}) || len(got.Offices) != 0 || got.Applicant != "RSSMRA80A01H501U" {
			t.Fatalf("ActFor = %+v, %v", got, err)
		}
		if v := VisibilityOf(got); v.All || v.Public || len(v.Offices) != 0 || v.CreatedBy != "" || v.Party != "m/RSSMRA80A01H501U" {
			t.Errorf("visibility %+v", v)
		}
	})
	t.Run("StaffActsForItself", func(t *testing.T) {
		got, err := clerk.ActFor(ApplicantHeader, nil)
		if err != nil || got.Applicant != "" || !slices.Equal(got.Offices, []string{"TEC"}) {
			t.Fatalf("ActFor = %+v, %v", got, err)
		}
	})
	for name, tc := range map[string]struct {
		p    Principal
		ids  []string
		code ErrorCode
	}{
		"ErrPortalWithoutApplicant":   {portal, nil, ECValidation},
		"ErrMixedWithoutApplicant":    {mixed, nil, ECValidation},
		"ErrEmptyApplicant":           {portal, []string{" "}, ECValidation},
		"ErrTwoApplicants":            {portal, []string{"12345678903", "00743110157"}, ECValidation},
		"ErrBadCheckDigit":            {portal, []string{"12345678904"}, ECValidation},
		"ErrStaffNamesApplicant":      {clerk, []string{"12345678903"}, ECForbidden},
		"ErrStaffNamesEmptyApplicant": {clerk, []string{""}, ECForbidden},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.p.ActFor(ApplicantHeader, tc.ids)
			if !IsCode(err, tc.code) {
				t.Fatalf("ActFor = %v, want %s", err, tc.code)
			}
			if e, _ := err.(*Error); tc.code == ECValidation && (len(e.Fields) != 1 || e.Fields[0].Field != ApplicantHeader) {
				t.Errorf("fields %+v", e.Fields)
			}
		})
	}
}

// TestApplicantFields: the form's marked fields must hold the applicant, compared trimmed and
// in upper case.
func TestApplicantFields(t *testing.T) {
	proc := Procedure{Code: "x", FormSchema: json.RawMessage(`{"type": "object", "properties": {
		"holder": {"type": "object", "properties": {"tax/code": {"type": "string", "x-applicant": true}}},
		"vat": {"type": "string", "x-applicant": true},
		"other": {"type": "string", "x-applicant": false},
		"list": {"type": "array", "items": {"type": "string", "x-applicant": true}}}}`)}
	if got := applicantFields(proc.FormSchema); !slices.Equal(got, []string{"/holder/tax~1code", "/vat"}) {
		t.Fatalf("applicantFields = %v", got)
	}
	const applicant = "RSSMRA80A01H501U"
	for name, tc := range map[string]struct {
		form   string
		fields []string
	}{
		"Matches":            {`{"holder": {"tax/code": " rssmra80a01h501u "}, "vat": "RSSMRA80A01H501U", "other": "X", "list": ["Y"]}`, nil},
		"AbsentLeftToSchema": {`{}`, nil},
		"ErrOtherApplicant":  {`{"holder": {"tax/code": "VRDGPP13R10B293P"}, "vat": "RSSMRA80A01H501U"}`, []string{"form/holder/tax~1code"}},
		"ErrNotAString":      {`{"vat": 12345678903}`, []string{"form/vat"}},
		"ErrBothWrong":       {`{"holder": {"tax/code": ""}, "vat": "12345678903"}`, []string{"form/holder/tax~1code", "form/vat"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := checkApplicantFields(proc, json.RawMessage(tc.form), applicant)
			if tc.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Code != ECValidation {
				t.Fatalf("err = %v", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("fields %v, want %v", got, tc.fields)
			}
		})
	}
	t.Run("MarkChangesNoValidation", func(t *testing.T) {
		if err := proc.Validate(); err != nil && IsCode(err, ECValidation) {
			for _, f := range err.(*Error).Fields {
				if f.Field == "form_schema" {
					t.Fatalf("the mark does not compile: %v", f)
				}
			}
		}
		if err := proc.ValidateForm(json.RawMessage(`{"vat": "anything"}`)); err != nil {
			t.Errorf("ValidateForm = %v", err)
		}
	})
}
