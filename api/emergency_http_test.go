package api_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/signing/tlog"
)

// outageDays makes each outage of the access table start on a day of its own, so that no two
// overlap.
var outageDays atomic.Int64

// newOutageBody is a fresh outage of two hours on a day no other has used.
func newOutageBody() map[string]any {
	start := time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, int(outageDays.Add(1)))
	return map[string]any{"cause": "Interruzione della linea dati", "start": start, "end": start.Add(2 * time.Hour),
		"authorization": "Autorizzazione del responsabile n. 3"}
}

// outage records a fresh outage of PG as the records officer.
func (fx *accessFixtures) outage(t *testing.T) api.Outage {
	t.Helper()
	var o api.Outage
	fx.c.json("POST", "/v1/registers/PG/emergencies", fx.tokens[asRecords], newOutageBody()).decode(t, http.StatusCreated, &o)
	return o
}

// emergencyEntry is an incoming entry of the emergency register, without a file.
func emergencyEntry(number int, date string) map[string]any {
	m := apptest.Incoming(fmt.Sprintf("Istanza scritta sul registro di emergenza n. %d", number))
	m["emergency_number"], m["emergency_date"] = number, date
	delete(m, "channel") // paper, by default
	return m
}

// TestEmergencyRegister is must-show 5 of issue 15 (E1, art. 63), on both engines: an outage
// with 20 entries loaded afterwards — they take consecutive ordinary numbers after the last one,
// in emergency-number order, keep their emergency numbers and dates (GET, receipt, leaf) and are
// in that day's journal; a retried load takes no number; an emergency date outside the outage,
// an emergency number loaded twice and an outage of another register are refused.
func TestEmergencyRegister(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Time{})
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, rome))
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		ro := s.NewClient(t, "officer", []string{"records_officer"})
		admin := s.AdminToken
		c.mustRegister(op, "Prima dell'interruzione")
		last := c.mustRegister(op, "Ultima prima del caricamento")

		start := time.Date(2026, 11, 30, 8, 0, 0, 0, rome)
		outageBody := map[string]any{"cause": "Guasto del server di protocollo", "start": start,
			"end": start.Add(10 * time.Hour), "authorization": "Autorizzazione del responsabile n. 3 del 2026-11-30"}
		var o api.Outage
		c.json("POST", "/v1/registers/PG/emergencies", ro, outageBody).decode(t, http.StatusCreated, &o)
		if o.ID == "" || o.Register != "PG" || o.Entries != 0 || !o.Start.Equal(start) || o.CreatedBy == "" {
			t.Fatalf("outage %+v", o)
		}
		base := "/v1/registers/PG/emergencies/" + o.ID

		t.Run("ErrOverlap", func(t *testing.T) {
			body := map[string]any{"cause": "altro", "start": start.Add(9 * time.Hour), "end": start.Add(11 * time.Hour), "authorization": "n. 4"}
			c.json("POST", "/v1/registers/PG/emergencies", admin, body).problem(t, http.StatusConflict, "conflict")
		})
		t.Run("ErrMissingFields", func(t *testing.T) {
			body := map[string]any{"cause": " ", "start": start.AddDate(0, 0, -3), "end": start.AddDate(0, 0, -4), "authorization": ""}
			p := c.json("POST", "/v1/registers/PG/emergencies", admin, body).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "cause", "required")
			namesField(t, p, "authorization", "required")
			namesField(t, p, "end", "after start")
		})
		t.Run("ErrUnknownRegister", func(t *testing.T) {
			c.json("POST", "/v1/registers/NOPE/emergencies", admin, newOutageBody()).problem(t, http.StatusNotFound, "not_found")
		})
		t.Run("ErrFutureEnd", func(t *testing.T) {
			body := map[string]any{"cause": "altro", "start": start.AddDate(0, 0, 1), "end": start.AddDate(0, 0, 2), "authorization": "n. 4"}
			p := c.json("POST", "/v1/registers/PG/emergencies", admin, body).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "end", "future")
		})

		// Twenty entries, sent out of order: they are numbered in emergency-number order.
		entries := make([]any, 0, 20)
		for i := 20; i >= 1; i-- {
			entries = append(entries, emergencyEntry(i, "2026-11-30"))
		}
		var loaded api.EmergencyLoadResult
		load := c.json("POST", base+"/entries", op, map[string]any{"entries": entries}, "Idempotency-Key", "load-1")
		load.decode(t, http.StatusCreated, &loaded)
		if len(loaded.Items) != 20 {
			t.Fatalf("loaded %d entries, want 20", len(loaded.Items))
		}
		for i, r := range loaded.Items {
			if r.Number != last.Number+1+int64(i) || r.Emergency == nil || r.Emergency.Number != int64(i+1) ||
				r.Emergency.Date != "2026-11-30" || r.Emergency.Register != o.ID || r.Date != "2026-12-01" {
				t.Fatalf("entry %d: number %d, emergency %+v, date %s; want number %d, emergency %d of 2026-11-30",
					i, r.Number, r.Emergency, r.Date, last.Number+1+int64(i), i+1)
			}
		}

		t.Run("RetryTakesNoNumber", func(t *testing.T) {
			var again api.EmergencyLoadResult
			r := c.json("POST", base+"/entries", op, map[string]any{"entries": entries}, "Idempotency-Key", "load-1")
			r.decode(t, http.StatusCreated, &again)
			if r.Header.Get("Idempotent-Replayed") != "true" || len(again.Items) != 20 || again.Items[19].ID != loaded.Items[19].ID {
				t.Fatalf("retry answered %d items, replayed %q", len(again.Items), r.Header.Get("Idempotent-Replayed"))
			}
		})
		t.Run("ErrDateOutsideOutage", func(t *testing.T) {
			p := c.json("POST", base+"/entries", op, map[string]any{"entries": []any{emergencyEntry(30, "2026-12-01")}}).
				problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "entries[0].emergency_date", "outside the outage")
		})
		t.Run("ErrDuplicateEmergencyNumber", func(t *testing.T) {
			c.json("POST", base+"/entries", op, map[string]any{"entries": []any{emergencyEntry(31, "2026-11-30"), emergencyEntry(7, "2026-11-30")}}).
				problem(t, http.StatusConflict, "conflict")
		})
		t.Run("ErrImporterOutgoing", func(t *testing.T) {
			imp := s.NewClient(t, "scanner", []string{"importer"})
			e := emergencyEntry(35, "2026-11-30")
			e["direction"] = "outgoing"
			p := c.json("POST", base+"/entries", imp, map[string]any{"entries": []any{e}}).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "entries[0].direction", "incoming")
		})
		t.Run("ErrRepeatedInBatch", func(t *testing.T) {
			p := c.json("POST", base+"/entries", op, map[string]any{"entries": []any{emergencyEntry(32, "2026-11-30"), emergencyEntry(32, "2026-11-30")}}).
				problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "entries[1].emergency_number", "repeats")
		})
		t.Run("ErrOutageOfAnotherRegister", func(t *testing.T) {
			c.json("POST", "/v1/registers", admin, map[string]any{"code": "DELIB", "name": "Delibere", "allow_unclassified": true}).expect(t, http.StatusCreated)
			c.json("POST", "/v1/registers/DELIB/emergencies/"+o.ID+"/entries", op, map[string]any{"entries": []any{emergencyEntry(33, "2026-11-30")}}).
				problem(t, http.StatusNotFound, "not_found")
			meta := apptest.Incoming("Delibera dal registro di emergenza")
			meta["register"] = "DELIB"
			meta["emergency"] = map[string]any{"outage": o.ID, "number": 34, "date": "2026-11-30"}
			p := c.register(op, meta, []apptest.Part{{Name: "document", Filename: "d.pdf", Content: apptest.PDF("delibera")}}).
				problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "emergency.outage", "register PG")
		})

		// One more entry, with its file, through the ordinary upload (the bulk tool's path).
		withFile := func(number int, date string) *response {
			meta := apptest.Incoming("Esposto scritto sul registro di emergenza")
			meta["channel"] = "paper"
			meta["emergency"] = map[string]any{"outage": o.ID, "number": number, "date": date}
			return c.register(op, meta, []apptest.Part{{Name: "document", Filename: "esposto.pdf", Content: apptest.PDF("esposto")}})
		}
		var scanned api.Registration
		withFile(21, "2026-11-30").decode(t, http.StatusCreated, &scanned)
		if scanned.Number != last.Number+21 || scanned.Emergency == nil || scanned.Emergency.Number != 21 {
			t.Fatalf("entry with its file: number %d, emergency %+v", scanned.Number, scanned.Emergency)
		}
		t.Run("ErrUploadDuplicate", func(t *testing.T) {
			withFile(21, "2026-11-30").problem(t, http.StatusConflict, "conflict")
		})
		t.Run("ErrUploadDateOutsideOutage", func(t *testing.T) {
			p := withFile(22, "2026-11-29").problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "emergency.date", "outside the outage")
		})
		t.Run("ErrImmutable", func(t *testing.T) {
			p := c.json("PATCH", refPath(scanned), op, map[string]any{"emergency": map[string]any{"number": 2}}).problem(t, http.StatusConflict, "immutable_field")
			namesField(t, p, "emergency", "cannot change")
		})
		if next := c.mustRegister(op, "Dopo il caricamento"); next.Number != last.Number+22 {
			t.Fatalf("the next registration took %d, want %d: a refused or retried load took numbers", next.Number, last.Number+22)
		}

		t.Run("GetOutage", func(t *testing.T) {
			var got api.Outage
			c.do("GET", base, op, nil).decode(t, http.StatusOK, &got)
			if got.Entries != 21 || len(got.Identifiers) != 21 || got.Identifiers[0] != loaded.Items[0].Identifier ||
				got.Identifiers[20] != scanned.Identifier {
				t.Fatalf("outage %+v", got)
			}
			var list api.OutageList
			c.do("GET", "/v1/registers/PG/emergencies", op, nil).decode(t, http.StatusOK, &list)
			if len(list.Items) != 1 || list.Items[0].ID != o.ID || list.Items[0].Entries != 21 {
				t.Fatalf("outages %+v", list)
			}
			c.do("GET", "/v1/registers/DELIB/emergencies/"+o.ID, op, nil).problem(t, http.StatusNotFound, "not_found")
		})
		t.Run("ReadBack", func(t *testing.T) {
			var got api.Registration
			c.do("GET", refPath(loaded.Items[4]), op, nil).decode(t, http.StatusOK, &got)
			if got.Emergency == nil || *got.Emergency != (api.Emergency{Register: o.ID, Number: 5, Date: "2026-11-30"}) {
				t.Fatalf("read back emergency %+v", got.Emergency)
			}
			if got.Document.MediaType != "text/plain; charset=utf-8" || got.Channel != "paper" {
				t.Fatalf("entry without a file: document %+v, channel %s", got.Document, got.Channel)
			}
		})
		t.Run("InTheReceiptAndLeaf", func(t *testing.T) {
			seal := readCert(t, filepath.Join(s.DataDir, "keys", "seal", "sealing.crt"))
			tsa := readCert(t, filepath.Join(s.DataDir, "keys", "tsa", "tsa.crt"))
			leaf := receiptOf(t, c, op, loaded.Items[4], seal, tsa)
			want := `"emergency":{"date":"2026-11-30","number":5,"register":"` + o.ID + `"}`
			if !strings.Contains(leaf, want) || !strings.Contains(leaf, `"v":4`) {
				t.Fatalf("leaf %s: want %s, version 4", leaf, want)
			}
			var rc api.Receipt
			c.do("GET", refPath(loaded.Items[4])+"/receipt", op, nil, "Accept", "application/json").decode(t, http.StatusOK, &rc)
			if e := rc.Registration.Emergency; e == nil || e.Number != 5 {
				t.Fatalf("receipt JSON emergency %+v", e)
			}
			// The self-audit recomputes every leaf from the stored rows, emergency fields included.
			// The sequencer logs in the background: wait, bounded, until it has reached them all.
			var report tlog.AuditReport
			var err error
			waitFor(t, "24 leaves in the log", func() bool {
				report, err = s.Main.Audit(t.Context(), tlog.AuditOptions{Lag: time.Hour, Now: clock.Now})
				return err != nil || report.Leaves >= 24
			})
			if err != nil || !report.OK() || report.Leaves < 24 {
				t.Fatalf("audit of the whole log: %+v, %v", report, err)
			}
		})
		t.Run("InTheJournal", func(t *testing.T) {
			clock.Set(time.Date(2026, 12, 2, 0, 1, 0, 0, rome))
			if _, err := s.Main.ProduceJournals(t.Context()); err != nil {
				t.Fatal(err)
			}
			var journal struct {
				Registrations []struct {
					Number    int64          `json:"number"`
					Emergency *api.Emergency `json:"emergency"`
				} `json:"registrations"`
				V int `json:"v"`
			}
			c.do("GET", "/v1/registers/PG/journals/2026-12-01", ro, nil, "Accept", "application/json").decode(t, http.StatusOK, &journal)
			emergency := 0
			for _, r := range journal.Registrations {
				if e := r.Emergency; e != nil {
					emergency++
					if r.Number != last.Number+e.Number || e.Date != "2026-11-30" || e.Register != o.ID {
						t.Errorf("journal: number %d with emergency %+v", r.Number, e)
					}
				}
			}
			if emergency != 21 || journal.V != 5 || len(journal.Registrations) != 24 {
				t.Fatalf("journal of 2026-12-01: %d registrations, %d emergency entries, version %d", len(journal.Registrations), emergency, journal.V)
			}
		})
	}, apptest.WithClock(clock.Now), fastCheckpoints, func(m *app.Main) { m.JournalEvery = time.Hour })
}
