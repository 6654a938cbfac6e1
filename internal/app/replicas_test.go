package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/signing/tlog"
)

// replicaRegistration is what the replicas test reads of a registration's answer.
type replicaRegistration struct {
	ID         string `json:"id"`
	Number     int64  `json:"number"`
	Identifier string `json:"identifier"`
	Register   string `json:"register"`
	Year       int    `json:"year"`
	Position   int64  `json:"position"`
}

// startReplicas starts two servers on one PostgreSQL database and one blob directory, each with
// its own data directory (and so its own search index), sharing the sealing keys as replicas
// behind a load balancer do (docs/operations.md#several-replicas). bOpts are options of b only.
func startReplicas(t *testing.T, bOpts ...apptest.Option) (a, b *apptest.Server) {
	t.Helper()
	dbURL := testdb.URL(t, testdb.Postgres)
	blobs := "file://" + t.TempDir()
	opt := apptest.WithConfig(func(c *app.Config) { c.Blobs = blobs })
	a = apptest.Start(t, dbURL, opt)
	dirB := t.TempDir()
	if err := os.CopyFS(filepath.Join(dirB, "keys"), os.DirFS(a.Main.Config.KeysDir())); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(a.DataDir, app.AdminKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirB, app.AdminKeyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	b = apptest.StartIn(t, dirB, dbURL, append([]apptest.Option{opt}, bOpts...)...)
	return a, b
}

// postReplica registers a small PDF through s; safe from any goroutine.
func postReplica(s *apptest.Server, token, subject string) (replicaRegistration, error) {
	var r replicaRegistration
	ct, body := apptest.Multipart(apptest.Incoming(subject),
		apptest.Part{Name: "document", Filename: "istanza.pdf", Content: apptest.PDF(subject)})
	req, _ := http.NewRequest("POST", s.URL+"/v1/registrations", body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ct)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return r, fmt.Errorf("POST %s/v1/registrations = %d: %s", s.URL, resp.StatusCode, raw)
	}
	return r, json.Unmarshal(raw, &r)
}

// searchTotal searches q on s with min_position, retrying while the index is still catching up
// (409), and returns the total.
func searchTotal(t *testing.T, s *apptest.Server, token, q string, minPosition int64) uint64 {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		req, _ := http.NewRequest("GET", s.URL+"/v1/search?"+url.Values{"q": {q}, "limit": {"1"},
			"min_position": {fmt.Sprint(minPosition)}}.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			var out struct {
				Total uint64 `json:"total"`
			}
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatal(err)
			}
			return out.Total
		case resp.StatusCode == http.StatusConflict && time.Now().Before(deadline):
			continue // the index waited 10 s and is still behind: wait again
		default:
			t.Fatalf("search on %s = %d: %s", s.URL, resp.StatusCode, raw)
		}
	}
}

