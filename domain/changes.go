package domain

import (
	"context"
	"time"
)

// ChangeEvent is one entry of the change feed: every committed write of a registration (and,
// later, of other entities) appends one, in the same transaction as the write. Position is what
// write responses report; Tx orders events by commit safety (see FeedCursor).
type ChangeEvent struct {
	Position   int64
	Tx         int64
	At         time.Time
	Kind       string // registration.created, registration.updated, registration.annulled
	EntityKind string
	EntityID   string
}

// Cursor is the feed cursor just past this event.
func (e ChangeEvent) Cursor() FeedCursor { return FeedCursor{Tx: e.Tx, Position: e.Position} }

// FeedCursor marks how far a consumer has read the change feed. Events are consumed in
// (Tx, Position) order, not in Position order: on PostgreSQL a transaction can take a lower
// position and commit after one with a higher position, and a consumer that advanced by
// position alone would skip it. Tx is the writing transaction's id (xid8) on PostgreSQL and the
// position itself on SQLite, whose single writer commits in position order. The zero cursor is
// the start of the feed.
type FeedCursor struct {
	Tx       int64 `json:"tx"`
	Position int64 `json:"position"`
}

// Before reports whether c comes before d in feed order.
func (c FeedCursor) Before(d FeedCursor) bool {
	return c.Tx < d.Tx || (c.Tx == d.Tx && c.Position < d.Position)
}

// ChangeFeed lets background consumers (search projection, transparency log, webhooks) follow
// every committed write exactly once, resuming from a cursor they keep.
type ChangeFeed interface {
	// Changes returns up to limit events after cursor in feed order, only from transactions
	// that have finished, so that no event can later appear before the last one returned.
	Changes(ctx context.Context, after FeedCursor, limit int) ([]ChangeEvent, error)
	// FeedCursorOf returns the cursor of the event at position, for read-your-writes: a
	// consumer that has passed it has seen that write. Returns ECNotFound.
	FeedCursorOf(ctx context.Context, position int64) (FeedCursor, error)
}
