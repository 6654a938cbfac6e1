// Package apptest starts the real Sportello server (internal/app.Main) on 127.0.0.1:0 with a
// temporary data directory, for end-to-end tests that go through real HTTP.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/testdb"
)

// Server is a running server and what a test needs to talk to it.
type Server struct {
	URL         string
	AdminToken  string
	DataDir     string
	DatabaseURL string
	Main        *app.Main
}

// Option changes the configuration (or the Main, e.g. its clock) before start.
type Option func(*app.Main)

// WithClock makes the server's service use now as its clock.
func WithClock(now func() time.Time) Option { return func(m *app.Main) { m.Now = now } }

// WithConfig edits the configuration before start.
func WithConfig(edit func(*app.Config)) Option { return func(m *app.Main) { edit(&m.Config) } }

// Each runs fn against a fresh server on every test engine: SQLite, and PostgreSQL when
// SPORTELLO_TEST_DATABASE_URL is set.
func Each(t *testing.T, fn func(t *testing.T, s *Server), opts ...Option) {
	testdb.Each(t, func(t *testing.T, url string) {
		fn(t, Start(t, url, opts...))
	})
}

// Start runs a server on databaseURL with a temporary data directory and stops it when the test
// ends.
func Start(t testing.TB, databaseURL string, opts ...Option) *Server {
	t.Helper()
	return StartIn(t, t.TempDir(), databaseURL, opts...)
}

// StartIn runs a server on an existing data directory (to restart on the same state).
func StartIn(t testing.TB, dataDir, databaseURL string, opts ...Option) *Server {
	t.Helper()
	// The shutdown timeout exceeds the 5 s after which net/http counts a connection that never
	// sent a request (HTTP clients dial spare ones) as idle: shorter, Shutdown can time out
	// with nothing in flight.
	cfg, err := app.Load([]string{"--addr", "127.0.0.1:0", "--data", dataDir, "--database-url", databaseURL,
		"--max-upload-bytes", "4194304", "--shutdown-timeout", "15s",
		// The tests that count leaves predate the audit chain's anchors; those of the anchors
		// turn them on (WithConfig).
		"--audit-anchor=false"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	m := app.New(cfg, logger)
	for _, o := range opts {
		o(m)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections() // lets Shutdown finish without waiting for them
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	key, err := os.ReadFile(filepath.Join(dataDir, app.AdminKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return &Server{URL: m.URL(), AdminToken: strings.TrimSpace(string(key)), DataDir: dataDir, DatabaseURL: databaseURL, Main: m}
}

// NewClient creates an API client through POST /v1/clients with the admin token and returns
// its token.
func (s *Server) NewClient(t testing.TB, name string, roles []string, offices ...string) string {
	t.Helper()
	if offices == nil {
		offices = []string{}
	}
	body, _ := json.Marshal(map[string]any{"name": name, "roles": roles, "offices": offices})
	var out struct {
		Token string `json:"token"`
	}
	s.Do(t, "POST", "/v1/clients", s.AdminToken, "application/json", bytes.NewReader(body), http.StatusCreated, &out)
	return out.Token
}

// NewOffice creates an office through POST /v1/offices with the admin token.
func (s *Server) NewOffice(t testing.TB, code, name string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"code": code, "name": name})
	s.Do(t, "POST", "/v1/offices", s.AdminToken, "application/json", bytes.NewReader(body), http.StatusCreated, nil)
}

// Do sends a request, fails the test unless the status is want, and decodes a JSON answer into
// out (when not nil). It returns the raw body. On a server Start ran, the API, the exchange is
// checked against openapi.yaml (ContractClient); a Server made by hand for another listener
// (metrics) is not the API.
func (s *Server) Do(t testing.TB, method, path, token, contentType string, body io.Reader, want int, out any) []byte {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	hc := http.DefaultClient
	if s.Main != nil {
		hc = ContractClient(t, s.URL)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return raw
}
