package storage_test

import (
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestJournalStore: days without journal, one journal per register and day (a second is a
// conflict), a journal.created change event, and a row the database refuses to change (D1).
func TestJournalStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		f.register(t, newRegistration(func(r *domain.Registration) { r.Date = "2026-11-27" }))
		f.register(t, newRegistration(func(r *domain.Registration) { r.Date = "2026-11-27" }))
		f.register(t, newRegistration())
		days, err := f.db.MissingJournalDays(ctx, "2026-11-28")
		if err != nil || len(days) != 1 || days[0] != (domain.JournalDay{Register: "PG", Date: "2026-11-27"}) {
			t.Fatalf("missing days before 2026-11-28: %v, %v", days, err)
		}
		rs, err := f.db.DayRegistrations(ctx, "PG", "2026-11-27")
		if err != nil || len(rs) != 2 || rs[0].Number != 1 || rs[1].Number != 2 {
			t.Fatalf("registrations of 2026-11-27: %d, %v", len(rs), err)
		}
		j := domain.Journal{Register: "PG", Date: "2026-11-27", Registrations: 2, JSONSHA256: strings.Repeat("a", 64),
			PDFSHA256: strings.Repeat("b", 64), CreatedAt: testNow}
		if err := f.db.CreateJournal(ctx, j); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.db.CreateJournal(ctx, j), domain.ECConflict)
		if days, err := f.db.MissingJournalDays(ctx, "2026-11-29"); err != nil || len(days) != 1 || days[0].Date != "2026-11-28" {
			t.Fatalf("missing days before 2026-11-29: %v, %v", days, err)
		}
		got, err := f.db.JournalByEntityID(ctx, "PG/2026-11-27")
		if err != nil || got.JSONSHA256 != j.JSONSHA256 || !got.CreatedAt.Equal(testNow.Truncate(1000)) {
			t.Fatalf("journal: %+v, %v", got, err)
		}
		if n := f.queryInt(t, `SELECT count(*) FROM change_events WHERE kind = 'journal.created' AND entity_id = 'PG/2026-11-27'`); n != 1 {
			t.Fatalf("%d journal.created events, want 1", n)
		}
		if list, err := f.db.Journals(ctx, "PG", "2026-11-28", ""); err != nil || len(list) != 0 {
			t.Fatalf("journals from 2026-11-28: %v, %v", list, err)
		}
		for _, q := range []string{`UPDATE journals SET registrations = 3`, `UPDATE journals SET pdf_sha256 = json_sha256`,
			`DELETE FROM journals`} {
			if err := f.exec(q); err == nil {
				t.Errorf("%s: the database accepted it", q)
			}
		}
		if f.postgres() {
			if err := f.exec(`TRUNCATE journals`); err == nil {
				t.Error("TRUNCATE journals: the database accepted it")
			}
		}
		if n := f.queryInt(t, `SELECT registrations FROM journals`); n != 2 {
			t.Fatalf("registrations = %d after refused updates", n)
		}
	})
}
