package app_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
)

// TestMetricsOwnAddress: with SPORTELLO_METRICS_ADDR, /metrics is served there alone and the
// API's address answers it 404.
func TestMetricsOwnAddress(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		register(t, s, s.NewClient(t, "operator", []string{"protocol_operator"}), "", "Domanda")
		s.Do(t, "GET", "/metrics", "", "", nil, http.StatusNotFound, nil)
		metrics := &apptest.Server{URL: s.Main.MetricsURL()}
		if metrics.URL == "" || metrics.URL == s.URL {
			t.Fatalf("metrics URL %q beside the API's %q", metrics.URL, s.URL)
		}
		body := string(metrics.Do(t, "GET", "/metrics", "", "", nil, http.StatusOK, nil))
		if !strings.Contains(body, "sportello_registration_groups_total") {
			t.Errorf("the metrics listener serves no Sportello metrics: %.300s", body)
		}
		metrics.Do(t, "GET", "/healthz", "", "", nil, http.StatusNotFound, nil)
	}, apptest.WithConfig(func(c *app.Config) { c.MetricsAddr = "127.0.0.1:0" }))
}

// TestSlowClients: a client that never finishes its headers is cut after the read-header
// timeout, while an upload whose body takes several times that timeout is registered.
func TestSlowClients(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		t.Run("HeadersNeverFinishedCut", func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
			// A minute is far beyond the timeout: meeting it means the server kept the
			// connection open.
			conn.SetReadDeadline(time.Now().Add(time.Minute))
			_, err = io.ReadAll(conn)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the server kept a connection whose headers never ended")
			}
		})
		t.Run("SlowUploadRegistered", func(t *testing.T) {
			op := s.NewClient(t, "operator", []string{"protocol_operator"})
			ct, body := apptest.Multipart(apptest.Incoming("caricamento lento"),
				apptest.Part{Name: "document", Filename: "scansione.pdf", Content: apptest.PDF("lento")})
			pr, pw := io.Pipe()
			go func() {
				// The body trickles in over about four read-header timeouts.
				data := body.Bytes()
				chunk := len(data)/16 + 1
				for len(data) > 0 {
					n := min(chunk, len(data))
					if _, err := pw.Write(data[:n]); err != nil {
						return
					}
					data = data[n:]
					time.Sleep(250 * time.Millisecond)
				}
				pw.Close()
			}()
			s.Do(t, "POST", "/v1/registrations", op, ct, pr, http.StatusCreated, nil)
		})
	}, apptest.WithConfig(func(c *app.Config) { c.ReadHeaderTimeout = time.Second }))
}
