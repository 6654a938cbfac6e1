package storage_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// withClasses adds the classes VI, VI.3, VII and VII.1 to f, for dossiers to be opened in.
func (f *fixture) withClasses(t testing.TB) *fixture {
	t.Helper()
	var cs []domain.Class
	for _, c := range [][2]string{{"VI", ""}, {"VI.3", "VI"}, {"VII", ""}, {"VII.1", "VII"}} {
		cs = append(cs, domain.Class{Code: c[0], Parent: c[1], Level: domain.ClassLevel(c[0]), Title: "Classe " + c[0],
			ValidFrom: "2005-01-01", CreatedAt: testNow})
	}
	if err := f.db.CreateClasses(t.Context(), cs, func([]domain.Class) error { return nil }, domain.Write{}); err != nil {
		t.Fatalf("create classes: %v", err)
	}
	return f
}

// newDossier returns an open, unnumbered dossier of 2026 in VI.3 assigned to TEC.
func newDossier(changes ...func(d *domain.Dossier)) *domain.Dossier {
	d := &domain.Dossier{ID: domain.NewID(), Year: 2026, Class: "VI.3", Subject: "Permesso di costruire",
		Type: domain.DossierProcedimento, Office: "TEC", Status: domain.DossierOpen, OpenedAt: testNow, CreatedBy: "operator"}
	for _, c := range changes {
		c(d)
	}
	return d
}

func (f *fixture) openDossier(t testing.TB, d *domain.Dossier) *domain.Dossier {
	t.Helper()
	if err := f.db.CreateDossier(t.Context(), d, domain.Write{}); err != nil {
		t.Fatalf("create dossier: %v", err)
	}
	return d
}

func TestDossierNumbering(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withClasses(t)
		in := func(class string, year int) func(*domain.Dossier) {
			return func(d *domain.Dossier) { d.Class, d.Year = class, year }
		}
		t.Run("ProgressivePerClassAndYear", func(t *testing.T) {
			cases := []struct {
				d          *domain.Dossier
				identifier string
			}{
				{newDossier(in("VI.3", 2026)), "2026-VI.3-000001"},
				{newDossier(in("VI.3", 2026)), "2026-VI.3-000002"},
				{newDossier(in("VII.1", 2026)), "2026-VII.1-000001"},
				{newDossier(in("VI.3", 2027)), "2027-VI.3-000001"},
				{newDossier(in("VI.3", 2026)), "2026-VI.3-000003"},
			}
			for _, c := range cases {
				f.openDossier(t, c.d)
				if c.d.Identifier != c.identifier {
					t.Errorf("identifier %s, want %s", c.d.Identifier, c.identifier)
				}
				got, err := f.db.Dossier(t.Context(), c.d.Identifier)
				if err != nil || got.ID != c.d.ID || !got.OpenedAt.Equal(testNow.Truncate(time.Microsecond)) || got.Position != c.d.Position {
					t.Errorf("read back %+v, %v", got, err)
				}
			}
		})
		t.Run("ErrUnknownOfficeConsumesNoNumber", func(t *testing.T) {
			d := newDossier(func(d *domain.Dossier) { d.Office = "NOPE" })
			wantCode(t, f.db.CreateDossier(t.Context(), d, domain.Write{}), domain.ECValidation)
			if d.Number != 0 || d.Identifier != "" {
				t.Errorf("failed dossier kept %d %q", d.Number, d.Identifier)
			}
			if next := f.openDossier(t, newDossier()); next.Number != 4 {
				t.Errorf("next number %d, want 4", next.Number)
			}
		})
		t.Run("ErrUnknownClass", func(t *testing.T) {
			wantCode(t, f.db.CreateDossier(t.Context(), newDossier(in("IX.9", 2026)), domain.Write{}), domain.ECValidation)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := f.db.Dossier(t.Context(), "2026-VI.3-999999")
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("IdentifierWidensPastSixDigits", func(t *testing.T) {
			if got := domain.DossierIdentifier(2026, "VI.3", 1234567); got != "2026-VI.3-1234567" {
				t.Errorf("identifier %s", got)
			}
		})
	})
}

func TestDossierGuards(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withClasses(t)
		d := f.openDossier(t, newDossier())
		refused := map[string]string{
			"UpdateIdentifier": `UPDATE dossiers SET identifier = '2026-VI.3-000009' WHERE id = ?`,
			"UpdateClass":      `UPDATE dossiers SET class = 'VII.1' WHERE id = ?`,
			"UpdateNumber":     `UPDATE dossiers SET number = 9 WHERE id = ?`,
			"UpdateYear":       `UPDATE dossiers SET year = 2025 WHERE id = ?`,
			"UpdateOpenedAt":   `UPDATE dossiers SET opened_at = closed_at WHERE id = ?`,
			"Delete":           `DELETE FROM dossiers WHERE id = ?`,
			"CounterSkip":      `UPDATE dossier_counters SET last_number = last_number + 2 WHERE class = 'VI.3' AND ? <> ''`,
			"CounterDelete":    `DELETE FROM dossier_counters WHERE ? <> ''`,
		}
		for name, q := range refused {
			t.Run("Err"+name, func(t *testing.T) {
				if err := f.exec(q, d.ID); err == nil {
					t.Errorf("%s was allowed", q)
				}
			})
		}
		t.Run("StatusMayChange", func(t *testing.T) {
			if err := f.exec(`UPDATE dossiers SET position = position + 1 WHERE id = ?`, d.ID); err != nil {
				t.Error(err)
			}
		})
	})
}

