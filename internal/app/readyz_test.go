package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/storage/blob/s3test"
)

// readyzEvery is how long these tests let /readyz trust the blob store's last answer.
const readyzEvery = 100 * time.Millisecond

func shortBlobsReady(m *app.Main) { m.BlobsReadyEvery = readyzEvery }

// readyzAnswer is one answer of /readyz.
type readyzAnswer struct {
	status     int
	retryAfter string
	Status     string `json:"status"`
	Dependency string `json:"dependency"`
	Detail     string `json:"detail"`
}

func getReadyz(t *testing.T, s *apptest.Server, path string) readyzAnswer {
	t.Helper()
	resp, err := apptest.ContractClient(t, s.URL).Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := readyzAnswer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("GET %s: %d %s: %v", path, resp.StatusCode, raw, err)
	}
	return a
}

// waitReadyz polls /readyz until it answers want, for at most 20 s, and returns that answer.
func waitReadyz(t *testing.T, s *apptest.Server, want int) readyzAnswer {
	t.Helper()
	var a readyzAnswer
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if a = getReadyz(t, s, "/readyz"); a.status == want {
			return a
		}
	}
	t.Fatalf("/readyz still answers %d %+v, want %d", a.status, a, want)
	return a
}

// checkBlobsUnready checks a 503 of /readyz that names the blob store, and that /healthz (liveness)
// still answers 200.
func checkBlobsUnready(t *testing.T, s *apptest.Server, a readyzAnswer) {
	t.Helper()
	if a.Status != "unavailable" || a.Dependency != "blobs" || a.retryAfter == "" || a.Detail == "" {
		t.Fatalf("/readyz with the blob store out of reach: %+v; want unavailable, dependency blobs, Retry-After", a)
	}
	if h := getReadyz(t, s, "/healthz"); h.status != http.StatusOK || h.Status != "ok" {
		t.Fatalf("/healthz with the blob store out of reach: %+v; want 200 ok (liveness checks no dependency)", h)
	}
}

// TestReadyzS3Unreachable: /readyz answers 503 naming the blob store while the S3 server
// (versitygw) is down, and 200 again once it is back; /healthz answers 200 throughout.
func TestReadyzS3Unreachable(t *testing.T) {
	gw := s3test.Run(t)
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		if a := getReadyz(t, s, "/readyz"); a.status != http.StatusOK || a.Status != "ok" {
			t.Fatalf("/readyz with S3 up: %+v", a)
		}
		gw.Stop()
		restarted := false
		t.Cleanup(func() {
			if !restarted {
				_ = gw.Restart()
			}
		})
		checkBlobsUnready(t, s, waitReadyz(t, s, http.StatusServiceUnavailable))
		if err := gw.Restart(); err != nil {
			t.Fatal(err)
		}
		restarted = true
		if a := waitReadyz(t, s, http.StatusOK); a.Status != "ok" {
			t.Fatalf("/readyz with S3 back: %+v", a)
		}
	}, apptest.WithConfig(func(c *app.Config) { c.Blobs = gw.URL(gw.NewBucket(t, false)) }), shortBlobsReady)
}

// TestReadyzBlobDirectory: on the file store /readyz answers 503 naming the blob store while
// its directory cannot be written (here: moved away), and 200 once it is back.
func TestReadyzBlobDirectory(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		dir := filepath.Join(s.DataDir, "blobs")
		if a := getReadyz(t, s, "/readyz"); a.status != http.StatusOK {
			t.Fatalf("/readyz: %+v", a)
		}
		if err := os.Rename(dir, dir+".away"); err != nil {
			t.Fatal(err)
		}
		checkBlobsUnready(t, s, waitReadyz(t, s, http.StatusServiceUnavailable))
		if err := os.Rename(dir+".away", dir); err != nil {
			t.Fatal(err)
		}
		waitReadyz(t, s, http.StatusOK)
	}, shortBlobsReady)
}
