package storage_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

func TestAPIKeys(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		now := testNow.Truncate(time.Microsecond)
		later := now.Add(time.Hour)
		newKey := func(id, client string) domain.APIKey {
			return domain.APIKey{ID: id, ClientID: client, SecretHash: bytes.Repeat([]byte{7}, 32), CreatedAt: now}
		}
		a := domain.Client{ID: "0001-a", Name: "A", Roles: []domain.Role{domain.RoleAdmin}, Offices: []string{}, CreatedAt: now}
		b := domain.Client{ID: "0002-b", Name: "B", Roles: []domain.Role{domain.RolePortal}, Offices: []string{}, CreatedAt: now}
		first := newKey("keya1", a.ID)
		first.ExpiresAt = &later
		if err := f.db.CreateClient(ctx, a, first, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		if err := f.db.CreateClient(ctx, b, newKey("keyb1", b.ID), domain.Write{}); err != nil {
			t.Fatal(err)
		}

		t.Run("ExpiryStoredAtCreation", func(t *testing.T) {
			k, err := f.db.APIKey(ctx, "keya1")
			if err != nil || k.ExpiresAt == nil || !k.ExpiresAt.Equal(later) || k.RevokedAt != nil || k.LastUsedAt != nil {
				t.Errorf("key %+v, %v; want expiry %v and no revocation or use", k, err, later)
			}
		})
		t.Run("ChangeAddsAndUpdates", func(t *testing.T) {
			err := f.db.ChangeKeys(ctx, a.ID, func(keys []domain.APIKey) (domain.KeyChange, error) {
				if len(keys) != 1 || keys[0].ID != "keya1" {
					t.Errorf("keys %+v, want keya1 alone", keys)
				}
				k := keys[0]
				k.RevokedAt, k.ExpiresAt = &now, nil
				return domain.KeyChange{Add: []domain.APIKey{newKey("keya2", a.ID)}, Update: []domain.APIKey{k}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			k, err := f.db.APIKey(ctx, "keya1")
			if err != nil || k.RevokedAt == nil || !k.RevokedAt.Equal(now) || k.ExpiresAt != nil {
				t.Errorf("key %+v, %v; want revoked at %v, no expiry", k, err, now)
			}
			if _, err := f.db.APIKey(ctx, "keya2"); err != nil {
				t.Errorf("added key: %v", err)
			}
		})
		t.Run("ErrChangeWritesNothing", func(t *testing.T) {
			refused := errors.New("refused")
			err := f.db.ChangeKeys(ctx, a.ID, func([]domain.APIKey) (domain.KeyChange, error) {
				return domain.KeyChange{Add: []domain.APIKey{newKey("keya3", a.ID)}}, refused
			})
			if !errors.Is(err, refused) {
				t.Errorf("error %v, want the change's own", err)
			}
			_, err = f.db.APIKey(ctx, "keya3")
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("ErrUnknownClient", func(t *testing.T) {
			err := f.db.ChangeKeys(ctx, "nobody", func([]domain.APIKey) (domain.KeyChange, error) {
				t.Error("change called for an unknown client")
				return domain.KeyChange{}, nil
			})
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("ListedWithKeysByPage", func(t *testing.T) {
			p1, err := f.db.Clients(ctx, domain.ClientFilter{Limit: 1})
			if err != nil || len(p1.Items) != 1 || p1.Items[0].ID != a.ID || p1.NextCursor == "" {
				t.Fatalf("first page %+v, %v", p1, err)
			}
			if ks := p1.Items[0].Keys; len(ks) != 2 || ks[0].ID != "keya1" || ks[0].RevokedAt == nil || ks[1].ID != "keya2" {
				t.Errorf("keys of A %+v", ks)
			}
			p2, err := f.db.Clients(ctx, domain.ClientFilter{Limit: 1, Cursor: p1.NextCursor})
			if err != nil || len(p2.Items) != 1 || p2.Items[0].ID != b.ID || p2.NextCursor != "" || len(p2.Items[0].Keys) != 1 {
				t.Errorf("second page %+v, %v", p2, err)
			}
		})
		t.Run("ErrBadCursor", func(t *testing.T) {
			_, err := f.db.Clients(ctx, domain.ClientFilter{Limit: 1, Cursor: "!!"})
			wantCode(t, err, domain.ECValidation)
		})
		t.Run("UseRecordedOncePerInterval", func(t *testing.T) {
			if err := f.db.RecordKeyUse(ctx, "keyb1", now, now.Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			soon := now.Add(30 * time.Second)
			if err := f.db.RecordKeyUse(ctx, "keyb1", soon, soon.Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			k, _ := f.db.APIKey(ctx, "keyb1")
			if k.LastUsedAt == nil || !k.LastUsedAt.Equal(now) {
				t.Errorf("last use %v, want %v: a use within the interval rewrote it", k.LastUsedAt, now)
			}
			next := now.Add(time.Minute)
			if err := f.db.RecordKeyUse(ctx, "keyb1", next, next.Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			if k, _ = f.db.APIKey(ctx, "keyb1"); k.LastUsedAt == nil || !k.LastUsedAt.Equal(next) {
				t.Errorf("last use %v, want %v", k.LastUsedAt, next)
			}
		})
	})
}
