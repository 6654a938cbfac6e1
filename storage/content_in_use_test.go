package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestContentInUse: content may be destroyed by a disposal only when nothing kept still points
// to it — a registration not disposed of, or a daily journal (kept forever).
func TestContentInUse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		r := f.register(t, newRegistration())
		journalPDF := strings.Repeat("ef", 32)
		if err := f.db.CreateJournal(t.Context(), domain.Journal{Register: "PG", Date: "2026-11-27", Registrations: 1,
			JSONSHA256: strings.Repeat("12", 32), PDFSHA256: journalPDF, CreatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name   string
			digest string
			want   bool
		}{
			{"RegistrationDocument", r.Document.SHA256, true},
			{"RegistrationAttachment", r.Attachments[0].SHA256, true},
			{"JournalPDF", journalPDF, true},
			{"Unreferenced", strings.Repeat("99", 32), false},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, err := f.db.ContentInUse(t.Context(), c.digest)
				if err != nil || got != c.want {
					t.Fatalf("ContentInUse = %v, %v; want %v", got, err, c.want)
				}
			})
		}
	})
}

func TestDeleteUnusedContent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		r := f.register(t, newRegistration())
		calls := 0
		del := func() error { calls++; return nil }
		t.Run("KeepsContentInUse", func(t *testing.T) {
			deleted, err := f.db.DeleteUnusedContent(t.Context(), r.Document.SHA256, del)
			if err != nil || deleted || calls != 0 {
				t.Fatalf("deleted %v, err %v, calls %d: content in use was deleted", deleted, err, calls)
			}
		})
		t.Run("DeletesUnusedContent", func(t *testing.T) {
			deleted, err := f.db.DeleteUnusedContent(t.Context(), strings.Repeat("77", 32), del)
			if err != nil || !deleted || calls != 1 {
				t.Fatalf("deleted %v, err %v, calls %d", deleted, err, calls)
			}
		})
		t.Run("ErrDeleteFailure", func(t *testing.T) {
			boom := errors.New("disk gone")
			if _, err := f.db.DeleteUnusedContent(t.Context(), strings.Repeat("78", 32), func() error { return boom }); !errors.Is(err, boom) {
				t.Fatalf("err %v, want %v", err, boom)
			}
		})
	})
}

// TestRegistrationVerifiesContentUnderLock: a registration whose content check fails inside its
// transaction (the bytes were destroyed meanwhile) stores nothing and takes no number.
func TestRegistrationVerifiesContentUnderLock(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		gone := domain.Errorf(domain.ECValidation, "content is not stored")
		r := newRegistration()
		w := created(r)
		w.Verify = func(context.Context) error { return gone }
		if err := f.db.CreateRegistration(t.Context(), r, w); !errors.Is(err, gone) {
			t.Fatalf("CreateRegistration = %v, want the Verify error", err)
		}
		if next := f.register(t, newRegistration()); next.Number != 1 {
			t.Fatalf("next number %d, want 1: the failed registration took one", next.Number)
		}
	})
}

// TestDeletionWaitsForRegistration is the race a disposal must not lose: a deletion of the same
// bytes that starts while a registration is in its transaction waits for it, then finds the
// content in use and keeps it.
func TestDeletionWaitsForRegistration(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		digest := strings.Repeat("5a", 32)
		type result struct {
			deleted bool
			err     error
		}
		done := make(chan result, 1)
		r := newRegistration(func(r *domain.Registration) { r.Document.SHA256 = digest })
		w := created(r)
		// Verify runs inside the registration's transaction, under the content lock: start the
		// deletion there, as a disposal running at that very moment would.
		w.Verify = func(context.Context) error {
			go func() {
				deleted, err := f.db.DeleteUnusedContent(context.Background(), digest, func() error { return nil })
				done <- result{deleted, err}
			}()
			if f.postgres() {
				waitForBlockedDeletion(t, f, done)
			}
			return nil
		}
		if err := f.db.CreateRegistration(t.Context(), r, w); err != nil {
			t.Fatal(err)
		}
		if res := <-done; res.err != nil || res.deleted {
			t.Fatalf("deletion during a registration of the same bytes: deleted %v, err %v", res.deleted, res.err)
		}
	})
}

// waitForBlockedDeletion returns once the deletion waits on the content lock, as it must while
// the registration's transaction holds it; if the deletion finishes instead, it puts the result
// back for the test to report.
func waitForBlockedDeletion[T any](t *testing.T, f *fixture, done chan T) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case res := <-done:
			done <- res // the deletion did not wait: the test reports what it did
			return
		default:
		}
		var waiting int
		if err := f.raw.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting); err != nil {
			t.Error(err)
			return
		}
		if waiting > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Error("the deletion neither waited for the content lock nor finished")
}
