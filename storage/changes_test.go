package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// readUntil follows the feed from a cursor, as a consumer does, until it has read want events.
// On PostgreSQL the feed holds back while any transaction on the server is open (other tests'
// included), so it polls, for a bounded time.
func readUntil(t *testing.T, feed domain.ChangeFeed, from domain.FeedCursor, want int) ([]domain.ChangeEvent, domain.FeedCursor) {
	t.Helper()
	var all []domain.ChangeEvent
	deadline := time.Now().Add(30 * time.Second)
	for {
		batch, cur := readAll(t, feed, from)
		all, from = append(all, batch...), cur
		if len(all) >= want || time.Now().After(deadline) {
			return all, from
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readAll reads the feed from a cursor to its current end.
func readAll(t *testing.T, feed domain.ChangeFeed, from domain.FeedCursor) ([]domain.ChangeEvent, domain.FeedCursor) {
	t.Helper()
	var all []domain.ChangeEvent
	for {
		batch, err := feed.Changes(context.Background(), from, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			return all, from
		}
		for _, e := range batch {
			if !from.Before(e.Cursor()) {
				t.Fatalf("event %+v does not come after cursor %+v", e, from)
			}
			from = e.Cursor()
		}
		all = append(all, batch...)
	}
}

func TestChanges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		f := newFixture(t, url)
		db := f.db
		var regs []*domain.Registration
		for range 5 {
			regs = append(regs, f.register(t, newRegistration()))
		}
		events, cur := readUntil(t, db, domain.FeedCursor{}, 5)
		if len(events) != 5 {
			t.Fatalf("%d events, want 5", len(events))
		}
		for i, e := range events {
			if e.EntityID != regs[i].ID || e.Position != regs[i].Position || e.Kind != "registration.created" || e.At.IsZero() {
				t.Fatalf("event %d = %+v, want registration %s at position %d", i, e, regs[i].ID, regs[i].Position)
			}
		}
		t.Run("ResumesFromCursor", func(t *testing.T) {
			r := f.register(t, newRegistration())
			more, _ := readUntil(t, db, cur, 1)
			if len(more) != 1 || more[0].EntityID != r.ID {
				t.Fatalf("after the cursor: %+v", more)
			}
		})
		t.Run("FeedCursorOf", func(t *testing.T) {
			c, err := db.FeedCursorOf(ctx, regs[2].Position)
			if err != nil || c != events[2].Cursor() {
				t.Fatalf("FeedCursorOf = %+v, %v; want %+v", c, err, events[2].Cursor())
			}
			if _, err := db.FeedCursorOf(ctx, 1<<40); !domain.IsCode(err, domain.ECNotFound) {
				t.Fatalf("unknown position: %v", err)
			}
		})
	})
}

// TestChangesNeverSkipsALateCommit is the PostgreSQL hazard: a transaction takes a lower
// position and commits after one with a higher position. A consumer must not pass it by.
func TestChangesNeverSkipsALateCommit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		if !testdb.IsPostgres(url) {
			t.Skip("SQLite has one writer: commits happen in position order")
		}
		ctx := context.Background()
		f := newFixture(t, url)
		db, raw := f.db, f.raw
		slow, err := raw.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer slow.Rollback()
		insert := `INSERT INTO change_events (at, kind, entity_kind, entity_id) VALUES (now(), 'test', 'test', $1) RETURNING position`
		var slowPos, fastPos int64
		if err := slow.QueryRowContext(ctx, insert, "slow").Scan(&slowPos); err != nil {
			t.Fatal(err)
		}
		if err := raw.QueryRowContext(ctx, insert, "fast").Scan(&fastPos); err != nil {
			t.Fatal(err)
		}
		if fastPos <= slowPos {
			t.Fatalf("test premise: fast %d should be after slow %d", fastPos, slowPos)
		}
		seen, cur := readAll(t, db, domain.FeedCursor{})
		for _, e := range seen {
			if e.EntityID == "fast" {
				t.Fatal("the feed returned an event while an earlier position could still commit")
			}
		}
		if err := slow.Commit(); err != nil {
			t.Fatal(err)
		}
		rest, _ := readUntil(t, db, cur, 2-len(seen))
		var ids []string
		for _, e := range append(seen, rest...) {
			ids = append(ids, e.EntityID)
		}
		if len(ids) != 2 || ids[0] != "slow" || ids[1] != "fast" {
			t.Fatalf("events %v, want [slow fast]", ids)
		}
	})
}
