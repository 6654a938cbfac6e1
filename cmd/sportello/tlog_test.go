package main

import (
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/testdb"
)

// TestTwoProcessesOneLog: two server processes on one PostgreSQL
// database register at the same time; their sequencers take turns, and the log holds every
// registration exactly once, at indices 0..n-1.
func TestTwoProcessesOneLog(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dbURL string) {
		if !testdb.IsPostgres(dbURL) {
			t.Skip("one process per SQLite database: its single writer is the only sequencer")
		}
		data1, data2 := t.TempDir(), t.TempDir()
		// The audit chain's head is logged too (audit_head leaves, SPORTELLO_AUDIT_ANCHOR): off
		// here, so that the log holds the registrations alone and its indices can be counted.
		p1 := start(t, data1, dbURL, "SPORTELLO_AUDIT_ANCHOR=false")
		s1 := p1.server(t, data1)
		seal := filepath.Join(data1, "keys", "seal")
		// Both processes seal checkpoints with the same identity, as a deployment would.
		p2 := start(t, data2, dbURL, "SPORTELLO_AUDIT_ANCHOR=false", "SPORTELLO_SIGNING_KEY="+filepath.Join(seal, "sealing.key"),
			"SPORTELLO_SIGNING_CERT="+filepath.Join(seal, "sealing.crt"))
		s2 := *s1
		s2.URL = p2.url
		op := s1.NewClient(t, "operator", []string{"protocol_operator"})

		const each = 150
		var wg sync.WaitGroup
		var failed atomic.Int32
		for _, url := range []string{p1.url, p2.url} {
			s := *s1
			s.URL = url
			wg.Go(func() {
				var stop atomic.Bool
				if n := registerMany(&s, op, each, &stop); n != each {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		if failed.Load() > 0 {
			t.Fatal("some registrations failed")
		}

		raw := testdb.RawDB(t, dbURL)
		deadline := time.Now().Add(time.Minute)
		for {
			var leaves, entities, lo, hi int
			err := raw.QueryRow(`SELECT count(*), count(DISTINCT entity_id), coalesce(min(idx), -1), coalesce(max(idx), -1)
				FROM tlog_leaves WHERE kind = 'registration'`).Scan(&leaves, &entities, &lo, &hi)
			if err != nil {
				t.Fatal(err)
			}
			if leaves == 2*each {
				if entities != leaves || lo != 0 || hi != leaves-1 {
					t.Fatalf("%d leaves for %d registrations at indices %d..%d: a registration twice or a gap", leaves, entities, lo, hi)
				}
				break
			}
			if leaves > 2*each || time.Now().After(deadline) {
				t.Fatalf("%d registration leaves, want %d", leaves, 2*each)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// Either process serves the same log.
		var cp1, cp2 struct{ Size uint64 }
		deadline = time.Now().Add(time.Minute)
		for cp1.Size != 2*each || cp2.Size != 2*each {
			if time.Now().After(deadline) {
				t.Fatalf("checkpoints %d and %d, want %d", cp1.Size, cp2.Size, 2*each)
			}
			time.Sleep(100 * time.Millisecond)
			s1.Do(t, "GET", "/v1/log/checkpoint", op, "", nil, http.StatusOK, &cp1)
			s2.Do(t, "GET", "/v1/log/checkpoint", op, "", nil, http.StatusOK, &cp2)
		}
	})
}
