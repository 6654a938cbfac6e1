package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// lockedUpdate is one entity's part in updateLocked: how to load it locked, copy it and write
// what its change function did to it.
type lockedUpdate[T, C any] struct {
	what string // the entity's kind in messages: "registration", "dossier" …
	id   string
	// load reads the entity in tx, locking its row (see forUpdate); sql.ErrNoRows is not found.
	load func(tx *gorm.DB) (*T, error)
	// copy returns a copy that the change function may alter without altering the original.
	copy func(*T) *T
	// write checks after against before — a change of a field that never changes is
	// ECImmutable — and stores it with what the change function returned.
	write func(tx *gorm.DB, before, after *T, c C) error
}

// updateLocked is every "load for update → change → check → write" of storage, in one write
// transaction: the public Update… method owns the transaction, the domain's change function
// decides. An error from change is returned as it is, so that the domain's own error reaches
// its caller, and nothing is written; any other is wrapped as "update <what> <id>", a refusal
// of the guard triggers becoming ECImmutable. Returns ECNotFound.
func updateLocked[T, C any](ctx context.Context, db *DB, u lockedUpdate[T, C], change func(*T) (C, error)) (*T, error) {
	var (
		out       *T
		changeErr error
	)
	err := db.write(ctx, func(tx *gorm.DB) error {
		before, err := u.load(tx)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.ECNotFound, "%s %s not found", u.what, u.id)
		}
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		after := u.copy(before)
		c, err := change(after)
		if err != nil {
			changeErr = err
			return err
		}
		if err := u.write(tx, before, after, c); err != nil {
			return err
		}
		out = after
		return nil
	})
	if changeErr != nil {
		return nil, changeErr
	}
	if err != nil {
		return nil, fmt.Errorf("update %s %s: %w", u.what, u.id, guarded(err))
	}
	return out, nil
}

// forUpdate is the locking clause of a read for update of the rows of alias: PostgreSQL's; SQLite
// has one writer, whose transaction holds the lock already.
func (db *DB) forUpdate(alias string) string {
	if db.engine != Postgres {
		return ""
	}
	return ` FOR UPDATE OF ` + alias
}
