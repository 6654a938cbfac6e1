package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
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
			// The bodies are made before the clock starts: the load generator shares the server's
			// two cores, and building them took 5 % of the process's CPU.
			bodies, types := make([][]byte, b.N), make([]string, b.N)
			for i := range bodies {
				// A comment after %%EOF makes each document distinct and leaves it a valid PDF.
				doc := fmt.Appendf(slices.Clip(pdf), "%%%d\n", i)
				ct, body := apptest.Multipart(metadata, apptest.Part{Name: "document", Filename: "domanda.pdf", Content: doc})
				bodies[i], types[i] = body.Bytes(), ct
			}
			loadTest(b, clients, "reg/s", http.StatusCreated, func(i int64, _ int) *http.Request {
				req, _ := http.NewRequest("POST", s.URL+"/v1/registrations", bytes.NewReader(bodies[i-1]))
				req.Header.Set("Authorization", "Bearer "+op)
				req.Header.Set("Content-Type", types[i-1])
				return req
			})
		})
	}
}
