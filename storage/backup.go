package storage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"

	sqlitedriver "github.com/ncruces/go-sqlite3/driver"

	"github.com/sportello/sportello/domain"
)

// BackupFacts are what a backup's manifest says of its database: how many registrations and
// how many transparency-log leaves it holds, so that a restored instance can be compared.
type BackupFacts struct {
	Registrations int64
	LogSize       uint64
}

// Snapshot writes a consistent copy of the SQLite database to the file path, which must not
// exist, through SQLite's online backup API (sqlite3_backup_step over every page in one step).
// The copy is made on a read connection, inside one read transaction: in WAL mode writers go
// on meanwhile, and the copy is the database as of the last commit before it began. On
// PostgreSQL it returns ECValidation: the database's own tools (pg_basebackup, WAL archiving)
// back it up.
func (db *DB) Snapshot(ctx context.Context, path string) error {
	if db.engine != SQLite {
		return domain.Errorf(domain.ECValidation, "snapshot: the %s database is backed up by its own tools", db.engine)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("snapshot to %s: the file exists", path)
	}
	sqlDB, err := db.r.DB()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer conn.Close()
	dst := (&url.URL{Scheme: "file", Path: path}).String()
	err = conn.Raw(func(dc any) error {
		if c, ok := dc.(*cachingConn); ok {
			dc = c.Conn
		}
		c, ok := dc.(sqlitedriver.Conn)
		if !ok {
			return fmt.Errorf("connection %T is not SQLite's", dc)
		}
		return c.Raw().Backup("main", dst)
	})
	if err != nil {
		return fmt.Errorf("snapshot to %s: %w", path, err)
	}
	if err := os.Chmod(path, privateMode); err != nil {
		return fmt.Errorf("snapshot to %s: %w", path, err)
	}
	return nil
}

// BackupFacts counts the registrations and the leaves of the transparency log, in one read.
func (db *DB) BackupFacts(ctx context.Context) (BackupFacts, error) {
	var f BackupFacts
	var size int64
	err := db.read(ctx).Raw(`SELECT (SELECT count(*) FROM registrations), COALESCE((SELECT size FROM tlog_state WHERE id = 1), 0)`).
		Row().Scan(&f.Registrations, &size)
	if err != nil {
		return f, fmt.Errorf("backup facts: %w", err)
	}
	f.LogSize = uint64(size)
	return f, nil
}
