package storage_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

func TestUpdateRegistration(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		r := f.register(t, newRegistration(func(r *domain.Registration) { r.Offices = []string{"TEC", "RAG"} }))
		ctx := t.Context()

		t.Run("ClassAndOfficesChanged", func(t *testing.T) {
			got, err := f.db.UpdateRegistration(ctx, r.ID, func(cur *domain.Registration) (domain.Write, error) {
				if cur.Class != "VI.3" || !slices.Equal(cur.Offices, []string{"TEC", "RAG"}) {
					t.Errorf("change got class %q offices %v", cur.Class, cur.Offices)
				}
				cur.Class, cur.Offices = "VII.1", []string{"URP", "TEC"}
				return domain.Write{Audit: []domain.AuditEvent{
					{At: testNow, Actor: "ro", ActorName: "Records officer", Action: "registration.changed",
						EntityKind: domain.KindRegistration, EntityID: r.ID, Field: "class", Old: json.RawMessage(`"VI.3"`), New: json.RawMessage(`"VII.1"`)},
					{At: testNow, Actor: "ro", ActorName: "Records officer", Action: "registration.changed",
						EntityKind: domain.KindRegistration, EntityID: r.ID, Field: "offices", Old: json.RawMessage(`["TEC","RAG"]`), New: json.RawMessage(`["URP","TEC"]`)},
				}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Position <= r.Position {
				t.Errorf("position %d, want more than %d", got.Position, r.Position)
			}
			stored, err := f.db.RegistrationByID(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(stored, got) {
				t.Errorf("stored %+v\nreturned %+v", stored, got)
			}
			if stored.Class != "VII.1" || !slices.Equal(stored.Offices, []string{"URP", "TEC"}) ||
				len(stored.Dossiers) != 0 || stored.Subject != r.Subject {
				t.Errorf("stored %+v", stored)
			}
			events, err := f.db.Audit(ctx, domain.KindRegistration, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 3 || events[0].Action != "registration.created" || events[2].Field != "offices" ||
				string(events[2].Old) != `["TEC","RAG"]` || string(events[2].New) != `["URP","TEC"]` || events[1].At != testNow.Truncate(time.Microsecond) {
				t.Errorf("audit %+v", events)
			}
		})
		t.Run("ErrFromChangeWritesNothing", func(t *testing.T) {
			before, _ := f.db.RegistrationByID(ctx, r.ID)
			audits := f.queryInt(t, `SELECT count(*) FROM audit_events`)
			changes := f.queryInt(t, `SELECT count(*) FROM change_events`)
			refused := domain.Errorf(domain.ECConflict, "no")
			_, err := f.db.UpdateRegistration(ctx, r.ID, func(cur *domain.Registration) (domain.Write, error) {
				cur.Class, cur.Offices = "I.1", []string{"RAG"}
				return domain.Write{Audit: []domain.AuditEvent{{At: testNow, Action: "x", EntityKind: "registration", EntityID: r.ID}}}, refused
			})
			if !errors.Is(err, refused) || err != error(refused) {
				t.Fatalf("error %v, want the change's own error", err)
			}
			after, _ := f.db.RegistrationByID(ctx, r.ID)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("changed from %+v to %+v", before, after)
			}
			if f.queryInt(t, `SELECT count(*) FROM audit_events`) != audits || f.queryInt(t, `SELECT count(*) FROM change_events`) != changes {
				t.Error("audit or change events written")
			}
		})
		t.Run("ErrImmutableField", func(t *testing.T) {
			for name, alter := range map[string]func(*domain.Registration){
				"subject":     func(cur *domain.Registration) { cur.Subject = "altro" },
				"received_on": func(cur *domain.Registration) { cur.ReceivedOn = "2026-01-02" },
				"reg_date":    func(cur *domain.Registration) { cur.Date = "2026-01-02" },
				"image_copy":  func(cur *domain.Registration) { cur.ImageCopy = &domain.ImageCopy{} },
				"emergency_outage": func(cur *domain.Registration) {
					cur.Emergency = &domain.Emergency{Register: "o1", Number: 1, Date: "2026-11-27"}
				},
			} {
				_, err := f.db.UpdateRegistration(ctx, r.ID, func(cur *domain.Registration) (domain.Write, error) {
					alter(cur)
					return domain.Write{}, nil
				})
				wantCode(t, err, domain.ECImmutable)
				if err != nil && !strings.Contains(err.Error(), name+" cannot change") {
					t.Errorf("%s: %v does not name the column", name, err)
				}
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := f.db.UpdateRegistration(ctx, "nope", func(*domain.Registration) (domain.Write, error) {
				t.Error("change called")
				return domain.Write{}, nil
			})
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("Annulled", func(t *testing.T) {
			got, err := f.db.UpdateRegistration(ctx, r.ID, func(cur *domain.Registration) (domain.Write, error) {
				cur.Status = domain.StatusAnnulled
				cur.Annulment = &domain.Annulment{Reason: "errore", Authorization: "Decreto 1/2026", By: "ro", ByName: "RO", At: testNow}
				return domain.Write{Idempotency: &domain.IdempotencyRecord{PrincipalID: "ro", Key: "annul-1", RequestHash: "h",
					Kind: domain.KindRegistration, ResourceID: r.ID, CreatedAt: testNow}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := f.db.Registration(ctx, r.Ref())
			if stored.Status != domain.StatusAnnulled || stored.Annulment == nil || *stored.Annulment != *got.Annulment ||
				stored.Annulment.At != testNow.Truncate(time.Microsecond) {
				t.Errorf("stored %+v annulment %+v", stored, stored.Annulment)
			}
			if _, err := f.db.Idempotency(ctx, "ro", "annul-1"); err != nil {
				t.Error(err)
			}
		})
		t.Run("ErrReactivate", func(t *testing.T) {
			_, err := f.db.UpdateRegistration(ctx, r.ID, func(cur *domain.Registration) (domain.Write, error) {
				cur.Status, cur.Annulment = domain.StatusActive, nil
				return domain.Write{}, nil
			})
			wantCode(t, err, domain.ECImmutable)
		})
		t.Run("NoChangeKeepsPosition", func(t *testing.T) {
			before, _ := f.db.RegistrationByID(ctx, r.ID)
			got, err := f.db.UpdateRegistration(ctx, r.ID, func(*domain.Registration) (domain.Write, error) { return domain.Write{}, nil })
			if err != nil || got.Position != before.Position {
				t.Errorf("position %d, want %d (err %v)", got.Position, before.Position, err)
			}
		})
	})
}