// pollUntil polls cond until it holds, failing past within; it returns how long it took.
func pollUntil(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// TestTwoReplicas is must-show 2 of issue 18: two servers on one PostgreSQL database, 50
// concurrent clients spread over both, numbers exactly 1..N, each replica's index finds every
// registration with min_position, a key revoked on one replica is refused by the other, and
// stopping the leader moves the log sequencer to the other replica, with no gap in the log.
func TestTwoReplicas(t *testing.T) {
	if os.Getenv(testdb.EnvPostgres) == "" {
		t.Skip("several replicas need PostgreSQL: SQLite is a single-process engine (docs/operations.md#several-replicas); set " + testdb.EnvPostgres)
	}
	total := 5000
	if testing.Short() {
		total = 500
	}
	const clients = 50
	a, b := startReplicas(t)
	replicas := []*apptest.Server{a, b}
	pollUntil(t, 10*time.Second, "a leads the sequencer", func() bool { return a.Main.Leading(app.RoleSequencer) })
	if b.Main.Leading(app.RoleSequencer) || b.Main.Leading(app.RoleJournal) || b.Main.Leading(app.RoleFixity) {
		t.Fatal("b leads a role a holds")
	}
	if m := string(b.Do(t, "GET", "/metrics", "", "", nil, http.StatusOK, nil)); !strings.Contains(m, `sportello_leader{role="tlog-sequencer"} 0`) {
		t.Fatal(`b's /metrics lacks sportello_leader{role="tlog-sequencer"} 0`)
	}
	op := a.NewClient(t, "operator", []string{"protocol_operator"})
	reader := a.NewClient(t, "records", []string{"records_officer"})

	var (
		mu   sync.Mutex
		regs []replicaRegistration
		wg   sync.WaitGroup
	)
	started := time.Now()
	for c := range clients {
		s := replicas[c%2]
		wg.Go(func() {
			for i := c; i < total; i += clients {
				r, err := postReplica(s, op, fmt.Sprintf("replicheprova client %d request %d", c, i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				regs = append(regs, r)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d registrations by %d clients over 2 replicas in %s", total, clients, time.Since(started).Round(time.Millisecond))

	t.Run("NumbersExactlyOneToN", func(t *testing.T) {
		sort.Slice(regs, func(i, j int) bool { return regs[i].Number < regs[j].Number })
		if len(regs) != total {
			t.Fatalf("%d registrations, want %d", len(regs), total)
		}
		for i, r := range regs {
			if r.Number != int64(i+1) {
				t.Fatalf("numbers[%d] = %d, want %d: a duplicate or a gap", i, r.Number, i+1)
			}
		}
	})
	var maxPosition int64
	for _, r := range regs {
		maxPosition = max(maxPosition, r.Position)
	}
	t.Run("EachReplicaSearchFindsEveryOne", func(t *testing.T) {
		for _, s := range replicas {
			if n := searchTotal(t, s, reader, "replicheprova", maxPosition); n != uint64(total) {
				t.Fatalf("search on %s found %d, want %d", s.URL, n, total)
			}
			for _, r := range regs[:20] { // and each by its own reference, on the replica that did not register it too
				ref := fmt.Sprintf("%s/%d/%07d", r.Register, r.Year, r.Number)
				if n := searchTotal(t, s, reader, ref, r.Position); n != 1 {
					t.Fatalf("search on %s for %s found %d, want 1", s.URL, r.Identifier, n)
				}
			}
		}
	})
	t.Run("KeyRevokedOnARefusedOnB", func(t *testing.T) {
		var created struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		}
		body := `{"name":"short-lived","roles":["protocol_operator"],"offices":[]}`
		a.Do(t, "POST", "/v1/clients", a.AdminToken, "application/json", bytes.NewReader([]byte(body)), http.StatusCreated, &created)
		var list struct {
			Items []struct {
				ID   string `json:"id"`
				Keys []struct {
					ID string `json:"id"`
				} `json:"keys"`
			} `json:"items"`
		}
		a.Do(t, "GET", "/v1/clients?limit=100", a.AdminToken, "", nil, http.StatusOK, &list)
		keyID := ""
		for _, c := range list.Items {
			if c.ID == created.ID && len(c.Keys) == 1 {
				keyID = c.Keys[0].ID
			}
		}
		if keyID == "" {
			t.Fatalf("client %s and its key not listed", created.ID)
		}
		b.Do(t, "GET", "/v1/registrations?limit=1", created.Token, "", nil, http.StatusOK, nil) // cached on b now
		a.Do(t, "POST", "/v1/clients/"+created.ID+"/keys/"+keyID+"/revoke", a.AdminToken, "", nil, http.StatusOK, nil)
		took := pollUntil(t, time.Second, "b refuses the revoked key", func() bool {
			req, _ := http.NewRequest("GET", b.URL+"/v1/registrations?limit=1", nil)
			req.Header.Set("Authorization", "Bearer "+created.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusUnauthorized
		})
		t.Logf("b refused the key revoked on a after %s", took.Round(time.Millisecond))
	})
	t.Run("StoppingTheLeaderMovesTheSequencer", func(t *testing.T) {
		if err := a.Main.Close(); err != nil {
			t.Fatal(err)
		}
		took := pollUntil(t, 10*time.Second, "b takes the sequencer over", func() bool { return b.Main.Leading(app.RoleSequencer) })
		t.Logf("b leads the sequencer %s after a stopped", took.Round(time.Millisecond))
		for _, role := range []string{app.RoleJournal, app.RoleFixity} {
			pollUntil(t, 10*time.Second, "b takes "+role+" over", func() bool { return b.Main.Leading(role) })
		}
		metrics := string(b.Do(t, "GET", "/metrics", "", "", nil, http.StatusOK, nil))
		for _, role := range []string{app.RoleSequencer, app.RoleJournal, app.RoleFixity} {
			if want := `sportello_leader{role="` + role + `"} 1`; !strings.Contains(metrics, want) {
				t.Errorf("b's /metrics lacks %s", want)
			}
		}
		for i := range 20 {
			r, err := postReplica(b, op, fmt.Sprintf("replicheprova after the leader stopped %d", i))
			if err != nil {
				t.Fatal(err)
			}
			regs = append(regs, r)
		}
		checkLogHasEveryRegistration(t, b.Main.DB, regs)
	})
}

// checkLogHasEveryRegistration waits until the transparency log holds a leaf for every
// registration, then checks the leaves are consecutive from 0 and log each registration once.
func checkLogHasEveryRegistration(t *testing.T, store domain.TLogStore, regs []replicaRegistration) {
	t.Helper()
	ctx := context.Background()
	want := map[string]bool{}
	for _, r := range regs {
		want[r.ID] = true
	}
	var leaves []domain.TLogLeaf
	pollUntil(t, 2*time.Minute, "the log holds every registration", func() bool {
		leaves = leaves[:0]
		for from := uint64(0); ; {
			page, err := store.TLogLeaves(ctx, from, 1000)
			if err != nil {
				t.Fatal(err)
			}
			leaves = append(leaves, page...)
			if len(page) < 1000 {
				break
			}
			from += uint64(len(page))
		}
		n := 0
		for _, l := range leaves {
			if l.Kind == tlog.KindRegistration {
				n++
			}
		}
		return n >= len(regs)
	})
	seen := map[string]bool{}
	for i, l := range leaves {
		if l.Index != uint64(i) {
			t.Fatalf("leaf %d has index %d: a gap in the log", i, l.Index)
		}
		if l.Kind != tlog.KindRegistration {
			continue
		}
		if !want[l.EntityID] || seen[l.EntityID] {
			t.Fatalf("leaf %d logs %s: unknown or logged twice", i, l.EntityID)
		}
		seen[l.EntityID] = true
	}
	if len(seen) != len(want) {
		t.Fatalf("%d registrations logged, want %d", len(seen), len(want))
	}
}
