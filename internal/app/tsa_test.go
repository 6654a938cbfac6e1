package app_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/signing"
)

// waitFor polls cond for up to a minute; the sequencer works in the background.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestUnreachableTSA: with the external TSA down, registrations still
// succeed; the missing time-stamps show in /readyz and /metrics, and are obtained once the TSA
// is back.
func TestUnreachableTSA(t *testing.T) {
	tsa, err := signing.LoadOrCreateBuiltinTSA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	down.Store(true)
	ext := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		tsa.ServeHTTP(w, r)
	}))
	defer ext.Close()

	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		down.Store(true)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		for i := range 3 {
			if r := register(t, s, op, "", "durante il guasto"); r.Number != int64(i+1) {
				t.Fatalf("number %d while the TSA is down", r.Number)
			}
		}
		type healthz struct {
			Status   string
			Warnings []string
		}
		var health healthz
		waitFor(t, "a readiness warning about the TSA", func() bool {
			health = healthz{} // absent warnings must not keep the previous answer's
			s.Do(t, "GET", "/readyz", "", "", nil, http.StatusOK, &health)
			return len(health.Warnings) > 0
		})
		if health.Status != "ok" || !strings.Contains(health.Warnings[0], ext.URL) {
			t.Fatalf("readyz %+v: want ok with a warning naming %s", health, ext.URL)
		}
		metrics := string(s.Do(t, "GET", "/metrics", "", "", nil, http.StatusOK, nil))
		if strings.Contains(metrics, "sportello_tlog_checkpoints_missing_timestamp 0") ||
			!strings.Contains(metrics, "sportello_tlog_checkpoints_missing_timestamp") {
			t.Fatal("metrics do not show the checkpoints waiting for a time-stamp")
		}

		down.Store(false)
		waitFor(t, "the time-stamps to be obtained once the TSA is back", func() bool {
			health = healthz{}
			s.Do(t, "GET", "/readyz", "", "", nil, http.StatusOK, &health)
			return len(health.Warnings) == 0
		})
		var cp struct {
			Size           uint64 `json:"size"`
			TimestampToken []byte `json:"timestamp_token"`
		}
		// On PostgreSQL the log may still be integrating the last registrations (the change feed
		// waits for transactions open anywhere on the server); every checkpoint it signs now
		// carries a token.
		waitFor(t, "a time-stamped checkpoint of all three registrations", func() bool {
			cp.Size, cp.TimestampToken = 0, nil
			s.Do(t, "GET", "/v1/log/checkpoint", op, "", nil, http.StatusOK, &cp)
			return cp.Size == 3
		})
		if len(cp.TimestampToken) == 0 {
			t.Fatalf("checkpoint after recovery: size %d without a time-stamp", cp.Size)
		}
	}, apptest.WithConfig(func(c *app.Config) {
		c.TSAURL = ext.URL
		c.CheckpointEvery = 20 * time.Millisecond
	}))
}
