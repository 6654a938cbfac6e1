package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestEmergencyOutageResolved, on both engines: an entry of the emergency register uploaded with
// its file may leave out its outage (what the import tool sends): the one outage of the register
// whose dates contain the emergency date is taken; no outage that day is 422 naming
// emergency.date, two outages that day 422 naming emergency.outage, which then settles it.
func TestEmergencyOutageResolved(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Time{})
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, rome))
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		ro := s.NewClient(t, "officer", []string{"records_officer"})
		outage := func(start time.Time, hours int) api.Outage {
			var o api.Outage
			c.json("POST", "/v1/registers/PG/emergencies", ro, map[string]any{"cause": "Guasto", "start": start,
				"end": start.Add(time.Duration(hours) * time.Hour), "authorization": "Autorizzazione n. 5"}).
				decode(t, http.StatusCreated, &o)
			return o
		}
		only := outage(time.Date(2026, 11, 27, 20, 0, 0, 0, rome), 6) // 27 and 28 November
		morning := outage(time.Date(2026, 11, 29, 8, 0, 0, 0, rome), 2)
		afternoon := outage(time.Date(2026, 11, 29, 14, 0, 0, 0, rome), 2)
		entry := func(number int, date, outage string) *response {
			meta := apptest.Incoming("Voce del registro di emergenza")
			meta["channel"] = "paper"
			e := map[string]any{"number": number, "date": date}
			if outage != "" {
				e["outage"] = outage
			}
			meta["emergency"] = e
			return c.register(op, meta, []apptest.Part{{Name: "document", Filename: "voce.pdf", Content: apptest.PDF("voce")}})
		}

		for i, date := range []string{"2026-11-27", "2026-11-28"} {
			var r api.Registration
			entry(i+1, date, "").decode(t, http.StatusCreated, &r)
			if r.Emergency == nil || r.Emergency.Register != only.ID || r.Emergency.Date != date {
				t.Fatalf("entry of %s: emergency %+v, want outage %s", date, r.Emergency, only.ID)
			}
		}
		t.Run("ErrNoOutage", func(t *testing.T) {
			p := entry(40, "2026-11-26", "").problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "emergency.date", "no outage of register PG covers 2026-11-26")
		})
		t.Run("ErrTwoOutages", func(t *testing.T) {
			p := entry(41, "2026-11-29", "").problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "emergency.outage", "2 outages")
		})
		t.Run("NamedOutage", func(t *testing.T) {
			for _, o := range []api.Outage{morning, afternoon} {
				var r api.Registration
				entry(42, "2026-11-29", o.ID).decode(t, http.StatusCreated, &r)
				if r.Emergency == nil || r.Emergency.Register != o.ID {
					t.Errorf("emergency %+v, want outage %s", r.Emergency, o.ID)
				}
			}
		})
	}, apptest.WithClock(clock.Now))
}
