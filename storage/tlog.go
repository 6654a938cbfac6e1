package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

var _ domain.TLogStore = (*DB)(nil)

// tlogLock is the PostgreSQL advisory lock key held by the transaction that appends to the
// transparency log ("tlog-seq" in ASCII): two sequencers, in one process or several, never
// append at once. On SQLite the single write connection serialises them already.
const tlogLock int64 = 0x746c6f672d736571

// hashSize is the size of a SHA-256 hash, the unit of tlog_state.compact_range.
const hashSize = 32

// TLogState returns the last committed state of the log.
func (db *DB) TLogState(ctx context.Context) (domain.TLogState, error) {
	st, err := db.tlogState(db.read(ctx))
	if err != nil {
		return st, fmt.Errorf("tlog state: %w", err)
	}
	return st, nil
}

func (db *DB) tlogState(tx *gorm.DB) (domain.TLogState, error) {
	var (
		st         domain.TLogState
		size       int64
		compactRng []byte
	)
	err := tx.Raw(`SELECT size, cursor_tx, cursor_position, compact_range FROM tlog_state WHERE id = 1`).
		Row().Scan(&size, &st.Cursor.Tx, &st.Cursor.Position, &compactRng)
	if err != nil {
		return st, err
	}
	if len(compactRng)%hashSize != 0 {
		return st, fmt.Errorf("compact range of %d bytes is not a list of hashes", len(compactRng))
	}
	st.Size = uint64(size)
	for i := 0; i < len(compactRng); i += hashSize {
		st.Range = append(st.Range, compactRng[i:i+hashSize:i+hashSize])
	}
	return st, nil
}

// AppendTLog runs one sequencer step in one transaction: lock, read the state, build, store the
// leaves, nodes and new state. The schema's triggers check again that indices are consecutive
// and that the state's size matches the leaves, so a faulty build cannot leave a gap.
func (db *DB) AppendTLog(ctx context.Context, build func(st domain.TLogState) (domain.TLogBatch, error)) (domain.TLogState, error) {
	var after domain.TLogState
	err := db.write(ctx, func(tx *gorm.DB) error {
		if db.engine == Postgres {
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, tlogLock).Error; err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		st, err := db.tlogState(tx)
		if err != nil {
			return fmt.Errorf("read state: %w", err)
		}
		b, err := build(st)
		if err != nil {
			return err
		}
		for i, l := range b.Leaves {
			if l.Index != st.Size+uint64(i) || b.State.Size != st.Size+uint64(len(b.Leaves)) {
				return domain.Errorf(domain.ECConflict, "tlog leaf %d does not continue the log of size %d", l.Index, st.Size)
			}
		}
		if b.State.Cursor.Before(st.Cursor) {
			return domain.Errorf(domain.ECConflict, "tlog cursor %+v is before %+v", b.State.Cursor, st.Cursor)
		}
		if err := db.insertLeaves(tx, b.Leaves); err != nil {
			return err
		}
		if err := db.insertNodes(tx, b.Nodes); err != nil {
			return err
		}
		compactRng := make([]byte, 0, len(b.State.Range)*hashSize)
		for _, h := range b.State.Range {
			compactRng = append(compactRng, h...)
		}
		if err := tx.Exec(`UPDATE tlog_state SET size = ?, cursor_tx = ?, cursor_position = ?, compact_range = ? WHERE id = 1`,
			int64(b.State.Size), b.State.Cursor.Tx, b.State.Cursor.Position, compactRng).Error; err != nil {
			return fmt.Errorf("store state: %w", tlogRefused(err))
		}
		after = b.State
		return nil
	})
	if err != nil {
		return after, fmt.Errorf("append to tlog: %w", err)
	}
	return after, nil
}

// tlogRefused turns a duplicate key or a trigger's refusal into a conflict: the batch does not
// continue the log.
func tlogRefused(err error) error {
	if kind, _, msg := classify(err); kind == uniqueViolation || kind == guardViolation {
		return conflict(err, "tlog: %s", msg)
	}
	return err
}

// insertRows inserts rows of n columns into table, many per statement.
func (db *DB) insertRows(tx *gorm.DB, table, columns string, n int, rows [][]any) error {
	const perStatement = 500
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	for start := 0; start < len(rows); start += perStatement {
		chunk := rows[start:min(start+perStatement, len(rows))]
		args := make([]any, 0, len(chunk)*n)
		for _, r := range chunk {
			args = append(args, r...)
		}
		q := `INSERT INTO ` + table + ` (` + columns + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat(row+", ", len(chunk)), ", ")
		if err := tx.Exec(q, args...).Error; err != nil {
			return fmt.Errorf("insert into %s: %w", table, tlogRefused(err))
		}
	}
	return nil
}

