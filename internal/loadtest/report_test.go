package loadtest

import (
	"strings"
	"testing"
	"time"
)

// TestIntervalsAndMarkdown: samples are grouped by the interval they finished in, with counts,
// retries, error rate and quantiles per operation, and a whole-run row; the markdown carries the
// table and the checks.
func TestIntervalsAndMarkdown(t *testing.T) {
	start := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	var samples []sample
	for i := range 100 { // first minute: 100 registrations of 1..100 ms, the last one failed after 2 retries
		s := sample{op: OpRegister, at: start.Add(time.Duration(i) * 100 * time.Millisecond), took: time.Duration(i+1) * time.Millisecond, ok: true, attempts: 1}
		if i == 99 {
			s.ok, s.attempts = false, 3
			s.retry("503")
			s.retry("503")
		}
		samples = append(samples, s)
	}
	samples = append(samples, sample{op: OpSearch, at: start.Add(90 * time.Second), took: 7 * time.Millisecond, ok: true, attempts: 1})
	samples = append(samples, sample{op: OpSearch, at: start.Add(2*time.Minute + time.Second), took: 7 * time.Millisecond, ok: true, attempts: 1}) // under way when the load stopped
	rows, total := intervals(samples, start, time.Minute, 2*time.Minute)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	reg := rows[0].Ops[OpRegister]
	if reg.Count != 100 || reg.Failed != 1 || reg.Attempts != 102 || reg.Retried != 2 || reg.P50 != 50*time.Millisecond || reg.P99 != 99*time.Millisecond {
		t.Errorf("first minute's registrations: %+v", reg)
	}
	if got := reg.ErrorRate(); got < 0.029 || got > 0.03 { // (2 retried + 1 failed) / 102
		t.Errorf("error rate %f, want 3/102", got)
	}
	if s := rows[1].Ops[OpSearch]; s.Count != 2 || s.P99 != 7*time.Millisecond || rows[1].From != time.Minute {
		t.Errorf("second minute: %+v from %s", s, rows[1].From)
	}
	if total.Ops[OpRegister].Count != 100 || total.Ops[OpSearch].Count != 2 {
		t.Errorf("whole run: %+v", total.Ops)
	}
	r := &Result{Options: Options{Scenario: "pg-restart", Duration: 2 * time.Minute, Clients: 16, FaultAt: 40 * time.Second, FaultFor: 10 * time.Second},
		Started: start, Blobs: "file", Rows: rows, Total: total, Retried: map[string]int{"503": 2},
		Checks: []Check{{Name: "numbers gapless", OK: true, Detail: "PG/2026 1..100"}, {Name: "index complete", Detail: "a | b"}}}
	md := r.Markdown()
	for _, want := range []string{"-scenario pg-restart -duration 2m0s -clients 16 -fault-at 40s -fault-for 10s",
		"| +0s | registration | 100 | 1 | 2 | 2.9% | 50 ms | 99 ms |", "| +1m0s | search | 2 | 0 | 0 | 0.0% | 7 ms | 7 ms |",
		"503 × 2", "| numbers gapless | PASS | PG/2026 1..100 |", "| index complete | **FAIL** | a \\| b |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if r.OK() {
		t.Error("OK with a failed check")
	}
}
