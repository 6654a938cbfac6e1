package storage_test

import (
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage/migrations"
)

// TestClassRetention, on both engines: a class's retention is years, permanent or not set, read
// back as stored; SetClassRetention changes it with its history in one transaction and writes
// nothing when change fails; the schema refuses a permanent class with years; and migration 32
// makes every class stored before it without retention_years permanent, as a NULL meant then,
// leaving the others alone.
func TestClassRetention(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		cs := scheme() // VI.3 has 10 years, the others none
		cs[3].RetentionPermanent = true
		if err := f.db.CreateClasses(ctx, cs, accept, classWrite(cs)); err != nil {
			t.Fatal(err)
		}
		state := func(code string) string {
			t.Helper()
			c, err := f.db.Class(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.RetentionYears != nil && c.RetentionPermanent:
				return "both"
			case c.RetentionYears != nil:
				return "years"
			case c.RetentionPermanent:
				return "permanent"
			}
			return "unset"
		}
		if got := state("VI.3") + " " + state("I") + " " + state("VI"); got != "years permanent unset" {
			t.Fatalf("stored retention: %s", got)
		}

		t.Run("Set", func(t *testing.T) {
			five := 5
			out, err := f.db.SetClassRetention(ctx, []string{"VI", "I"}, func(cs []domain.Class) ([]domain.Class, domain.Write, error) {
				if cs[0].Code != "VI" || cs[1].Code != "I" || !cs[1].RetentionPermanent {
					t.Errorf("change got %+v", cs)
				}
				cs[0].RetentionYears = &five
				cs[1].RetentionPermanent = false
				return cs, domain.Write{Audit: []domain.AuditEvent{{At: testNow, Actor: "officer", Action: "class.retention_changed",
					EntityKind: domain.KindClass, EntityID: "VI", Field: "retention", Old: []byte(`""`), New: []byte(`"5"`)}}}, nil
			})
			if err != nil || len(out) != 2 {
				t.Fatalf("SetClassRetention: %+v, %v", out, err)
			}
			if got := state("VI") + " " + state("I"); got != "years unset" {
				t.Errorf("after the change: %s", got)
			}
			if events, _ := f.db.Audit(ctx, domain.KindClass, "VI"); len(events) != 2 || events[1].Field != "retention" {
				t.Errorf("history of VI: %+v", events)
			}
		})
		t.Run("ErrChangeFails", func(t *testing.T) {
			_, err := f.db.SetClassRetention(ctx, []string{"VI"}, func(cs []domain.Class) ([]domain.Class, domain.Write, error) {
				cs[0].RetentionYears = nil
				return nil, domain.Write{}, domain.Invalid("retention_years", "no")
			})
			wantCode(t, err, domain.ECValidation)
			if state("VI") != "years" {
				t.Error("a failed change was written")
			}
		})
		t.Run("ErrUnknownCode", func(t *testing.T) {
			_, err := f.db.SetClassRetention(ctx, []string{"XIV.9"}, func(cs []domain.Class) ([]domain.Class, domain.Write, error) {
				return cs, domain.Write{}, nil
			})
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("ErrPermanentWithYears", func(t *testing.T) {
			if err := f.exec(`UPDATE classes SET retention_permanent = ? WHERE code = 'VI.3'`, true); err == nil {
				t.Error("a permanent class with retention_years stored")
			}
			if state("VI.3") != "years" {
				t.Error("VI.3 changed")
			}
		})
		t.Run("MigrationKeepsNullPermanent", func(t *testing.T) {
			// As before migration 32: no class is permanent, NULL retention_years meant it.
			if err := f.exec(`UPDATE classes SET retention_permanent = ?, retention_years = NULL WHERE code IN ('I', 'VI.3.2')`, false); err != nil {
				t.Fatal(err)
			}
			engine := "sqlite"
			if f.postgres() {
				engine = "postgres"
			}
			ms, err := migrations.For(engine)
			if err != nil {
				t.Fatal(err)
			}
			ran := 0
			for _, m := range ms {
				if m.Version != 32 {
					continue
				}
				for stmt := range strings.SplitSeq(m.SQL, ";\n") {
					if s := strings.TrimSpace(stmt); strings.HasPrefix(s, "UPDATE classes") {
						if err := f.exec(s); err != nil {
							t.Fatalf("%s: %v", s, err)
						}
						ran++
					}
				}
			}
			if ran != 1 {
				t.Fatalf("migration 32 has %d backfills of retention_permanent, want 1", ran)
			}
			if got := state("I") + " " + state("VI.3.2") + " " + state("VI.3") + " " + state("VI"); got != "permanent permanent years years" {
				t.Errorf("after the backfill: %s", got)
			}
		})
	})
}
