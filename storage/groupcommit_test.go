package storage_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage"
)

// TestGroupCommit queues registrations behind a leader held in its hook, so that they are
// written as one group, and puts among them one that must fail (an unknown office) and two
// that claim one idempotency key: the group fails, and each is written alone. The others get
// the next numbers, in one run with no gap, and the failed ones leave nothing.
func TestGroupCommit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		first := f.register(t, newRegistration()) // the counter row now exists: the next ones queue
		held := holdFirstGroup(t, f)
		register := func(r *domain.Registration, w domain.Write, errs chan<- error) {
			errs <- f.db.CreateRegistration(t.Context(), r, w)
		}

		const queued = 12
		var (
			rs   []*domain.Registration
			errs []chan error
		)
		key := &domain.IdempotencyRecord{PrincipalID: "operator", Key: "retry-1", RequestHash: "h",
			Kind: domain.KindRegistration, CreatedAt: testNow}
		for i := range queued {
			r := newRegistration()
			w := created(r)
			switch i {
			case 3:
				r.Offices = []string{"NOPE"}
			case 5, 9:
				k := *key
				k.ResourceID = r.ID
				w.Idempotency = &k
			}
			rs = append(rs, r)
			errs = append(errs, make(chan error, 1))
			go register(r, w, errs[i])
		}
		held.release(t, queued)
		numbers := []int64{first.Number, held.lead.Number}
		idempotent := 0
		for i, r := range rs {
			err := <-errs[i]
			switch {
			case i == 3:
				wantCode(t, err, domain.ECValidation)
				if r.Number != 0 || r.Identifier != "" || r.Position != 0 {
					t.Errorf("refused registration kept number %d, identifier %q, position %d", r.Number, r.Identifier, r.Position)
				}
				continue
			case i == 5 || i == 9:
				if err != nil {
					wantCode(t, err, domain.ECConflict)
					continue
				}
				idempotent++
			case err != nil:
				t.Fatalf("registration %d: %v", i, err)
			}
			numbers = append(numbers, r.Number)
		}
		if idempotent != 1 {
			t.Errorf("%d registrations took the one idempotency key, want 1", idempotent)
		}
		sizes := held.sizes()
		if !slices.Contains(sizes, queued) {
			t.Errorf("groups of %v, want one of the %d queued", sizes, queued)
		}
		total := 0
		for _, n := range sizes {
			total += n
		}
		want := storage.GroupStats{Groups: uint64(len(sizes)), Registrations: uint64(total), Failed: 1}
		if got := f.db.GroupStats(); got != want {
			t.Errorf("group stats %+v, want %+v", got, want)
		}
		slices.Sort(numbers)
		for i, n := range numbers {
			if n != int64(i+1) {
				t.Fatalf("numbers %v: want 1 to %d with no gap", numbers, len(numbers))
			}
		}
		stored := int64(len(numbers))
		if n := f.queryInt(t, `SELECT last_number FROM register_counters WHERE register_code = 'PG' AND year = 2026`); n != stored {
			t.Errorf("counter at %d, want %d", n, stored)
		}
		if n := f.queryInt(t, `SELECT count(*) FROM registrations`); n != stored {
			t.Errorf("%d registrations stored, want %d", n, stored)
		}
		if n := f.queryInt(t, `SELECT count(*) FROM change_events WHERE kind = 'registration.created'`); n != stored {
			t.Errorf("%d change events, want %d", n, stored)
		}
	})
}

// TestGroupCommitPanic checks that a panic while writing a group — here in a registration's
// content check — fails that group's registrations and leaves the queue working.
func TestGroupCommitPanic(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		f.register(t, newRegistration()) // the counter row now exists: the next ones queue
		r := newRegistration()
		w := created(r)
		w.Verify = func(context.Context) error { panic("content check failed") }
		if err := f.db.CreateRegistration(t.Context(), r, w); err == nil || !strings.Contains(err.Error(), "panic: content check failed") {
			t.Fatalf("registration whose check panics: %v", err)
		}
		done := make(chan error, 1)
		next := newRegistration()
		go func() { done <- f.db.CreateRegistration(t.Context(), next, created(next)) }()
		select {
		case err := <-done:
			if err != nil || next.Number != 2 {
				t.Fatalf("next registration: number %d, %v; want 2", next.Number, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the queue is stuck after a panic")
		}
	})
}

// TestGroupCommitRows checks that a group stops short of maxGroupRows rows besides the
// registrations (here, attachments), so that its one statement stays within PostgreSQL's
// 65,535 parameters: three registrations of 1,500 attachments each, queued together, are
// written as a group of two and a group of one.
func TestGroupCommitRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		f.register(t, newRegistration()) // the counter row now exists: the next ones queue
		held := holdFirstGroup(t, f)
		heavy := func() *domain.Registration {
			r := newRegistration()
			r.Attachments = nil
			for i := range 1500 {
				r.Attachments = append(r.Attachments, domain.File{Filename: fmt.Sprintf("pagina-%04d.tif", i),
					MediaType: "image/tiff", Size: 1, SHA256: fmt.Sprintf("%064x", i+1)})
			}
			return r
		}
		errs := make(chan error, 3)
		for range 3 {
			r := heavy()
			go func() { errs <- f.db.CreateRegistration(t.Context(), r, created(r)) }()
		}
		held.release(t, 3)
		for range 3 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if sizes := held.sizes(); !slices.Equal(sizes, []int{1, 2, 1}) {
			t.Errorf("groups of %v, want [1 2 1]", sizes)
		}
		if got := f.db.GroupStats().Failed; got != 0 {
			t.Errorf("%d groups failed, want 0", got)
		}
	})
}

