package storage

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/ncruces/go-sqlite3"

	"github.com/sportello/sportello/domain"
)

// guardState is the SQLSTATE that the PostgreSQL triggers raise when they refuse a change (see
// migrations/postgres); SQLite reports the same refusals as SQLITE_CONSTRAINT_TRIGGER.
const guardState = "SP001"

// violation is the kind of constraint a driver error reports.
type violation int

const (
	noViolation violation = iota
	uniqueViolation
	foreignKeyViolation
	guardViolation // refused by one of the schema's triggers
)

// classify tells which constraint err violated, on which table when the driver says so, and
// the driver's message without its prefix.
func classify(err error) (kind violation, table, msg string) {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return uniqueViolation, pg.TableName, pg.Message
		case "23503":
			return foreignKeyViolation, pg.TableName, pg.Message
		case guardState:
			return guardViolation, pg.TableName, pg.Message
		}
		return noViolation, "", pg.Message
	}
	var lite *sqlite3.Error
	if !errors.As(err, &lite) {
		return noViolation, "", ""
	}
	msg = lite.Error()
	if _, after, ok := strings.Cut(msg, "constraint failed: "); ok {
		msg = after
	}
	switch lite.ExtendedCode() {
	case sqlite3.CONSTRAINT_UNIQUE, sqlite3.CONSTRAINT_PRIMARYKEY:
		// "UNIQUE constraint failed: idempotency_keys.principal_id, idempotency_keys.key"
		if _, cols, ok := strings.Cut(msg, "failed: "); ok {
			table, _, _ = strings.Cut(cols, ".")
		}
		return uniqueViolation, table, msg
	case sqlite3.CONSTRAINT_FOREIGNKEY:
		return foreignKeyViolation, "", msg
	case sqlite3.CONSTRAINT_TRIGGER:
		return guardViolation, "", msg
	}
	return noViolation, "", msg
}

// isUnique reports whether err is a duplicate key on table.
func isUnique(err error, table string) bool {
	kind, t, _ := classify(err)
	return kind == uniqueViolation && t == table
}

// isForeignKey reports whether err is a reference to a missing row.
func isForeignKey(err error) bool {
	kind, _, _ := classify(err)
	return kind == foreignKeyViolation
}

// guarded returns an immutable_field error carrying the trigger's message if err is a refusal
// by one of the schema's triggers, and err otherwise.
func guarded(err error) error {
	kind, _, msg := classify(err)
	if kind != guardViolation {
		return err
	}
	return &domain.Error{Code: domain.ECImmutable, Message: msg, Err: err}
}

// conflict returns a conflict error with message, wrapping the driver's error.
func conflict(err error, format string, args ...any) error {
	e := domain.Errorf(domain.ECConflict, format, args...)
	e.Err = err
	return e
}

// idempotencyConflict maps a duplicate idempotency key to the conflict the domain expects when
// a concurrent request with the same key committed first.
func idempotencyConflict(err error, w domain.Write) error {
	if w.Idempotency != nil && isUnique(err, "idempotency_keys") {
		return conflict(err, "idempotency key %q was already used", w.Idempotency.Key)
	}
	return err
}
