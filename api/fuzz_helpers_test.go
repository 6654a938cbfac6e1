package api

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/sportello/sportello/domain"
)

// fuzzMaxInput bounds what the fuzz targets read, at twice a realistic metadata part: longer
// inputs take no path a shorter one does not, and the fuzzer, which shortens every input that
// finds something new (in time that grows with the square of its length), would spend its
// minute on them.
const fuzzMaxInput = 1 << 10

// wantProblem fails unless err is a client error with one of codes: a *domain.Error whose
// problem is a 4xx, and, for a validation error, one that names at least one field and says
// what is wrong with each. A panic or an internal error on outside input is a bug.
func wantProblem(t *testing.T, err error, codes ...domain.ErrorCode) {
	t.Helper()
	var e *domain.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *domain.Error: it would be a 500", err, err)
	}
	if !slices.Contains(codes, e.Code) {
		t.Fatalf("error code %s, want one of %v: %v", e.Code, codes, err)
	}
	p := problemOf(err, "rid", "/v1/registrations")
	if p.Status < 400 || p.Status >= 500 || p.Detail == "" {
		t.Fatalf("problem %+v for %v", p, err)
	}
	if e.Code == domain.ECValidation && len(p.Errors) == 0 {
		t.Fatalf("validation error names no field: %v", err)
	}
	for _, f := range p.Errors {
		if f.Message == "" {
			t.Fatalf("field %q has no message: %v", f.Field, err)
		}
	}
	if _, err := json.Marshal(p); err != nil {
		t.Fatalf("problem cannot be written: %v", err)
	}
}
