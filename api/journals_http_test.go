package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
)

// TestJournalEndpoints checks the journal endpoints against the contract: list, JSON and PDF
// forms, and their refusals (D1).
func TestJournalEndpoints(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Time{})
	set := clock.Set
	set(time.Date(2026, 11, 27, 10, 0, 0, 0, rome))
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		set(time.Date(2026, 11, 27, 10, 0, 0, 0, rome))
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		ro := s.NewClient(t, "officer", []string{"records_officer"})
		reg := c.mustRegister(op, "Istanza del 27")
		const path = "/v1/registers/PG/journals/2026-11-27"
		c.do("GET", path, ro, nil).problem(t, http.StatusNotFound, "not_found")

		set(time.Date(2026, 11, 28, 0, 1, 0, 0, rome))
		if n, err := s.Main.ProduceJournals(t.Context()); err != nil || n != 1 {
			t.Fatalf("ProduceJournals = %d, %v", n, err)
		}
		var list api.JournalList
		c.do("GET", "/v1/registers/PG/journals?from=2026-11-01&to=2026-11-30", ro, nil).decode(t, http.StatusOK, &list)
		if len(list.Items) != 1 || list.Items[0].Date != "2026-11-27" || list.Items[0].Registrations != 1 {
			t.Fatalf("journals: %+v", list)
		}
		var doc struct {
			Registrations []struct{ Identifier string } `json:"registrations"`
		}
		c.do("GET", path, ro, nil, "Accept", "application/json").decode(t, http.StatusOK, &doc)
		if len(doc.Registrations) != 1 || doc.Registrations[0].Identifier != reg.Identifier {
			t.Fatalf("journal JSON: %+v", doc)
		}
		pdf := c.do("GET", path, ro, nil)
		pdf.expect(t, http.StatusOK)
		if ct := pdf.Header.Get("Content-Type"); ct != "application/pdf" || len(pdf.Body) < 1000 {
			t.Fatalf("journal PDF: %s, %d bytes", ct, len(pdf.Body))
		}

		c.do("GET", path, op, nil).problem(t, http.StatusForbidden, "forbidden")
		c.do("GET", path, ro, nil, "Accept", "text/html").problem(t, http.StatusNotAcceptable, "not_acceptable")
		c.do("GET", "/v1/registers/PG/journals/2026-13-01", ro, nil).problem(t, http.StatusUnprocessableEntity, "validation_failed")
		c.do("GET", "/v1/registers/PG/journals?from=ieri", ro, nil).problem(t, http.StatusUnprocessableEntity, "validation_failed")
		c.do("GET", "/v1/registers/PG/journals?day=1", ro, nil).problem(t, http.StatusUnprocessableEntity, "validation_failed")
		c.do("GET", "/v1/registers/XX/journals", ro, nil).problem(t, http.StatusNotFound, "not_found")
	}, apptest.WithClock(clock.Now), func(m *app.Main) { m.JournalEvery = time.Hour })
}
