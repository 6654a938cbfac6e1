package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// TestReindexWhileServing: `sportello reindex` rebuilds the index
// while the server keeps answering queries from the old one; the server then swaps to the new
// one. Queries run in a loop through HTTP the whole time: none fails, none sees a partial
// index, and afterwards the index matches the database and follows new writes.
func TestReindexWhileServing(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		officer := s.NewClient(t, "records", []string{"records_officer"})
		const n = 300
		var stop atomic.Bool
		if got := registerMany(s, officer, n, &stop); got != n {
			t.Fatalf("%d registrations, want %d", got, n)
		}
		want := allIDs(t, s, officer, "/v1/registrations", url.Values{"limit": {"500"}})
		waitIndexed(t, s, officer, want)
		searchDir := filepath.Join(s.DataDir, "search")
		old, err := os.ReadFile(filepath.Join(searchDir, "CURRENT"))
		if err != nil {
			t.Fatal(err)
		}
		oldGen := filepath.Join(searchDir, strings.TrimSpace(string(old)))

		var (
			queries, failures atomic.Int64
			firstFailure      sync.Once
			failure           error
			loops             sync.WaitGroup
		)
		for range 4 {
			loops.Go(func() {
				for !stop.Load() {
					err := searchTotal(s, officer, n)
					queries.Add(1)
					if err != nil {
						failures.Add(1)
						firstFailure.Do(func() { failure = err })
					}
				}
			})
		}

		var out bytes.Buffer
		if err := run(t.Context(), []string{"reindex", "--data", s.DataDir, "--database-url", s.DatabaseURL},
			func(string) string { return "" }, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), fmt.Sprintf("%d documents", n)) {
			t.Errorf("reindex said %q", out.String())
		}
		// The server removes the old generation once it has swapped and the queries on it are over.
		deadline := time.Now().Add(time.Minute)
		for {
			if _, err := os.Stat(oldGen); errors.Is(err, os.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the server did not swap to the new index generation")
			}
			time.Sleep(50 * time.Millisecond) // polling interval, not an assertion
		}
		before := queries.Load()
		for queries.Load() < before+20 { // some queries on the new generation too
			time.Sleep(10 * time.Millisecond)
		}
		stop.Store(true)
		loops.Wait()
		if failures.Load() > 0 {
			t.Fatalf("%d of %d queries failed during the reindex and swap; the first: %v", failures.Load(), queries.Load(), failure)
		}
		t.Logf("%d queries during the reindex and swap, none failed", queries.Load())

		// The new generation follows the feed: later registrations are found.
		stop.Store(false)
		registerMany(s, officer, 5, &stop)
		want = allIDs(t, s, officer, "/v1/registrations", url.Values{"limit": {"500"}})
		waitIndexed(t, s, officer, want)
	})
}

// searchTotal searches every registration and fails unless it gets all n of them.
func searchTotal(s *apptest.Server, token string, n int) error {
	req, _ := http.NewRequest("GET", s.URL+"/v1/search?q=indicizzazione&limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var res struct{ Total int }
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return err
	}
	if res.Total != n {
		return fmt.Errorf("total %d, want %d", res.Total, n)
	}
	return nil
}

// waitIndexed waits until a search lists exactly the ids of want.
func waitIndexed(t *testing.T, s *apptest.Server, token string, want []string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got := allIDs(t, s, token, "/v1/search", url.Values{"limit": {"100"}, "sort": {"date"}})
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index holds %d registrations, the database %d", len(got), len(want))
		}
		time.Sleep(100 * time.Millisecond) // polling interval, not an assertion
	}
}

// Without a running server, reindex builds and publishes; the next start serves the new
// generation and removes the old one.
func TestReindexOffline(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dbURL string) {
		data, officer, want, old := stoppedServer(t, dbURL, false)
		var out bytes.Buffer
		if err := run(t.Context(), []string{"reindex", "--data", data, "--database-url", dbURL},
			func(string) string { return "" }, &out); err != nil {
			t.Fatal(err)
		}
		s := apptest.StartIn(t, data, dbURL)
		// Waited for, not expected at once: on PostgreSQL the feed holds back events above the
		// cluster's oldest running transaction (another test's, in another database), so the
		// published generation may trail by a few events that the server's projection then adds.
		waitIndexed(t, s, officer, want)
		if _, err := os.Stat(old[0]); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("old generation %s still there: %v", old[0], err)
		}
	})
}

// A server started on an index of an older layout (year shards: a generation without the
// layout file) does not read it: it publishes an empty generation in its place, rebuilds it
// from the database and removes the old one.
func TestSearchIndexOfOlderLayoutRebuilt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dbURL string) {
		data, officer, want, old := stoppedServer(t, dbURL, true)
		if err := os.Remove(filepath.Join(old[0], "LAYOUT")); err != nil {
			t.Fatal(err)
		}
		s := apptest.StartIn(t, data, dbURL)
		waitIndexed(t, s, officer, want)
		if _, err := os.Stat(old[0]); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("generation of the older layout %s still there: %v", old[0], err)
		}
	})
}

// stoppedServer runs a server on a new data directory and dbURL, registers 20 documents as a
// records officer (waiting until they are indexed when indexed is set) and stops it. It returns
// the data directory, the officer's key, the registrations' ids and the index's one generation.
func stoppedServer(t *testing.T, dbURL string, indexed bool) (data, officer string, want []string, generation []string) {
	t.Helper()
	data = t.TempDir()
	t.Run("Before", func(t *testing.T) {
		s := apptest.StartIn(t, data, dbURL)
		officer = s.NewClient(t, "records", []string{"records_officer"})
		var stop atomic.Bool
		registerMany(s, officer, 20, &stop)
		want = allIDs(t, s, officer, "/v1/registrations", url.Values{"limit": {"500"}})
		if indexed {
			waitIndexed(t, s, officer, want)
		}
	}) // the server stops here
	old, err := filepath.Glob(filepath.Join(data, "search", "gen-*"))
	if err != nil || len(old) != 1 {
		t.Fatalf("generations of the stopped server: %v %v", old, err)
	}
	return data, officer, want, old
}
