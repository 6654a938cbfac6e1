package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestAssignmentConcurrentDecisions: two clerks of the assigned office accept and reject the same
// pending assignment at the same time: exactly one succeeds, the other is 409 conflict (not
// immutable_field), and the history holds one decision.
func TestAssignmentConcurrentDecisions(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		clerks := []string{s.NewClient(t, "clerk1", []string{"clerk"}, "TEC"), s.NewClient(t, "clerk2", []string{"clerk"}, "TEC")}
		// A transport of its own, closed before the server stops.
		tr := &http.Transport{MaxIdleConnsPerHost: 4}
		hc := &http.Client{Transport: tr}
		defer tr.CloseIdleConnections()
		for round := range 6 {
			reg := c.mustRegister(op, "Richiesta concorrente")
			path := refPath(reg)
			var made api.Assignments
			c.json("POST", path+"/assignments", op, map[string]any{"competenza": map[string]any{"office": "TEC"}}).
				decode(t, http.StatusCreated, &made)
			id := made.Items[0].ID
			type answer struct {
				status int
				code   string
			}
			answers := make([]answer, 2)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, clerk := range clerks {
				wg.Go(func() {
					action, body := "/accept", []byte(`{}`)
					if i == 1 {
						action, body = "/reject", []byte(`{"reason":"Non di nostra competenza"}`)
					}
					req, _ := http.NewRequest("POST", s.URL+path+"/assignments/"+id+action, bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+clerk)
					req.Header.Set("Content-Type", "application/json")
					<-start
					resp, err := hc.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					defer resp.Body.Close()
					raw, _ := io.ReadAll(resp.Body)
					var p api.Problem
					_ = json.Unmarshal(raw, &p)
					answers[i] = answer{resp.StatusCode, p.Code}
				})
			}
			close(start)
			wg.Wait()
			ok, conflict := 0, 0
			for _, a := range answers {
				switch {
				case a.status == http.StatusOK:
					ok++
				case a.status == http.StatusConflict && a.code == "conflict":
					conflict++
				}
			}
			if ok != 1 || conflict != 1 {
				t.Fatalf("round %d: answers %+v, want one 200 and one 409 conflict", round, answers)
			}
			var h api.History
			c.do("GET", path+"/history", op, nil).decode(t, http.StatusOK, &h)
			decisions := 0
			for _, e := range h.Items {
				if e.Action == "registration.assignment_accepted" || e.Action == "registration.assignment_rejected" {
					decisions++
				}
			}
			if decisions != 1 {
				t.Fatalf("round %d: %d decisions in the history, want 1", round, decisions)
			}
		}
	})
}
