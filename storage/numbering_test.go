package storage_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

func TestNumbering(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		if err := f.db.CreateRegister(t.Context(), domain.Register{Code: "DEL", Name: "Delibere", CreatedAt: testNow}, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		in := func(register string, year int) func(*domain.Registration) {
			return func(r *domain.Registration) { r.Register, r.Year = register, year }
		}
		t.Run("ProgressivePerRegisterAndYear", func(t *testing.T) {
			cases := []struct {
				reg        *domain.Registration
				number     int64
				identifier string
			}{
				{newRegistration(in("PG", 2026)), 1, "c_h501-A1B2C3D-PG-2026-0000001"},
				{newRegistration(in("PG", 2026)), 2, "c_h501-A1B2C3D-PG-2026-0000002"},
				{newRegistration(in("DEL", 2026)), 1, "c_h501-A1B2C3D-DEL-2026-0000001"},
				{newRegistration(in("PG", 2027)), 1, "c_h501-A1B2C3D-PG-2027-0000001"},
				{newRegistration(in("PG", 2026)), 3, "c_h501-A1B2C3D-PG-2026-0000003"},
				{newRegistration(in("DEL", 2026)), 2, "c_h501-A1B2C3D-DEL-2026-0000002"},
			}
			var lastPos int64
			for _, c := range cases {
				f.register(t, c.reg)
				if c.reg.Number != c.number || c.reg.Identifier != c.identifier {
					t.Errorf("%s/%d: got %d %s, want %d %s", c.reg.Register, c.reg.Year, c.reg.Number, c.reg.Identifier, c.number, c.identifier)
				}
				if c.reg.Position <= lastPos {
					t.Errorf("position %d after %d", c.reg.Position, lastPos)
				}
				lastPos = c.reg.Position
				got, err := f.db.Registration(t.Context(), c.reg.Ref())
				if err != nil {
					t.Fatal(err)
				}
				if got.ID != c.reg.ID || got.Position != c.reg.Position {
					t.Errorf("read back %s pos %d, want %s pos %d", got.ID, got.Position, c.reg.ID, c.reg.Position)
				}
			}
		})
		t.Run("ErrUnknownRegister", func(t *testing.T) {
			r := newRegistration(in("NOPE", 2026))
			wantCode(t, f.db.CreateRegistration(t.Context(), r, created(r)), domain.ECNotFound)
			if r.Number != 0 || r.Identifier != "" {
				t.Errorf("failed registration kept number %d %q", r.Number, r.Identifier)
			}
		})
	})
}

// TestNumberingConcurrent: 500 registrations from 50 goroutines take exactly 1..500 (N2).
func TestNumberingConcurrent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		const workers, each = 50, 10
		numbers := make(chan int64, workers*each)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range each {
					r := newRegistration()
					if err := f.db.CreateRegistration(t.Context(), r, created(r)); err != nil {
						t.Error(err)
						return
					}
					numbers <- r.Number
				}
			})
		}
		wg.Wait()
		close(numbers)
		var got []int64
		for n := range numbers {
			got = append(got, n)
		}
		slices.Sort(got)
		if len(got) != workers*each {
			t.Fatalf("%d registrations, want %d", len(got), workers*each)
		}
		for i, n := range got {
			if n != int64(i+1) {
				t.Fatalf("numbers are not exactly 1..%d: position %d holds %d", workers*each, i, n)
			}
		}
		if n := f.queryInt(t, `SELECT last_number FROM register_counters WHERE register_code = 'PG' AND year = 2026`); n != workers*each {
			t.Errorf("counter at %d, want %d", n, workers*each)
		}
	})
}

