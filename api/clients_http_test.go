package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/apptest"
)

// keyID is the key id a token carries: spt_<id>_<secret>.
func keyID(token string) string {
	id, _, _ := strings.Cut(strings.TrimPrefix(token, "spt_"), "_")
	return id
}

// newKeyHolder creates a protocol operator client and returns it with its token.
func newKeyHolder(c *client, admin, name string, extra map[string]any) api.CreatedClient {
	c.t.Helper()
	body := map[string]any{"name": name, "roles": []string{"protocol_operator"}}
	for k, v := range extra {
		body[k] = v
	}
	var out api.CreatedClient
	c.json("POST", "/v1/clients", admin, body).decode(c.t, http.StatusCreated, &out)
	return out
}

// keyOf finds a key in GET /v1/clients.
func keyOf(c *client, admin, clientID, id string) api.APIKey {
	c.t.Helper()
	var list api.ClientList
	c.do("GET", "/v1/clients?limit=500", admin, nil).decode(c.t, http.StatusOK, &list)
	for _, cl := range list.Items {
		for _, k := range cl.Keys {
			if cl.ID == clientID && k.ID == id {
				return k
			}
		}
	}
	c.t.Fatalf("client %s has no key %s in %+v", clientID, id, list)
	return api.APIKey{}
}

func TestRevokedKey(t *testing.T) {
	clock := apptest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := newKeyHolder(c, s.AdminToken, "operatore", nil)
		other := newKeyHolder(c, s.AdminToken, "altro", nil)
		c.do("GET", "/v1/me", op.Token, nil).expect(t, http.StatusOK)
		revoke := "/v1/clients/" + op.ID + "/keys/" + keyID(op.Token) + "/revoke"

		t.Run("ErrNotAdmin", func(t *testing.T) {
			c.do("POST", revoke, other.Token, nil).problem(t, http.StatusForbidden, "forbidden")
			c.do("GET", "/v1/me", op.Token, nil).expect(t, http.StatusOK)
		})
		t.Run("ErrKeyOfAnotherClient", func(t *testing.T) {
			c.do("POST", "/v1/clients/"+other.ID+"/keys/"+keyID(op.Token)+"/revoke", s.AdminToken, nil).
				problem(t, http.StatusNotFound, "not_found")
			c.do("POST", "/v1/clients/nobody/keys/"+keyID(op.Token)+"/revoke", s.AdminToken, nil).
				problem(t, http.StatusNotFound, "not_found")
		})
		t.Run("RefusedOnTheNextRequest", func(t *testing.T) {
			var k api.APIKey
			c.do("POST", revoke, s.AdminToken, nil).decode(t, http.StatusOK, &k)
			if k.ID != keyID(op.Token) || k.State != "revoked" || k.RevokedAt == nil || !k.RevokedAt.Equal(clock.Now()) {
				t.Errorf("revoked key %+v, want revoked at %v", k, clock.Now())
			}
			c.do("GET", "/v1/me", op.Token, nil).problem(t, http.StatusUnauthorized, "unauthorized")
			c.do("GET", "/v1/me", other.Token, nil).expect(t, http.StatusOK)
			if got := keyOf(c, s.AdminToken, op.ID, k.ID); got.State != "revoked" {
				t.Errorf("listed as %+v", got)
			}
			events, err := s.Main.DB.Audit(t.Context(), domain.KindAPIKey, k.ID)
			if err != nil || len(events) != 2 || events[0].Action != "api_key.created" || events[1].Action != "api_key.revoked" {
				t.Errorf("audit of the key %+v, %v; want created, revoked", events, err)
			}
		})
		t.Run("AgainSameState", func(t *testing.T) {
			clock.Set(clock.Now().Add(time.Hour))
			var k api.APIKey
			c.do("POST", revoke, s.AdminToken, nil).decode(t, http.StatusOK, &k)
			if k.State != "revoked" || k.RevokedAt == nil || !k.RevokedAt.Equal(clock.Now().Add(-time.Hour)) {
				t.Errorf("revoked again %+v: the first revocation must stand", k)
			}
		})
	}, apptest.WithClock(clock.Now))
}

// TestRevokedOnAnotherReplica: a replica that verified a key (and caches it) refuses it no
// later than a second after another replica revoked it.
func TestRevokedOnAnotherReplica(t *testing.T) {
	clock := apptest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := newKeyHolder(c, s.AdminToken, "operatore", nil)
		replicaClock := apptest.NewClock(clock.Now())
		replica := domain.NewService(s.Main.DB, nil, time.UTC)
		replica.Now = replicaClock.Now
		if _, err := replica.Authenticate(t.Context(), op.Token); err != nil {
			t.Fatal(err)
		}
		c.do("POST", "/v1/clients/"+op.ID+"/keys/"+keyID(op.Token)+"/revoke", s.AdminToken, nil).expect(t, http.StatusOK)
		replicaClock.Set(replicaClock.Now().Add(time.Second))
		if _, err := replica.Authenticate(t.Context(), op.Token); !domain.IsCode(err, domain.ECUnauthorized) {
			t.Errorf("a second after the revocation the other replica answers %v, want unauthorized", err)
		}
	}, apptest.WithClock(clock.Now))
}

