package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/sportello/sportello/domain"
)

var _ domain.ChangeFeed = (*DB)(nil)

// feedColumns selects an event with its transaction order key: the writing transaction's xid8
// on PostgreSQL, the position on SQLite (one writer, so commits happen in position order).
func (db *DB) feedColumns() string {
	if db.engine == Postgres {
		return `position, txid::text::bigint, at, kind, entity_kind, entity_id`
	}
	return `position, position, at, kind, entity_kind, entity_id`
}

// Changes returns up to limit events after the cursor, in (tx, position) order. On PostgreSQL
// only transactions older than the oldest one still running are read: all of them have
// finished, so every event they wrote is visible and no later commit can add an event before
// the cursor.
func (db *DB) Changes(ctx context.Context, after domain.FeedCursor, limit int) ([]domain.ChangeEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	q, args := db.changesQuery(after, limit)
	rows, err := db.read(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("read change feed after %+v: %w", after, err)
	}
	defer rows.Close()
	var out []domain.ChangeEvent
	for rows.Next() {
		e, err := db.scanChange(rows)
		if err != nil {
			return nil, fmt.Errorf("read change feed: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// changesQuery is Changes' statement. On PostgreSQL its order is the columns' own, qualified:
// the select list names its bigint txid "txid" too, and ordering by that would sort every event
// after the cursor instead of reading the (txid, position) index up to the limit.
func (db *DB) changesQuery(after domain.FeedCursor, limit int) (string, []any) {
	if db.engine == Postgres {
		return `SELECT ` + db.feedColumns() + ` FROM change_events
			WHERE (txid, position) > (CAST(? AS text)::xid8, ?) AND txid < pg_snapshot_xmin(pg_current_snapshot())
			ORDER BY change_events.txid, change_events.position LIMIT ?`,
			[]any{strconv.FormatInt(after.Tx, 10), after.Position, limit}
	}
	return `SELECT ` + db.feedColumns() + ` FROM change_events WHERE position > ? ORDER BY position LIMIT ?`,
		[]any{after.Position, limit}
}

// FeedCursorOf returns the cursor of the event at position.
func (db *DB) FeedCursorOf(ctx context.Context, position int64) (domain.FeedCursor, error) {
	row := db.read(ctx).Raw(`SELECT `+db.feedColumns()+` FROM change_events WHERE position = ?`, position).Row()
	e, err := db.scanChange(row)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.FeedCursor{}, domain.Errorf(domain.ECNotFound, "no change at position %d", position)
	}
	if err != nil {
		return domain.FeedCursor{}, fmt.Errorf("change at position %d: %w", position, err)
	}
	return e.Cursor(), nil
}

func (db *DB) scanChange(row interface{ Scan(...any) error }) (domain.ChangeEvent, error) {
	var e domain.ChangeEvent
	err := row.Scan(&e.Position, &e.Tx, timeCol{T: &e.At}, &e.Kind, &e.EntityKind, &e.EntityID)
	return e, err
}
