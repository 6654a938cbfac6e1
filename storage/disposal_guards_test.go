package storage_test

import (
	"testing"

	"github.com/sportello/sportello/internal/testdb"
)

// TestDisposalGuards checks what the database refuses about disposal, through a raw connection:
// a disposal record never changes, a registration's disposal is set once from null, a hold is
// never deleted and is released once (C4).
func TestDisposalGuards(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		r := f.register(t, newRegistration())
		where := " WHERE id = '" + r.ID + "'"
		if err := f.exec(`INSERT INTO disposals (id, authorization_ref, disposal_date, disposed_by, disposed_by_name, created_at, items)
			VALUES ('d1', 'Soprintendenza 1/2026', '2036-01-01', 'ro', 'Records', ?, '[]'),
			       ('d2', 'Soprintendenza 2/2026', '2036-01-01', 'ro', 'Records', ?, '[]')`, tsArg(f), tsArg(f)); err != nil {
			t.Fatal(err)
		}
		t.Run("ErrDisposalRecordChanged", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE disposals SET authorization_ref = 'x' WHERE id = 'd1'`), "never changed or deleted")
			wantRefused(t, f.exec(`DELETE FROM disposals WHERE id = 'd1'`), "never changed or deleted")
		})
		t.Run("DisposalSetOnce", func(t *testing.T) {
			if err := f.exec(`UPDATE registrations SET disposal_id = 'd1', disposed_at = ?`+where, tsArg(f)); err != nil {
				t.Fatal(err)
			}
			wantRefused(t, f.exec(`UPDATE registrations SET disposal_id = 'd2'`+where), "a disposal cannot change")
			wantRefused(t, f.exec(`UPDATE registrations SET disposal_id = NULL, disposed_at = NULL`+where), "a disposal cannot change")
		})
		if err := f.exec(`INSERT INTO classes (code, level, title, valid_from, created_at) VALUES ('XIV', 1, 'x', '2005-12-01', ?)`, tsArg(f)); err != nil {
			t.Fatal(err)
		}
		if err := f.exec(`INSERT INTO holds (id, class, reason, reference, created_at, created_by)
			VALUES ('h1', 'XIV', 'Contenzioso', 'TAR 1/2026', ?, 'ro')`, tsArg(f)); err != nil {
			t.Fatal(err)
		}
		t.Run("ErrHoldDeleted", func(t *testing.T) {
			wantRefused(t, f.exec(`DELETE FROM holds WHERE id = 'h1'`), "never deleted")
		})
		t.Run("HoldReleasedOnce", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE holds SET reason = 'altro' WHERE id = 'h1'`), "only by its release")
			if err := f.exec(`UPDATE holds SET released_at = ?, released_by = 'ro', release_reason = 'chiuso' WHERE id = 'h1'`, tsArg(f)); err != nil {
				t.Fatal(err)
			}
			wantRefused(t, f.exec(`UPDATE holds SET release_reason = 'altro' WHERE id = 'h1'`), "only by its release")
		})
	})
}