func TestRotatedKey(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := apptest.NewClock(start)
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(start)
		c := newClient(t, s)
		op := newKeyHolder(c, s.AdminToken, "operatore", nil)
		keys := "/v1/clients/" + op.ID + "/keys"

		t.Run("ErrBadGrace", func(t *testing.T) {
			for _, grace := range []int64{-1, domain.MaxGraceSeconds + 1} {
				p := c.json("POST", keys, s.AdminToken, map[string]any{"grace_seconds": grace}).problem(t, 422, "validation_failed")
				namesField(t, p, "grace_seconds", "between")
			}
			p := c.json("POST", keys, s.AdminToken, map[string]any{"expires_at": start}).problem(t, 422, "validation_failed")
			namesField(t, p, "expires_at", "future")
			c.json("POST", keys, s.AdminToken, map[string]any{"token": "spt_x_y"}).problem(t, 422, "validation_failed")
		})
		t.Run("ErrNotAdminOrUnknownClient", func(t *testing.T) {
			c.json("POST", keys, op.Token, map[string]any{}).problem(t, http.StatusForbidden, "forbidden")
			c.json("POST", "/v1/clients/nobody/keys", s.AdminToken, map[string]any{}).problem(t, http.StatusNotFound, "not_found")
		})

		var rotated api.CreatedKey
		t.Run("NewKeyShownOnce", func(t *testing.T) {
			r := c.json("POST", keys, s.AdminToken, map[string]any{"grace_seconds": 3600}, "Idempotency-Key", "rotate-1")
			r.decode(t, http.StatusCreated, &rotated)
			if rotated.Token == "" || keyID(rotated.Token) != rotated.ID || rotated.ClientID != op.ID || rotated.ExpiresAt != nil {
				t.Fatalf("rotation answered %+v", rotated)
			}
			var replay api.CreatedKey
			r = c.json("POST", keys, s.AdminToken, map[string]any{"grace_seconds": 3600}, "Idempotency-Key", "rotate-1")
			r.decode(t, http.StatusCreated, &replay)
			if replay.Token != "" || replay.ID != rotated.ID || r.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("replay %+v: the same key, without its token", replay)
			}
			var me api.Principal
			c.do("GET", "/v1/me", rotated.Token, nil).decode(t, http.StatusOK, &me)
			if me.ID != op.ID {
				t.Errorf("the new key is %s's, want %s's", me.ID, op.ID)
			}
		})
		t.Run("OldKeyWorksUntilGraceEnds", func(t *testing.T) {
			old := keyOf(c, s.AdminToken, op.ID, keyID(op.Token))
			if end := start.Add(time.Hour); old.State != "active" || old.ExpiresAt == nil || !old.ExpiresAt.Equal(end) {
				t.Errorf("old key %+v, want active until %v", old, end)
			}
			clock.Set(start.Add(time.Hour - time.Second))
			c.do("GET", "/v1/me", op.Token, nil).expect(t, http.StatusOK)
			clock.Set(start.Add(time.Hour))
			c.do("GET", "/v1/me", op.Token, nil).problem(t, http.StatusUnauthorized, "unauthorized")
			c.do("GET", "/v1/me", rotated.Token, nil).expect(t, http.StatusOK)
			if k := keyOf(c, s.AdminToken, op.ID, keyID(op.Token)); k.State != "expired" {
				t.Errorf("old key after the grace period %+v", k)
			}
			events, err := s.Main.DB.Audit(t.Context(), domain.KindAPIKey, keyID(op.Token))
			if err != nil || len(events) != 2 || events[1].Action != "api_key.rotated" {
				t.Errorf("audit of the old key %+v, %v; want created, rotated", events, err)
			}
		})
		t.Run("ZeroGraceEndsAtOnce", func(t *testing.T) {
			var next api.CreatedKey
			c.json("POST", keys, s.AdminToken, map[string]any{"grace_seconds": 0}).decode(t, http.StatusCreated, &next)
			c.do("GET", "/v1/me", rotated.Token, nil).problem(t, http.StatusUnauthorized, "unauthorized")
			c.do("GET", "/v1/me", next.Token, nil).expect(t, http.StatusOK)
		})
		t.Run("EmptyBodyDefaultsToADay", func(t *testing.T) {
			var next api.CreatedKey
			c.do("POST", keys, s.AdminToken, nil).decode(t, http.StatusCreated, &next)
			var cur api.APIKey
			for _, k := range listKeys(c, s.AdminToken, op.ID) {
				if k.State == "active" && k.ID != next.ID {
					cur = k
				}
			}
			if want := clock.Now().Add(24 * time.Hour); cur.ExpiresAt == nil || !cur.ExpiresAt.Equal(want) {
				t.Errorf("previous key %+v, want it valid until %v", cur, want)
			}
		})
	}, apptest.WithClock(clock.Now))
}

