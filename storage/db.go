// Package storage implements domain.Store on PostgreSQL and on SQLite through gorm, with
// versioned SQL migrations embedded in the binary (package storage/migrations).
//
// gorm is used as a thin connection and transaction layer: every statement is hand-written SQL
// that runs unchanged on both engines (gorm turns `?` into `$n` for PostgreSQL), so that the
// schema, the triggers that guard it and the queries can be read side by side. This is the only
// package that imports gorm or a database driver.
//
// Every public method is one transaction, which it owns; private helpers take the *gorm.DB of
// that transaction. Rule ids in comments (R2, N2, M1 …) are those of docs/compliance.md.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ncruces/go-sqlite3"
	sqlitedriver "github.com/ncruces/go-sqlite3/driver"
	"github.com/ncruces/go-sqlite3/gormlite"
	"github.com/riverqueue/river"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// Engine names, as returned by DB.Engine.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Options tune Open. The zero value is fine.
type Options struct {
	// Logger receives every SQL statement at debug level; nil discards them.
	Logger *slog.Logger
	// MaxOpenConns bounds the connections to PostgreSQL (default 20), or the read connections
	// to SQLite (default the number of CPUs, at least 4). SQLite always has one write connection.
	MaxOpenConns int
}

// DB is the database: it implements domain.Store.
//
// On SQLite it keeps two pools on the same file: one write connection, whose transactions
// begin IMMEDIATE so that writers queue in Go rather than busy-poll the file lock, and a pool
// of read-only connections that read the last committed state in WAL mode while a write is in
// progress. On PostgreSQL both are the same pool.
type DB struct {
	engine string
	path   string // SQLite's database file; "" on PostgreSQL
	url    string // PostgreSQL's URL, for the connections of leader elections (leader.go)
	w, r   *gorm.DB
	aoo    atomic.Pointer[domain.AOO] // cached: an AOO's codes never change
	// counters holds the counterKeys whose row is known to exist (numberAndInsert).
	counters sync.Map
	// firsts holds, per counterKey, the turn (a channel of one) of the registrations written
	// before its row is known (CreateRegistration).
	firsts sync.Map
	group  groupCommit // queues concurrent registrations per counter (groupcommit.go)
	log    *slog.Logger
	now    func() time.Time // stamps change events and migrations

	// inserter enqueues jobs inside write transactions (see jobs.go); made on first use.
	inserterOnce sync.Once
	inserter     *river.Client[*sql.Tx]
	inserterErr  error
}

var _ domain.Store = (*DB)(nil)

// Open connects to the database at url: `postgres://…` or `postgresql://…` for PostgreSQL,
// `sqlite:PATH`, `sqlite://PATH` or `sqlite:///abs/path` for SQLite (the file and its directory
// are created if missing). Open does not migrate: call Migrate, or CheckSchema to refuse a stale
// schema.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	var (
		db  *DB
		err error
	)
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err = openPostgres(url, opts)
	case strings.HasPrefix(url, "sqlite:"):
		db, err = openSQLite(url, opts)
	default:
		return nil, fmt.Errorf("open database: unsupported URL %q: want postgres://… or sqlite:PATH", Redacted(url))
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redacted(url), err)
	}
	db.log, db.now = opts.Logger, time.Now
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if err := db.Ping(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open database %s: %w", Redacted(url), err)
	}
	return db, nil
}

