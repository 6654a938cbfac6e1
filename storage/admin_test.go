package storage_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage/storagetest"
)

func TestBootstrap(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		db := storagetest.Open(t, url)
		ctx := t.Context()
		aoo := testAOO
		aoo.CreatedAt = testNow
		pg := domain.Register{Code: "PG", Name: "Protocollo generale", CreatedAt: testNow}

		t.Run("ErrNoAOOBeforeBootstrap", func(t *testing.T) {
			_, err := db.AOO(ctx)
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("ErrRegistrationBeforeBootstrap", func(t *testing.T) {
			r := newRegistration()
			// Internal, not not_found: callers read not_found as "unknown register".
			wantCode(t, db.CreateRegistration(ctx, r, created(r)), domain.ECInternal)
		})
		t.Run("Created", func(t *testing.T) {
			created, err := db.Bootstrap(ctx, aoo, pg)
			if err != nil || !created {
				t.Fatalf("created %v, err %v", created, err)
			}
			got, err := db.AOO(ctx)
			want := aoo
			want.CreatedAt = testNow.Truncate(time.Microsecond)
			if err != nil || got != want {
				t.Errorf("AOO %+v, %v; want %+v", got, err, want)
			}
			if reg, err := db.Register(ctx, "PG"); err != nil || reg.Name != pg.Name || reg.CreatedAt.Location() != time.UTC {
				t.Errorf("register %+v, %v", reg, err)
			}
		})
		t.Run("AgainNotCreated", func(t *testing.T) {
			created, err := db.Bootstrap(ctx, aoo, pg)
			if err != nil || created {
				t.Errorf("created %v, err %v", created, err)
			}
		})
		t.Run("ErrOtherAOO", func(t *testing.T) {
			other := aoo
			other.Code = "Z9Z9Z9Z"
			_, err := db.Bootstrap(ctx, other, pg)
			wantCode(t, err, domain.ECConflict)
		})
	})
}

func TestRegistersAndOffices(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		del := domain.Register{Code: "DEL", Name: "Delibere", CreatedAt: testNow}
		w := domain.Write{Audit: []domain.AuditEvent{{At: testNow, Actor: "admin", ActorName: "Admin",
			Action: "register.created", EntityKind: domain.KindRegister, EntityID: "DEL"}}}

		t.Run("RegisterCreated", func(t *testing.T) {
			if err := f.db.CreateRegister(ctx, del, w); err != nil {
				t.Fatal(err)
			}
			regs, err := f.db.Registers(ctx)
			if err != nil || len(regs) != 2 || regs[0].Code != "DEL" || regs[1].Code != "PG" {
				t.Errorf("registers %+v, %v", regs, err)
			}
			if events, err := f.db.Audit(ctx, domain.KindRegister, "DEL"); err != nil || len(events) != 1 || events[0].Actor != "admin" {
				t.Errorf("audit %+v, %v", events, err)
			}
		})
		t.Run("ErrRegisterExists", func(t *testing.T) {
			wantCode(t, f.db.CreateRegister(ctx, del, w), domain.ECConflict)
			if events, _ := f.db.Audit(ctx, domain.KindRegister, "DEL"); len(events) != 1 {
				t.Errorf("%d audit events, want 1", len(events))
			}
		})
		t.Run("ErrRegisterNotFound", func(t *testing.T) {
			_, err := f.db.Register(ctx, "NOPE")
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("Offices", func(t *testing.T) {
			offices, err := f.db.Offices(ctx)
			if err != nil || len(offices) != 3 || offices[0].Code != "RAG" || offices[2].Code != "URP" || offices[0].Name != "Ufficio RAG" {
				t.Errorf("offices %+v, %v", offices, err)
			}
		})
		t.Run("ErrOfficeExists", func(t *testing.T) {
			wantCode(t, f.db.CreateOffice(ctx, domain.Office{Code: "TEC", Name: "Altro", CreatedAt: testNow}, domain.Write{}), domain.ECConflict)
		})
	})
}

