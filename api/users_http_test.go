package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/apptest"
)

func TestUsers(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		cf := apptest.TaxCode()
		var u apptest.User
		c.json("POST", "/v1/users", s.AdminToken, map[string]any{"name": " Anna Neri ", "tax_code": strings.ToLower(cf),
			"email": "Anna@Comune.example.it", "roles": []string{"clerk"}, "offices": []string{"TEC"}}).decode(t, http.StatusCreated, &u)

		t.Run("CreatedNormalised", func(t *testing.T) {
			if u.Name != "Anna Neri" || u.TaxCode != cf || u.Email != "anna@comune.example.it" || !u.Active || u.OIDCSubject != nil {
				t.Errorf("user %+v: want trimmed name, upper-case tax code, lower-case e-mail, active, unbound", u)
			}
			events, err := s.Main.DB.Audit(t.Context(), domain.KindUser, u.ID)
			if err != nil || len(events) != 1 || events[0].Action != "user.created" {
				t.Errorf("audit %+v, %v; want user.created", events, err)
			}
		})
		for name, tc := range map[string]struct {
			body  map[string]any
			field string
		}{
			"ErrTaxCodeCheckCharacter": {map[string]any{"tax_code": cf[:15] + wrongCheck(cf[15])}, "tax_code"},
			"ErrTaxCodeIsPartitaIVA":   {map[string]any{"tax_code": "01234567897"}, "tax_code"},
			"ErrEmail":                 {map[string]any{"email": "Anna <anna@example.org>"}, "email"},
			"ErrPortalRole":            {map[string]any{"roles": []string{"portal"}}, "roles[0]"},
			"ErrNoRole":                {map[string]any{"roles": []string{}}, "roles"},
			"ErrReadOnlyField":         {map[string]any{"active": false}, "active"},
		} {
			t.Run(name, func(t *testing.T) {
				body := map[string]any{"name": "Altra", "tax_code": apptest.TaxCode(), "email": "altra@example.org", "roles": []string{"clerk"}}
				for k, v := range tc.body {
					body[k] = v
				}
				p := c.json("POST", "/v1/users", s.AdminToken, body).problem(t, http.StatusUnprocessableEntity, "validation_failed")
				namesField(t, p, tc.field, "")
			})
		}
		t.Run("ErrTaxCodeTaken", func(t *testing.T) {
			p := c.json("POST", "/v1/users", s.AdminToken, map[string]any{"name": "Doppia", "tax_code": cf,
				"email": "doppia@example.org", "roles": []string{"clerk"}}).problem(t, http.StatusConflict, "conflict")
			if !strings.Contains(p.Detail, "tax code") {
				t.Errorf("detail %q does not name the tax code", p.Detail)
			}
		})
		t.Run("ErrTaxCodeNeverChanges", func(t *testing.T) {
			p := c.json("PATCH", "/v1/users/"+u.ID, s.AdminToken, map[string]any{"tax_code": apptest.TaxCode()}).
				problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "tax_code", "")
		})
		t.Run("PatchRecordsEachChange", func(t *testing.T) {
			var got apptest.User
			c.json("PATCH", "/v1/users/"+u.ID, s.AdminToken, map[string]any{"roles": []string{"clerk", "protocol_operator"}, "name": "Anna Neri"}).
				decode(t, http.StatusOK, &got)
			if strings.Join(got.Roles, ",") != "clerk,protocol_operator" {
				t.Errorf("roles %v", got.Roles)
			}
			events, err := s.Main.DB.Audit(t.Context(), domain.KindUser, u.ID)
			if err != nil || len(events) != 2 || events[1].Field != "roles" || string(events[1].New) != `["clerk","protocol_operator"]` {
				t.Errorf("audit %+v, %v; want one user.changed of roles (the name did not change)", events, err)
			}
		})
		t.Run("ListPages", func(t *testing.T) {
			s.NewUser(t, map[string]any{"name": "Bruno", "tax_code": apptest.TaxCode(), "email": "bruno@example.org", "roles": []string{"clerk"}})
			var page struct {
				Items      []apptest.User `json:"items"`
				NextCursor string         `json:"next_cursor"`
			}
			c.do("GET", "/v1/users?limit=1", s.AdminToken, nil).decode(t, http.StatusOK, &page)
			if len(page.Items) != 1 || page.Items[0].ID != u.ID || page.NextCursor == "" {
				t.Fatalf("first page %+v", page)
			}
			c.do("GET", "/v1/users?limit=1&cursor="+page.NextCursor, s.AdminToken, nil).decode(t, http.StatusOK, &page)
			if len(page.Items) != 1 || page.Items[0].Name != "Bruno" || page.NextCursor != "" {
				t.Errorf("second page %+v", page)
			}
		})
		t.Run("ErrClientIsNoUser", func(t *testing.T) {
			c.do("GET", "/v1/users/"+meID(t, c, s.AdminToken), s.AdminToken, nil).problem(t, http.StatusNotFound, "not_found")
		})
		t.Run("DeactivateTwiceChangesNothing", func(t *testing.T) {
			var first, second apptest.User
			c.do("POST", "/v1/users/"+u.ID+"/deactivate", s.AdminToken, nil).decode(t, http.StatusOK, &first)
			c.do("POST", "/v1/users/"+u.ID+"/deactivate", s.AdminToken, nil).decode(t, http.StatusOK, &second)
			if first.Active || second.Active {
				t.Error("still active")
			}
			events, _ := s.Main.DB.Audit(t.Context(), domain.KindUser, u.ID)
			if n := len(events); n != 3 || events[n-1].Action != "user.deactivated" {
				t.Errorf("audit %+v; want one user.deactivated", events)
			}
		})
	})
}

// wrongCheck returns a check character other than c.
func wrongCheck(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// meID returns the id of the caller of token.
func meID(t *testing.T, c *client, token string) string {
	t.Helper()
	var me struct {
		ID string `json:"id"`
	}
	c.do("GET", "/v1/me", token, nil).decode(t, http.StatusOK, &me)
	return me.ID
}