func listKeys(c *client, admin, clientID string) []api.APIKey {
	c.t.Helper()
	var list api.ClientList
	c.do("GET", "/v1/clients?limit=500", admin, nil).decode(c.t, http.StatusOK, &list)
	for _, cl := range list.Items {
		if cl.ID == clientID {
			return cl.Keys
		}
	}
	c.t.Fatalf("no client %s", clientID)
	return nil
}

func TestExpiringKey(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := apptest.NewClock(start)
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(start)
		c := newClient(t, s)
		p := c.json("POST", "/v1/clients", s.AdminToken, map[string]any{"name": "x", "roles": []string{"clerk"}, "expires_at": start}).
			problem(t, 422, "validation_failed")
		namesField(t, p, "expires_at", "future")

		op := newKeyHolder(c, s.AdminToken, "stagista", map[string]any{"expires_at": start.Add(time.Hour)})
		c.do("GET", "/v1/me", op.Token, nil).expect(t, http.StatusOK)
		clock.Set(start.Add(time.Hour - time.Microsecond))
		c.do("GET", "/v1/me", op.Token, nil).expect(t, http.StatusOK)
		clock.Set(start.Add(time.Hour))
		c.do("GET", "/v1/me", op.Token, nil).problem(t, http.StatusUnauthorized, "unauthorized")
		if k := keyOf(c, s.AdminToken, op.ID, keyID(op.Token)); k.State != "expired" || !k.ExpiresAt.Equal(start.Add(time.Hour)) {
			t.Errorf("listed as %+v", k)
		}
	}, apptest.WithClock(clock.Now))
}

func TestListClients(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := apptest.NewClock(start)
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(start)
		c := newClient(t, s)
		op := newKeyHolder(c, s.AdminToken, "operatore", nil)
		var rotated api.CreatedKey
		c.json("POST", "/v1/clients/"+op.ID+"/keys", s.AdminToken, map[string]any{}).decode(t, http.StatusCreated, &rotated)

		t.Run("NeverATokenOrHash", func(t *testing.T) {
			r := c.do("GET", "/v1/clients", s.AdminToken, nil)
			r.expect(t, http.StatusOK)
			body := string(r.Body)
			for _, token := range []string{s.AdminToken, op.Token, rotated.Token} {
				_, secret, _ := strings.Cut(strings.TrimPrefix(token, "spt_"), "_")
				if strings.Contains(body, secret) || !strings.Contains(body, keyID(token)) {
					t.Errorf("the list must show key %s by id and never its secret: %s", keyID(token), body)
				}
			}
			for _, word := range []string{"token", "hash", "secret"} {
				if strings.Contains(body, word) {
					t.Errorf("the list mentions %q: %s", word, body)
				}
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
			}
		})
		t.Run("Paged", func(t *testing.T) {
			var p1, p2 api.ClientList
			c.do("GET", "/v1/clients?limit=1", s.AdminToken, nil).decode(t, http.StatusOK, &p1)
			if len(p1.Items) != 1 || p1.Items[0].Roles[0] != "admin" || p1.NextCursor == "" {
				t.Fatalf("first page %+v: the bootstrap admin, then more", p1)
			}
			c.do("GET", "/v1/clients?limit=1&cursor="+p1.NextCursor, s.AdminToken, nil).decode(t, http.StatusOK, &p2)
			if len(p2.Items) != 1 || p2.Items[0].ID != op.ID || p2.NextCursor != "" || len(p2.Items[0].Keys) != 2 {
				t.Errorf("second page %+v: the operator with its two keys, and no more", p2)
			}
			p := c.do("GET", "/v1/clients?page=2", s.AdminToken, nil).problem(t, 422, "validation_failed")
			namesField(t, p, "page", "unknown")
		})
		t.Run("ErrNotAdmin", func(t *testing.T) {
			c.do("GET", "/v1/clients", op.Token, nil).problem(t, http.StatusForbidden, "forbidden")
		})
		t.Run("LastUseOncePerMinute", func(t *testing.T) {
			if k := keyOf(c, s.AdminToken, op.ID, rotated.ID); k.LastUsedAt != nil {
				t.Fatalf("a key never used shows a last use: %+v", k)
			}
			c.do("GET", "/v1/me", rotated.Token, nil).expect(t, http.StatusOK)
			first := clock.Now()
			clock.Set(first.Add(30 * time.Second))
			c.do("GET", "/v1/me", rotated.Token, nil).expect(t, http.StatusOK)
			if k := keyOf(c, s.AdminToken, op.ID, rotated.ID); k.LastUsedAt == nil || !k.LastUsedAt.Equal(first) {
				t.Errorf("last use %v, want %v (written at most once a minute)", k.LastUsedAt, first)
			}
			clock.Set(first.Add(61 * time.Second))
			c.do("GET", "/v1/me", rotated.Token, nil).expect(t, http.StatusOK)
			if k := keyOf(c, s.AdminToken, op.ID, rotated.ID); k.LastUsedAt == nil || !k.LastUsedAt.Equal(clock.Now()) {
				t.Errorf("last use %v, want %v", k.LastUsedAt, clock.Now())
			}
		})
	}, apptest.WithClock(clock.Now))
}
