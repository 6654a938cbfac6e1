package search

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
)

// benchDocs is the corpus size of BenchmarkQuery: SPORTELLO_BENCH_DOCS, 100,000 by default.
// SPORTELLO_BENCH_DIR keeps the built index between runs, which makes 1,000,000 practical; one
// directory holds one corpus (SPORTELLO_BENCH_DOCS and SPORTELLO_BENCH_MONTHS).
func benchDocs(b *testing.B) int {
	n := 100_000
	if s := os.Getenv("SPORTELLO_BENCH_DOCS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("SPORTELLO_BENCH_DOCS=%q: want a positive number", s)
		}
	}
	return n
}

// benchMonths is how many months BenchmarkQuery's corpus spreads over, the last ones of
// 2021–2026: SPORTELLO_BENCH_MONTHS, 72 (all six years) by default. Fewer months at the same
// documents per month measure the latency of a larger index's newest months.
func benchMonths(b *testing.B) int {
	m := 72
	if s := os.Getenv("SPORTELLO_BENCH_MONTHS"); s != "" {
		var err error
		if m, err = strconv.Atoi(s); err != nil || m < 1 || m > 72 {
			b.Fatalf("SPORTELLO_BENCH_MONTHS=%q: want 1 to 72", s)
		}
	}
	return m
}

// benchBatch is the projection's batch: the benchmarks index as the change-feed consumer and
// the reindex command do.
const benchBatch = projectionBatch

func putCorpus(b *testing.B, x *Index, doc func(int) Document, from, to int) {
	docs := make([]Document, 0, benchBatch)
	for i := from; i < to; i++ {
		docs = append(docs, doc(i))
		if len(docs) == benchBatch || i == to-1 {
			if err := x.Put(b.Context(), docs...); err != nil {
				b.Fatal(err)
			}
			docs = docs[:0]
		}
	}
}

// BenchmarkIndex measures indexing in batches of projectionBatch, as the change-feed consumer
// and the reindex command write; -benchtime 20x indexes 100,000 documents. InDateOrder is the
// corpus as a register fills it (corpusSpread over six years: a batch touches about six month
// shards); Scattered has corpusDoc's random dates, every batch spread over all 72 months, the
// worst case.
func BenchmarkIndex(b *testing.B) {
	for _, c := range []struct {
		name string
		doc  func(int) Document
	}{
		{"InDateOrder", corpusSpread{n: 100_000, months: 72}.doc},
		{"Scattered", corpusDoc},
	} {
		b.Run(c.name, func(b *testing.B) {
			x, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer x.Close()
			n := 0
			cpu := processCPU()
			for b.Loop() {
				putCorpus(b, x, c.doc, n, n+benchBatch)
				n += benchBatch
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "docs/s")
			// On a shared machine wall time depends on the neighbours; CPU time per document
			// much less.
			if cpu := processCPU() - cpu; cpu > 0 {
				b.ReportMetric(float64(cpu.Milliseconds())/float64(n)*1000, "cpu-ms/1k-docs")
			}
		})
	}
}

// BenchmarkQuery measures a broad query (docs/benchmarks.md): two words, one filter, three
// facets and highlighting, as a protocol operator sees it, over one year and over all years.
func BenchmarkQuery(b *testing.B) {
	n := benchDocs(b)
	dir := os.Getenv("SPORTELLO_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	x, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	if have, _ := x.Count(); have < uint64(n) {
		start := time.Now()
		putCorpus(b, x, corpusSpread{n: n, months: benchMonths(b)}.doc, int(have), n)
		b.Logf("indexed %d documents in %s", n-int(have), time.Since(start).Round(time.Millisecond))
	}
	words := []string{"richiesta certificato", "permesso costruire", "contributo economico",
		"accesso atti", "pubblicità stradale", "residenza rossi", "trasporto scolastico", "rimborso tari"}
	vis := domain.Visibility{Public: true, Offices: []string{"TEC"}, CreatedBy: "op1"}
	for _, c := range []struct {
		name     string
		from, to time.Time
	}{
		{"OneYear", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"AllYears", time.Time{}, time.Time{}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			i := 0
			for b.Loop() {
				q := Query{Q: words[i%len(words)], Direction: "incoming", From: c.from, To: c.to,
					Facets: []string{"register", "class", "office"}, Visibility: vis}
				i++
				start := time.Now()
				if _, err := x.Search(b.Context(), q); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			// The first query of a freshly opened index builds the tables of its segments
			// (tables.go), as the first one after a merge does for the merged segment.
			b.ReportMetric(float64(lat[0])/1e6, "first-ms")
			slices.Sort(lat)
			ms := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.95), "p95-ms")
		})
	}
}
