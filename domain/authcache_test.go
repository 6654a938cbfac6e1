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
		s.auth.put(s.auth.generation(), id, hash, nil, Principal{ID: id}, now)
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

// TestForgetCachedPrincipal: every key of a principal another replica changed is read again at
// its next use, and a key read from the database before that forget is not cached after it
// (the read may predate the change).
func TestForgetCachedPrincipal(t *testing.T) {
	s := &Service{}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	hash := []byte("hash")
	for _, k := range []struct{ id, principal string }{{"k1", "anna"}, {"k2", "anna"}, {"k3", "luca"}} {
		s.auth.put(s.auth.generation(), k.id, hash, nil, Principal{ID: k.principal}, now)
	}
	cached := func(id string) bool { _, ok := s.auth.get(id, hash, now); return ok }
	readBefore := s.auth.generation() // a request reads anna's key from the database…
	s.ForgetCachedPrincipal("anna")   // …while another replica deactivates her
	if cached("k1") || cached("k2") || !cached("k3") {
		t.Fatalf("after forgetting anna: k1 %v, k2 %v, k3 %v cached; want false, false, true", cached("k1"), cached("k2"), cached("k3"))
	}
	s.auth.put(readBefore, "k1", hash, nil, Principal{ID: "anna"}, now)
	if cached("k1") {
		t.Fatal("a key read before the forget was cached after it")
	}
}
