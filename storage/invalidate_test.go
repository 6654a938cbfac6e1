package storage_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage"
	"github.com/sportello/sportello/storage/storagetest"
)

func TestInvalidations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		var (
			mu  sync.Mutex
			got []storage.Invalidation
		)
		ctx, cancel := context.WithCancel(context.Background())
		var done sync.WaitGroup
		listener := storagetest.Open(t, url) // another replica of the same database
		done.Go(func() {
			listener.ListenInvalidations(ctx, 100*time.Millisecond, func(inv storage.Invalidation) {
				mu.Lock()
				got = append(got, inv)
				mu.Unlock()
			})
		})
		t.Cleanup(func() { cancel(); done.Wait() })
		seen := func(want storage.Invalidation) func() bool {
			return func() bool {
				mu.Lock()
				defer mu.Unlock()
				for _, inv := range got {
					if inv == want {
						return true
					}
				}
				return false
			}
		}
		if f.db.Engine() == storage.SQLite {
			t.Run("SingleProcessListensToNothing", func(t *testing.T) {
				waitFor(t, 5*time.Second, "ListenInvalidations returns at once", func() bool {
					cancel()
					done.Wait()
					return len(got) == 0
				})
			})
			return
		}
		waitFor(t, 10*time.Second, "the listener starts by forgetting everything", seen(storage.Invalidation{All: true}))
		now := testNow
		client := domain.Client{ID: "0001-a", Name: "A", Roles: []domain.Role{domain.RoleAdmin}, Offices: []string{}, CreatedAt: now}
		key := domain.APIKey{ID: "keya1", ClientID: client.ID, SecretHash: bytes.Repeat([]byte{7}, 32), CreatedAt: now}
		if err := f.db.CreateClient(t.Context(), client, key, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		t.Run("RevokedKeyIsNotified", func(t *testing.T) {
			err := f.db.ChangeKeys(t.Context(), client.ID, func(keys []domain.APIKey) (domain.KeyChange, error) {
				k := keys[0]
				k.RevokedAt = &now
				return domain.KeyChange{Update: []domain.APIKey{k}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "the revocation reaches the other replica", seen(storage.Invalidation{Kind: storage.InvalidateAPIKey, ID: "keya1"}))
		})
		t.Run("RolledBackChangeIsNotNotified", func(t *testing.T) {
			err := f.db.ChangeKeys(t.Context(), client.ID, func(keys []domain.APIKey) (domain.KeyChange, error) {
				k := keys[0]
				k.ExpiresAt = &now
				// a write that fails after the update: the transaction rolls back
				return domain.KeyChange{Update: []domain.APIKey{k}, Add: []domain.APIKey{{ID: "keya1", ClientID: client.ID,
					SecretHash: bytes.Repeat([]byte{7}, 32), CreatedAt: now}}}, nil
			})
			if err == nil {
				t.Fatal("duplicate key id accepted")
			}
			// Notifications arrive in commit order: once a later committed change has arrived,
			// the rolled-back one would have arrived before it.
			later := domain.APIKey{ID: "keya2", ClientID: client.ID, SecretHash: bytes.Repeat([]byte{7}, 32), CreatedAt: now}
			err = f.db.ChangeKeys(t.Context(), client.ID, func(keys []domain.APIKey) (domain.KeyChange, error) {
				later.RevokedAt = &now
				return domain.KeyChange{Add: []domain.APIKey{later}, Update: []domain.APIKey{later}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "the later change arrives", seen(storage.Invalidation{Kind: storage.InvalidateAPIKey, ID: "keya2"}))
			mu.Lock()
			defer mu.Unlock()
			var keys []string
			for _, inv := range got {
				if inv.Kind == storage.InvalidateAPIKey {
					keys = append(keys, inv.ID)
				}
			}
			if len(keys) != 2 || keys[0] != "keya1" || keys[1] != "keya2" {
				t.Fatalf("key invalidations %v, want [keya1 keya2]: the rolled-back change was notified", keys)
			}
		})
		t.Run("ChangedUserIsNotified", func(t *testing.T) {
			u := domain.User{
				Client:  domain.Client{ID: "0002-anna", Name: "Anna", Roles: []domain.Role{domain.RoleClerk}, Offices: []string{}, CreatedAt: now},
				TaxCode: "RSSMRA80A01H501U", Email: "anna@example.org", UpdatedAt: now,
			}
			if err := f.db.CreateUser(t.Context(), u, domain.Write{}); err != nil {
				t.Fatal(err)
			}
			deactivate := func(u domain.User) (domain.User, domain.Write, error) {
				u.DeactivatedAt = &now
				return u, domain.Write{Audit: []domain.AuditEvent{{At: now, Actor: "admin", ActorName: "Admin",
					Action: "user.deactivated", EntityKind: domain.KindUser, EntityID: u.ID}}}, nil
			}
			if err := f.db.ChangeUser(t.Context(), u.ID, deactivate); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "the deactivation reaches the other replica", seen(storage.Invalidation{Kind: storage.InvalidatePrincipal, ID: u.ID}))
		})
		t.Run("ReconnectForgetsEverything", func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			if _, err := f.raw.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE application_name = 'sportello-invalidate' AND datname = current_database()`); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the listener reconnects and forgets everything", seen(storage.Invalidation{All: true}))
		})
	})
}
