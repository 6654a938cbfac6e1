package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// closedDossier opens and closes a dossier in VI.3.
func (f *fixture) closedDossier(t *testing.T) *domain.Dossier {
	t.Helper()
	d := f.openDossier(t, newDossier())
	if _, err := f.db.UpdateDossier(t.Context(), d.ID, func(d *domain.Dossier) (domain.Write, error) {
		return domain.Write{}, d.Close(testNow)
	}); err != nil {
		t.Fatal(err)
	}
	return d
}

// disposalOf returns a disposal of the dossier d whose hold check refuses any active hold on it.
func disposalOf(d *domain.Dossier) (*domain.Disposal, domain.DisposalTargets) {
	rec := &domain.Disposal{ID: domain.NewID(), Authorization: "Soprintendenza 1/2036", Date: "2036-01-01", By: "ro", ByName: "RO",
		At: testNow, Items: []domain.DisposedItem{{Kind: domain.ItemDossier, ID: d.ID, Identifier: d.Identifier}}}
	return rec, domain.DisposalTargets{Dossiers: []string{d.ID}, LockDossiers: []string{d.ID}, LockClasses: []string{"VI", "VI.3"},
		CheckHolds: func(active []domain.Hold) error {
			for _, h := range active {
				if h.Dossier == d.ID || h.Class == "VI" || h.Class == "VI.3" {
					return domain.Errorf(domain.ECConflict, "dossier %s is under hold %s", d.Identifier, h.ID)
				}
			}
			return nil
		}}
}

// waitForRowLock returns once some statement of the test's database waits on a row lock.
func waitForRowLock[T any](t *testing.T, f *fixture, done chan T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case res := <-done:
			done <- res // it did not wait: the test reports what it did
			return
		default:
		}
		var waiting int
		if err := f.raw.QueryRow(`SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype IN ('transactionid', 'tuple')
			AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())`).Scan(&waiting); err != nil {
			t.Error(err)
			return
		}
		if waiting > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Error("neither waited for the row lock nor finished")
}

// TestDisposalHoldRace is the race between placing a legal hold and a disposal of what it
// holds, on PostgreSQL with both transactions really concurrent (SQLite's single writer runs
// them one after the other, and TestDisposalRechecksHoldsInItsTransaction covers the re-check).
func TestDisposalHoldRace(t *testing.T) {
	// A hold whose transaction is open, holding its lock on the dossier, when the disposal
	// starts: the disposal waits for it, then sees it and is refused.
	t.Run("DisposalWaitsForHoldAndSeesIt", func(t *testing.T) {
		f := newFixture(t, testdb.PostgresURL(t)).withClasses(t)
		d := f.closedDossier(t)
		ctx := context.Background()
		hold, err := f.raw.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer hold.Rollback()
		// What CreateHold does: lock the held row, insert the hold; the commit comes later.
		if _, err := hold.Exec(`SELECT id FROM dossiers WHERE id = $1 FOR SHARE`, d.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := hold.Exec(`INSERT INTO holds (id, dossier_id, reason, reference, created_at, created_by)
			VALUES ($1, $2, 'Contenzioso', 'TAR 12/2036', now(), 'ro')`, domain.NewID(), d.ID); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			rec, targets := disposalOf(d)
			done <- f.db.CreateDisposal(ctx, rec, targets, domain.Write{})
		}()
		waitForRowLock(t, f, done)
		if err := hold.Commit(); err != nil {
			t.Fatal(err)
		}
		wantCode(t, <-done, domain.ECConflict)
		if got, err := f.db.Dossier(ctx, d.ID); err != nil || got.Status != domain.DossierClosed {
			t.Fatalf("dossier %v, %v: disposed under a hold", got.Status, err)
		}
	})

	// A hold placed while the disposal's transaction holds its locks waits for the disposal to
	// commit: it can never slip in between the disposal's check and its commit.
	t.Run("HoldWaitsForDisposal", func(t *testing.T) {
		f := newFixture(t, testdb.PostgresURL(t)).withClasses(t)
		d := f.closedDossier(t)
		rec, targets := disposalOf(d)
		done := make(chan error, 1)
		check := targets.CheckHolds
		targets.CheckHolds = func(active []domain.Hold) error {
			go func() {
				done <- f.db.CreateHold(context.Background(), domain.Hold{ID: domain.NewID(), Class: "VI", Reason: "Ispezione",
					CreatedAt: testNow, CreatedBy: "ro"}, domain.Write{})
			}()
			waitForRowLock(t, f, done)
			select {
			case err := <-done:
				t.Errorf("the hold did not wait for the disposal's transaction: %v", err)
				done <- err
			default:
			}
			return check(active)
		}
		if err := f.db.CreateDisposal(t.Context(), rec, targets, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("hold after the disposal: %v", err)
		}
	})
}

