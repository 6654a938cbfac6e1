package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestDossierResponsibleChange: PATCH /v1/dossiers/{id} changes the responsible person to an
// active member of the dossier's office, recorded in the dossier's history with old and new
// value; other members are immutable, a person of another office is 422, a clerk of another
// office cannot see the dossier, and a closed dossier refuses with 409.
func TestDossierResponsibleChange(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		s.NewOffice(t, "RAG", "Ragioneria")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		clerk := s.NewClient(t, "clerkTEC", []string{"clerk"}, "TEC")
		other := s.NewClient(t, "clerkRAG", []string{"clerk"}, "RAG")
		fields := func(office string) map[string]any {
			cf := apptest.TaxCode()
			return map[string]any{"name": "Maria Bianchi", "tax_code": cf, "email": strings.ToLower(cf) + "@comune.example.it",
				"roles": []string{"clerk"}, "offices": []string{office}}
		}
		first, second, outsider := s.NewUser(t, fields("TEC")), s.NewUser(t, fields("TEC")), s.NewUser(t, fields("RAG"))
		var d api.Dossier
		c.json("POST", "/v1/dossiers", op, map[string]any{"class": "VI.3", "subject": "Lavori", "type": "affare",
			"office": "TEC", "responsible": first.ID}).decode(t, http.StatusCreated, &d)
		path := "/v1/dossiers/" + d.ID
		patch := func(token, body string) *response {
			return c.do("PATCH", path, token, strings.NewReader(body), "Content-Type", "application/merge-patch+json")
		}

		t.Run("ErrOutsider", func(t *testing.T) {
			namesField(t, patch(clerk, `{"responsible": "`+outsider.ID+`"}`).problem(t, 422, "validation_failed"), "responsible", "not an active member")
		})
		t.Run("ErrUnknownUser", func(t *testing.T) {
			namesField(t, patch(clerk, `{"responsible": "nobody"}`).problem(t, 422, "validation_failed"), "responsible", "no user")
		})
		t.Run("ErrImmutable", func(t *testing.T) {
			patch(clerk, `{"subject": "Altro"}`).problem(t, 409, "immutable_field")
			patch(clerk, `{"office": "RAG"}`).problem(t, 409, "immutable_field")
		})
		t.Run("ErrUnknownField", func(t *testing.T) {
			patch(clerk, `{"colour": "red"}`).problem(t, 422, "validation_failed")
		})
		t.Run("ErrNull", func(t *testing.T) {
			namesField(t, patch(clerk, `{"responsible": null}`).problem(t, 422, "validation_failed"), "responsible", "null")
		})
		t.Run("ErrEmpty", func(t *testing.T) {
			patch(clerk, `{}`).problem(t, 422, "validation_failed")
		})
		t.Run("ErrOtherOffice", func(t *testing.T) {
			patch(other, `{"responsible": "`+second.ID+`"}`).problem(t, 404, "not_found")
		})

		var got api.Dossier
		patch(clerk, `{"responsible": "`+second.ID+`"}`).decode(t, http.StatusOK, &got)
		if got.Responsible != second.ID || got.Identifier != d.Identifier || got.Subject != "Lavori" {
			t.Fatalf("patched %+v", got)
		}
		c.do("GET", path, op, nil).decode(t, http.StatusOK, &got)
		if got.Responsible != second.ID {
			t.Fatalf("read back %+v", got)
		}
		patch(clerk, `{"responsible": "`+second.ID+`"}`).decode(t, http.StatusOK, &got) // unchanged: no event
		var removed api.Dossier
		patch(op, `{"responsible": ""}`).decode(t, http.StatusOK, &removed)
		if removed.Responsible != "" || removed.ID != d.ID {
			t.Fatalf("removed %+v", removed)
		}

		var h api.History
		c.do("GET", path+"/history", op, nil).decode(t, http.StatusOK, &h)
		var changes []string
		for _, e := range h.Items {
			if e.Field == "responsible" {
				changes = append(changes, e.Action+" "+e.Old.(string)+" → "+e.New.(string))
			}
		}
		want := []string{"dossier.changed " + first.ID + " → " + second.ID, "dossier.changed " + second.ID + " → "}
		if strings.Join(changes, "\n") != strings.Join(want, "\n") {
			t.Fatalf("history of the responsible:\n%s\nwant\n%s", strings.Join(changes, "\n"), strings.Join(want, "\n"))
		}

		c.json("POST", path+"/close", op, map[string]string{"reason": "Concluso"}).expect(t, http.StatusOK)
		patch(op, `{"responsible": "`+first.ID+`"}`).problem(t, 409, "conflict")
	})
}
