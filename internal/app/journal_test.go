package app_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/signing"
	"github.com/sportello/sportello/signing/tlog"
)

// TestDailyJournals is D1 end to end: one signed journal per register and protocol date (Rome),
// produced once the day is over, back-filled after downtime, never rewritten, logged.
func TestDailyJournals(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Time{})
	set := clock.Set
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, rome) }
	set(at(20, 9, 0))
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		ctx := t.Context()
		set(at(20, 9, 0))
		// On PostgreSQL the background worker runs once as soon as this process leads the
		// journal role (a second or so after start): wait for it while the 20th is not over, so
		// that it does not produce, on the clock moved below, what produce expects to.
		for deadline := time.Now().Add(30 * time.Second); !s.Main.Leading(app.RoleJournal); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("this process never led the journal role")
			}
		}
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		ro := s.NewClient(t, "officer", []string{"records_officer"})
		produce := func(want int) {
			t.Helper()
			if n, err := s.Main.ProduceJournals(ctx); err != nil || n != want {
				t.Fatalf("ProduceJournals at %s = %d, %v; want %d", clock.Now().In(rome), n, err, want)
			}
		}

		a := register(t, s, op, "", "Mattina del 20")
		set(at(20, 23, 30))
		b := register(t, s, op, "", "Sera del 20")
		set(at(21, 0, 30)) // still 20 November in UTC
		c := register(t, s, op, "", "Notte del 21")
		if b.Date != "2026-11-20" || c.Date != "2026-11-21" || c.RegisteredAt != "2026-11-20T23:30:00Z" {
			t.Fatalf("test premise: b %s, c %s at %s", b.Date, c.Date, c.RegisteredAt)
		}
		produce(1) // the 20th is over in Rome (not yet in UTC): its journal lists a and b only
		if got := journalList(t, s, ro, ""); len(got) != 1 || got[0].Date != "2026-11-20" {
			t.Fatalf("after midnight of the 20th: journals %+v, want the 20th only", got)
		}
		set(at(21, 9, 0))
		annul(t, s, ro, c, "Determina n. 1 del 2026-11-21")
		d := register(t, s, op, "", "Mattina del 21")
		set(at(23, 11, 0)) // nothing on the 22nd
		e := register(t, s, op, "", "Domenica 23")
		getAccept(t, s, "/v1/registers/PG/journals/2026-11-23", ro, "application/json", http.StatusNotFound)

		// Downtime until the 27th: the first run back-fills every day that has registrations.
		set(at(27, 0, 5))
		produce(2)
		produce(0)
		got := journalList(t, s, ro, "")
		if dates := []string{got[0].Date, got[1].Date, got[2].Date}; len(got) != 3 ||
			!slices.Equal(dates, []string{"2026-11-20", "2026-11-21", "2026-11-23"}) {
			t.Fatalf("journals %+v", got)
		}
		if part := journalList(t, s, ro, "?from=2026-11-21&to=2026-11-22"); len(part) != 1 || part[0].Date != "2026-11-21" {
			t.Fatalf("journals from 21 to 22: %+v", part)
		}
		want := map[string][]registration{"2026-11-20": {a, b}, "2026-11-21": {c, d}, "2026-11-23": {e}}
		for _, item := range got {
			doc, raw := journalJSON(t, s, ro, item.Date)
			if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != item.JSONSHA256 {
				t.Errorf("journal %s: JSON digest differs from the record", item.Date)
			}
			if doc.Count != len(want[item.Date]) || len(doc.Registrations) != doc.Count || doc.Timezone != "Europe/Rome" {
				t.Fatalf("journal %s: %+v", item.Date, doc)
			}
			for i, r := range want[item.Date] {
				got := doc.Registrations[i]
				gotAt, _ := time.Parse(time.RFC3339Nano, got.RegisteredAt)
				wantAt, _ := time.Parse(time.RFC3339Nano, r.RegisteredAt)
				if got.Identifier != r.Identifier || got.Number != r.Number || !gotAt.Equal(wantAt) {
					t.Errorf("journal %s entry %d: %+v, want %+v", item.Date, i, got, r)
				}
			}
		}
		day21, _ := journalJSON(t, s, ro, "2026-11-21")
		if r := day21.Registrations[0]; r.Status != "annulled" || r.Annulment == nil || r.Annulment.Authorization != "Determina n. 1 del 2026-11-21" {
			t.Fatalf("annulled registration in the journal: %+v", r)
		}
		if r := day21.Registrations[1]; r.Status != "active" || r.Annulment != nil {
			t.Fatalf("active registration in the journal: %+v", r)
		}

		// An annulment after the journal is not written into it.
		_, before := journalJSON(t, s, ro, "2026-11-20")
		annul(t, s, ro, a, "Determina n. 2 del 2026-11-27")
		produce(0)
		if after, now := journalJSON(t, s, ro, "2026-11-20"); string(now) != string(before) || after.Registrations[0].Status != "active" {
			t.Fatal("the journal of the 20th changed after a later annulment")
		}

		// The PDF is sealed PAdES B-T with the instance's keys, and its digest is recorded.
		pdf := getAccept(t, s, "/v1/registers/PG/journals/2026-11-21", ro, "", http.StatusOK)
		if sum := sha256.Sum256(pdf); hex.EncodeToString(sum[:]) != got[1].PDFSHA256 {
			t.Error("PDF digest differs from the record")
		}
		rep, err := signing.VerifyPDF(pdf, sealRoots(t, s))
		if err != nil || !rep.TimestampValid || rep.SubFilter != "ETSI.CAdES.detached" {
			t.Fatalf("VerifyPDF: %+v, %v", rep, err)
		}

		// Each journal is a leaf of the log, with an inclusion proof against the latest checkpoint.
		log := &tlog.Log{Store: s.Main.DB, Registrations: s.Main.DB}
		for _, item := range got {
			j, err := s.Main.DB.Journal(ctx, "PG", item.Date)
			if err != nil {
				t.Fatal(err)
			}
			var (
				index uint64
				leaf  []byte
				cp    tlog.Checkpoint
			)
			eventually(t, "journal leaf "+item.Date+" in a checkpoint", func() bool {
				index, leaf, err = log.LeafByEntity(ctx, tlog.KindJournal, j.EntityID())
				if err == nil {
					cp, err = log.LatestCheckpoint(ctx)
				}
				return err == nil && cp.Size > index
			})
			if wantLeaf, _ := tlog.JournalLeaf(j); string(leaf) != string(wantLeaf) {
				t.Fatalf("leaf %s, want %s", leaf, wantLeaf)
			}
			proof, err := log.InclusionProof(ctx, index, cp.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.VerifyInclusion(leaf, index, cp.Size, proof, cp.Root); err != nil {
				t.Fatalf("inclusion of journal %s: %v", item.Date, err)
			}
		}
		if listed := journalList(t, s, ro, ""); listed[0].LeafIndex == nil {
			t.Error("the list does not give the leaf index")
		}
		getAccept(t, s, "/v1/registers/PG/journals/2026-11-20", op, "", http.StatusForbidden)
		getAccept(t, s, "/v1/registers/NOPE/journals", ro, "", http.StatusNotFound)
		getAccept(t, s, "/v1/registers/PG/journals/20-11-2026", ro, "", http.StatusUnprocessableEntity)
		if rep, err := s.Main.Audit(ctx, tlog.AuditOptions{Lag: tlog.DefaultLag}); err != nil || len(rep.Mismatches) != 0 {
			t.Fatalf("audit: %+v, %v", rep, err)
		}
	}, apptest.WithClock(clock.Now), func(m *app.Main) { m.JournalEvery = time.Hour })
}