// TestDisposalCandidatesFilteredInSQL: the worklist query selects by each class's cutoff in
// the database; permanent classes and what is not yet due never leave it.
func TestDisposalCandidatesFilteredInSQL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withClasses(t)
		five, ten := 5, 10
		if err := f.db.CreateClasses(t.Context(), []domain.Class{
			{Code: "VII.2", Parent: "VII", Level: 2, Title: "Cinque anni", RetentionYears: &five, ValidFrom: "2005-01-01", CreatedAt: testNow},
			{Code: "VII.3", Parent: "VII", Level: 2, Title: "Dieci anni", RetentionYears: &ten, ValidFrom: "2005-01-01", CreatedAt: testNow},
		}, func([]domain.Class) error { return nil }, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		closedIn := func(class string) *domain.Dossier {
			d := f.openDossier(t, newDossier(func(d *domain.Dossier) { d.Class = class }))
			if _, err := f.db.UpdateDossier(t.Context(), d.ID, func(d *domain.Dossier) (domain.Write, error) {
				return domain.Write{}, d.Close(testNow)
			}); err != nil {
				t.Fatal(err)
			}
			return d
		}
		fiveYears, tenYears := closedIn("VII.2"), closedIn("VII.3")
		closedIn("VI.3") // permanent
		reg := f.register(t, newRegistration(func(r *domain.Registration) { r.Class = "VII.2" }))
		f.register(t, newRegistration(func(r *domain.Registration) { r.Class = "VII.3" }))

		rome, _ := time.LoadLocation("Europe/Rome")
		// Everything was closed and dated on 2026-11-28 (Rome): due for the five-year class,
		// a day short of it for the ten-year one.
		cutoffs := domain.DueCutoffs{
			5:  {ClosedBefore: time.Date(2026, 11, 29, 0, 0, 0, 0, rome), DatedBy: "2026-11-28"},
			10: {ClosedBefore: time.Date(2026, 11, 28, 0, 0, 0, 0, rome), DatedBy: "2026-11-27"},
		}
		dossiers, regs, err := f.db.DisposalCandidates(t.Context(), cutoffs)
		if err != nil {
			t.Fatal(err)
		}
		if len(dossiers) != 1 || dossiers[0].ID != fiveYears.ID || len(regs) != 1 || regs[0].ID != reg.ID {
			t.Fatalf("due: %d dossiers, %d registrations; want only the five-year ones", len(dossiers), len(regs))
		}
		cutoffs[10] = domain.DueCutoff{ClosedBefore: time.Date(2026, 11, 29, 0, 0, 0, 0, rome), DatedBy: "2026-11-28"}
		if dossiers, regs, err = f.db.DisposalCandidates(t.Context(), cutoffs); err != nil || len(dossiers) != 2 || len(regs) != 2 ||
			dossiers[1].ID != tenYears.ID {
			t.Fatalf("due a day later: %d dossiers, %d registrations, %v", len(dossiers), len(regs), err)
		}
	})
}
