package api_test

import (
	"crypto/x509"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/signing/tlog"
)

// TestReceivedOn follows the field added by docs/architecture.md's walk-through, on both
// engines: the date a paper document reached the office (art. 53) is accepted only as a date
// not after the protocol date, read back, never changed, logged in the registration's leaf —
// whose receipt still verifies, like the leaves of registrations without it — and written in
// the daily journal.
func TestReceivedOn(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Time{})
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(time.Date(2026, 11, 27, 10, 0, 0, 0, rome))
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		ro := s.NewClient(t, "officer", []string{"records_officer"})
		doc := []apptest.Part{{Name: "document", Filename: "lettera.pdf", Content: apptest.PDF("lettera")}}
		paper := func(receivedOn string) map[string]any {
			m := apptest.Incoming("Lettera arrivata per posta")
			m["channel"], m["received_on"] = "paper", receivedOn
			return m
		}

		var reg api.Registration
		c.register(op, paper("2026-11-25"), doc).decode(t, http.StatusCreated, &reg)
		if reg.ReceivedOn != "2026-11-25" || reg.Date != "2026-11-27" {
			t.Fatalf("created with received_on %q on %s, want 2026-11-25 on 2026-11-27", reg.ReceivedOn, reg.Date)
		}
		plain := c.mustRegister(op, "Istanza senza data di arrivo")

		t.Run("ReadBack", func(t *testing.T) {
			var got api.Registration
			c.do("GET", refPath(reg), op, nil).decode(t, http.StatusOK, &got)
			if got.ReceivedOn != "2026-11-25" {
				t.Fatalf("read back received_on %q", got.ReceivedOn)
			}
			var other map[string]any
			c.do("GET", refPath(plain), op, nil).decode(t, http.StatusOK, &other)
			if _, ok := other["received_on"]; ok {
				t.Fatalf("a registration without received_on answers %v", other["received_on"])
			}
		})
		t.Run("ErrAfterProtocolDate", func(t *testing.T) {
			p := c.register(op, paper("2026-11-28"), doc).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "received_on", "after the protocol date")
		})
		t.Run("ErrNotADate", func(t *testing.T) {
			p := c.register(op, paper("25/11/2026"), doc).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "received_on", "date")
		})
		t.Run("ErrImmutable", func(t *testing.T) {
			p := c.json("PATCH", refPath(reg), op, map[string]any{"received_on": "2026-11-20"}).problem(t, http.StatusConflict, "immutable_field")
			namesField(t, p, "received_on", "cannot change")
		})
		t.Run("InTheLeafAndVerified", func(t *testing.T) {
			seal := readCert(t, filepath.Join(s.DataDir, "keys", "seal", "sealing.crt"))
			tsa := readCert(t, filepath.Join(s.DataDir, "keys", "tsa", "tsa.crt"))
			leaf := receiptOf(t, c, op, reg, seal, tsa)
			if !strings.Contains(leaf, `"received_on":"2026-11-25"`) || !strings.Contains(leaf, `"v":2`) {
				t.Fatalf("leaf %s: want received_on, version 2", leaf)
			}
			if leaf := receiptOf(t, c, op, plain, seal, tsa); strings.Contains(leaf, "received_on") || !strings.Contains(leaf, `"v":1`) {
				t.Fatalf("leaf of a registration without received_on %s: want version 1, unchanged", leaf)
			}
			report, err := s.Main.Audit(t.Context(), tlog.AuditOptions{Lag: time.Hour, Now: clock.Now})
			if err != nil || !report.OK() || report.Leaves < 2 {
				t.Fatalf("audit of the whole log: %+v, %v", report, err)
			}
		})
		t.Run("InTheJournal", func(t *testing.T) {
			clock.Set(time.Date(2026, 11, 28, 0, 1, 0, 0, rome))
			// The background journal worker may produce the day's journal first: then this run
			// has none left to make. Either way the journal must exist (read below).
			if n, err := s.Main.ProduceJournals(t.Context()); err != nil || n > 1 {
				t.Fatalf("ProduceJournals = %d, %v", n, err)
			}
			var journal struct {
				Registrations []struct {
					Identifier string `json:"identifier"`
					ReceivedOn string `json:"received_on"`
				} `json:"registrations"`
			}
			c.do("GET", "/v1/registers/PG/journals/2026-11-27", ro, nil, "Accept", "application/json").decode(t, http.StatusOK, &journal)
			got := map[string]string{}
			for _, r := range journal.Registrations {
				got[r.Identifier] = r.ReceivedOn
			}
			if len(got) != 2 || got[reg.Identifier] != "2026-11-25" || got[plain.Identifier] != "" {
				t.Fatalf("journal received_on by identifier: %v", got)
			}
		})
	}, apptest.WithClock(clock.Now), fastCheckpoints, func(m *app.Main) { m.JournalEvery = time.Hour })
}

// receiptOf checks r's receipt as verifyReceipt does and returns its leaf.
func receiptOf(t *testing.T, c *client, token string, r api.Registration, seal, tsa *x509.Certificate) string {
	t.Helper()
	var rc api.Receipt
	c.do("GET", refPath(r)+"/receipt", token, nil, "Accept", "application/json").decode(t, http.StatusOK, &rc)
	verifyReceipt(t, rc, seal, tsa)
	return string(rc.Leaf)
}
