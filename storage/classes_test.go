package storage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// scheme is a small tree: two titoli, a classe and a sottoclasse, the last one closed.
func scheme() []domain.Class {
	ten := 10
	return []domain.Class{
		{Code: "VI.3.2", Parent: "VI.3", Level: 3, Title: "Permessi", ValidFrom: "2026-01-01", ValidTo: "2026-06-30", CreatedAt: testNow},
		{Code: "VI.3", Parent: "VI", Level: 2, Title: "Edilizia privata", RetentionYears: &ten, ValidFrom: "2005-12-01", CreatedAt: testNow},
		{Code: "VI", Level: 1, Title: "Pianificazione", ValidFrom: "2005-12-01", CreatedAt: testNow},
		{Code: "I", Level: 1, Title: "Amministrazione", Description: "Generale", ValidFrom: "2005-12-01", CreatedAt: testNow},
	}
}

func classWrite(cs []domain.Class) domain.Write {
	var w domain.Write
	for _, c := range cs {
		w.Audit = append(w.Audit, domain.AuditEvent{At: testNow, Actor: "admin", ActorName: "Admin",
			Action: "class.created", EntityKind: domain.KindClass, EntityID: c.Code})
	}
	return w
}

func accept([]domain.Class) error { return nil }

func TestClasses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()

		t.Run("CreatedParentsFirst", func(t *testing.T) {
			if err := f.db.CreateClasses(ctx, scheme(), accept, classWrite(scheme())); err != nil {
				t.Fatal(err)
			}
			c, err := f.db.Class(ctx, "VI.3")
			if err != nil || c.Parent != "VI" || c.Level != 2 || c.RetentionYears == nil || *c.RetentionYears != 10 ||
				c.ValidTo != "" || !c.CreatedAt.Equal(testNow.Truncate(time.Microsecond)) {
				t.Errorf("VI.3 %+v, %v", c, err)
			}
			if events, err := f.db.Audit(ctx, domain.KindClass, "VI.3.2"); err != nil || len(events) != 1 {
				t.Errorf("audit %+v, %v", events, err)
			}
		})
		t.Run("Filtered", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				f    domain.ClassFilter
				want string
			}{
				{"All", domain.ClassFilter{}, "I VI VI.3 VI.3.2"},
				{"Under", domain.ClassFilter{Under: "VI"}, "VI VI.3 VI.3.2"},
				{"OnOpen", domain.ClassFilter{On: "2027-01-01"}, "I VI VI.3"},
				{"OnLastValidDay", domain.ClassFilter{On: "2026-06-30", Under: "VI.3"}, "VI.3 VI.3.2"},
				{"OnBefore", domain.ClassFilter{On: "2005-11-30"}, ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					cs, err := f.db.Classes(ctx, tc.f)
					var codes []string
					for _, c := range cs {
						codes = append(codes, c.Code)
					}
					if got := strings.Join(codes, " "); err != nil || got != tc.want {
						t.Errorf("got %q, %v; want %q", got, err, tc.want)
					}
				})
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := f.db.Class(ctx, "II")
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("ErrDuplicateNothingStored", func(t *testing.T) {
			batch := []domain.Class{
				{Code: "II", Level: 1, Title: "Organi", ValidFrom: "2005-12-01", CreatedAt: testNow},
				{Code: "VI", Level: 1, Title: "Doppio", ValidFrom: "2005-12-01", CreatedAt: testNow},
			}
			wantCode(t, f.db.CreateClasses(ctx, batch, accept, classWrite(batch)), domain.ECConflict)
			_, err := f.db.Class(ctx, "II")
			wantCode(t, err, domain.ECNotFound)
			if events, _ := f.db.Audit(ctx, domain.KindClass, "II"); len(events) != 0 {
				t.Errorf("audit stored: %+v", events)
			}
		})
		t.Run("ErrMissingParent", func(t *testing.T) {
			batch := []domain.Class{{Code: "II.1", Parent: "II", Level: 2, Title: "Sindaco", ValidFrom: "2005-12-01", CreatedAt: testNow}}
			wantCode(t, f.db.CreateClasses(ctx, batch, accept, domain.Write{}), domain.ECValidation)
		})
		t.Run("ErrCheckRefuses", func(t *testing.T) {
			batch := []domain.Class{{Code: "II", Level: 1, Title: "Organi", ValidFrom: "2005-12-01", CreatedAt: testNow}}
			var seen int
			refuse := func(existing []domain.Class) error {
				seen = len(existing)
				return domain.Errorf(domain.ECValidation, "no")
			}
			wantCode(t, f.db.CreateClasses(ctx, batch, refuse, domain.Write{}), domain.ECValidation)
			if _, err := f.db.Class(ctx, "II"); err == nil || seen != 4 {
				t.Errorf("stored despite the check (check saw %d classes)", seen)
			}
		})
		t.Run("Closed", func(t *testing.T) {
			var children []domain.Class
			got, err := f.db.CloseClass(ctx, "VI.3", func(c *domain.Class, ch []domain.Class) (domain.Write, error) {
				children = ch
				c.ValidTo, c.ReplacedBy = "2026-12-31", "I"
				return domain.Write{Audit: []domain.AuditEvent{{At: testNow, Actor: "admin", ActorName: "Admin",
					Action: "class.closed", EntityKind: domain.KindClass, EntityID: "VI.3"}}}, nil
			})
			if err != nil || got.ValidTo != "2026-12-31" || len(children) != 1 || children[0].Code != "VI.3.2" {
				t.Fatalf("closed %+v, children %+v, %v", got, children, err)
			}
			if c, _ := f.db.Class(ctx, "VI.3"); c.ValidTo != "2026-12-31" || c.ReplacedBy != "I" {
				t.Errorf("stored %+v", c)
			}
			if events, _ := f.db.Audit(ctx, domain.KindClass, "VI.3"); len(events) != 2 {
				t.Errorf("%d audit events, want 2", len(events))
			}
		})
		t.Run("ErrCloseRefusedWritesNothing", func(t *testing.T) {
			_, err := f.db.CloseClass(ctx, "I", func(c *domain.Class, _ []domain.Class) (domain.Write, error) {
				c.ValidTo = "2026-12-31"
				return domain.Write{}, domain.Errorf(domain.ECConflict, "no")
			})
			wantCode(t, err, domain.ECConflict)
			if c, _ := f.db.Class(ctx, "I"); c.ValidTo != "" {
				t.Errorf("stored %+v", c)
			}
			_, err = f.db.CloseClass(ctx, "II", nil)
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("DatabaseRefusesDelete", func(t *testing.T) {
			if err := f.exec(`DELETE FROM classes WHERE code = ?`, "VI.3.2"); err == nil || !strings.Contains(err.Error(), "delete refused") {
				t.Errorf("delete: %v", err)
			}
			if err := f.exec(`DELETE FROM classes`); err == nil {
				t.Error("delete of every class allowed")
			}
			if f.postgres() {
				if err := f.exec(`TRUNCATE classes CASCADE`); err == nil {
					t.Error("truncate allowed")
				}
			}
			if n := f.queryInt(t, `SELECT count(*) FROM classes`); n != 4 {
				t.Errorf("%d classes left, want 4", n)
			}
		})
		t.Run("DatabaseRefusesMovingAClass", func(t *testing.T) {
			for _, q := range []string{`UPDATE classes SET code = 'VI.4' WHERE code = 'VI.3'`,
				`UPDATE classes SET parent = 'I' WHERE code = 'VI.3'`, `UPDATE classes SET valid_from = '2000-01-01' WHERE code = 'VI'`} {
				if err := f.exec(q); err == nil || !strings.Contains(err.Error(), "cannot change") {
					t.Errorf("%s: %v", q, err)
				}
			}
		})
		t.Run("DatabaseRefusesOverwrite", func(t *testing.T) {
			err := f.exec(`INSERT INTO classes (code, level, title, valid_from, created_at) VALUES ('VI', 1, 'x', '2005-12-01', '2026-01-01T00:00:00Z')`)
			if err == nil {
				t.Error("duplicate insert allowed")
			}
			if !f.postgres() {
				err := f.exec(`INSERT OR REPLACE INTO classes (code, level, title, valid_from, created_at) VALUES ('VI', 1, 'x', '2005-12-01', '2026-01-01T00:00:00Z')`)
				if err == nil {
					t.Error("INSERT OR REPLACE allowed")
				}
			}
		})
	})
}
