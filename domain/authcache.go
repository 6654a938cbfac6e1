package domain

import (
	"crypto/subtle"
	"sync"
	"time"
)

// authCacheTTL bounds how long a verified key is trusted without reading the database again.
const authCacheTTL = time.Minute

// authCacheMax bounds the cache; past it the cache starts afresh.
const authCacheMax = 10000

// authCache remembers verified API keys: key id → the secret's hash and the principal.
type authCache struct {
	mu      sync.Mutex
	entries map[string]authEntry
}

type authEntry struct {
	hash    []byte
	p       Principal
	expires time.Time
}

func (c *authCache) get(id string, hash []byte, now time.Time) (Principal, bool) {
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if !ok || now.After(e.expires) || subtle.ConstantTimeCompare(e.hash, hash) != 1 {
		return Principal{}, false
	}
	return e.p, true
}

func (c *authCache) put(id string, hash []byte, p Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= authCacheMax {
		c.entries = make(map[string]authEntry)
	}
	c.entries[id] = authEntry{hash: hash, p: p, expires: now.Add(authCacheTTL)}
}