func TestClients(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		c := domain.Client{ID: domain.NewID(), Name: "Portale", Roles: []domain.Role{domain.RolePortal, domain.RoleClerk},
			Offices: []string{"URP"}, CreatedAt: testNow}
		key := domain.APIKey{ID: "abcdefghij", ClientID: c.ID, SecretHash: bytes.Repeat([]byte{0, 0xff}, 16), CreatedAt: testNow}

		t.Run("NoneOnFreshInstall", func(t *testing.T) {
			if n, err := f.db.CountClients(ctx); n != 0 || err != nil {
				t.Errorf("count %d, %v", n, err)
			}
		})
		t.Run("Created", func(t *testing.T) {
			if err := f.db.CreateClient(ctx, c, key, domain.Write{}); err != nil {
				t.Fatal(err)
			}
			got, err := f.db.Client(ctx, c.ID)
			want := c
			want.CreatedAt = testNow.Truncate(time.Microsecond)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("client %+v, %v; want %+v", got, err, want)
			}
			k, err := f.db.APIKey(ctx, key.ID)
			if err != nil || k.ClientID != c.ID || !bytes.Equal(k.SecretHash, key.SecretHash) {
				t.Errorf("key %+v, %v", k, err)
			}
			if n, err := f.db.CountClients(ctx); n != 1 || err != nil {
				t.Errorf("count %d, %v", n, err)
			}
		})
		t.Run("ErrKeyExists", func(t *testing.T) {
			other := domain.Client{ID: domain.NewID(), Name: "Altro", Roles: []domain.Role{domain.RoleAdmin}, CreatedAt: testNow}
			k := key
			k.ClientID = other.ID
			wantCode(t, f.db.CreateClient(ctx, other, k, domain.Write{}), domain.ECConflict)
			_, err := f.db.Client(ctx, other.ID)
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := f.db.APIKey(ctx, "nope")
			wantCode(t, err, domain.ECNotFound)
		})
	})
}

func TestIdempotency(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		r := newRegistration()
		w := created(r)
		w.Idempotency = &domain.IdempotencyRecord{PrincipalID: "operator", Key: "key-1", RequestHash: "hash-1",
			Kind: domain.KindRegistration, ResourceID: r.ID, CreatedAt: testNow}

		t.Run("Stored", func(t *testing.T) {
			if err := f.db.CreateRegistration(ctx, r, w); err != nil {
				t.Fatal(err)
			}
			got, err := f.db.Idempotency(ctx, "operator", "key-1")
			want := *w.Idempotency
			want.CreatedAt = testNow.Truncate(time.Microsecond)
			if err != nil || got != want {
				t.Errorf("record %+v, %v; want %+v", got, err, want)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := f.db.Idempotency(ctx, "someone-else", "key-1")
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("ErrDuplicateKeyWritesNothing", func(t *testing.T) {
			again := newRegistration()
			w2 := created(again)
			rec := *w.Idempotency
			rec.ResourceID = again.ID
			w2.Idempotency = &rec
			wantCode(t, f.db.CreateRegistration(ctx, again, w2), domain.ECConflict)
			if _, err := f.db.RegistrationByID(ctx, again.ID); !domain.IsCode(err, domain.ECNotFound) {
				t.Errorf("registration stored: %v", err)
			}
			if events, _ := f.db.Audit(ctx, domain.KindRegistration, again.ID); len(events) != 0 {
				t.Errorf("audit events stored: %+v", events)
			}
			if n := f.queryInt(t, `SELECT last_number FROM register_counters`); n != 1 {
				t.Errorf("counter at %d, want 1", n)
			}
		})
		t.Run("ErrDuplicateOfficeKey", func(t *testing.T) {
			o := domain.Office{Code: "NEW", Name: "Nuovo", CreatedAt: testNow}
			wo := domain.Write{Idempotency: &domain.IdempotencyRecord{PrincipalID: "operator", Key: "key-1",
				RequestHash: "h", Kind: domain.KindOffice, ResourceID: "NEW", CreatedAt: testNow}}
			wantCode(t, f.db.CreateOffice(ctx, o, wo), domain.ECConflict)
			if offices, _ := f.db.Offices(ctx); len(offices) != 3 {
				t.Errorf("office stored: %+v", offices)
			}
		})
	})
}
