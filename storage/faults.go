package storage

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/ncruces/go-sqlite3"

	"github.com/sportello/sportello/domain"
)

// Faulted returns err wrapped in an unavailable error when it says the database cannot be
// reached (a refused or lost connection, a server shutting down), in an insufficient_storage
// error when the disk is full, and err unchanged otherwise; errors that already carry a code
// other than internal are left alone. The driver's error stays in the chain, for the log.
//
// The API passes every error it would answer 500 through Faulted: a driver reports a lost
// connection at any step (beginning a transaction, a query, scanning a row, committing), which
// no single place inside the store sees.
func (db *DB) Faulted(err error) error {
	err = faulted(err)
	if db.path != "" && domain.CodeOf(err) == domain.ECInternal && errors.Is(err, sqlite3.IOERR) && noSpaceLeft(filepath.Dir(db.path)) {
		// SQLite's driver reports a write refused for want of space as a plain I/O error
		// (SQLITE_IOERR_WRITE, without the system's ENOSPC): with no space left where the
		// database lives, that is what it is.
		return full(err)
	}
	return err
}

func faulted(err error) error {
	if domain.CodeOf(err) != domain.ECInternal {
		return err
	}
	switch {
	case storageFull(err):
		return full(err)
	case connectionLost(err):
		return &domain.Error{Code: domain.ECUnavailable, Message: "the database cannot be reached; retry later", Err: err}
	}
	return err
}

func full(err error) error {
	return &domain.Error{Code: domain.ECInsufficientStorage, Message: "the disk is full: nothing was written", Err: err}
}

// storageFull reports a full disk or quota: SQLite's SQLITE_FULL, PostgreSQL's class 53
// (insufficient resources: disk_full), or the operating system's ENOSPC and EDQUOT.
func storageFull(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "53100"
	}
	return errors.Is(err, sqlite3.FULL) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// connectionLost reports an error that says nothing about the statement and everything about
// the connection: PostgreSQL's class 08 (connection exception) and 57P01-57P03 (the server is
// shutting down or starting), a connection that could not be made or was cut, and a pool that
// is closed.
func connectionLost(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03"
	}
	var connect *pgconn.ConnectError
	var op *net.OpError
	return errors.As(err, &connect) || errors.As(err, &op) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.ErrUnexpectedEOF)
}
