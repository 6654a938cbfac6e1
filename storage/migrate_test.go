package storage_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage"
	"github.com/sportello/sportello/storage/migrations"
)

func TestMigrate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := t.Context()
		db, err := storage.Open(ctx, url, storage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		wantEngine := storage.SQLite
		if testdb.IsPostgres(url) {
			wantEngine = storage.Postgres
		}
		if db.Engine() != wantEngine {
			t.Errorf("engine %q, want %q", db.Engine(), wantEngine)
		}

		t.Run("ErrEmptyDatabase", func(t *testing.T) {
			current, latest, err := db.SchemaVersion(ctx)
			if err != nil || current != 0 || latest < 1 {
				t.Errorf("version %d of %d, %v", current, latest, err)
			}
			if err := db.CheckSchema(ctx); !errors.Is(err, storage.ErrSchemaMismatch) {
				t.Errorf("check: %v", err)
			}
		})
		t.Run("Idempotent", func(t *testing.T) {
			for range 2 {
				if err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
			}
			current, latest, err := db.SchemaVersion(ctx)
			if err != nil || current != latest {
				t.Errorf("version %d of %d, %v", current, latest, err)
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Error(err)
			}
		})
		raw := testdb.RawDB(t, url)
		t.Run("ErrBehind", func(t *testing.T) {
			if _, err := raw.Exec(`DELETE FROM schema_migrations`); err != nil {
				t.Fatal(err)
			}
			if err := db.CheckSchema(ctx); !errors.Is(err, storage.ErrSchemaMismatch) {
				t.Errorf("check: %v", err)
			}
			engine := storage.SQLite
			if testdb.IsPostgres(url) {
				engine = storage.Postgres
			}
			ms, err := migrations.For(engine)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if _, err := raw.Exec(fmt.Sprintf(`INSERT INTO schema_migrations (version, name, applied_at)
					VALUES (%d, '%s', '2026-01-01T00:00:00Z')`, m.Version, m.Name)); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Error(err)
			}
		})
		t.Run("ErrAhead", func(t *testing.T) {
			if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', '2026-01-01T00:00:00Z')`); err != nil {
				t.Fatal(err)
			}
			err := db.CheckSchema(ctx)
			if !errors.Is(err, storage.ErrSchemaMismatch) {
				t.Errorf("check: %v", err)
			}
			if current, _, _ := db.SchemaVersion(ctx); current != 9999 {
				t.Errorf("current %d, want 9999", current)
			}
		})
	})
}

// TestMigrateConcurrently: processes starting together all migrate; one applies each
// migration and the others find it applied.
func TestMigrateConcurrently(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				db, err := storage.Open(t.Context(), url, storage.Options{})
				if err != nil {
					t.Error(err)
					return
				}
				defer db.Close()
				if err := db.Migrate(t.Context()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		var n int
		engine := storage.SQLite
		if testdb.IsPostgres(url) {
			engine = storage.Postgres
		}
		ms, _ := migrations.For(engine)
		if err := testdb.RawDB(t, url).QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
			t.Errorf("%d migrations recorded, %v", n, err)
		}
	})
}

func TestOpen(t *testing.T) {
	t.Run("SQLiteCreatesDirectory", func(t *testing.T) {
		dir := t.TempDir() + "/a/b"
		for _, url := range []string{"sqlite:" + dir + "/x.db", "sqlite://" + dir + "/y.db"} {
			db, err := storage.Open(t.Context(), url, storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Migrate(t.Context()); err != nil {
				t.Error(err)
			}
			_ = db.Close()
		}
	})
	t.Run("LogsSQLWithoutParameters", func(t *testing.T) {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		db, err := storage.Open(t.Context(), testdb.SQLiteURL(t), storage.Options{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		_, err = db.Idempotency(t.Context(), "principal-zq7x", "key-zq7x")
		wantCode(t, err, domain.ECNotFound)
		if !strings.Contains(buf.String(), "FROM idempotency_keys") || strings.Contains(buf.String(), "zq7x") {
			t.Errorf("log:\n%s", buf.String())
		}
	})
	t.Run("ErrUnsupportedURL", func(t *testing.T) {
		for _, url := range []string{"mysql://x", "sqlite:", "sqlite::memory:"} {
			if db, err := storage.Open(t.Context(), url, storage.Options{}); err == nil {
				_ = db.Close()
				t.Errorf("%s opened", url)
			}
		}
	})
}
