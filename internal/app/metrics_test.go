package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/apptest"
)

// TestGroupMetrics checks that /metrics counts the registrations written in groups. The first
// registration of a register and year may create its counter and is written alone; the next
// ones go through the group queue, each a group of one when they come one at a time.
func TestGroupMetrics(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		for range 3 {
			register(t, s, op, "", "Domanda di contributo")
		}
		metrics := string(s.Do(t, "GET", "/metrics", "", "", nil, http.StatusOK, nil))
		for _, line := range []string{
			"sportello_registration_groups_total 2",
			"sportello_registration_grouped_total 2",
			"sportello_registration_group_failures_total 0",
		} {
			if !strings.Contains(metrics, "\n"+line+"\n") {
				t.Errorf("metrics lack %q", line)
			}
		}
	})
}
