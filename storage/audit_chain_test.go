package storage_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// auditEvent returns a read event by a person, as the read buffer stores it.
func auditEvent(i int) domain.AuditEvent {
	return domain.AuditEvent{At: testNow.Add(time.Duration(i) * time.Microsecond), Actor: "officer", ActorName: "Ufficio protocollo",
		Person: "RSSMRA80A01H501U", Action: "registration.read", EntityKind: domain.KindRegistration,
		EntityID: fmt.Sprintf("r%d", i), RequestID: fmt.Sprintf("req-%d", i), ClientAddress: "192.0.2.7"}
}

// checkChain reads the whole trail page by page and checks it, returning the checker's error.
func checkChain(t *testing.T, f *fixture) (*domain.AuditChecker, error) {
	t.Helper()
	head, err := f.db.AuditChainHead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := &domain.AuditChecker{ChainedFrom: head.ChainedFrom}
	filter := domain.AuditFilter{Limit: 7}
	for {
		page, err := f.db.AuditTrail(t.Context(), filter)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			if err := c.Add(e); err != nil {
				return c, err
			}
		}
		if page.NextCursor == "" {
			return c, nil
		}
		filter.Cursor = page.NextCursor
	}
}

// TestAuditChain checks that every audit event is chained to the one before it in the
// transaction that writes it, that concurrent writers never fork the chain, that the head only
// moves forward, and that a row altered or deleted behind the guards is found and named.
func TestAuditChain(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		f.register(t, newRegistration())
		if err := f.db.AppendAudit(t.Context(), []domain.AuditEvent{auditEvent(1), auditEvent(2)}); err != nil {
			t.Fatal(err)
		}
		f.register(t, newRegistration())

		t.Run("Chained", func(t *testing.T) {
			c, err := checkChain(t, f)
			if err != nil {
				t.Fatal(err)
			}
			head, err := f.db.AuditChainHead(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			seq, hash := c.Head()
			if seq != head.Seq || hash != head.Hash || c.Legacy != 0 || c.Checked < 4 {
				t.Fatalf("checked up to seq %d %s (%d events, %d legacy), head %+v", seq, hash, c.Checked, c.Legacy, head)
			}
			page, err := f.db.AuditTrail(t.Context(), domain.AuditFilter{Person: "RSSMRA80A01H501U", Action: "registration.read"})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 2 || page.Items[0].RequestID != "req-1" || page.Items[1].ClientAddress != "192.0.2.7" {
				t.Fatalf("filtered trail %+v", page.Items)
			}
		})

		t.Run("ConcurrentWritersDoNotFork", func(t *testing.T) {
			before, _ := f.db.AuditChainHead(t.Context())
			var wg sync.WaitGroup
			errs := make(chan error, 40)
			for w := range 8 {
				wg.Go(func() {
					for i := range 4 {
						errs <- f.db.AppendAudit(t.Context(), []domain.AuditEvent{auditEvent(100*w + i), auditEvent(100*w + i + 50)})
					}
					errs <- f.db.CreateRegistration(t.Context(), newRegistration(), created(newRegistration()))
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := checkChain(t, f); err != nil {
				t.Fatal(err)
			}
			after, _ := f.db.AuditChainHead(t.Context())
			if got := after.Seq - before.Seq; got != 8*(4*2+1) {
				t.Fatalf("the head moved by %d, want %d", got, 8*(4*2+1))
			}
		})

		// A registration's events are chained by its numbering statement (runAllChainLast):
		// several registrations in one transaction (an import batch) chain each after the one
		// before, and groups of concurrent registrations chain after the batches.
		t.Run("BatchesAndGroupsDoNotFork", func(t *testing.T) {
			before, _ := f.db.AuditChainHead(t.Context())
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for range 4 {
				wg.Go(func() {
					rs := []*domain.Registration{newRegistration(), newRegistration(), newRegistration()}
					ws := make([]domain.Write, len(rs))
					for i, r := range rs {
						ws[i] = created(r)
					}
					errs <- f.db.CreateRegistrationBatch(t.Context(), rs, ws)
				})
				wg.Go(func() {
					for range 3 {
						r := newRegistration()
						errs <- f.db.CreateRegistration(t.Context(), r, created(r))
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := checkChain(t, f); err != nil {
				t.Fatal(err)
			}
			after, _ := f.db.AuditChainHead(t.Context())
			if got := after.Seq - before.Seq; got != 4*(3+3) {
				t.Fatalf("the head moved by %d, want %d", got, 4*(3+3))
			}
		})

		t.Run("ErrHeadMovesBack", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE audit_chain SET seq = seq - 1`), "only moves forward")
			wantRefused(t, f.exec(`DELETE FROM audit_chain`), "delete refused")
		})

		t.Run("AlteredRowNamed", func(t *testing.T) {
			testdb.Tamper(t, url,
				[]string{`DROP TRIGGER audit_events_no_update`, `UPDATE audit_events SET detail = 'riscritto' WHERE seq = ?`},
				[]string{`ALTER TABLE audit_events DISABLE TRIGGER ALL`, `UPDATE audit_events SET detail = 'riscritto' WHERE seq = $1`}, 3)
			_, err := checkChain(t, f)
			if err == nil || !strings.Contains(err.Error(), "seq 3 ") || !strings.Contains(err.Error(), "altered") {
				t.Fatalf("want seq 3 named altered, got %v", err)
			}
		})

		t.Run("DeletedRowNamed", func(t *testing.T) {
			testdb.Tamper(t, url,
				[]string{`DROP TRIGGER audit_events_no_delete`, `DELETE FROM audit_events WHERE seq IN (2, 3)`},
				[]string{`ALTER TABLE audit_events DISABLE TRIGGER ALL`, `DELETE FROM audit_events WHERE seq IN (2, 3)`})
			_, err := checkChain(t, f)
			if err == nil || !strings.Contains(err.Error(), "seq 2 missing") {
				t.Fatalf("want seq 2 named missing, got %v", err)
			}
		})
	})
}
