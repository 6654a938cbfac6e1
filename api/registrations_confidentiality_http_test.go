package api_test

import (
	"net/http"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestChangeConfidentiality: a records officer marks a registration confidential with a reason
// and lifts the mark; the history records both with the reason; visibility follows at once
// (another office's clerk loses sight of it, a protocol operator too); only records officers may,
// only with a reason, and only to a new value.
func TestChangeConfidentiality(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		officer := s.NewClient(t, "officer", []string{"records_officer"})
		clerk := s.NewClient(t, "clerk", []string{"clerk"}, "TEC")
		reg := c.mustRegister(op, "Certificato medico")
		path := refPath(reg)
		c.json("PATCH", path, op, map[string]any{"offices": []string{"TEC"}}).expect(t, http.StatusOK)
		c.do("GET", path, clerk, nil).expect(t, http.StatusOK)
		other := s.NewClient(t, "op2", []string{"protocol_operator"})
		c.do("GET", path, other, nil).expect(t, http.StatusOK)

		t.Run("ErrForbidden", func(t *testing.T) {
			c.json("POST", path+"/confidentiality", op, map[string]any{"confidential": true, "reason": "x"}).problem(t, 403, "forbidden")
			c.json("POST", path+"/confidentiality", clerk, map[string]any{"confidential": true, "reason": "x"}).problem(t, 403, "forbidden")
		})
		t.Run("ErrReasonRequired", func(t *testing.T) {
			namesField(t, c.json("POST", path+"/confidentiality", officer, map[string]any{"confidential": true, "reason": " "}).
				problem(t, 422, "validation_failed"), "reason", "required")
		})
		t.Run("ErrConfidentialRequired", func(t *testing.T) {
			namesField(t, c.json("POST", path+"/confidentiality", officer, map[string]any{"reason": "x"}).
				problem(t, 422, "validation_failed"), "confidential", "required")
		})
		t.Run("ErrUnchanged", func(t *testing.T) {
			c.json("POST", path+"/confidentiality", officer, map[string]any{"confidential": false, "reason": "x"}).problem(t, 409, "conflict")
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			c.json("POST", "/v1/registrations/PG/2026/999/confidentiality", officer, map[string]any{"confidential": true, "reason": "x"}).
				problem(t, 404, "not_found")
		})

		var got api.Registration
		c.json("POST", path+"/confidentiality", officer, map[string]any{"confidential": true, "reason": "Dati sanitari"}).
			decode(t, http.StatusOK, &got)
		if !got.Confidential || got.Subject != reg.Subject {
			t.Fatalf("after marking: %+v", got)
		}
		// The clerk of the registration's office and its creator still see it; another
		// protocol operator no longer does.
		c.do("GET", path, clerk, nil).expect(t, http.StatusOK)
		c.do("GET", path, op, nil).expect(t, http.StatusOK)
		c.do("GET", path, other, nil).problem(t, 404, "not_found")

		c.json("POST", path+"/confidentiality", officer, map[string]any{"confidential": false, "reason": "Errore di valutazione"}).
			decode(t, http.StatusOK, &got)
		if got.Confidential {
			t.Fatalf("after lifting: %+v", got)
		}
		c.do("GET", path, other, nil).expect(t, http.StatusOK)

		var h api.History
		c.do("GET", path+"/history", officer, nil).decode(t, http.StatusOK, &h)
		var changes []api.HistoryEvent
		for _, e := range h.Items {
			if e.Field == "confidential" {
				changes = append(changes, e)
			}
		}
		if len(changes) != 2 || changes[0].Detail != "Dati sanitari" || changes[0].Old != false || changes[0].New != true ||
			changes[1].Detail != "Errore di valutazione" || changes[1].Old != true || changes[1].New != false {
			t.Fatalf("confidentiality history %+v", changes)
		}
	})
}
