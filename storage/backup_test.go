package storage_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage"
)

// TestSnapshot: on SQLite, Snapshot copies the database through the online backup API while
// registrations are being written; the copy opens as a database of the current schema, private
// (0600), holding at least what was committed before it began and no more than what was
// committed by its end, and BackupFacts counts it. A path that exists is refused. On
// PostgreSQL, whose database its own tools back up, Snapshot refuses with ECValidation and
// BackupFacts counts the live database.
func TestSnapshot(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		f.register(t, newRegistration())
		f.register(t, newRegistration())
		facts, err := f.db.BackupFacts(ctx)
		if err != nil || facts.Registrations != 2 || facts.LogSize != 0 {
			t.Fatalf("BackupFacts = %+v, %v", facts, err)
		}
		path := filepath.Join(t.TempDir(), "snapshot.db")
		if f.postgres() {
			wantCode(t, f.db.Snapshot(ctx, path), domain.ECValidation)
			return
		}
		var wg sync.WaitGroup
		var writeErr error
		wg.Go(func() {
			for range 20 {
				r := newRegistration()
				if writeErr = f.db.CreateRegistration(ctx, r, created(r)); writeErr != nil {
					return
				}
			}
		})
		err = f.db.Snapshot(ctx, path)
		wg.Wait()
		if err != nil || writeErr != nil {
			t.Fatal(err, writeErr)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("snapshot file: %v %v", fi, err)
		}
		snap, err := storage.Open(ctx, "sqlite:"+path, storage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer snap.Close()
		if err := snap.CheckSchema(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := snap.BackupFacts(ctx)
		if err != nil || got.Registrations < 2 || got.Registrations > 22 {
			t.Fatalf("snapshot BackupFacts = %+v, %v", got, err)
		}
		if err := f.db.Snapshot(ctx, path); err == nil {
			t.Fatal("a snapshot over an existing file was taken")
		}
	})
}