// TestNumberingRollback: a registration that fails after taking its number consumes no number
// and leaves nothing behind (R2).
func TestNumberingRollback(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		first := f.register(t, newRegistration())
		audits := f.queryInt(t, `SELECT count(*) FROM audit_events`)
		changes := f.queryInt(t, `SELECT count(*) FROM change_events`)

		t.Run("ErrDuplicateID", func(t *testing.T) {
			dup := newRegistration(func(r *domain.Registration) { r.ID = first.ID; r.Offices = []string{"RAG"} })
			w := created(dup)
			w.Idempotency = &domain.IdempotencyRecord{PrincipalID: "operator", Key: "k-dup", RequestHash: "h",
				Kind: domain.KindRegistration, ResourceID: dup.ID, CreatedAt: testNow}
			wantCode(t, f.db.CreateRegistration(t.Context(), dup, w), domain.ECConflict)
			if dup.Number != 0 || dup.Position != 0 {
				t.Errorf("failed registration kept number %d position %d", dup.Number, dup.Position)
			}
		})
		t.Run("ErrUnknownOffice", func(t *testing.T) {
			r := newRegistration(func(r *domain.Registration) { r.Offices = []string{"TEC", "NOPE"} })
			wantCode(t, f.db.CreateRegistration(t.Context(), r, created(r)), domain.ECValidation)
		})
		t.Run("NothingWritten", func(t *testing.T) {
			for q, want := range map[string]int64{
				`SELECT count(*) FROM registrations`:                                                   1,
				`SELECT count(*) FROM registration_offices`:                                            1,
				`SELECT count(*) FROM audit_events`:                                                    audits,
				`SELECT count(*) FROM change_events`:                                                   changes,
				`SELECT count(*) FROM idempotency_keys`:                                                0,
				`SELECT count(*) FROM river_job`:                                                       0, // enqueued after commit, by DispatchTexts
				`SELECT count(*) FROM registration_texts`:                                              0,
				`SELECT last_number FROM register_counters WHERE register_code = 'PG'`:                 1,
				`SELECT count(*) FROM registration_offices WHERE office_code = 'RAG'`:                  0,
				`SELECT count(*) FROM registrations WHERE subject <> 'Richiesta di accesso agli atti'`: 0,
			} {
				if got := f.queryInt(t, q); got != want {
					t.Errorf("%s = %d, want %d", q, got, want)
				}
			}
		})
		t.Run("NextNumberIsTwo", func(t *testing.T) {
			if r := f.register(t, newRegistration()); r.Number != 2 {
				t.Errorf("number %d, want 2", r.Number)
			}
		})
	})
}

// TestNumberingCommitsWithLastStatement covers PostgreSQL's one-round-trip commit of the
// numbering statement: the counter is cached as existing, so were its row gone (only a
// superuser bypassing the guard triggers can do that) the statement must fail and commit
// nothing, rather than insert no registration and commit the rest of the transaction.
func TestNumberingCommitsWithLastStatement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		if !f.postgres() {
			t.Skip("the one-round-trip commit is PostgreSQL's; SQLite commits on its own connection")
		}
		f.register(t, newRegistration())
		second := f.register(t, newRegistration())
		if second.Number != 2 {
			t.Fatalf("second registration took number %d, want 2", second.Number)
		}
		changes := f.queryInt(t, `SELECT count(*) FROM change_events`)
		if err := f.exec(`SET session_replication_role = replica; DELETE FROM register_counters; SET session_replication_role = origin`); err != nil {
			t.Fatal(err)
		}
		// No offices: their deferred foreign key would fail the commit anyway.
		r := newRegistration(func(r *domain.Registration) { r.Offices = nil })
		if err := f.db.CreateRegistration(t.Context(), r, created(r)); err == nil {
			t.Fatalf("registration without a counter row succeeded with number %d", r.Number)
		}
		for q, want := range map[string]int64{
			`SELECT count(*) FROM registrations`:                                 2,
			`SELECT count(*) FROM change_events`:                                 changes,
			`SELECT count(*) FROM audit_events WHERE entity_id = '` + r.ID + `'`: 0,
		} {
			if got := f.queryInt(t, q); got != want {
				t.Errorf("%s = %d, want %d", q, got, want)
			}
		}
	})
}
