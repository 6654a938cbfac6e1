package storage_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// withCatalogue adds a portal client and a procedure in VI.3 for TEC, with a step for RAG.
func (f *fixture) withCatalogue(t testing.TB) *fixture {
	t.Helper()
	f.withClasses(t)
	c := domain.Client{ID: "portal", Name: "Portale", Roles: []domain.Role{domain.RolePortal}, Offices: []string{}, CreatedAt: testNow}
	if err := f.db.CreateClient(t.Context(), c, domain.APIKey{ID: "k1", ClientID: "portal", SecretHash: []byte("x"), CreatedAt: testNow}, domain.Write{}); err != nil {
		t.Fatalf("create client: %v", err)
	}
	p := domain.Procedure{Code: "cila", Name: "CILA", Audience: domain.AudienceBoth, FormSchema: json.RawMessage(`{}`),
		Office: "TEC", Class: "VI.3", DeadlineDays: 30, Steps: []domain.Step{{Office: "RAG", Name: "Oneri"}}, CreatedAt: testNow}
	if err := f.db.CreateProcedures(t.Context(), []domain.Procedure{p}, domain.Write{}); err != nil {
		t.Fatalf("create procedure: %v", err)
	}
	return f
}

// newCase returns an unnumbered submission: the case, its registration and its dossier.
func newCase(procedure, applicant, due string) (*domain.Case, *domain.Registration, *domain.Dossier) {
	r := newRegistration(func(r *domain.Registration) {
		r.Class, r.Offices, r.SenderReference, r.CreatedBy = "VI.3", []string{"TEC"}, nil, "portal"
	})
	d := newDossier()
	c := &domain.Case{ID: domain.NewID(), Procedure: procedure, ProcedureVersion: 1, Portal: "portal", Applicant: applicant,
		Status: domain.CaseSubmitted, Form: json.RawMessage(`{"a":1}`), Office: "TEC", RegistrationID: r.ID,
		DossierID: d.ID, SubmittedAt: testNow, DueDate: due,
		Steps: []domain.CaseStep{{Office: "RAG", Name: "Oneri", Status: domain.StepActive}}}
	return c, r, d
}

func TestCreateCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withCatalogue(t)
		ctx := t.Context()
		w := domain.Write{Actor: "portal", At: testNow}

		t.Run("ErrUnknownProcedureStoresNothing", func(t *testing.T) {
			c, r, d := newCase("nope", "12345678903", "2026-12-28")
			err := f.db.CreateCase(ctx, c, r, d, w)
			if !domain.IsCode(err, domain.ECValidation) || r.Number != 0 || d.Number != 0 {
				t.Fatalf("CreateCase = %v, numbers %d %d", err, r.Number, d.Number)
			}
			for _, table := range []string{"registrations", "dossiers", "dossier_items", "cases", "register_counters", "dossier_counters"} {
				if n := f.queryInt(t, "SELECT count(*) FROM "+table); n != 0 {
					t.Errorf("%s has %d rows after a refused case", table, n)
				}
			}
		})

		c, r, d := newCase("cila", "12345678903", "2026-12-28")
		if err := f.db.CreateCase(ctx, c, r, d, w); err != nil {
			t.Fatal(err)
		}
		if r.Number != 1 || d.Identifier != "2026-VI.3-000001" || c.Position == 0 {
			t.Errorf("numbers %d %s, position %d", r.Number, d.Identifier, c.Position)
		}
		got, err := f.db.Case(ctx, c.ID)
		if err != nil || got.Dossier != d.Identifier || got.Status != domain.CaseSubmitted || got.DueDate != "2026-12-28" ||
			len(got.Steps) != 1 || got.Steps[0].Office != "RAG" || string(got.Form) != `{"a":1}` || !got.SubmittedAt.Equal(c.SubmittedAt) {
			t.Errorf("Case = %+v, %v", got, err)
		}
		stored, err := f.db.RegistrationByID(ctx, r.ID)
		if err != nil || !slices.Equal(stored.Dossiers, []string{d.Identifier}) || !slices.Equal(stored.Parties, []string{"portal/12345678903"}) {
			t.Errorf("registration %+v, %v", stored, err)
		}

		t.Run("VisibilityByParty", func(t *testing.T) {
			for _, tc := range []struct {
				party string
				want  int
			}{{"portal/12345678903", 1}, {"portal/00743110157", 0}, {"other/12345678903", 0}} {
				page, err := f.db.Registrations(ctx, domain.RegistrationFilter{Visibility: domain.Visibility{Party: tc.party}})
				if err != nil || len(page.Items) != tc.want {
					t.Errorf("party %s sees %d registrations, want %d (%v)", tc.party, len(page.Items), tc.want, err)
				}
			}
		})
		t.Run("Worklists", func(t *testing.T) {
			late, lr, ld := newCase("cila", "00743110157", "2026-11-01")
			late.Steps = nil
			if err := f.db.CreateCase(ctx, late, lr, ld, w); err != nil {
				t.Fatal(err)
			}
			count := func(f2 domain.CaseFilter) []string {
				page, err := f.db.Cases(ctx, f2)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, it := range page.Items {
					ids = append(ids, it.ID)
				}
				return ids
			}
			all := domain.CaseVisibility{All: true}
			for name, tc := range map[string]struct {
				f    domain.CaseFilter
				want []string
			}{
				"All":           {domain.CaseFilter{Visibility: all}, []string{late.ID, c.ID}},
				"ResponsibleTo": {domain.CaseFilter{Visibility: domain.CaseVisibility{Offices: []string{"TEC"}}}, []string{late.ID, c.ID}},
				"ActiveStepOf":  {domain.CaseFilter{Visibility: domain.CaseVisibility{Offices: []string{"RAG"}}}, []string{c.ID}},
				"OfficeFilter":  {domain.CaseFilter{Visibility: all, Office: "RAG"}, []string{c.ID}},
				"Overdue":       {domain.CaseFilter{Visibility: all, OverdueOn: "2026-11-28"}, []string{late.ID}},
				"Applicant":     {domain.CaseFilter{Visibility: domain.CaseVisibility{Portal: "portal", Applicant: "12345678903"}}, []string{c.ID}},
				"Nobody":        {domain.CaseFilter{}, nil},
			} {
				if got := count(tc.f); !slices.Equal(got, tc.want) {
					t.Errorf("%s: %v, want %v", name, got, tc.want)
				}
			}
		})
	})
}

func TestUpdateCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withCatalogue(t)
		ctx := t.Context()
		w := domain.Write{Actor: "portal", At: testNow}
		c, r, d := newCase("cila", "12345678903", "2026-12-28")
		if err := f.db.CreateCase(ctx, c, r, d, w); err != nil {
			t.Fatal(err)
		}
		answer := func() (*domain.Registration, *domain.CaseMessage) {
			reg := newRegistration(func(r *domain.Registration) {
				r.Class, r.Offices, r.SenderReference, r.Parties = "VI.3", []string{"TEC"}, nil, []string{"portal/12345678903"}
			})
			return reg, &domain.CaseMessage{ID: domain.NewID(), Case: c.ID, Author: "portal", FromApplicant: true,
				Text: "Integrazione", RegistrationID: reg.ID, CreatedAt: testNow}
		}

		t.Run("ErrImmutable", func(t *testing.T) {
			_, err := f.db.UpdateCase(ctx, c.ID, func(c *domain.Case) (domain.CaseChange, error) {
				c.Applicant = "00743110157"
				return domain.CaseChange{Event: domain.EventCaseStatus, Write: w}, nil
			})
			if !domain.IsCode(err, domain.ECImmutable) {
				t.Errorf("changing the applicant: %v", err)
			}
		})

		reg, msg := answer()
		got, err := f.db.UpdateCase(ctx, c.ID, func(c *domain.Case) (domain.CaseChange, error) {
			c.Status, c.Steps[0].Status = domain.CaseInProgress, domain.StepDone
			return domain.CaseChange{Event: domain.EventCaseIntegrated, Registration: reg, Message: msg, Write: w}, nil
		})
		if err != nil || got.Status != domain.CaseInProgress || got.Position <= c.Position || reg.Number != 2 {
			t.Fatalf("UpdateCase = %+v, %v (registration number %d)", got, err, reg.Number)
		}
		stored, _ := f.db.Case(ctx, c.ID)
		msgs, err := f.db.CaseMessages(ctx, c.ID)
		if stored.Steps[0].Status != domain.StepDone || err != nil || len(msgs) != 1 || msgs[0].Registration == nil ||
			!slices.Equal(msgs[0].Registration.Dossiers, []string{d.Identifier}) ||
			!slices.Equal(msgs[0].Registration.Parties, []string{"portal/12345678903"}) {
			t.Errorf("stored %+v, messages %+v, %v", stored, msgs, err)
		}

		t.Run("ErrClosedDossierStoresNothing", func(t *testing.T) {
			_, err := f.db.UpdateCase(ctx, c.ID, func(c *domain.Case) (domain.CaseChange, error) {
				c.Status, c.ClosedAt = domain.CaseWithdrawn, &testNow
				return domain.CaseChange{Event: domain.EventCaseStatus, CloseDossier: true, Write: w}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			reg, msg := answer()
			_, err = f.db.UpdateCase(ctx, c.ID, func(c *domain.Case) (domain.CaseChange, error) {
				return domain.CaseChange{Event: domain.EventCaseMessage, Registration: reg, Message: msg, Write: w}, nil
			})
			if !domain.IsCode(err, domain.ECConflict) || reg.Number != 0 {
				t.Errorf("filing in the closed dossier: %v, number %d", err, reg.Number)
			}
			if n := f.queryInt(t, "SELECT count(*) FROM registrations"); n != 2 {
				t.Errorf("%d registrations, want 2", n)
			}
			if n := f.queryInt(t, "SELECT count(*) FROM case_messages"); n != 1 {
				t.Errorf("%d messages, want 1", n)
			}
		})
	})
}
