package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sportello/sportello/domain"
)

// keyStore is a domain.Store that knows one API key and nothing else: enough to authenticate.
type keyStore struct {
	domain.Store
	key    domain.APIKey
	client domain.Client
}

func (s keyStore) APIKey(_ context.Context, id string) (domain.APIKey, error) {
	if id != s.key.ID {
		return domain.APIKey{}, domain.Errorf(domain.ECNotFound, "no key")
	}
	return s.key, nil
}

func (s keyStore) Client(context.Context, string) (domain.Client, error) { return s.client, nil }

func (s keyStore) RecordKeyUse(context.Context, string, time.Time, time.Time) error { return nil }

const testSecret = "s3cret-never-logged"

func newTestServer(logs *bytes.Buffer) http.Handler {
	sum := sha256.Sum256([]byte(testSecret))
	store := keyStore{
		key:    domain.APIKey{ID: "k1", ClientID: "c1", SecretHash: sum[:]},
		client: domain.Client{ID: "c1", Name: "Portale", Roles: []domain.Role{domain.RolePortal}},
	}
	return New(Options{
		Service: domain.NewService(store, nil, time.UTC),
		Logger:  slog.New(slog.NewJSONHandler(logs, nil)),
		Metrics: prometheus.NewRegistry(),
	})
}

func TestAccessLog(t *testing.T) {
	var logs bytes.Buffer
	srv := newTestServer(&logs)
	req := httptest.NewRequest("GET", "/v1/me", nil)
	req.Header.Set("Authorization", "Bearer spt_k1_"+testSecret)
	req.Header.Set("X-Request-Id", "trace-7")
	req.Header.Set("X-Applicant-Id", "12345678903")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s\n%s", w.Code, w.Body, logs.String())
	}
	if strings.Contains(logs.String(), testSecret) {
		t.Fatal("the access log holds the token")
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	want := map[string]any{"method": "GET", "route": "/v1/me", "status": 200.0, "request_id": "trace-7", "principal": "c1"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log %s = %v, want %v", k, line[k], v)
		}
	}
	if line["bytes"].(float64) <= 0 || line["duration"] == nil {
		t.Errorf("log line %v lacks bytes or duration", line)
	}
}

func TestRecoverPanic(t *testing.T) {
	var logs bytes.Buffer
	h := &handlers{log: slog.New(slog.NewJSONHandler(&logs, nil)), metrics: newMetrics(prometheus.NewRegistry())}
	e := gin.New()
	e.Use(h.requestID, h.observe, h.recoverPanic)
	e.GET("/boom", func(*gin.Context) { panic("secret internal state") })
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("GET", "/boom", nil))
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != 500 || p.Code != "internal" ||
		w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "secret") {
		t.Error("the panic value reached the client")
	}
	if !strings.Contains(logs.String(), `"panic":"secret internal state"`) || !strings.Contains(logs.String(), p.RequestID) ||
		!strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("logs %s", logs.String())
	}
}

func TestMetricsSurviveTwoServers(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(Options{Metrics: reg})
	New(Options{Metrics: reg}) // must not panic on duplicate registration
}
