package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
)

// receivedEvent is a webhook delivery as a portal sees it.
type receivedEvent struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Registration string `json:"registration"`
	Case         struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"case"`
}

// portalEndpoint is a portal's webhook endpoint: it checks every signature, can be down, and
// keeps the events in the order they arrived.
type portalEndpoint struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	down   bool
	events []receivedEvent
	seen   map[string]int
	badSig int
	tries  int
}

func newPortalEndpoint(t *testing.T) *portalEndpoint {
	e := &portalEndpoint{t: t, seen: map[string]int{}}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *portalEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tries++
	if e.down {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	if !validSignature(r.Header.Get("Sportello-Signature"), e.secret, body) {
		e.badSig++
	}
	var ev receivedEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID != r.Header.Get("Sportello-Event-Id") || ev.Type != r.Header.Get("Sportello-Event-Type") {
		e.badSig++
	}
	if e.seen[ev.ID]++; e.seen[ev.ID] == 1 {
		e.events = append(e.events, ev)
	}
	w.WriteHeader(http.StatusNoContent)
}

// validSignature checks `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` as a portal would.
func validSignature(header, secret string, body []byte) bool {
	var ts, v1 string
	for _, kv := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := hex.EncodeToString(mac.Sum(nil))
	return ts != "" && hmac.Equal([]byte(v1), []byte(want))
}

func (e *portalEndpoint) setDown(down bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.down = down
}

// snapshot returns the events received, the attempts made, and whether any was badly signed.
func (e *portalEndpoint) snapshot() ([]receivedEvent, int, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.events), e.tries, e.badSig
}

// of returns the types and statuses of the events of one case, in arrival order.
func of(events []receivedEvent, caseID string) (types []string) {
	for _, ev := range events {
		if ev.Case.ID == caseID {
			types = append(types, ev.Type+":"+ev.Case.Status)
		}
	}
	return types
}

// eventually waits, bounded, until cond holds: the worker runs in the background.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fastWebhooks makes the worker poll and retry quickly.
func fastWebhooks(m *app.Main) {
	m.WebhookEvery, m.WebhookBackoff = 10*time.Millisecond, 10*time.Millisecond
}

// setWebhook points the portal's webhook at e and keeps the secret.
func (c *client) setWebhook(token string, e *portalEndpoint) {
	c.t.Helper()
	var wh api.Webhook
	c.json("POST", "/v1/webhooks", token, map[string]any{"url": e.srv.URL}, "X-Applicant-Id", bizApplicant).decode(c.t, http.StatusCreated, &wh)
	if !strings.HasPrefix(wh.Secret, "whsec_") || wh.URL != e.srv.URL {
		c.t.Fatalf("webhook %+v", wh)
	}
	e.mu.Lock()
	e.secret = wh.Secret
	e.mu.Unlock()
}

// TestCaseWebhooks: an endpoint down for a while receives every event once it is
// back, once each, in order per case, signed; the delivery log shows the failed attempts.
func TestCaseWebhooks(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		suap := s.NewClient(t, "suap", []string{"clerk"}, "SUAP")
		c.json("POST", "/v1/webhooks", suap, map[string]any{"url": "https://x.example"}).problem(t, 403, "forbidden")
		namesField(t, c.json("POST", "/v1/webhooks", portal, map[string]any{"url": "ftp://x"}, "X-Applicant-Id", bizApplicant).problem(t, 422, "validation_failed"), "url", "http")
		endpoint := newPortalEndpoint(t)
		c.setWebhook(portal, endpoint)
		endpoint.setDown(true)

		applicant := []string{"X-Applicant-Id", bizApplicant}
		first := c.mustSubmitSCIA(portal, bizApplicant)
		second := c.mustSubmitSCIA(portal, bizApplicant)
		c.transition(suap, first.ID, "in_progress", "").expect(t, http.StatusOK)
		c.transition(suap, second.ID, "in_progress", "").expect(t, http.StatusOK)
		c.transition(suap, first.ID, "awaiting_applicant", "Integrare").expect(t, http.StatusOK)
		c.message(portal, first.ID, map[string]any{"text": "Ecco"}, nil, applicant...).expect(t, http.StatusCreated)

		eventually(t, "failed attempts while the endpoint is down", func() bool {
			var log api.WebhookDeliveryList
			c.do("GET", "/v1/webhooks/deliveries", portal, nil, applicant...).decode(t, http.StatusOK, &log)
			failed := 0
			for _, d := range log.Items {
				if !d.Delivered && d.StatusCode == http.StatusServiceUnavailable {
					failed++
				}
			}
			return failed >= 4
		})
		endpoint.setDown(false)
		eventually(t, "all six events once the endpoint is back", func() bool {
			events, _, _ := endpoint.snapshot()
			return len(events) == 6
		})
		events, _, badSig := endpoint.snapshot()
		if badSig != 0 {
			t.Errorf("%d deliveries with a bad signature or headers", badSig)
		}
		want := []string{"case.submitted:submitted", "case.status_changed:in_progress", "case.status_changed:awaiting_applicant", "case.integrated:in_progress"}
		if got := of(events, first.ID); !slices.Equal(got, want) {
			t.Errorf("events of the first case %v, want %v", got, want)
		}
		if got := of(events, second.ID); !slices.Equal(got, want[:2]) {
			t.Errorf("events of the second case %v, want %v", got, want[:2])
		}
		// The worker records an attempt after the endpoint answered: wait for the last record.
		eventually(t, "six delivered attempts in the delivery log", func() bool {
			var log api.WebhookDeliveryList
			c.do("GET", "/v1/webhooks/deliveries?limit=500", portal, nil, applicant...).decode(t, http.StatusOK, &log)
			delivered := 0
			for _, d := range log.Items {
				if d.Delivered {
					delivered++
				}
			}
			return delivered == 6
		})
	}, fastWebhooks, allowLoopbackWebhooks("127.0.0.0/8"))
}