func openPostgres(url string, opts Options) (*DB, error) {
	g, err := gorm.Open(postgres.Open(withoutJIT(url)), gormConfig(opts))
	if err != nil {
		return nil, err
	}
	n := opts.MaxOpenConns
	if n <= 0 {
		n = 20
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(n)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{engine: Postgres, url: url, w: g, r: g}, nil
}

// withoutJIT turns PostgreSQL's JIT compilation off for the pool's connections (the driver
// sends unknown URL parameters as settings), unless the URL sets jit itself. Its cost estimate
// counts the correlated subqueries of a batch read a thousand times: reading a thousand
// registrations by id at ten million rows took 2.4 s, 2.0 s of it compiling, for 0.3 s of
// work. This pool runs short statements only; JIT pays for long analytical ones.
func withoutJIT(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		if strings.Contains(dsn, "jit=") {
			return dsn
		}
		return dsn + " jit=off" // a key=value connection string
	}
	q := u.Query()
	if q.Has("jit") {
		return dsn
	}
	q.Set("jit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

func openSQLite(rawURL string, opts Options) (*DB, error) {
	path, err := sqlitePath(rawURL)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	// modeof gives the write-ahead log, which SQLite creates and removes as it goes, the mode of
	// the database file (see createPrivate).
	file := (&url.URL{Scheme: "file", Path: path, RawQuery: "modeof=" + url.QueryEscape(path)}).String()
	// busy_timeout first: setting WAL mode may wait for another process's lock. synchronous=FULL
	// makes every commit durable, not just consistent.
	w, err := openSQLitePool(file+"&_txlock=immediate"+
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)&_pragma=synchronous(full)&_pragma=foreign_keys(on)", opts)
	if err != nil {
		return nil, err
	}
	wDB, err := w.DB()
	if err != nil {
		return nil, err
	}
	wDB.SetMaxOpenConns(1)
	wDB.SetMaxIdleConns(1)
	wDB.SetConnMaxIdleTime(0)
	// Open the writer first, so that WAL mode is set before any reader connects.
	if err := pingBusy(wDB); err != nil {
		_ = wDB.Close()
		return nil, err
	}
	r, err := openSQLitePool(file+"&_txlock=deferred"+
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(on)&_pragma=query_only(on)", opts)
	if err != nil {
		_ = wDB.Close()
		return nil, err
	}
	rDB, err := r.DB()
	if err != nil {
		_ = wDB.Close()
		return nil, err
	}
	n := opts.MaxOpenConns
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	rDB.SetMaxOpenConns(n)
	rDB.SetMaxIdleConns(n)
	return &DB{engine: SQLite, path: path, w: w, r: r}, nil
}

// openSQLitePool opens a pool of connections to dsn whose statements are cached (stmtcache.go).
func openSQLitePool(dsn string, opts Options) (*gorm.DB, error) {
	connector, err := (&sqlitedriver.SQLite{}).OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return gorm.Open(gormlite.OpenDB(sql.OpenDB(stmtCacheConnector{connector})), gormConfig(opts))
}

// pingBusy connects, retrying while the file is locked: switching a new database to WAL mode
// needs an exclusive lock, and SQLite reports a concurrent open (another process starting at
// the same time) as busy without waiting for the busy timeout.
func pingBusy(db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := db.Ping()
		if !errors.Is(err, sqlite3.BUSY) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sqlitePath returns the absolute file path of a sqlite: URL.
func sqlitePath(rawURL string) (string, error) {
	p := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//") // sqlite://rel/path, sqlite:///abs/path
	if p == "" || p == ":memory:" || strings.ContainsAny(p, "?#") {
		return "", fmt.Errorf("want sqlite:PATH with the path of a database file, got %q", rawURL)
	}
	return filepath.Abs(p)
}

// Redacted returns a database URL with its password masked, for error messages and logs.
func Redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// Engine returns "postgres" or "sqlite".
func (db *DB) Engine() string { return db.engine }

// Ping checks that the database answers, on every pool.
func (db *DB) Ping(ctx context.Context) error {
	for _, g := range db.pools() {
		sqlDB, err := g.DB()
		if err != nil {
			return fmt.Errorf("ping: %w", err)
		}
		if err := sqlDB.PingContext(ctx); err != nil {
			return fmt.Errorf("ping %s: %w", db.engine, err)
		}
	}
	return nil
}

// Close closes every connection.
func (db *DB) Close() error {
	var errs []error
	if db.engine == SQLite {
		// Let SQLite refresh the planner statistics its queries would have used: without them it
		// picks poor plans for wide list filters on large tables.
		errs = append(errs, db.w.Exec(`PRAGMA optimize`).Error)
	}
	for _, g := range db.pools() {
		sqlDB, err := g.DB()
		if err == nil {
			err = sqlDB.Close()
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (db *DB) pools() []*gorm.DB {
	if db.r == db.w {
		return []*gorm.DB{db.w}
	}
	return []*gorm.DB{db.w, db.r}
}

// write runs fn in a write transaction: on SQLite on the single write connection, BEGIN
// IMMEDIATE. fn's error is returned unchanged; it rolls the transaction back.
func (db *DB) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return db.w.WithContext(ctx).Transaction(fn)
}

// read returns a session on the read pool; each statement sees the last committed state.
func (db *DB) read(ctx context.Context) *gorm.DB { return db.r.WithContext(ctx) }
