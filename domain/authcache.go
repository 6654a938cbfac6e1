package domain

import (
	"crypto/subtle"
	"sync"
	"time"
)

// authCacheTTL bounds how long a verified key is trusted without reading the database again.
// This replica forgets the keys it revokes or rotates, and the users it changes or
// deactivates, at once; on PostgreSQL it forgets those another replica changes as soon as the
// database's notification arrives (ForgetCachedKeys, ForgetCachedPrincipal: internal/app relays
// storage's invalidations). The TTL is the backstop for what no notification tells: a change
// made with the command line on SQLite, or while the listening connection was down.
const authCacheTTL = time.Second

// authCacheMax bounds the cache; past it the cache starts afresh.
const authCacheMax = 10000

// authCache remembers verified API keys: key id → the secret's hash, the key's expiry and the
// principal.
type authCache struct {
	mu      sync.Mutex
	entries map[string]authEntry
	// gen counts the forgets: an entry read from the database before a forget is not put
	// after it (the read may be older than the change the forget was for).
	gen uint64
}

type authEntry struct {
	hash []byte
	p    Principal
	// keyExpires is the key's own expiry, checked on every hit; read is when the key was read.
	keyExpires *time.Time
	read       time.Time
}

func (c *authCache) get(id string, hash []byte, now time.Time) (Principal, bool) {
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	switch {
	case !ok || now.Before(e.read) || !now.Before(e.read.Add(authCacheTTL)):
		return Principal{}, false
	case e.keyExpires != nil && !now.Before(*e.keyExpires):
		return Principal{}, false
	case subtle.ConstantTimeCompare(e.hash, hash) != 1:
		return Principal{}, false
	}
	return e.p, true
}

// generation is the count of forgets so far: pass it to put, taken before reading the database.
func (c *authCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put remembers a key read from the database, unless something was forgotten since gen (the
// generation before the read): the read may predate the change that made the cache forget.
func (c *authCache) put(gen uint64, id string, hash []byte, expires *time.Time, p Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= authCacheMax {
		c.entries = make(map[string]authEntry)
	}
	c.entries[id] = authEntry{hash: hash, p: p, keyExpires: expires, read: now}
}

// forget drops keys whose state this replica just changed.
func (c *authCache) forget(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range ids {
		delete(c.entries, id)
	}
}

// forgetPrincipal drops every entry of the principal id, whose roles, offices or state this
// replica just changed.
func (c *authCache) forgetPrincipal(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.entries {
		if e.p.ID == id {
			delete(c.entries, k)
		}
	}
}

// clear drops every key: this replica may have missed a change made by another.
func (c *authCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries = nil
}

// ForgetCachedKeys makes this replica read the named API keys from the store at their next
// use: another replica revoked or rotated them (internal/app relays the database's
// notifications). Without ids it forgets every key.
func (s *Service) ForgetCachedKeys(ids ...string) {
	if len(ids) == 0 {
		s.auth.clear()
		return
	}
	s.auth.forget(ids...)
}

// ForgetCachedPrincipal makes this replica read every key and identity-provider token of the
// principal id from the store at their next use: another replica changed the user's roles or
// offices, or deactivated them (internal/app relays the database's notifications).
func (s *Service) ForgetCachedPrincipal(id string) {
	s.auth.forgetPrincipal(id)
}
