package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

func TestListRegistrationsPages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		for i := range 5 {
			c.mustRegister(op, "Documento "+strconv.Itoa(i))
		}
		var numbers []int64
		cursor, pages := "", 0
		for {
			q := url.Values{"limit": {"2"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			var page api.RegistrationList
			c.do("GET", "/v1/registrations?"+q.Encode(), op, nil).decode(t, http.StatusOK, &page)
			pages++
			for _, r := range page.Items {
				numbers = append(numbers, r.Number)
			}
			if cursor = page.NextCursor; cursor == "" || pages > 5 {
				break
			}
		}
		if want := []int64{5, 4, 3, 2, 1}; !slices.Equal(numbers, want) || pages != 3 {
			t.Errorf("%d pages with numbers %v, want 3 pages with %v", pages, numbers, want)
		}

		count := func(query string) int {
			var page api.RegistrationList
			c.do("GET", "/v1/registrations?"+query, op, nil).decode(t, http.StatusOK, &page)
			return len(page.Items)
		}
		for query, want := range map[string]int{
			"direction=incoming": 5, "direction=outgoing": 0, "status=active": 5, "status=annulled": 0,
			"register=PG": 5, "register=XX": 0, "channel=web": 5, "year=1999": 0,
		} {
			if got := count(query); got != want {
				t.Errorf("?%s: %d items, want %d", query, got, want)
			}
		}
	})
}

func TestListRegistrationsBadParameters(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		for query, field := range map[string]string{
			"year=abc": "year", "limit=0": "limit", "limit=501": "limit", "limit=-1": "limit",
			"colour=red": "colour", "register=PG&register=XX": "register", "direction=sideways": "direction",
			"channel=fax": "channel", "status=deleted": "status", "from=2026-13-01": "from", "to=yesterday": "to",
		} {
			t.Run(query, func(t *testing.T) {
				namesField(t, c.do("GET", "/v1/registrations?"+query, op, nil).problem(t, 422, "validation_failed"), field, "")
			})
		}
		c.do("GET", "/v1/registrations", "", nil).problem(t, 401, "unauthorized")
	})
}

// TestConfidentialVisibility checks that a confidential registration is hidden, in lists and
// reads alike, from an operator outside its offices, and shown to a records officer.
func TestConfidentialVisibility(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "PERS", "Personale")
		op := s.NewClient(t, "op", []string{"protocol_operator"}, "PERS")
		other := s.NewClient(t, "other", []string{"protocol_operator"})
		officer := s.NewClient(t, "officer", []string{"records_officer"})
		meta := apptest.Incoming("Riservato")
		meta["confidential"], meta["offices"] = true, []string{"PERS"}
		var reg api.Registration
		c.register(op, meta, []apptest.Part{{Name: "document", Filename: "r.pdf", Content: apptest.PDF("r")}}).
			decode(t, http.StatusCreated, &reg)
		c.mustRegister(op, "Pubblico")

		for token, want := range map[string]int{op: 2, other: 1, officer: 2} {
			var page api.RegistrationList
			c.do("GET", "/v1/registrations", token, nil).decode(t, http.StatusOK, &page)
			if len(page.Items) != want {
				t.Errorf("%d items visible, want %d", len(page.Items), want)
			}
		}
		c.do("GET", refPath(reg), other, nil).problem(t, 404, "not_found")
		c.do("GET", refPath(reg)+"/document", other, nil).problem(t, 404, "not_found")
		c.do("GET", refPath(reg)+"/history", other, nil).problem(t, 404, "not_found")
		c.do("GET", refPath(reg), officer, nil).expect(t, http.StatusOK)
	})
}
