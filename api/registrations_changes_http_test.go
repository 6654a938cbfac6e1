package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

func TestPatchRegistration(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		clerk := s.NewClient(t, "clerk", []string{"clerk"})
		reg := c.mustRegister(op, "Da classificare")
		path := refPath(reg)

		var got api.Registration
		c.json("PATCH", path, op, map[string]any{"class": "VI.3", "offices": []string{"TEC"}}).decode(t, http.StatusOK, &got)
		if got.Class != "VI.3" || !slices.Equal(got.Offices, []string{"TEC"}) || got.Subject != reg.Subject || got.Number != reg.Number {
			t.Errorf("patched %+v", got)
		}

		t.Run("ErrImmutable", func(t *testing.T) {
			for _, f := range []string{"subject", "number", "correspondents", "registered_at", "status", "document"} {
				p := c.json("PATCH", path, op, map[string]any{f: "x", "class": "I"}).problem(t, 409, "immutable_field")
				namesField(t, p, f, "cannot change")
			}
		})
		t.Run("ErrUnknownField", func(t *testing.T) {
			namesField(t, c.json("PATCH", path, op, map[string]any{"colour": "red"}).problem(t, 422, "validation_failed"), "colour", "unknown")
		})
		t.Run("ErrNull", func(t *testing.T) {
			namesField(t, c.json("PATCH", path, op, `{"class": null}`).problem(t, 422, "validation_failed"), "class", "null")
		})
		t.Run("ErrEmpty", func(t *testing.T) {
			namesField(t, c.json("PATCH", path, op, `{}`).problem(t, 422, "validation_failed"), "body", "nothing to change")
		})
		t.Run("ErrMalformed", func(t *testing.T) {
			namesField(t, c.json("PATCH", path, op, `{"class": "VI"`).problem(t, 422, "validation_failed"), "body", "malformed JSON")
			namesField(t, c.json("PATCH", path, op, `{"offices": "TEC"}`).problem(t, 422, "validation_failed"), "offices", "array")
		})
		t.Run("ErrBadValues", func(t *testing.T) {
			namesField(t, c.json("PATCH", path, op, `{"class": "6.3"}`).problem(t, 422, "validation_failed"), "class", "classification")
			namesField(t, c.json("PATCH", path, op, `{"offices": ["NOPE"]}`).problem(t, 422, "validation_failed"), "offices[0]", "unknown office")
		})
		t.Run("ErrNotJSON", func(t *testing.T) {
			c.do("PATCH", path, op, nil, "Content-Type", "text/plain").problem(t, 415, "unsupported_media_type")
		})
		t.Run("ErrForbidden", func(t *testing.T) {
			c.json("PATCH", path, clerk, `{"class": "I"}`).problem(t, 403, "forbidden")
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			c.json("PATCH", "/v1/registrations/PG/2026/999", op, `{"class": "I"}`).problem(t, 404, "not_found")
		})

		var after api.Registration
		c.do("GET", path, op, nil).decode(t, http.StatusOK, &after)
		if after.Subject != reg.Subject || after.Class != "VI.3" || !slices.Equal(after.Offices, []string{"TEC"}) {
			t.Errorf("after the refused patches: %+v", after)
		}
		var h api.History
		c.do("GET", path+"/history", op, nil).decode(t, http.StatusOK, &h)
		var fields []string
		for _, e := range h.Items {
			if e.Field != "" {
				fields = append(fields, e.Field)
			}
		}
		slices.Sort(fields)
		if !slices.Equal(fields, []string{"class", "offices"}) || h.Items[0].Action != "registration.created" {
			t.Errorf("history %+v", h.Items)
		}
	})
}

func TestAnnulRegistration(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		officer := s.NewClient(t, "Responsabile", []string{"records_officer"})
		reg := c.mustRegister(op, "Registrata per errore")
		path := refPath(reg) + "/annulment"
		ok := map[string]string{"reason": "Doppia registrazione", "authorization": "Determina n. 12"}

		c.json("POST", path, op, ok).problem(t, 403, "forbidden")
		namesField(t, c.json("POST", path, officer, map[string]string{"reason": "x"}).problem(t, 422, "validation_failed"), "authorization", "required")
		namesField(t, c.json("POST", path, officer, map[string]string{"reason": "x", "authorisation": "y"}).problem(t, 422, "validation_failed"), "authorisation", "unknown")
		c.do("POST", path, officer, nil, "Content-Type", "application/x-www-form-urlencoded").problem(t, 415, "unsupported_media_type")

		var got api.Registration
		c.json("POST", path, officer, ok, "Idempotency-Key", "annul-1").decode(t, http.StatusOK, &got)
		a := got.Annulment
		if got.Status != "annulled" || a == nil || a.Reason != ok["reason"] || a.Authorization != ok["authorization"] ||
			a.ByName != "Responsabile" || a.By == "" || a.At.IsZero() || got.Subject != reg.Subject || got.Number != reg.Number {
			t.Errorf("annulled %+v", got)
		}
		r := c.json("POST", path, officer, ok, "Idempotency-Key", "annul-1")
		r.decode(t, http.StatusOK, nil)
		if r.Header.Get("Idempotent-Replayed") != "true" {
			t.Error("a retried annulment is not a replay")
		}
		c.json("POST", path, officer, ok).problem(t, 409, "conflict")
		c.json("PATCH", refPath(reg), op, `{"class": "I"}`).problem(t, 409, "conflict")

		var read api.Registration
		c.do("GET", refPath(reg), op, nil).decode(t, http.StatusOK, &read)
		if read.Status != "annulled" || read.Annulment == nil {
			t.Errorf("read back %+v", read)
		}
		c.do("GET", refPath(reg)+"/document", op, nil).expect(t, http.StatusOK)
		var page api.RegistrationList
		c.do("GET", "/v1/registrations?status=annulled", op, nil).decode(t, http.StatusOK, &page)
		if len(page.Items) != 1 {
			t.Errorf("%d annulled in the list, want 1", len(page.Items))
		}

		var h api.History
		c.do("GET", refPath(reg)+"/history", officer, nil).decode(t, http.StatusOK, &h)
		last := h.Items[len(h.Items)-1]
		var old, now string
		json.Unmarshal(toJSON(last.Old), &old)
		json.Unmarshal(toJSON(last.New), &now)
		if last.Action != "registration.annulled" || last.Field != "status" || old != "active" || now != "annulled" || last.ActorName != "Responsabile" {
			t.Errorf("history ends with %+v", last)
		}
		if next := c.mustRegister(op, "Dopo"); next.Number != 2 {
			t.Errorf("next number %d, want 2: an annulled number is never reused", next.Number)
		}
	})
}

func toJSON(v any) []byte { b, _ := json.Marshal(v); return b }
