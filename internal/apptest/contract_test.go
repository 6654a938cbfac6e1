package apptest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/apptest"
)

// recorder is a testing.TB that keeps the errors reported to it.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestContractClientRequests sends requests to a stub of POST /v1/offices that answers as
// told, and checks which the contract client reports: an accepted request must be one
// openapi.yaml allows; a refused one is not checked.
func TestContractClientRequests(t *testing.T) {
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		status, _ := strconv.Atoi(r.Header.Get("X-Stub-Status"))
		if status == http.StatusCreated {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, `{"code":"UFF","name":"Ufficio","created_at":"2026-01-02T10:00:00Z"}`)
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"type":"urn:sportello:problem:validation_failed","title":"The request is not valid","status":%d,"detail":"code: is required","code":"validation_failed","request_id":"r1"}`, status)
	}))
	defer stub.Close()

	for _, tc := range []struct {
		name, token, body string
		status            int
		reported          string // "" when nothing may be reported
	}{
		{"AcceptedWithinSpec", "spt_a_b", `{"code":"UFF","name":"Ufficio"}`, http.StatusCreated, ""},
		{"ErrAcceptedWithoutRequiredField", "spt_a_b", `{"name":"Ufficio"}`, http.StatusCreated, `property "code" is missing`},
		{"ErrAcceptedWithoutToken", "", `{"code":"UFF","name":"Ufficio"}`, http.StatusCreated, "no bearer token"},
		{"RefusedNotChecked", "spt_a_b", `{"name":"Ufficio"}`, http.StatusUnprocessableEntity, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			req, err := http.NewRequest("POST", stub.URL+"/v1/offices", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Stub-Status", strconv.Itoa(tc.status))
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := apptest.ContractClient(rec, stub.URL).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			switch {
			case tc.reported == "" && len(rec.errs) > 0:
				t.Errorf("reported %q, want nothing", rec.errs)
			case tc.reported != "" && (len(rec.errs) != 1 || !strings.Contains(rec.errs[0], tc.reported)):
				t.Errorf("reported %q, want one error with %q", rec.errs, tc.reported)
			}
		})
	}
}
