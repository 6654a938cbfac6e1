package domain

import (
	"testing"
	"time"
)

// TestForgetCachedKeys: a key another replica changed is read again at its next use; a replica
// that may have missed changes forgets every key.
func TestForgetCachedKeys(t *testing.T) {
	s := &Service{}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	hash := []byte("hash")
	for _, id := range []string{"a", "b"} {
		s.auth.put(id, hash, nil, Principal{ID: id}, now)
	}
	cached := func(id string) bool { _, ok := s.auth.get(id, hash, now); return ok }
	s.ForgetCachedKeys("a")
	if cached("a") || !cached("b") {
		t.Fatalf("after forgetting a: a cached %v, b cached %v; want false, true", cached("a"), cached("b"))
	}
	s.ForgetCachedKeys()
	if cached("b") {
		t.Fatal("b still cached after forgetting every key")
	}
}
