package api_test

import (
	"net/http"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestListHolds: records officers list legal holds, newest first, active or released, page by
// page; nobody else may.
func TestListHolds(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		ro := s.NewClient(t, "ro", []string{"records_officer"})
		var holds []api.Hold
		for _, class := range []string{"VI", "VII", "VIII"} {
			var h api.Hold
			c.json("POST", "/v1/holds", ro, map[string]string{"class": class, "reason": "Ispezione " + class}).decode(t, http.StatusCreated, &h)
			holds = append(holds, h)
		}
		c.json("POST", "/v1/holds/"+holds[1].ID+"/release", ro, map[string]string{"reason": "Chiusa"}).expect(t, http.StatusOK)

		ids := func(l api.HoldList) []string {
			var out []string
			for _, h := range l.Items {
				out = append(out, h.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name, query string
			want        []string
		}{
			{"All", "", []string{holds[2].ID, holds[1].ID, holds[0].ID}},
			{"Active", "?active=true", []string{holds[2].ID, holds[0].ID}},
			{"Released", "?active=false", []string{holds[1].ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var l api.HoldList
				c.do("GET", "/v1/holds"+tc.query, ro, nil).decode(t, http.StatusOK, &l)
				if got := ids(l); len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) || got[len(got)-1] != tc.want[len(tc.want)-1] || l.NextCursor != "" {
					t.Errorf("holds %v (next %q), want %v", got, l.NextCursor, tc.want)
				}
			})
		}
		t.Run("Pages", func(t *testing.T) {
			var seen []string
			path := "/v1/holds?limit=1"
			for range 4 {
				var l api.HoldList
				c.do("GET", path, ro, nil).decode(t, http.StatusOK, &l)
				seen = append(seen, ids(l)...)
				if l.NextCursor == "" {
					break
				}
				path = "/v1/holds?limit=1&cursor=" + l.NextCursor
			}
			if len(seen) != 3 || seen[0] != holds[2].ID || seen[2] != holds[0].ID {
				t.Errorf("pages %v", seen)
			}
		})
		t.Run("Errors", func(t *testing.T) {
			c.do("GET", "/v1/holds", op, nil).problem(t, http.StatusForbidden, "forbidden")
			namesField(t, c.do("GET", "/v1/holds?active=yes", ro, nil).problem(t, 422, "validation_failed"), "active", "true or false")
			namesField(t, c.do("GET", "/v1/holds?state=x", ro, nil).problem(t, 422, "validation_failed"), "state", "unknown")
			c.do("GET", "/v1/holds?cursor=%21", ro, nil).problem(t, 422, "validation_failed")
		})
	})
}
