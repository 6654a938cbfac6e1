package storage

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestChangesReadTheIndex: on PostgreSQL the feed's statement reads change_events in the order
// of its (txid, position) index and stops at the limit. Ordered by the select list's bigint
// "txid" instead of the column, it sorted every event after the cursor: ten seconds a batch at
// five million events, for a replica rebuilding its index from the start of the feed. With
// sorting disabled, the planner still has to sort that statement; this one it must not.
func TestChangesReadTheIndex(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, testdb.URL(t, testdb.Postgres), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	q, args := db.changesQuery(domain.FeedCursor{Tx: 1000, Position: 30_000}, 30_000)
	var plan []string
	err = db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL enable_sort = off`).Error; err != nil {
			return err
		}
		rows, err := tx.Raw(`EXPLAIN `+q, args...).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				return err
			}
			plan = append(plan, line)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if strings.Contains(text, "Sort") || !strings.Contains(text, "change_events_tx") {
		t.Fatalf("the feed's statement does not read the (txid, position) index in order:\n%s", text)
	}
}
