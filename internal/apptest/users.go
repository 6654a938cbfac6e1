package apptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/sportello/sportello/domain"
)

var taxCodes atomic.Int64

// TaxCode returns a valid codice fiscale (check character included) that no other call in
// this process returned.
func TaxCode() string {
	prefix := fmt.Sprintf("RSSMRA80A01H%03d", taxCodes.Add(1)%1000)
	for c := 'A'; c <= 'Z'; c++ {
		if _, kind, problem := domain.ParseApplicant(prefix + string(c)); problem == "" && kind == domain.ApplicantPerson {
			return prefix + string(c)
		}
	}
	panic("no check character for " + prefix)
}

// User is a staff user as the API answers it.
type User struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	TaxCode     string   `json:"tax_code"`
	Email       string   `json:"email"`
	Roles       []string `json:"roles"`
	Offices     []string `json:"offices"`
	OIDCSubject *string  `json:"oidc_subject"`
	Active      bool     `json:"active"`
}

// NewUser creates a staff user through POST /v1/users with the admin token; fields holds
// name, tax_code, email, roles, offices and oidc_subject as the request does.
func (s *Server) NewUser(t testing.TB, fields map[string]any) User {
	t.Helper()
	body, _ := json.Marshal(fields)
	var u User
	s.Do(t, "POST", "/v1/users", s.AdminToken, "application/json", bytes.NewReader(body), http.StatusCreated, &u)
	return u
}
