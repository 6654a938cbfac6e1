// Package testdb gives each test a fresh, empty database on every engine Sportello supports, so
// that one table of cases runs on SQLite and on PostgreSQL alike:
//
//	testdb.Each(t, func(t *testing.T, url string) {
//		db := storagetest.Open(t, url) // migrated *storage.DB, closed at cleanup
//		…
//	})
//
// SQLite always runs, on a new file in the test's temporary directory. PostgreSQL runs when
// SPORTELLO_TEST_DATABASE_URL names a server (postgres://user@host:port/db?sslmode=disable);
// each test then gets a database of its own, created from that connection and dropped (WITH
// FORCE) at cleanup.
//
// Layout: testdb imports no Sportello package, only the database drivers, so every package can
// use it — storage's own tests included — without an import cycle. Opening a migrated
// *storage.DB is storage/storagetest's job, which imports both.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"       // database/sql driver "pgx", for RawDB
	_ "github.com/ncruces/go-sqlite3/driver" // database/sql driver "sqlite3", for RawDB
)

// EnvPostgres names the variable holding the PostgreSQL server URL used by tests.
const EnvPostgres = "SPORTELLO_TEST_DATABASE_URL"

// Engine names, as the subtests of Each are named.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Names lists the engines tests run on here: sqlite, and postgres when EnvPostgres is set.
func Names() []string {
	if os.Getenv(EnvPostgres) == "" {
		return []string{SQLite}
	}
	return []string{SQLite, Postgres}
}

// Each runs fn as a subtest per engine, named after it, with a fresh database's URL.
func Each(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) { fn(t, URL(t, name)) })
	}
}

// EachB is Each for benchmarks.
func EachB(b *testing.B, fn func(b *testing.B, url string)) {
	b.Helper()
	for _, name := range Names() {
		b.Run(name, func(b *testing.B) { fn(b, URL(b, name)) })
	}
}

// URL returns the URL of a fresh database of engine name, removed when tb ends. It skips tb
// for postgres when EnvPostgres is not set.
func URL(tb testing.TB, name string) string {
	tb.Helper()
	switch name {
	case SQLite:
		return SQLiteURL(tb)
	case Postgres:
		return PostgresURL(tb)
	}
	tb.Fatalf("testdb: unknown engine %q", name)
	return ""
}

// SQLiteURL returns sqlite:PATH for a new database file in tb's temporary directory.
func SQLiteURL(tb testing.TB) string {
	tb.Helper()
	return "sqlite:" + filepath.Join(tb.TempDir(), "sportello.db")
}

// PostgresURL creates a database on the EnvPostgres server and returns its URL; the database
// is dropped when tb ends. It skips tb when EnvPostgres is not set.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		tb.Skipf("testdb: %s is not set", EnvPostgres)
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("testdb: %s must be a postgres:// URL", EnvPostgres)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "sportello_t_" + hex.EncodeToString(b)
	if err := adminExec(u, `CREATE DATABASE `+name); err != nil {
		tb.Fatalf("testdb: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if err := adminExec(u, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			tb.Errorf("testdb: drop database %s: %v", name, err)
		}
	})
	fresh := *u
	fresh.Path = "/" + name
	return fresh.String()
}

// adminExec runs one statement on the server of u, in u's database or, if that does not
// exist, in the postgres maintenance database.
func adminExec(u *url.URL, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, u.String())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "3D000" { // invalid_catalog_name
		maint := *u
		maint.Path = "/postgres"
		conn, err = pgx.Connect(ctx, maint.String())
	}
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	return err
}

// IsPostgres reports whether dbURL is a PostgreSQL URL (else it is a SQLite one).
func IsPostgres(dbURL string) bool {
	return strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://")
}

// RawDB opens a plain database/sql connection to dbURL, bypassing the storage package, so tests
// can check what is really stored and what the database itself refuses. Closed when tb ends.
// Placeholders are $1… on PostgreSQL and ? on SQLite.
func RawDB(tb testing.TB, dbURL string) *sql.DB {
	tb.Helper()
	driver, dsn := "pgx", dbURL
	if !IsPostgres(dbURL) {
		path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "//")
		driver = "sqlite3"
		dsn = (&url.URL{Scheme: "file", Path: path}).String() +
			"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(on)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatalf("testdb: open %s: %v", dbURL, err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// Tamper runs statements on the database at dbURL as someone who can disable its guards would,
// for tests of what notices a change made behind the application's back: the SQLite statements
// or the PostgreSQL ones, by engine; the last statement takes args.
func Tamper(tb testing.TB, dbURL string, sqlite, postgres []string, args ...any) {
	tb.Helper()
	stmts := sqlite
	if IsPostgres(dbURL) {
		stmts = postgres
	}
	raw := RawDB(tb, dbURL)
	for i, q := range stmts {
		var err error
		if i == len(stmts)-1 {
			_, err = raw.Exec(q, args...)
		} else {
			_, err = raw.Exec(q)
		}
		if err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
}