// TestGroupCommitMergedRows writes a group whose registrations each bring their own offices,
// content references, idempotency key and audit event — rows the group writes with one INSERT
// per table — and checks that every registration reads back its own, in order.
func TestGroupCommitMergedRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		f.register(t, newRegistration()) // the counter row now exists: the next ones queue
		held := holdFirstGroup(t, f)
		offices := [][]string{{"RAG"}, {"URP", "TEC"}, {"TEC", "RAG", "URP"}, {}}
		rs := make([]*domain.Registration, len(offices))
		errs := make([]chan error, len(offices))
		for i, o := range offices {
			rs[i] = newRegistration(func(r *domain.Registration) {
				r.Offices = o
				r.Document.SHA256 = fmt.Sprintf("%064x", i+1)
				r.Attachments = r.Attachments[:i%2]
			})
			w := created(rs[i])
			w.Idempotency = &domain.IdempotencyRecord{PrincipalID: "operator", Key: fmt.Sprintf("merged-%d", i),
				RequestHash: "h", Kind: domain.KindRegistration, ResourceID: rs[i].ID, CreatedAt: testNow}
			errs[i] = make(chan error, 1)
			go func() { errs[i] <- f.db.CreateRegistration(t.Context(), rs[i], w) }()
		}
		held.release(t, len(offices))
		for i := range rs {
			if err := <-errs[i]; err != nil {
				t.Fatalf("registration %d: %v", i, err)
			}
		}
		if sizes := held.sizes(); !slices.Contains(sizes, len(offices)) {
			t.Fatalf("groups of %v, want one of %d", sizes, len(offices))
		}
		for i, r := range rs {
			got, err := f.db.Registration(t.Context(), domain.Ref{Register: r.Register, Year: r.Year, Number: r.Number})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Offices, offices[i]) {
				t.Errorf("registration %d: offices %v, want %v", i, got.Offices, offices[i])
			}
			if n := f.queryInt(t, `SELECT count(*) FROM content_refs WHERE owner_id = '`+r.ID+`'`); n != int64(1+i%2) {
				t.Errorf("registration %d: %d content references, want %d", i, n, 1+i%2)
			}
			rec, err := f.db.Idempotency(t.Context(), "operator", fmt.Sprintf("merged-%d", i))
			if err != nil || rec.ResourceID != r.ID {
				t.Errorf("registration %d: idempotency key names %q (%v), want %s", i, rec.ResourceID, err, r.ID)
			}
			events, err := f.db.Audit(t.Context(), domain.KindRegistration, r.ID)
			if err != nil || len(events) != 1 {
				t.Errorf("registration %d: audit events %v (%v), want one", i, events, err)
			}
		}
	})
}

// heldGroups records the size of every group of registrations written in a fixture, and holds
// the first group's leader in the hook until release: registrations made meanwhile queue.
type heldGroups struct {
	f       *fixture
	lead    *domain.Registration // the held leader's registration
	leadErr chan error
	hold    chan struct{}
	mu      sync.Mutex
	written []int
}

// holdFirstGroup registers a registration in f, whose group of one is held, and returns once
// its leader is held. f's counter row must exist already.
func holdFirstGroup(t *testing.T, f *fixture) *heldGroups {
	t.Helper()
	h := &heldGroups{f: f, lead: newRegistration(), leadErr: make(chan error, 1), hold: make(chan struct{})}
	leader := make(chan struct{})
	f.db.SetGroupHook(func(size int) {
		h.mu.Lock()
		h.written = append(h.written, size)
		first := len(h.written) == 1
		h.mu.Unlock()
		if first {
			close(leader)
			<-h.hold
		}
	})
	go func() { h.leadErr <- f.db.CreateRegistration(t.Context(), h.lead, created(h.lead)) }()
	select {
	case <-leader:
	case err := <-h.leadErr:
		t.Fatalf("registered (%v) without leading a group", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no group leader after 10 s")
	}
	return h
}

// release waits until n registrations queue behind the held leader, lets it go, and fails the
// test if the leader's registration fails.
func (h *heldGroups) release(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.f.db.QueuedRegistrations("PG", 2026) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d registrations queued, want %d", h.f.db.QueuedRegistrations("PG", 2026), n)
		}
		time.Sleep(time.Millisecond)
	}
	close(h.hold)
	if err := <-h.leadErr; err != nil {
		t.Fatalf("leader: %v", err)
	}
}

// sizes lists the sizes of the groups written so far, in order.
func (h *heldGroups) sizes() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.written)
}
