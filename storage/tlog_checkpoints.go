package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sportello/sportello/domain"
)

const tlogCheckpointColumns = `size, origin, root_hash, signed_at, signature, key_fingerprint, tst`

func scanTLogCheckpoint(row rowScanner) (domain.TLogCheckpoint, error) {
	var (
		cp   domain.TLogCheckpoint
		size int64
	)
	err := row.Scan(&size, &cp.Origin, &cp.Root, timeCol{T: &cp.Time}, &cp.Signature, &cp.KeyFingerprint, &cp.TimestampToken)
	cp.Size = uint64(size)
	return cp, err
}

// AddTLogCheckpoint stores cp; a checkpoint of the same size is a conflict (another sequencer
// signed it first).
func (db *DB) AddTLogCheckpoint(ctx context.Context, cp domain.TLogCheckpoint) error {
	var tst any
	if cp.TimestampToken != nil {
		tst = cp.TimestampToken
	}
	err := db.w.WithContext(ctx).Exec(`INSERT INTO tlog_checkpoints (`+tlogCheckpointColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		int64(cp.Size), cp.Origin, cp.Root, db.ts(cp.Time), cp.Signature, cp.KeyFingerprint, tst).Error
	if kind, _, _ := classify(err); kind == uniqueViolation || kind == guardViolation {
		return conflict(err, "tlog checkpoint of size %d exists", cp.Size)
	}
	if err != nil {
		return fmt.Errorf("add tlog checkpoint %d: %w", cp.Size, err)
	}
	return nil
}

// LatestTLogCheckpoint returns the largest checkpoint.
func (db *DB) LatestTLogCheckpoint(ctx context.Context) (domain.TLogCheckpoint, error) {
	cp, err := scanTLogCheckpoint(db.read(ctx).Raw(`SELECT ` + tlogCheckpointColumns +
		` FROM tlog_checkpoints ORDER BY size DESC LIMIT 1`).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return cp, domain.Errorf(domain.ECNotFound, "the transparency log has no checkpoint yet")
	}
	if err != nil {
		return cp, fmt.Errorf("latest tlog checkpoint: %w", err)
	}
	return cp, nil
}

// TLogCheckpoint returns the checkpoint of a size.
func (db *DB) TLogCheckpoint(ctx context.Context, size uint64) (domain.TLogCheckpoint, error) {
	cp, err := scanTLogCheckpoint(db.read(ctx).Raw(`SELECT `+tlogCheckpointColumns+
		` FROM tlog_checkpoints WHERE size = ?`, int64(size)).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return cp, domain.Errorf(domain.ECNotFound, "no transparency log checkpoint of size %d", size)
	}
	if err != nil {
		return cp, fmt.Errorf("tlog checkpoint %d: %w", size, err)
	}
	return cp, nil
}

// TLogCheckpoints returns up to limit checkpoints larger than after, smallest first.
func (db *DB) TLogCheckpoints(ctx context.Context, after uint64, limit int, missingToken bool) ([]domain.TLogCheckpoint, error) {
	q := `SELECT ` + tlogCheckpointColumns + ` FROM tlog_checkpoints WHERE size > ?`
	if missingToken {
		q += ` AND tst IS NULL`
	}
	rows, err := db.read(ctx).Raw(q+` ORDER BY size LIMIT ?`, int64(after), limit).Rows()
	if err != nil {
		return nil, fmt.Errorf("tlog checkpoints after %d: %w", after, err)
	}
	defer rows.Close()
	var out []domain.TLogCheckpoint
	for rows.Next() {
		cp, err := scanTLogCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("tlog checkpoints after %d: %w", after, err)
		}
		out = append(out, cp)
	}
	return out, rows.Err()
}

// SetTLogTimestamp adds a missing time-stamp token: the only change the schema allows to a
// checkpoint.
func (db *DB) SetTLogTimestamp(ctx context.Context, size uint64, token []byte) error {
	if len(token) == 0 {
		return domain.Errorf(domain.ECValidation, "tlog checkpoint %d: empty time-stamp token", size)
	}
	res := db.w.WithContext(ctx).Exec(`UPDATE tlog_checkpoints SET tst = ? WHERE size = ? AND tst IS NULL`, token, int64(size))
	if res.Error != nil {
		return fmt.Errorf("time-stamp tlog checkpoint %d: %w", size, res.Error)
	}
	if res.RowsAffected == 0 {
		if _, err := db.TLogCheckpoint(ctx, size); err != nil {
			return err
		}
		return domain.Errorf(domain.ECConflict, "tlog checkpoint %d has a time-stamp token already", size)
	}
	return nil
}
