package api_test

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// metric reads one unlabelled sample from /metrics; -1 when absent.
func metric(t *testing.T, c *client, name string) float64 {
	t.Helper()
	r := c.do("GET", "/metrics", "", nil)
	r.expect(t, http.StatusOK)
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", sc.Text(), err)
			}
			return f
		}
	}
	return -1
}

// waitFor polls cond until it holds, failing after a deadline far above the audit interval.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: never happened", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readyzWarnings returns the warnings of /readyz, which must answer 200.
func readyzWarnings(t *testing.T, c *client) string {
	t.Helper()
	var h api.Health
	c.do("GET", "/readyz", "", nil).decode(t, http.StatusOK, &h)
	return strings.Join(h.Warnings, "\n")
}

// TestIntegrityAlarm, in the server, on both engines: a registration row
// altered behind the database's guards gets no receipt (500 integrity_violation, PDF and JSON
// alike) and shows in sportello_integrity_mismatches and in /readyz within a self-audit
// interval; a registration whose leaf was deleted shows there as never logged.
func TestIntegrityAlarm(t *testing.T) {
	fastAudits := apptest.WithConfig(func(cfg *app.Config) { cfg.AuditInterval = 20 * time.Millisecond })
	noLag := func(m *app.Main) { m.IntegrityLag = time.Nanosecond }
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		altered, deleted, kept := c.mustRegister(op, "prima"), c.mustRegister(op, "seconda"), c.mustRegister(op, "terza")
		c.do("GET", refPath(kept)+"/receipt", op, nil, "Accept", "application/json").expect(t, http.StatusOK)

		t.Run("UntouchedRegisterHasNoAlarm", func(t *testing.T) {
			// Two audits that began after every registration was logged.
			start := metric(t, c, "sportello_integrity_audits_total")
			waitFor(t, "two more audits", func() bool { return metric(t, c, "sportello_integrity_audits_total") >= start+2 })
			if n := metric(t, c, "sportello_integrity_mismatches"); n != 0 {
				t.Fatalf("sportello_integrity_mismatches %v on an untouched register", n)
			}
			if w := readyzWarnings(t, c); strings.Contains(w, "integrity") {
				t.Fatalf("readyz warns %q on an untouched register", w)
			}
		})

		testdb.Tamper(t, s.DatabaseURL, []string{`DROP TRIGGER registrations_immutable`, `UPDATE registrations SET subject = 'alterato' WHERE identifier = ?`},
			[]string{`ALTER TABLE registrations DISABLE TRIGGER ALL`, `UPDATE registrations SET subject = 'alterato' WHERE identifier = $1`},
			altered.Identifier)

		t.Run("ErrAlteredRowGetsNoReceipt", func(t *testing.T) {
			for _, accept := range []string{"application/pdf", "application/json"} {
				p := c.do("GET", refPath(altered)+"/receipt", op, nil, "Accept", accept).problem(t, http.StatusInternalServerError, "integrity_violation")
				if !strings.Contains(p.Detail, altered.Register+"/") {
					t.Errorf("detail %q does not name the registration", p.Detail)
				}
			}
			c.do("GET", refPath(kept)+"/receipt", op, nil, "Accept", "application/json").expect(t, http.StatusOK)
		})
		t.Run("AlteredRowRaisesTheAlarm", func(t *testing.T) {
			waitFor(t, "sportello_integrity_mismatches 1", func() bool { return metric(t, c, "sportello_integrity_mismatches") == 1 })
			w := readyzWarnings(t, c)
			if !strings.Contains(w, altered.Identifier) || !strings.Contains(w, "differs from its logged leaf") || strings.Contains(w, kept.Identifier) {
				t.Fatalf("readyz warnings %q: want %s as altered, and only it", w, altered.Identifier)
			}
		})

		testdb.Tamper(t, s.DatabaseURL, []string{`DROP TRIGGER tlog_leaves_no_delete`, `DELETE FROM tlog_leaves WHERE entity_id = ?`},
			[]string{`ALTER TABLE tlog_leaves DISABLE TRIGGER tlog_leaves_guard`, `DELETE FROM tlog_leaves WHERE entity_id = $1`},
			deleted.ID)

		t.Run("DeletedLeafRaisesTheAlarm", func(t *testing.T) {
			waitFor(t, "the deleted leaf reported", func() bool {
				return strings.Contains(readyzWarnings(t, c), deleted.Identifier+": never logged")
			})
			if n := metric(t, c, "sportello_integrity_mismatches"); n < 3 { // altered, the gap, never logged
				t.Fatalf("sportello_integrity_mismatches %v, want the altered row, the gap and the unlogged registration", n)
			}
		})
	}, fastCheckpoints, fastAudits, noLag)
}
