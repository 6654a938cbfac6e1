package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
)

// TestFailedAuthenticationLimit: past its budget of refused tokens an address is answered 429
// with Retry-After, while a valid key from the same address still passes.
func TestFailedAuthenticationLimit(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := apptest.NewClock(start)
	limit := apptest.WithConfig(func(c *app.Config) { c.AuthFailLimit = 3 })
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(start)
		c := newClient(t, s)
		wrong := keyID(s.AdminToken)
		wrong = "spt_" + wrong + "_not-the-secret"
		for i := range 3 {
			c.do("GET", "/v1/me", wrong, nil).problem(t, http.StatusUnauthorized, "unauthorized")
			if i == 0 {
				c.do("GET", "/v1/me", "", nil).problem(t, http.StatusUnauthorized, "unauthorized") // no token: not counted
			}
		}
		r := c.do("GET", "/v1/me", wrong, nil)
		r.problem(t, http.StatusTooManyRequests, "too_many_requests")
		if got := r.Header.Get("Retry-After"); got != "20" {
			t.Errorf("Retry-After %q, want 20 (3 failures a minute: one every 20 s)", got)
		}
		c.do("GET", "/v1/me", "spt_unknown_key", nil).problem(t, http.StatusTooManyRequests, "too_many_requests")
		// The address is the connection's: a forwarded-for header does not make a new one.
		c.do("GET", "/v1/me", wrong, nil, "X-Forwarded-For", "203.0.113.9").problem(t, http.StatusTooManyRequests, "too_many_requests")
		c.do("GET", "/v1/me", s.AdminToken, nil).expect(t, http.StatusOK)

		clock.Set(start.Add(20 * time.Second))
		c.do("GET", "/v1/me", wrong, nil).problem(t, http.StatusUnauthorized, "unauthorized")
		c.do("GET", "/v1/me", wrong, nil).problem(t, http.StatusTooManyRequests, "too_many_requests")
	}, apptest.WithClock(clock.Now), limit)
}

// TestKeyRateLimit: one key past its burst is answered 429 with Retry-After; other keys are
// not held back by it.
func TestKeyRateLimit(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := apptest.NewClock(start)
	limit := apptest.WithConfig(func(c *app.Config) { c.RateLimit, c.RateBurst = 0.5, 2 })
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(start)
		c := newClient(t, s)
		op := s.NewClient(t, "operatore", []string{"protocol_operator"}) // the admin's first request
		c.do("GET", "/v1/me", op, nil).expect(t, http.StatusOK)
		c.do("GET", "/v1/me", op, nil).expect(t, http.StatusOK)
		r := c.do("GET", "/v1/registrations", op, nil)
		r.problem(t, http.StatusTooManyRequests, "too_many_requests")
		if got := r.Header.Get("Retry-After"); got != "2" {
			t.Errorf("Retry-After %q, want 2 (half a request a second)", got)
		}
		c.do("GET", "/v1/me", s.AdminToken, nil).expect(t, http.StatusOK)

		clock.Set(start.Add(2 * time.Second))
		c.do("GET", "/v1/me", op, nil).expect(t, http.StatusOK)
		c.do("GET", "/v1/me", op, nil).problem(t, http.StatusTooManyRequests, "too_many_requests")
	}, apptest.WithClock(clock.Now), limit)
}
