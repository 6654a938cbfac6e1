package storage_test

import (
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// newOutage returns an outage of PG from start for hours hours.
func newOutage(start time.Time, hours int) *domain.Outage {
	return &domain.Outage{ID: domain.NewID(), Register: "PG", Cause: "linea dati interrotta", Start: start,
		End: start.Add(time.Duration(hours) * time.Hour), Authorization: "Autorizzazione n. 3", CreatedBy: "ro", CreatedAt: testNow}
}

// TestOutages: an outage is stored and read back, one overlapping another of the same register
// is a conflict, and the database refuses any change or deletion of a stored outage (E1).
func TestOutages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		start := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
		o := newOutage(start, 4)
		if err := f.db.CreateOutage(ctx, o, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		got, err := f.db.Outage(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Register != "PG" || !got.Start.Equal(start) || !got.End.Equal(o.End) || got.Authorization != o.Authorization || got.EntryCount != 0 {
			t.Errorf("read back %+v, want %+v", got, o)
		}
		t.Run("ErrOverlap", func(t *testing.T) {
			wantCode(t, f.db.CreateOutage(ctx, newOutage(start.Add(3*time.Hour), 2), domain.Write{}), domain.ECConflict)
		})
		t.Run("Adjacent", func(t *testing.T) {
			if err := f.db.CreateOutage(ctx, newOutage(o.End, 1), domain.Write{}); err != nil {
				t.Fatal(err)
			}
			all, err := f.db.Outages(ctx, "PG")
			if err != nil || len(all) != 2 || all[0].ID != o.ID {
				t.Fatalf("outages %+v, %v", all, err)
			}
		})
		t.Run("ErrUnknownRegister", func(t *testing.T) {
			other := newOutage(start.AddDate(0, 0, -5), 1)
			other.Register = "NOPE"
			wantCode(t, f.db.CreateOutage(ctx, other, domain.Write{}), domain.ECNotFound)
		})
		where := " WHERE id = '" + o.ID + "'"
		for _, set := range []string{"cause = 'altro'", "ends_at = starts_at", "authorizing_act = 'altro'", "register_code = 'PG'"} {
			t.Run("ErrUpdate_"+set, func(t *testing.T) {
				wantRefused(t, f.exec("UPDATE emergency_outages SET "+set+where), "immutable")
			})
		}
		t.Run("ErrDelete", func(t *testing.T) {
			wantRefused(t, f.exec("DELETE FROM emergency_outages"+where), "immutable")
		})
	})
}

// TestCreateRegistrations: a batch of emergency entries takes consecutive numbers in the order
// given, in one transaction, keeping the emergency fields; an emergency number already loaded
// from the outage fails the whole batch and consumes no number (E1, R2).
func TestCreateRegistrations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		o := newOutage(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC), 4)
		if err := f.db.CreateOutage(ctx, o, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		f.register(t, newRegistration())
		batch := func(numbers ...int64) []*domain.Registration {
			rs := make([]*domain.Registration, len(numbers))
			for i, n := range numbers {
				rs[i] = newRegistration(func(r *domain.Registration) {
					r.Emergency = &domain.Emergency{Register: o.ID, Number: n, Date: "2026-11-27"}
				})
			}
			return rs
		}
		rs := batch(3, 4, 5)
		if err := f.db.CreateRegistrations(ctx, rs, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			if r.Number != int64(2+i) {
				t.Errorf("entry %d took number %d, want %d", r.Emergency.Number, r.Number, 2+i)
			}
		}
		got, err := f.db.EmergencyEntries(ctx, o.ID, nil)
		if err != nil || len(got) != 3 {
			t.Fatalf("entries %v, %v", got, err)
		}
		if e := got[1].Emergency; e == nil || *e != (domain.Emergency{Register: o.ID, Number: 4, Date: "2026-11-27"}) {
			t.Errorf("read back emergency %+v", e)
		}
		if only, err := f.db.EmergencyEntries(ctx, o.ID, []int64{5}); err != nil || len(only) != 1 || only[0].Number != 4 {
			t.Errorf("entry 5: %v, %v", only, err)
		}
		if n, _ := f.db.Outage(ctx, o.ID); n.EntryCount != 3 {
			t.Errorf("entry count %d, want 3", n.EntryCount)
		}
		t.Run("ErrDuplicateEmergencyNumber", func(t *testing.T) {
			err := f.db.CreateRegistrations(ctx, batch(6, 4), domain.Write{})
			wantCode(t, err, domain.ECConflict)
			if n := f.queryInt(t, `SELECT last_number FROM register_counters WHERE register_code = 'PG'`); n != 4 {
				t.Errorf("counter at %d after a refused batch, want 4", n)
			}
		})
		t.Run("ErrEmergencyPartial", func(t *testing.T) {
			err := f.exec(`UPDATE registrations SET emergency_number = NULL WHERE id = '` + rs[0].ID + `'`)
			wantRefused(t, err, "immutable column emergency_number")
		})
	})
}