func (db *DB) insertLeaves(tx *gorm.DB, leaves []domain.TLogLeaf) error {
	rows := make([][]any, len(leaves))
	for i, l := range leaves {
		rows[i] = []any{int64(l.Index), l.Kind, l.EntityID, l.Data, l.Hash, db.ts(l.IntegratedAt)}
	}
	return db.insertRows(tx, "tlog_leaves", "idx, kind, entity_id, leaf, leaf_hash, integrated_at", 6, rows)
}

func (db *DB) insertNodes(tx *gorm.DB, nodes []domain.TLogNode) error {
	rows := make([][]any, len(nodes))
	for i, n := range nodes {
		rows[i] = []any{int64(n.Level), int64(n.Index), n.Hash}
	}
	return db.insertRows(tx, "tlog_nodes", "level, idx, hash", 3, rows)
}

const tlogLeafColumns = `idx, kind, entity_id, leaf, leaf_hash, integrated_at`

func scanTLogLeaf(row rowScanner) (domain.TLogLeaf, error) {
	var (
		l   domain.TLogLeaf
		idx int64
	)
	err := row.Scan(&idx, &l.Kind, &l.EntityID, &l.Data, &l.Hash, timeCol{T: &l.IntegratedAt})
	l.Index = uint64(idx)
	return l, err
}

// TLogLeaves returns up to limit leaves from index from on.
func (db *DB) TLogLeaves(ctx context.Context, from uint64, limit int) ([]domain.TLogLeaf, error) {
	rows, err := db.read(ctx).Raw(`SELECT `+tlogLeafColumns+` FROM tlog_leaves WHERE idx >= ? ORDER BY idx LIMIT ?`,
		int64(from), limit).Rows()
	if err != nil {
		return nil, fmt.Errorf("tlog leaves from %d: %w", from, err)
	}
	defer rows.Close()
	var out []domain.TLogLeaf
	for rows.Next() {
		l, err := scanTLogLeaf(rows)
		if err != nil {
			return nil, fmt.Errorf("tlog leaves from %d: %w", from, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// TLogLeafByEntity returns the leaf logging (kind, entityID).
func (db *DB) TLogLeafByEntity(ctx context.Context, kind, entityID string) (domain.TLogLeaf, error) {
	l, err := scanTLogLeaf(db.read(ctx).Raw(`SELECT `+tlogLeafColumns+` FROM tlog_leaves WHERE kind = ? AND entity_id = ?`,
		kind, entityID).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return l, domain.Errorf(domain.ECNotFound, "no %s %s in the transparency log", kind, entityID)
	}
	if err != nil {
		return l, fmt.Errorf("tlog leaf of %s %s: %w", kind, entityID, err)
	}
	return l, nil
}

// TLogNodes returns the hashes of ids in order, in one query.
func (db *DB) TLogNodes(ctx context.Context, ids []domain.TLogNodeID) ([][]byte, error) {
	if len(ids) == 0 {
		return [][]byte{}, nil
	}
	values := strings.TrimSuffix(strings.Repeat("(CAST(? AS bigint), CAST(? AS bigint)), ", len(ids)), ", ")
	args := make([]any, 0, 2*len(ids))
	for _, id := range ids {
		args = append(args, int64(id.Level), int64(id.Index))
	}
	rows, err := db.read(ctx).Raw(`SELECT level, idx, hash FROM tlog_nodes WHERE (level, idx) IN (VALUES `+values+`)`,
		args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("tlog nodes: %w", err)
	}
	defer rows.Close()
	found := make(map[domain.TLogNodeID][]byte, len(ids))
	for rows.Next() {
		var (
			level, idx int64
			hash       []byte
		)
		if err := rows.Scan(&level, &idx, &hash); err != nil {
			return nil, fmt.Errorf("tlog nodes: %w", err)
		}
		found[domain.TLogNodeID{Level: uint(level), Index: uint64(idx)}] = hash
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tlog nodes: %w", err)
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		if out[i] = found[id]; out[i] == nil {
			return nil, domain.Errorf(domain.ECNotFound, "tlog node %d/%d is not stored", id.Level, id.Index)
		}
	}
	return out, nil
}
