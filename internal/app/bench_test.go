package app_test

import (
	"bytes"
	"fmt"
	"github.com/sportello/sportello/internal/app"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkRegisterHTTP measures end-to-end registrations over HTTP: 16 concurrent clients, a
// 10 KiB PDF each, durable commits (fsync on both engines). Every request carries a different
// document, so each one is really written to the blob store (identical content would be stored
// once). It reports registrations per second and p50/p99 latency.
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
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
		b.Run(engine, func(b *testing.B) {
			var next atomic.Int64
			lat := make([][]time.Duration, clients)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						// A comment after %%EOF makes each document distinct and leaves it a valid PDF.
						doc := fmt.Appendf(slices.Clip(pdf), "%%%d\n", i)
						ct, body := apptest.Multipart(metadata, apptest.Part{Name: "document", Filename: "domanda.pdf", Content: doc})
						req, _ := http.NewRequest("POST", s.URL+"/v1/registrations", body)
						req.Header.Set("Authorization", "Bearer "+op)
						req.Header.Set("Content-Type", ct)
						t0 := time.Now()
						resp, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						resp.Body.Close()
						if resp.StatusCode != http.StatusCreated {
							b.Errorf("status %d", resp.StatusCode)
							return
						}
						lat[c] = append(lat[c], time.Since(t0))
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			all := slices.Concat(lat...)
			slices.Sort(all)
			if len(all) == 0 {
				return
			}
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "reg/s")
			b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
