package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/sportello/sportello/storage/migrations"
)

// ErrSchemaMismatch is wrapped by CheckSchema when the database schema is not the one this
// binary was built for.
var ErrSchemaMismatch = errors.New("database schema mismatch")

// migrateLock is the PostgreSQL advisory lock key that serialises concurrent Migrate calls
// ("sportell" in ASCII).
const migrateLock int64 = 0x73706f7274656c6c

// Migrate applies the embedded migrations that the database lacks, each in its own transaction
// together with its row in schema_migrations, then River's (see migrateJobs). It is idempotent, and on PostgreSQL two processes
// may run it at once: the advisory lock makes the second wait, then find the work done.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := migrations.For(db.engine)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range ms {
		applied, err := db.apply(ctx, m)
		if err != nil {
			return fmt.Errorf("migrate to %04d_%s: %w", m.Version, m.Name, err)
		}
		if applied {
			db.log.InfoContext(ctx, "applied migration", "engine", db.engine, "version", m.Version, "name", m.Name)
		}
	}
	return db.migrateJobs(ctx)
}

// apply runs m unless it is recorded already, and reports whether it ran.
func (db *DB) apply(ctx context.Context, m migrations.Migration) (applied bool, err error) {
	err = db.write(ctx, func(tx *gorm.DB) error {
		if db.engine == Postgres {
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, migrateLock).Error; err != nil {
				return err
			}
		}
		if err := tx.Exec(db.schemaMigrationsDDL()).Error; err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var n int
		if err := tx.Raw(`SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).
			Row().Scan(&n); err != nil || n > 0 {
			return err
		}
		if err := tx.Exec(m.SQL).Error; err != nil {
			return err
		}
		applied = true
		return tx.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, db.ts(db.now())).Error
	})
	return applied && err == nil, err
}

func (db *DB) schemaMigrationsDDL() string {
	if db.engine == Postgres {
		return `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`
	}
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`
}

// SchemaVersion returns the highest migration applied to the database (0 for an empty one) and
// the highest this binary embeds.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int, err error) {
	ms, err := migrations.For(db.engine)
	if err != nil {
		return 0, 0, fmt.Errorf("schema version: %w", err)
	}
	latest = ms[len(ms)-1].Version
	applied, err := db.appliedVersions(ctx)
	if err != nil {
		return 0, latest, fmt.Errorf("schema version: %w", err)
	}
	if len(applied) > 0 {
		current = slices.Max(applied)
	}
	return current, latest, nil
}

// CheckSchema returns an error wrapping ErrSchemaMismatch unless the database has exactly the
// migrations this binary embeds: the server must not run on a stale schema, nor on one written
// by a newer release.
func (db *DB) CheckSchema(ctx context.Context) error {
	current, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	switch {
	case current < latest:
		return fmt.Errorf("%w: the database is at version %d, this binary needs %d: run `sportello migrate`",
			ErrSchemaMismatch, current, latest)
	case current > latest:
		return fmt.Errorf("%w: the database is at version %d, newer than this binary's %d: upgrade sportello",
			ErrSchemaMismatch, current, latest)
	}
	ms, err := migrations.For(db.engine)
	if err != nil {
		return err
	}
	applied, err := db.appliedVersions(ctx)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	for _, m := range ms {
		if !slices.Contains(applied, m.Version) {
			return fmt.Errorf("%w: migration %04d_%s was never applied: run `sportello migrate`",
				ErrSchemaMismatch, m.Version, m.Name)
		}
	}
	return db.checkJobSchema(ctx)
}

// appliedVersions lists the versions recorded in schema_migrations; none if it does not exist.
func (db *DB) appliedVersions(ctx context.Context) ([]int, error) {
	if exists, err := db.tableExists(ctx, "schema_migrations"); err != nil || !exists {
		return nil, err
	}
	rows, err := db.read(ctx).Raw(`SELECT version FROM schema_migrations ORDER BY version`).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var versions []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		versions = append(versions, v)
	}
	return versions, rows.Err()
}

// tableExists reports whether the table exists (in the current schema on PostgreSQL).
func (db *DB) tableExists(ctx context.Context, name string) (bool, error) {
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if db.engine == Postgres {
		q = `SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?`
	}
	var n int
	err := db.read(ctx).Raw(q, name).Row().Scan(&n)
	return n > 0, err
}
