package domain

import (
	"context"
	"errors"
	"testing"
)

// failingTrail is an AuditTrailStore whose AppendAudit fails while fail is set.
type failingTrail struct {
	AuditTrailStore
	fail   bool
	stored []AuditEvent
}

func (f *failingTrail) AppendAudit(_ context.Context, events []AuditEvent) error {
	if f.fail {
		return errors.New("database away")
	}
	f.stored = append(f.stored, events...)
	return nil
}

// TestAuditBufferKeepsEventsAFlushFailedToStore: a flush that fails keeps its events, in
// order, before those recorded after it, for the next flush.
func TestAuditBufferKeepsEventsAFlushFailedToStore(t *testing.T) {
	store := &failingTrail{fail: true}
	b := &AuditBuffer{Store: store}
	b.Record(AuditEvent{EntityID: "1"})
	if err := b.Flush(t.Context()); err == nil {
		t.Fatal("the flush did not fail")
	}
	b.Record(AuditEvent{EntityID: "2"})
	store.fail = false
	if err := b.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(store.stored) != 2 || store.stored[0].EntityID != "1" || store.stored[1].EntityID != "2" {
		t.Fatalf("stored %+v", store.stored)
	}
}

// TestAuditChainHashCoversEveryField: changing any hashed field changes the hash.
func TestAuditChainHashCoversEveryField(t *testing.T) {
	base := AuditEvent{Seq: 1, Actor: "a", Action: "x", EntityKind: "k", EntityID: "i"}
	h := AuditChainHash(base)
	for name, edit := range map[string]func(*AuditEvent){
		"seq": func(e *AuditEvent) { e.Seq = 2 }, "prev": func(e *AuditEvent) { e.PrevHash = "p" },
		"person": func(e *AuditEvent) { e.Person = "p" }, "request": func(e *AuditEvent) { e.RequestID = "r" },
		"address": func(e *AuditEvent) { e.ClientAddress = "c" }, "old": func(e *AuditEvent) { e.Old = []byte(`1`) },
		"boundary": func(e *AuditEvent) { e.Actor, e.Person = "", "a" },
	} {
		e := base
		edit(&e)
		if AuditChainHash(e) == h {
			t.Errorf("%s: the hash did not change", name)
		}
	}
}
