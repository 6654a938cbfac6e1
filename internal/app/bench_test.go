package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkRegisterHTTP measures end-to-end registrations over HTTP: 16 concurrent clients, a
// 10 KiB PDF each, durable commits (fsync on both engines). Every request carries a different
// document, so each one is really written to the blob store (identical content would be stored
// once). It reports registrations per second and p50/p99 latency. BENCH_TEXT_WORKERS sets the
// server's text extraction workers (0: none in this process).
//
//	go test ./internal/app -run '^$' -bench RegisterHTTP -benchtime 5000x
func BenchmarkRegisterHTTP(b *testing.B) {
	const clients = 16
	pdf := apptest.PDF(string(bytes.Repeat([]byte("protocollo "), 930))) // ≈10 KiB
	for _, engine := range testdb.Names() {
		url := testdb.URL(b, engine)
		s := apptest.Start(b, url, apptest.WithConfig(func(c *app.Config) {
			if v := os.Getenv("BENCH_TEXT_WORKERS"); v != "" {
				c.TextWorkers, _ = strconv.Atoi(v)
			}
		}))
		op := s.NewClient(b, "bench", []string{"protocol_operator"})
		metadata := apptest.Incoming("Domanda di contributo")
		b.Run(engine, func(b *testing.B) {
			// One body for all, whose document ends in a comment after %%EOF with a counter, which
			// each request overwrites in its client's copy: every document is distinct and a valid
			// PDF, and the load generator, which shares the server's two cores, neither builds a
			// body nor allocates one per request (building them took 5 % of the process's CPU).
			const digits = 10
			doc := fmt.Appendf(slices.Clip(pdf), "%%%s\n", strings.Repeat("0", digits))
			ct, body := apptest.Multipart(metadata, apptest.Part{Name: "document", Filename: "domanda.pdf", Content: doc})
			at := bytes.Index(body.Bytes(), doc) + len(doc) - digits - 1
			copies := make([][]byte, clients)
			for c := range copies {
				copies[c] = bytes.Clone(body.Bytes())
			}
			loadTest(b, clients, "reg/s", http.StatusCreated, func(i int64, c int) *http.Request {
				_ = fmt.Appendf(copies[c][:at], "%0*d", digits, i) // in place: the capacity is there
				req, _ := http.NewRequest("POST", s.URL+"/v1/registrations", bytes.NewReader(copies[c]))
				req.Header.Set("Authorization", "Bearer "+op)
				req.Header.Set("Content-Type", ct)
				return req
			})
		})
	}
}
