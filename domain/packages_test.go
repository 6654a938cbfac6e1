package domain

import (
	"errors"
	"testing"
)

// TestPackageRequestValidate: exactly one of dossier, registrations and journals; references,
// dates and kind checked, each refusal naming its field; aip by default.
func TestPackageRequestValidate(t *testing.T) {
	ok := PackageRequest{Registrations: []string{"PG/2026/42"}}
	if err := ok.Validate(); err != nil || ok.Kind != PackageAIP {
		t.Fatalf("%v, kind %q", err, ok.Kind)
	}
	j := &PackageJournals{Register: "PG", From: "2026-03-01", To: "2026-03-31"}
	for _, c := range []struct {
		req   PackageRequest
		field string
	}{
		{PackageRequest{}, "dossier"},
		{PackageRequest{Dossier: "2026-VI.3-000001", Journals: j}, "dossier"},
		{PackageRequest{Kind: "sip", Dossier: "x"}, "kind"},
		{PackageRequest{Registrations: []string{}}, "registrations"},
		{PackageRequest{Registrations: []string{"PG/2026/1", "PG/2026/0000001"}}, "registrations[1]"},
		{PackageRequest{Registrations: []string{"PG-2026-1"}}, "registrations[0]"},
		{PackageRequest{Journals: &PackageJournals{From: "2026-03-01", To: "2026-03-02"}}, "journals.register"},
		{PackageRequest{Journals: &PackageJournals{Register: "PG", From: "1 marzo", To: "2026-03-02"}}, "journals.from"},
		{PackageRequest{Journals: &PackageJournals{Register: "PG", From: "2026-03-02", To: "2026-03-01"}}, "journals.to"},
		{PackageRequest{Journals: &PackageJournals{Register: "PG", From: "2025-01-01", To: "2026-03-01"}}, "journals.to"},
	} {
		err := c.req.Validate()
		var e *Error
		if !errors.As(err, &e) || e.Code != ECValidation || len(e.Fields) == 0 || e.Fields[0].Field != c.field {
			t.Errorf("%+v: %v, want a refusal naming %s", c.req, err, c.field)
		}
	}
}
