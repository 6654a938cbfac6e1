package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestTextNotStorable sends NUL characters and invalid UTF-8 in every place text enters: each is
// a 422 naming the field on both engines (PostgreSQL answered 500, SQLite stored the NUL), and
// nothing is stored.
func TestTextNotStorable(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "sportello", []string{"protocol_operator"})
		offices := func() string {
			return string(c.do("GET", "/v1/offices", s.AdminToken, nil).Body)
		}
		office := func(body string, headers ...string) *response {
			return c.json("POST", "/v1/offices", s.AdminToken, body, headers...)
		}
		registrations := func() int {
			var list api.RegistrationList
			c.do("GET", "/v1/registrations", op, nil).decode(t, http.StatusOK, &list)
			return len(list.Items)
		}
		// metadata returns valid registration metadata with the subject and first correspondent's
		// name given as raw JSON string contents, so that invalid UTF-8 reaches the server as is.
		metadata := func(subject, name string) []byte {
			raw, _ := json.Marshal(apptest.Incoming("SUBJECT"))
			raw = bytes.Replace(raw, []byte("SUBJECT"), []byte(subject), 1)
			return bytes.Replace(raw, []byte("Mario Rossi"), []byte(name), 1)
		}
		pdf := []apptest.Part{{Name: "document", Filename: "domanda.pdf", Content: apptest.PDF("Domanda")}}

		t.Run("ErrNULInJSONField", func(t *testing.T) {
			p := office(`{"code": "NUL", "name": "Ufficio\u0000nullo"}`).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "name", "NUL")
			if strings.Contains(offices(), `"NUL"`) {
				t.Error("the office was stored")
			}
		})
		t.Run("ErrInvalidUTF8InJSONField", func(t *testing.T) {
			p := office("{\"code\": \"BAD\", \"name\": \"Ufficio \xff\"}").problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "name", "UTF-8")
			if strings.Contains(offices(), `"BAD"`) {
				t.Error("the office was stored")
			}
		})
		t.Run("ErrInvalidUTF8InIdempotencyKey", func(t *testing.T) {
			p := office(`{"code": "KEY", "name": "Ufficio"}`, "Idempotency-Key", "chiave-\xff").problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "Idempotency-Key", "UTF-8")
			if strings.Contains(offices(), `"KEY"`) {
				t.Error("the office was stored")
			}
		})
		t.Run("ErrNULInMetadataField", func(t *testing.T) {
			p := c.register(op, metadata("Domanda", `Mario\u0000Rossi`), pdf).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "correspondents[0].name", "NUL")
		})
		t.Run("ErrInvalidUTF8InMetadataField", func(t *testing.T) {
			p := c.register(op, metadata("Domanda \xc3", "Mario Rossi"), pdf).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "subject", "UTF-8")
		})
		t.Run("ErrInvalidUTF8InFilename", func(t *testing.T) {
			parts := []apptest.Part{{Name: "document", Filename: "domanda-\xff.pdf", Content: apptest.PDF("Domanda")}}
			p := c.register(op, metadata("Domanda", "Mario Rossi"), parts).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "document", "UTF-8")
		})
		if n := registrations(); n != 0 {
			t.Errorf("%d registrations stored, want none", n)
		}
		t.Run("ErrNULInClassesCSV", func(t *testing.T) {
			body := "code,level,parent,title,description,retention_years,valid_from\nVI.99,2,VI,Titolo\x00,,10,2026-01-01\n"
			p := c.do("POST", "/v1/classes", s.AdminToken, strings.NewReader(body), "Content-Type", "text/csv").
				problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "line 2", "NUL")
			c.do("GET", "/v1/classes/VI.99", op, nil).expect(t, http.StatusNotFound)
		})
		for _, q := range []struct{ name, query, field, word string }{
			{"ErrNULInQuery", "?class=VI%00", "class", "NUL"},
			{"ErrInvalidUTF8InQuery", "?office=TEC%FF", "office", "UTF-8"},
		} {
			t.Run(q.name, func(t *testing.T) {
				p := c.do("GET", "/v1/registrations"+q.query, op, nil).problem(t, http.StatusUnprocessableEntity, "validation_failed")
				namesField(t, p, q.field, q.word)
			})
		}
		for _, q := range []struct{ name, path, field, word string }{
			{"ErrNULInPath", "/v1/dossiers/abc%00", "id", "NUL"},
			{"ErrInvalidUTF8InPath", "/v1/classes/VI%FF", "code", "UTF-8"},
		} {
			t.Run(q.name, func(t *testing.T) {
				p := c.do("GET", q.path, op, nil).problem(t, http.StatusUnprocessableEntity, "validation_failed")
				namesField(t, p, q.field, q.word)
			})
		}
	})
}
