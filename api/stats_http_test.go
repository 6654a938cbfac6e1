package api_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestProcedureStats (must-show 3): over a planted set of CILAs (30 days, office SUE) with a
// controlled clock, the monitoring gives exactly the expected counts and durations, the CSV
// the same figures, and the overdue gauge the open case past its deadline.
//
// All are submitted on 2 March 2026 (due 1 April):
//   - A approved on 12 March: in time, 10 days;
//   - B approved on 11 April: late, 40 days;
//   - C awaits the applicant from 10 to 20 March (due moves to 11 April), approved on 5 April:
//     in time, 34 days less 10 paused = 24;
//   - D still in progress on 20 April: open past its deadline;
//   - E awaiting the applicant since 5 March: open, but its deadline stands still.
func TestProcedureStats(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, rome))
	on := func(month time.Month, day int) { clock.Set(time.Date(2026, month, day, 10, 0, 0, 0, rome)) }
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		on(3, 2)
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		sue := s.NewClient(t, "sue", []string{"clerk"}, "SUE")
		records := s.NewClient(t, "rdg", []string{"records_officer"})
		submit := func() string {
			var cs api.Case
			c.submit(portal, personMario, cilaMetadata(), cilaParts()).decode(t, http.StatusCreated, &cs)
			c.transition(sue, cs.ID, "in_progress", "").expect(t, http.StatusOK)
			return cs.ID
		}
		approve := func(id string) { c.transition(sue, id, "approved", "Esito favorevole").expect(t, http.StatusOK) }
		a, b, cc := submit(), submit(), submit()
		submit() // D: left open
		e := submit()
		on(3, 5)
		c.transition(sue, e, "awaiting_applicant", "Integrare la relazione").expect(t, http.StatusOK)
		on(3, 10)
		c.transition(sue, cc, "awaiting_applicant", "Integrare gli elaborati").expect(t, http.StatusOK)
		on(3, 12)
		approve(a)
		on(3, 20)
		c.transition(sue, cc, "in_progress", "Integrazione ricevuta").expect(t, http.StatusOK)
		on(4, 5)
		approve(cc)
		on(4, 11)
		approve(b)
		on(4, 20)

		stats := func(query string) api.ProcedureStatList {
			t.Helper()
			var out api.ProcedureStatList
			c.do("GET", "/v1/stats/procedures?"+query, records, nil).decode(t, http.StatusOK, &out)
			return out
		}
		row := func(list api.ProcedureStatList) api.ProcedureStat {
			t.Helper()
			if len(list.Items) != 1 || list.Items[0].Procedure != "cila" || list.Items[0].Office != "SUE" {
				t.Fatalf("rows %+v, want one for cila and SUE", list.Items)
			}
			return list.Items[0]
		}
		show := func(r api.ProcedureStat) string {
			return fmt.Sprintf("received %d concluded %d in time %d late %d p50 %s p90 %s open overdue %d", r.Received, r.Concluded,
				r.InTime, r.Late, days(r.P50Days), days(r.P90Days), r.OpenOverdue)
		}
		march := stats("from=2026-03-01&to=2026-04-30&office=SUE")
		if got, want := show(row(march)), "received 5 concluded 3 in time 2 late 1 p50 24 p90 40 open overdue 1"; got != want {
			t.Errorf("March-April: %s, want %s", got, want)
		}
		april := stats("from=2026-04-01&to=2026-04-30")
		if got, want := show(row(april)), "received 0 concluded 2 in time 1 late 1 p50 24 p90 40 open overdue 1"; got != want {
			t.Errorf("April: %s, want %s", got, want)
		}
		if april.From != "2026-04-01" || april.To != "2026-04-30" {
			t.Errorf("period %s..%s", april.From, april.To)
		}
		if other := stats("from=2026-03-01&to=2026-04-30&office=ANAG"); len(other.Items) != 0 {
			t.Errorf("office ANAG: %+v", other.Items)
		}
		if def := stats(""); def.From != "2026-01-01" || def.To != "2026-04-20" || show(row(def)) != show(row(march)) {
			t.Errorf("default period %s..%s: %+v", def.From, def.To, def.Items)
		}

		// The CSV has the same figures.
		resp := c.do("GET", "/v1/stats/procedures?from=2026-03-01&to=2026-04-30&office=SUE", records, nil, "Accept", "text/csv")
		resp.expect(t, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type %q", ct)
		}
		table, err := csv.NewReader(strings.NewReader(string(resp.Body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"procedure", "office", "received", "concluded", "in_time", "late", "p50_days", "p90_days", "open_overdue"},
			{"cila", "SUE", "5", "3", "2", "1", "24", "40", "1"},
		}
		if !slices.EqualFunc(table, want, slices.Equal) {
			t.Errorf("CSV %q, want %q", table, want)
		}

		// The gauge of open overdue cases, per procedure.
		metrics := c.do("GET", "/metrics", "", nil)
		metrics.expect(t, http.StatusOK)
		for _, line := range []string{`sportello_cases_overdue{procedure="cila"} 1`, `sportello_cases_overdue{procedure="scia-avvio-attivita"} 0`} {
			if !strings.Contains(string(metrics.Body), line) {
				t.Errorf("/metrics lacks %s", line)
			}
		}

		// Registrations of the period: the five submissions on 2 March, the three final acts.
		var regs api.RegistrationStatList
		c.do("GET", "/v1/stats/registrations?from=2026-03-01&to=2026-04-30", records, nil).decode(t, http.StatusOK, &regs)
		var got []string
		for _, r := range regs.Items {
			got = append(got, fmt.Sprintf("%s %s %s %s %s %d", r.Date, r.Register, r.Direction, r.Channel, r.Office, r.Count))
		}
		wantRegs := []string{"2026-03-02 PG incoming web SUE 5", "2026-03-12 PG outgoing web SUE 1",
			"2026-04-05 PG outgoing web SUE 1", "2026-04-11 PG outgoing web SUE 1"}
		if !slices.Equal(got, wantRegs) {
			t.Errorf("registrations %q, want %q", got, wantRegs)
		}
		resp = c.do("GET", "/v1/stats/registrations?from=2026-03-01&to=2026-03-02", records, nil, "Accept", "text/csv")
		resp.expect(t, http.StatusOK)
		if string(resp.Body) != "date,register,direction,channel,office,count\n2026-03-02,PG,incoming,web,SUE,5\n" {
			t.Errorf("registrations CSV %q", resp.Body)
		}

		namesField(t, c.do("GET", "/v1/stats/procedures?from=2026-13-01", records, nil).problem(t, 422, "validation_failed"), "from", "date")
		namesField(t, c.do("GET", "/v1/stats/procedures?from=2026-04-02&to=2026-04-01", records, nil).problem(t, 422, "validation_failed"), "to", "before")
		c.do("GET", "/v1/stats/procedures", records, nil, "Accept", "application/pdf").problem(t, 406, "not_acceptable")
		c.do("GET", "/v1/stats/procedures", portal, nil, "X-Applicant-Id", personMario).problem(t, 403, "forbidden")
	}, apptest.WithClock(clock.Now))
}

func days(n *int) string {
	if n == nil {
		return "null"
	}
	return fmt.Sprint(*n)
}
