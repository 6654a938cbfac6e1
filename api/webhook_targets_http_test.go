package api_test

import (
	"bufio"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// countingEndpoint is a webhook endpoint that counts the requests it received and answers with
// handle.
func countingEndpoint(t *testing.T, tls bool, handle http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	h := func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		handle(w, r)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(h))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused TLS handshakes
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, &hits
}

// port is the port of a URL.
func port(rawURL string) string {
	u, _ := url.Parse(rawURL)
	return u.Port()
}

// rawEndpoint is an endpoint that answers every connection with response as it is, to send
// what net/http's servers would not: its own reason phrase.
func rawEndpoint(t *testing.T, response string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				http.ReadRequest(bufio.NewReader(conn))
				io.WriteString(conn, response)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// firstDelivery submits a case as portal and returns the first attempt to deliver its event.
func (c *client) firstDelivery(t *testing.T, portal string) api.WebhookDelivery {
	t.Helper()
	c.mustSubmitSCIA(portal, bizApplicant)
	var log api.WebhookDeliveryList
	eventually(t, "an attempt in the delivery log", func() bool {
		c.do("GET", "/v1/webhooks/deliveries", portal, nil, "X-Applicant-Id", bizApplicant).decode(t, http.StatusOK, &log)
		return len(log.Items) > 0
	})
	return log.Items[len(log.Items)-1]
}

// TestWebhookTargets: webhooks cannot reach into the server's network. At registration a URL
// must be https, without credentials, and name no internal address unless its origin is
// allowed (SPORTELLO_WEBHOOK_ALLOW); at delivery the address connected to is checked after
// resolution, so a name resolving to loopback is refused; redirects are not followed; the
// delivery log gives a reason without addresses or the endpoint's words.
func TestWebhookTargets(t *testing.T) {
	ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	refused, refusedHits := countingEndpoint(t, true, ok)
	target, targetHits := countingEndpoint(t, false, ok)
	redirect, _ := countingEndpoint(t, false, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusFound)
	})
	failing := rawEndpoint(t, "HTTP/1.1 500 db 10.1.2.3 password hunter2\r\nContent-Length: 7\r\nConnection: close\r\n\r\nhunter2")
	badTLS, badTLSHits := countingEndpoint(t, true, ok)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	allow := strings.Join([]string{target.Listener.Addr().String(), redirect.Listener.Addr().String(),
		strings.TrimPrefix(failing, "http://"), strings.TrimPrefix(closed, "http://"), "localhost:" + port(badTLS.URL)}, ",")

	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		t.Run("ErrAtRegistration", func(t *testing.T) {
			portal := s.NewClient(t, "portal-register", []string{"portal"})
			for _, u := range []string{"http://portal.example/hook", "https://user:pw@portal.example/hook", "https://127.0.0.1/hook",
				"https://[::ffff:127.0.0.1]/hook", "https://169.254.169.254/latest/meta-data", "https://10.0.0.1/hook",
				"https://100.64.0.1/hook", "https://[fd00::1]/hook", "http://127.0.0.1:1/hook"} {
				namesField(t, c.json("POST", "/v1/webhooks", portal, map[string]any{"url": u}, "X-Applicant-Id", bizApplicant).problem(t, 422, "validation_failed"), "url", "must")
			}
			c.json("POST", "/v1/webhooks", portal, map[string]any{"url": "https://portal.example/hook"}, "X-Applicant-Id", bizApplicant).expect(t, http.StatusCreated)
		})
		for _, tc := range []struct{ name, url, reason string }{
			{"ErrLoopbackByName", "https://localhost:" + port(refused.URL) + "/hook", "address not allowed"},
			{"ErrRedirect", redirect.URL + "/hook", "endpoint answered 302 Found"},
			{"ErrEndpointFails", failing + "/hook", "endpoint answered 500 Internal Server Error"},
			{"ErrConnectionRefused", closed + "/hook", "connection refused"},
			{"ErrTLS", "https://localhost:" + port(badTLS.URL) + "/hook", "tls handshake failed"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				portal := s.NewClient(t, "portal-"+strings.ToLower(tc.name), []string{"portal"})
				c.json("POST", "/v1/webhooks", portal, map[string]any{"url": tc.url}, "X-Applicant-Id", bizApplicant).expect(t, http.StatusCreated)
				d := c.firstDelivery(t, portal)
				if d.Delivered || d.Error != tc.reason {
					t.Errorf("delivery %+v, want %q", d, tc.reason)
				}
				for _, leak := range []string{"127.0.0.1", "::1", port(tc.url), "10.1.2.3", "hunter2"} {
					if strings.Contains(d.Error, leak) {
						t.Errorf("delivery log %q shows %q", d.Error, leak)
					}
				}
			})
		}
	}, fastWebhooks, apptest.WithConfig(func(c *app.Config) { c.WebhookAllow = allow }))
	if n := refusedHits.Load(); n != 0 {
		t.Errorf("the loopback endpoint reached by name received %d requests", n)
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
	if n := badTLSHits.Load(); n != 0 {
		t.Errorf("the endpoint with an untrusted certificate received %d requests", n)
	}
}

// allowLoopbackWebhooks lets webhooks reach the tests' endpoints on loopback by plain http: an
// administrator's allow-list entry, as host or as block.
func allowLoopbackWebhooks(entry string) apptest.Option {
	return apptest.WithConfig(func(c *app.Config) { c.WebhookAllow = entry })
}

// TestWebhookAllowWithdrawn: a webhook set while its origin was allowed is not called once the
// administrator withdraws it: deliveries check the URL again, not only the address.
func TestWebhookAllowWithdrawn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dbURL string) {
		endpoint, hits := countingEndpoint(t, false, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		data := t.TempDir()
		var portal string
		t.Run("Allowed", func(t *testing.T) {
			s := apptest.StartIn(t, data, dbURL, allowLoopbackWebhooks(endpoint.Listener.Addr().String()))
			portal = s.NewClient(t, "portal", []string{"portal"})
			newClient(t, s).json("POST", "/v1/webhooks", portal, map[string]any{"url": endpoint.URL}, "X-Applicant-Id", bizApplicant).expect(t, http.StatusCreated)
		}) // the server stops here
		s := apptest.StartIn(t, data, dbURL, fastWebhooks)
		d := newClient(t, s).firstDelivery(t, portal)
		if want := "endpoint not allowed: must use https: plain http only for origins the administrator allows"; d.Delivered || d.Error != want {
			t.Errorf("delivery %+v, want %q", d, want)
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("the endpoint received %d requests", n)
		}
	})
}
