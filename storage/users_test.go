package storage_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

func TestUsers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		now := testNow.Truncate(time.Microsecond)
		newUser := func(id, cf, email, subject string) domain.User {
			return domain.User{
				Client:  domain.Client{ID: id, Name: "Persona " + id, Roles: []domain.Role{domain.RoleClerk}, Offices: []string{"TEC"}, CreatedAt: now},
				TaxCode: cf, Email: email, Subject: subject, UpdatedAt: now,
			}
		}
		maria := newUser("0001-maria", "RSSMRA80A01H501U", "maria@example.org", "")
		luca := newUser("0002-luca", "VRDLCU80A01H501X", "luca@example.org", "sub-luca")
		for _, u := range []domain.User{maria, luca} {
			if err := f.db.CreateUser(ctx, u, domain.Write{Audit: []domain.AuditEvent{{At: now, Actor: "admin", ActorName: "Admin",
				Action: "user.created", EntityKind: domain.KindUser, EntityID: u.ID}}}); err != nil {
				t.Fatal(err)
			}
		}
		plain := domain.Client{ID: "0003-portal", Name: "Portale", Roles: []domain.Role{domain.RolePortal}, Offices: []string{}, CreatedAt: now}
		key := domain.APIKey{ID: "keyp", ClientID: plain.ID, SecretHash: bytes.Repeat([]byte{1}, 32), CreatedAt: now}
		if err := f.db.CreateClient(ctx, plain, key, domain.Write{}); err != nil {
			t.Fatal(err)
		}

		t.Run("ReadBack", func(t *testing.T) {
			got, err := f.db.User(ctx, maria.ID)
			if err != nil || got.Name != maria.Name || got.TaxCode != maria.TaxCode || got.Email != maria.Email ||
				got.Subject != "" || !got.CreatedAt.Equal(now) || got.DeactivatedAt != nil || len(got.Offices) != 1 {
				t.Errorf("user %+v, %v; want %+v", got, err, maria)
			}
			c, err := f.db.Client(ctx, maria.ID)
			if err != nil || !c.IsUser || c.Deactivated || c.Principal().Person != maria.ID {
				t.Errorf("client of the user %+v, %v: want a user's, active, acting as the person", c, err)
			}
			c, err = f.db.Client(ctx, plain.ID)
			if err != nil || c.IsUser || c.Principal().Person != "" {
				t.Errorf("plain client %+v, %v: want no person", c, err)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			if _, err := f.db.User(ctx, plain.ID); !domain.IsCode(err, domain.ECNotFound) {
				t.Errorf("a client that is no user: %v, want not_found", err)
			}
			if _, err := f.db.UserBySubject(ctx, "nobody"); !domain.IsCode(err, domain.ECNotFound) {
				t.Errorf("unknown subject: %v, want not_found", err)
			}
		})
		t.Run("BySubjectAndUnbound", func(t *testing.T) {
			if u, err := f.db.UserBySubject(ctx, "sub-luca"); err != nil || u.ID != luca.ID {
				t.Errorf("by subject: %+v, %v; want luca", u, err)
			}
			if u, err := f.db.UnboundUser(ctx, maria.TaxCode, ""); err != nil || u.ID != maria.ID {
				t.Errorf("unbound by tax code: %+v, %v; want maria", u, err)
			}
			if u, err := f.db.UnboundUser(ctx, "", maria.Email); err != nil || u.ID != maria.ID {
				t.Errorf("unbound by e-mail: %+v, %v; want maria", u, err)
			}
			if _, err := f.db.UnboundUser(ctx, luca.TaxCode, ""); !domain.IsCode(err, domain.ECNotFound) {
				t.Errorf("a bound user: %v, want not_found", err)
			}
		})
		for name, u := range map[string]domain.User{
			"ErrTaxCodeTaken": newUser("0004-x", maria.TaxCode, "x@example.org", ""),
			"ErrEmailTaken":   newUser("0004-x", "BNCMRA80A41H501X", maria.Email, ""),
			"ErrSubjectTaken": newUser("0004-x", "BNCMRA80A41H501X", "x@example.org", "sub-luca"),
		} {
			t.Run(name, func(t *testing.T) {
				if err := f.db.CreateUser(ctx, u, domain.Write{}); !domain.IsCode(err, domain.ECConflict) {
					t.Errorf("create: %v, want conflict", err)
				}
				if _, err := f.db.Client(ctx, u.ID); !domain.IsCode(err, domain.ECNotFound) {
					t.Errorf("the refused user's client was stored: %v", err)
				}
			})
		}
		t.Run("ChangeAndDeactivate", func(t *testing.T) {
			later := now.Add(time.Hour)
			err := f.db.ChangeUser(ctx, maria.ID, func(u domain.User) (domain.User, domain.Write, error) {
				u.Name, u.Email, u.Subject, u.Offices, u.Roles = "Maria Bianchi", "mb@example.org", "sub-maria", []string{"RAG"}, []domain.Role{domain.RoleAdmin}
				u.UpdatedAt, u.DeactivatedAt = later, &later
				return u, domain.Write{Audit: []domain.AuditEvent{{At: later, Actor: "admin", ActorName: "Admin",
					Action: "user.deactivated", EntityKind: domain.KindUser, EntityID: u.ID}}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.db.UserBySubject(ctx, "sub-maria")
			if err != nil || got.Name != "Maria Bianchi" || got.Email != "mb@example.org" || got.Offices[0] != "RAG" ||
				got.Roles[0] != domain.RoleAdmin || got.DeactivatedAt == nil || !got.DeactivatedAt.Equal(later) || !got.UpdatedAt.Equal(later) {
				t.Errorf("changed user %+v, %v", got, err)
			}
			if c, _ := f.db.Client(ctx, maria.ID); !c.Deactivated || c.Name != "Maria Bianchi" {
				t.Errorf("client %+v: want the new name, deactivated", c)
			}
		})
		t.Run("ErrChangeToTakenEmail", func(t *testing.T) {
			err := f.db.ChangeUser(ctx, luca.ID, func(u domain.User) (domain.User, domain.Write, error) {
				u.Email = "mb@example.org"
				return u, domain.Write{Audit: []domain.AuditEvent{{At: now, Actor: "a", ActorName: "A", Action: "user.changed",
					EntityKind: domain.KindUser, EntityID: u.ID}}}, nil
			})
			if !domain.IsCode(err, domain.ECConflict) {
				t.Errorf("change: %v, want conflict", err)
			}
		})
		t.Run("Paging", func(t *testing.T) {
			page, err := f.db.Users(ctx, domain.UserFilter{Limit: 1})
			if err != nil || len(page.Items) != 1 || page.Items[0].ID != maria.ID || page.NextCursor == "" {
				t.Fatalf("first page %+v, %v", page, err)
			}
			page, err = f.db.Users(ctx, domain.UserFilter{Limit: 1, Cursor: page.NextCursor})
			if err != nil || len(page.Items) != 1 || page.Items[0].ID != luca.ID || page.NextCursor != "" {
				t.Errorf("second page %+v, %v", page, err)
			}
			if _, err := f.db.Users(ctx, domain.UserFilter{Limit: 1, Cursor: "!"}); !domain.IsCode(err, domain.ECValidation) {
				t.Errorf("bad cursor: %v, want validation_failed", err)
			}
		})
		where := ` WHERE id = '` + luca.ID + `'`
		t.Run("ErrDeleteUser", func(t *testing.T) {
			wantRefused(t, f.exec(`DELETE FROM users`+where), "delete refused")
		})
		t.Run("ErrTaxCodeChange", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE users SET tax_code = 'BNCMRA80A41H501X'`+where), "tax code and creation are immutable")
		})
		if f.postgres() {
			t.Run("ErrTruncate", func(t *testing.T) {
				wantRefused(t, f.exec(`TRUNCATE users CASCADE`), "truncate refused")
			})
			return
		}
		t.Run("ErrReplaceUser", func(t *testing.T) {
			err := f.exec(`INSERT OR REPLACE INTO users (id, tax_code, email, created_at, updated_at)
				VALUES ('0009-z', 'VRDLCU80A01H501X', 'z@example.org', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')`)
			wantRefused(t, err, "would replace an existing user")
			if !strings.Contains(err.Error(), "user") {
				t.Error(err)
			}
		})
	})
}
