package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"gorm.io/gorm"
)

// River (the job queue) runs on the same database and the same pools as everything else, so
// that a job is enqueued inside the transaction of the write that needs it: it exists if and
// only if the write committed.
//
// On SQLite River gets the single write connection. Every River statement that writes (fetching
// jobs locks them, completing them updates them) then queues in Go behind registrations and
// vice versa, as every writer does here, instead of two connections of the same process
// busy-waiting on the file lock; River's own documentation asks for one connection on SQLite
// for the same reason. River never holds its connection while a job runs (a job's work happens
// between the fetch and the completion, each a short statement), and it polls (every
// jobPollInterval) rather than listens, which neither engine's database/sql driver can do.

// jobDriver returns River's driver on the write pool.
func (db *DB) jobDriver() (riverdriver.Driver[*sql.Tx], error) {
	pool, err := db.w.DB()
	if err != nil {
		return nil, err
	}
	if db.engine == Postgres {
		return riverdatabasesql.New(pool), nil
	}
	return riversqlite.New(pool), nil
}

// jobInserter returns the insert-only River client that enqueues jobs in write transactions,
// creating it on first use.
func (db *DB) jobInserter() (*river.Client[*sql.Tx], error) {
	db.inserterOnce.Do(func() {
		driver, err := db.jobDriver()
		if err != nil {
			db.inserterErr = err
			return
		}
		db.inserter, db.inserterErr = river.NewClient(driver, &river.Config{Logger: db.log})
	})
	return db.inserter, db.inserterErr
}

// NewJobClient returns a River client that works the jobs of this database with cfg's workers
// and queues; the caller starts and stops it. It polls for jobs: see above.
func (db *DB) NewJobClient(cfg *river.Config) (*river.Client[*sql.Tx], error) {
	driver, err := db.jobDriver()
	if err != nil {
		return nil, err
	}
	c := *cfg
	c.PollOnly = true
	if c.Logger == nil {
		c.Logger = db.log
	}
	client, err := river.NewClient(driver, &c)
	if err != nil {
		return nil, fmt.Errorf("job client: %w", err)
	}
	return client, nil
}

// enqueueMany inserts jobs in tx, the transaction of the write that needs them, with one
// statement.
func (db *DB) enqueueMany(tx *gorm.DB, jobs []river.InsertManyParams) error {
	if len(jobs) == 0 {
		return nil
	}
	inserter, err := db.jobInserter()
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return fmt.Errorf("enqueue: not in a database/sql transaction (%T)", tx.Statement.ConnPool)
	}
	if _, err := inserter.InsertManyFastTx(tx.Statement.Context, sqlTx, jobs); err != nil {
		return fmt.Errorf("enqueue %d jobs: %w", len(jobs), err)
	}
	return nil
}

// jobMigrator returns River's migrator for this database.
func (db *DB) jobMigrator() (*rivermigrate.Migrator[*sql.Tx], error) {
	driver, err := db.jobDriver()
	if err != nil {
		return nil, err
	}
	return rivermigrate.New(driver, &rivermigrate.Config{Logger: db.log})
}

// migrateJobs brings River's own tables up to the version this binary's River needs, with
// rivermigrate: River versions its schema itself, and copying its SQL into our migrations would
// have to be redone, by hand, at every River upgrade. On SQLite it runs in one write
// transaction, which excludes other processes. On PostgreSQL some of River's versions cannot
// share a transaction (a new enum value is used right after it is added), so each version runs
// in its own, and a session advisory lock, the key of our migrations, makes a concurrent
// migrator wait and then find the work done.
func (db *DB) migrateJobs(ctx context.Context) error {
	m, err := db.jobMigrator()
	if err != nil {
		return fmt.Errorf("migrate jobs: %w", err)
	}
	var res *rivermigrate.MigrateResult
	if db.engine == Postgres {
		res, err = db.migrateJobsLocked(ctx, m)
	} else {
		err = db.write(ctx, func(tx *gorm.DB) error {
			sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
			if !ok {
				return errors.New("not in a database/sql transaction")
			}
			//lint:ignore SA1019 deprecated for PostgreSQL, where some versions cannot share a transaction; on SQLite one write transaction is what excludes other processes
			res, err = m.MigrateTx(ctx, sqlTx, rivermigrate.DirectionUp, nil)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("migrate jobs: %w", err)
	}
	for _, v := range res.Versions {
		db.log.InfoContext(ctx, "applied job queue migration", "engine", db.engine, "version", v.Version, "name", v.Name)
	}
	return nil
}

func (db *DB) migrateJobsLocked(ctx context.Context, m *rivermigrate.Migrator[*sql.Tx]) (*rivermigrate.MigrateResult, error) {
	pool, err := db.w.DB()
	if err != nil {
		return nil, err
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return nil, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock) //nolint:errcheck // the session ends with conn anyway
	return m.Migrate(ctx, rivermigrate.DirectionUp, nil)
}

// checkJobSchema fails unless River's tables are at the version this binary's River needs.
func (db *DB) checkJobSchema(ctx context.Context) error {
	m, err := db.jobMigrator()
	if err != nil {
		return fmt.Errorf("check job queue schema: %w", err)
	}
	all := m.AllVersions()
	latest := all[len(all)-1].Version
	var existing []rivermigrate.Migration
	if exists, err := db.tableExists(ctx, "river_migration"); err != nil || !exists {
		if err != nil {
			return fmt.Errorf("check job queue schema: %w", err)
		}
	} else if existing, err = m.ExistingVersions(ctx); err != nil {
		return fmt.Errorf("check job queue schema: %w", err)
	}
	if !slices.ContainsFunc(existing, func(v rivermigrate.Migration) bool { return v.Version == latest }) {
		return fmt.Errorf("%w: the job queue tables are not at River's version %d: run `sportello migrate`",
			ErrSchemaMismatch, latest)
	}
	return nil
}