// TestJournalWorkerRace: the background worker and several concurrent runs produce each
// journal once; the losers see a conflict and move on.
func TestJournalWorkerRace(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Time{})
	set := clock.Set
	set(time.Date(2026, 11, 20, 12, 0, 0, 0, rome))
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		set(time.Date(2026, 11, 20, 12, 0, 0, 0, rome))
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		ro := s.NewClient(t, "officer", []string{"records_officer"})
		register(t, s, op, "", "Prima")
		register(t, s, op, "", "Seconda")
		set(time.Date(2026, 11, 21, 0, 1, 0, 0, rome))
		var (
			wg    sync.WaitGroup
			total atomic.Int64
		)
		for range 4 {
			wg.Go(func() {
				n, err := s.Main.ProduceJournals(t.Context())
				if err != nil {
					t.Error(err)
				}
				total.Add(int64(n))
			})
		}
		wg.Wait()
		eventually(t, "the journal of the 20th", func() bool { return len(journalList(t, s, ro, "")) == 1 })
		if total.Load() > 1 {
			t.Fatalf("%d journals produced for one day", total.Load())
		}
		if doc, _ := journalJSON(t, s, ro, "2026-11-20"); doc.Count != 2 {
			t.Fatalf("journal: %+v", doc)
		}
		if _, err := s.Main.DB.Journal(t.Context(), "PG", "2026-11-21"); !domain.IsCode(err, domain.ECNotFound) {
			t.Fatalf("journal of today: %v", err)
		}
	}, apptest.WithClock(clock.Now), func(m *app.Main) { m.JournalEvery = 20 * time.Millisecond })
}
