package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
)

func TestStatusOfEveryCode(t *testing.T) {
	want := map[domain.ErrorCode]int{
		domain.ECValidation: 422, domain.ECImmutable: 409, domain.ECNotFound: 404,
		domain.ECUnauthorized: 401, domain.ECForbidden: 403, domain.ECConflict: 409,
		domain.ECPayloadTooLarge: 413, domain.ECUnsupportedMedia: 415,
		domain.ECIdempotencyMismatch: 422, domain.ECUnavailable: 503, domain.ECInternal: 500,
		domain.ECTooManyRequests: 429, codeMethodNotAllowed: 405, "no_such_code": 500,
	}
	for code, status := range want {
		if got := statusOf(code); got != status {
			t.Errorf("statusOf(%s) = %d, want %d", code, got, status)
		}
	}
}

func TestProblemOf(t *testing.T) {
	t.Run("WrappedDomainError", func(t *testing.T) {
		var v domain.Validation
		v.Add("subject", "is required")
		err := fmt.Errorf("register in PG: %w", v.Err())
		p := problemOf(err, "rid", "/v1/registrations")
		if p.Status != 422 || p.Code != "validation_failed" || p.Type != "urn:sportello:problem:validation_failed" ||
			p.Detail != "subject: is required" || p.RequestID != "rid" || p.Instance != "/v1/registrations" {
			t.Errorf("problem %+v", p)
		}
		if len(p.Errors) != 1 || p.Errors[0] != (ProblemField{"subject", "is required"}) {
			t.Errorf("errors %+v", p.Errors)
		}
	})
	t.Run("InternalHidesDetail", func(t *testing.T) {
		err := &domain.Error{Code: domain.ECInternal, Message: "SELECT * FROM secrets", Err: errors.New("pq: boom")}
		for _, e := range []error{err, errors.New("pq: password authentication failed for user sportello")} {
			p := problemOf(e, "rid", "/x")
			if p.Status != http.StatusInternalServerError || p.Code != "internal" ||
				strings.Contains(p.Detail, "SELECT") || strings.Contains(p.Detail, "pq") {
				t.Errorf("problem %+v leaks or is wrong", p)
			}
		}
	})
	t.Run("CauseNeverShown", func(t *testing.T) {
		err := &domain.Error{Code: domain.ECConflict, Message: "already annulled", Err: errors.New("sql detail")}
		if p := problemOf(err, "rid", "/x"); p.Detail != "already annulled" || p.Status != 409 {
			t.Errorf("problem %+v", p)
		}
	})
}