func TestDossierFiling(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withClasses(t)
		ctx := t.Context()
		a, b := f.openDossier(t, newDossier()), f.openDossier(t, newDossier())
		r := f.register(t, newRegistration())
		file := func(dossiers ...string) (*domain.Registration, error) {
			return f.db.UpdateRegistration(ctx, r.ID, func(cur *domain.Registration) (domain.Write, error) {
				cur.Dossiers = dossiers
				return domain.Write{Actor: "clerk", At: testNow}, nil
			})
		}
		t.Run("InTwoDossiers", func(t *testing.T) {
			got, err := file(b.Identifier, a.Identifier)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{a.Identifier, b.Identifier} // same added_at: by identifier
			if !slices.Equal(got.Dossiers, want) {
				t.Errorf("dossiers %v, want %v", got.Dossiers, want)
			}
			stored, _ := f.db.RegistrationByID(ctx, r.ID)
			if !slices.Equal(stored.Dossiers, want) {
				t.Errorf("stored dossiers %v", stored.Dossiers)
			}
			da, _ := f.db.Dossier(ctx, a.ID)
			if len(da.Items) != 1 || da.Items[0].Registration.ID != r.ID || da.Items[0].AddedBy != "clerk" || da.Position <= a.Position {
				t.Errorf("items %+v position %d", da.Items, da.Position)
			}
		})
		t.Run("ErrUnknownDossier", func(t *testing.T) {
			_, err := file(a.Identifier, b.Identifier, "2026-VI.3-000099")
			wantCode(t, err, domain.ECValidation)
		})
		t.Run("ErrClosed", func(t *testing.T) {
			closed, err := f.db.UpdateDossier(ctx, b.ID, func(d *domain.Dossier) (domain.Write, error) {
				return domain.Write{}, d.Close(testNow)
			})
			if err != nil || closed.Status != domain.DossierClosed || closed.ClosedAt == nil || len(closed.Items) != 1 {
				t.Fatalf("close: %+v %v", closed, err)
			}
			c := f.openDossier(t, newDossier())
			if err := f.exec(`UPDATE dossiers SET status = 'closed', closed_at = opened_at WHERE id = ?`, c.ID); err != nil {
				t.Fatal(err)
			}
			_, err = file(a.Identifier, b.Identifier, c.Identifier)
			wantCode(t, err, domain.ECConflict)
			_, err = file(a.Identifier)
			wantCode(t, err, domain.ECConflict)
			r2 := f.register(t, newRegistration())
			if err := f.exec(`INSERT INTO dossier_items (dossier_id, kind, registration_id, added_at, added_by)
				SELECT id, 'registration', ?, opened_at, 'x' FROM dossiers WHERE id = ?`, r2.ID, b.ID); err == nil {
				t.Error("the database let an item into a closed dossier")
			}
			if err := f.exec(`DELETE FROM dossier_items WHERE dossier_id = ?`, b.ID); err == nil {
				t.Error("the database let an item out of a closed dossier")
			}
		})
	})
}

func TestDossierList(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withClasses(t)
		ctx := t.Context()
		var all []*domain.Dossier
		for i := range 7 {
			all = append(all, f.openDossier(t, newDossier(func(d *domain.Dossier) {
				if i%2 == 1 {
					d.Class, d.Office, d.Type = "VII.1", "RAG", domain.DossierAffare
				}
				if i == 6 {
					d.Year = 2027
				}
			})))
		}
		ids := func(p domain.Page[*domain.Dossier]) (out []string) {
			for _, d := range p.Items {
				out = append(out, d.Identifier)
			}
			return out
		}
		cases := []struct {
			name string
			f    domain.DossierFilter
			want []string
		}{
			{"ClassWithDescendants", domain.DossierFilter{Class: "VII"}, []string{"2026-VII.1-000003", "2026-VII.1-000002", "2026-VII.1-000001"}},
			{"Year", domain.DossierFilter{Year: 2027}, []string{"2027-VI.3-000001"}},
			{"OfficeAndType", domain.DossierFilter{Office: "TEC", Type: domain.DossierProcedimento, Year: 2026}, []string{"2026-VI.3-000003", "2026-VI.3-000002", "2026-VI.3-000001"}},
			{"ClerkSeesItsOffice", domain.DossierFilter{Visibility: domain.Visibility{Offices: []string{"RAG"}}}, []string{"2026-VII.1-000003", "2026-VII.1-000002", "2026-VII.1-000001"}},
			{"NobodySeesNothing", domain.DossierFilter{Visibility: domain.Visibility{}}, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.f.Visibility.Offices == nil && c.name != "NobodySeesNothing" {
					c.f.Visibility.All = true
				}
				p, err := f.db.Dossiers(ctx, c.f)
				if err != nil || !slices.Equal(ids(p), c.want) {
					t.Errorf("got %v %v, want %v", ids(p), err, c.want)
				}
			})
		}
		t.Run("Pages", func(t *testing.T) {
			var got []string
			cursor := ""
			for range 10 {
				p, err := f.db.Dossiers(ctx, domain.DossierFilter{Visibility: domain.Visibility{All: true}, Limit: 3, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ids(p)...)
				if cursor = p.NextCursor; cursor == "" {
					break
				}
			}
			if len(got) != len(all) || got[0] != all[6].Identifier || got[6] != all[0].Identifier {
				t.Errorf("pages %v", got)
			}
		})
	})
}
