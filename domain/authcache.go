package domain

import (
	"crypto/subtle"
	"sync"
	"time"
)

// authCacheTTL bounds how long a verified key is trusted without reading the database again:
// a key revoked through another replica (or the command line) is refused within this time.
// This replica forgets the keys it revokes or rotates at once, and on PostgreSQL those another
// replica changes as soon as the database's notification arrives (ForgetCachedKeys).
const authCacheTTL = time.Second

// authCacheMax bounds the cache; past it the cache starts afresh.
const authCacheMax = 10000

// authCache remembers verified API keys: key id → the secret's hash, the key's expiry and the
// principal.
type authCache struct {
	mu      sync.Mutex
	entries map[string]authEntry
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

func (c *authCache) put(id string, hash []byte, expires *time.Time, p Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= authCacheMax {
		c.entries = make(map[string]authEntry)
	}
	c.entries[id] = authEntry{hash: hash, p: p, keyExpires: expires, read: now}
}

// forget drops keys whose state this replica just changed.
func (c *authCache) forget(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.entries, id)
	}
}

// forgetPrincipal drops every entry of the principal id, whose roles, offices or state this
// replica just changed.
func (c *authCache) forgetPrincipal(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
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
