package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// contentLockClass is the first key of the PostgreSQL advisory locks that keep a registration
// and the deletion of the same content apart; the second key is a hash of the digest.
const contentLockClass = 0x53504354 // "SPCT"

// lockContent takes, on PostgreSQL, a shared lock on each digest for the rest of tx: any number
// of registrations may reference the same content at once, but none while a disposal deletes
// it (DeleteUnusedContent takes the lock exclusively). SQLite's single writer already
// serialises the two.
func (db *DB) lockContent(tx *gorm.DB, digests []string) error {
	lock, ok := db.lockContentStmt(digests)
	if !ok {
		return nil
	}
	if err := tx.Exec(lock.sql, lock.args...).Error; err != nil {
		return fmt.Errorf("lock content: %w", err)
	}
	return nil
}

// lockContentStmt returns lockContent's locks as one query of one row, for runAll to take them
// in the same round trip as its inserts; ok is false on SQLite, which needs none. The digests
// are locked in order, so that two transactions never wait for each other.
func (db *DB) lockContentStmt(digests []string) (s stmt, ok bool) {
	if db.engine != Postgres || len(digests) == 0 {
		return stmt{}, false
	}
	sorted := slices.Clone(digests)
	slices.Sort(sorted)
	var q strings.Builder
	q.WriteString("SELECT ")
	for i, d := range slices.Compact(sorted) {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("pg_advisory_xact_lock_shared(CAST(? AS integer), hashtext(?))")
		s.args = append(s.args, contentLockClass, d)
	}
	s.sql, s.read = q.String(), true
	return s, true
}

// DeleteUnusedContent runs del inside a write transaction holding the digest's content lock
// exclusively, if nothing kept references the digest: a registration of the same bytes has
// either committed before (and the content is in use) or waits, then finds the content gone.
// The digest's pending disposal deletions are marked done in the same transaction.
func (db *DB) DeleteUnusedContent(ctx context.Context, sha256 string, del func() error) (bool, error) {
	deleted := false
	err := db.write(ctx, func(tx *gorm.DB) error {
		if db.engine == Postgres {
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(CAST(? AS integer), hashtext(?))`, contentLockClass, sha256).Error; err != nil {
				return err
			}
		}
		used, err := contentInUse(tx, sha256)
		if err != nil {
			return err
		}
		if !used {
			if err := del(); err != nil {
				return err
			}
			deleted = true
		}
		// Deleted, or kept for something that still uses it (whose own disposal will delete
		// it): either way no disposal has anything left to do for these bytes.
		return tx.Exec(`UPDATE disposal_content SET deleted_at = ? WHERE sha256 = ? AND deleted_at IS NULL`,
			db.ts(db.now()), sha256).Error
	})
	if err != nil {
		return false, fmt.Errorf("delete unused content %s: %w", sha256, err)
	}
	return deleted, nil
}
