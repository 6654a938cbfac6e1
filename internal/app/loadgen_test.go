package app_test

import (
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadTest sends b.N requests from clients concurrent HTTP clients — request i (from 1) made
// by newRequest(i, client) — and reports their rate in unit ("reg/s") and the p50/p99 latency.
// An answer other than want fails the benchmark.
func loadTest(b *testing.B, clients int, unit string, want int, newRequest func(i int64, client int) *http.Request) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	b.ResetTimer()
	all, elapsed := load(b, hc, clients, b.N, want, newRequest)
	b.StopTimer()
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), unit)
	b.ReportMetric(percentile(all, 50), "p50-ms")
	b.ReportMetric(percentile(all, 99), "p99-ms")
}

// load sends n requests through hc from clients concurrent goroutines, as loadTest does, and
// returns their latencies, sorted, and the time they took together.
func load(b *testing.B, hc *http.Client, clients, n, want int, newRequest func(i int64, client int) *http.Request) ([]time.Duration, time.Duration) {
	return send(b, hc, clients, n, 0, want, newRequest)
}

// loadAt sends n requests as load does, but paced: request i (from 1) is due at start +
// (i-1)/rate, and its latency is counted from when it was due, not from when a client got to
// send it, so that a server falling behind the offered rate shows as latency (no coordinated
// omission). Below the server's capacity it measures the latency of one request under that
// load rather than the queueing of a saturated server.
func loadAt(b *testing.B, hc *http.Client, clients, n int, rate float64, want int, newRequest func(i int64, client int) *http.Request) []time.Duration {
	lat, _ := send(b, hc, clients, n, rate, want, newRequest)
	return lat
}

// send is load (rate 0: each client sends as soon as its previous answer came) and loadAt.
func send(b *testing.B, hc *http.Client, clients, n int, rate float64, want int, newRequest func(i int64, client int) *http.Request) ([]time.Duration, time.Duration) {
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				t0 := time.Now()
				if rate > 0 {
					t0 = start.Add(time.Duration(float64(i-1) / rate * float64(time.Second)))
					time.Sleep(time.Until(t0))
				}
				resp, err := hc.Do(newRequest(i, c))
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					b.Errorf("status %d, want %d", resp.StatusCode, want)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	return all, elapsed
}

// percentile returns the p-th percentile of sorted latencies, in milliseconds.
func percentile(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[len(sorted)*p/100].Microseconds()) / 1000
}
