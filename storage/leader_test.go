package storage_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage"
	"github.com/sportello/sportello/storage/storagetest"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runLeader runs l until the test ends, counting the work's starts.
func runLeader(t *testing.T, l *storage.Leader, starts *int, mu *sync.Mutex) {
	ctx, cancel := context.WithCancel(context.Background())
	var done sync.WaitGroup
	done.Go(func() {
		l.Run(ctx, func(ctx context.Context) {
			mu.Lock()
			*starts++
			mu.Unlock()
			<-ctx.Done()
		})
	})
	t.Cleanup(func() { cancel(); done.Wait() })
}

func TestLeaderTakeover(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		a := storagetest.Open(t, url)
		var mu sync.Mutex
		var startsA, startsB int
		la := a.NewLeader("test-role", 100*time.Millisecond)
		runLeader(t, la, &startsA, &mu)
		if a.Engine() == storage.SQLite {
			t.Run("SingleProcessAlwaysLeads", func(t *testing.T) {
				waitFor(t, 5*time.Second, "the only process leads", la.Leading)
			})
			return
		}
		b := storagetest.Open(t, url)
		lb := b.NewLeader("test-role", 100*time.Millisecond)
		var changes []bool
		lb.OnChange = func(leading bool) { mu.Lock(); changes = append(changes, leading); mu.Unlock() }
		waitFor(t, 5*time.Second, "a leads", la.Leading)
		runLeader(t, lb, &startsB, &mu)
		other := b.NewLeader("other-role", 100*time.Millisecond)
		var startsOther int
		runLeader(t, other, &startsOther, &mu)
		t.Run("OneLeaderPerRole", func(t *testing.T) {
			waitFor(t, 5*time.Second, "another role has a leader of its own", other.Leading)
			time.Sleep(500 * time.Millisecond) // b retries several times meanwhile
			if lb.Leading() {
				t.Fatal("b leads while a holds the lock")
			}
		})
		t.Run("TerminatedConnectionMovesLeadership", func(t *testing.T) {
			pid := la.BackendPID()
			if pid == 0 {
				t.Fatal("leader has no lock connection")
			}
			raw := testdb.RawDB(t, url)
			if _, err := raw.Exec(`SELECT pg_terminate_backend($1)`, int(pid)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "b takes over", lb.Leading)
			waitFor(t, 10*time.Second, "a follows", func() bool { return !la.Leading() })
			// Leading turns true just before the work's goroutine starts: wait for the start.
			waitFor(t, 5*time.Second, "b's work starts", func() bool { mu.Lock(); defer mu.Unlock(); return startsB > 0 })
			mu.Lock()
			defer mu.Unlock()
			if startsA != 1 || startsB != 1 {
				t.Fatalf("work started a=%d b=%d times, want 1 and 1", startsA, startsB)
			}
			if len(changes) != 1 || !changes[0] {
				t.Fatalf("b's changes = %v, want [true]", changes)
			}
		})
		t.Run("SilentLeaderLosesTheLock", func(t *testing.T) {
			// b's host "dies": its connection stays open but idle, and PostgreSQL ends the
			// session after idle_session_timeout (5 × retry), which lets a take over.
			lb.SetSilent(true)
			waitFor(t, 10*time.Second, "a leads again", la.Leading)
			lb.SetSilent(false)
			waitFor(t, 10*time.Second, "b, back, finds it lost the lock", func() bool { return !lb.Leading() })
		})
	})
}
