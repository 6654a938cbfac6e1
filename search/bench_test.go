package search

import (
	"math"
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
// facets and highlighting, as a protocol operator sees it, over one year and over all years,
// and over all years without facets.
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
	// SPORTELLO_BENCH_EXHAUSTIVE=1 searches every month, as before queries stopped early.
	if os.Getenv("SPORTELLO_BENCH_EXHAUSTIVE") == "1" {
		x.stopAfter = math.MaxUint64
	}
	if have, _ := x.Count(); have < uint64(n) {
		start := time.Now()
		putCorpus(b, x, corpusSpread{n: n, months: benchMonths(b)}.doc, int(have), n)
		b.Logf("indexed %d documents in %s", n-int(have), time.Since(start).Round(time.Millisecond))
	}
	// The sort date's tables of every shard, which the server builds in the background when it
	// opens an index (Index.warm), are built before the queries are timed.
	if err := x.warmShards(x.months(), nil); err != nil {
		b.Fatal(err)
	}
	words := []string{"richiesta certificato", "permesso costruire", "contributo economico",
		"accesso atti", "pubblicità stradale", "residenza rossi", "trasporto scolastico", "rimborso tari"}
	vis := domain.Visibility{Public: true, Offices: []string{"TEC"}, CreatedBy: "op1"}
	for _, c := range []struct {
		name     string
		from, to time.Time
		facets   []string
	}{
		{"OneYear", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), []string{"register", "class", "office"}},
		{"AllYears", time.Time{}, time.Time{}, []string{"register", "class", "office"}},
		{"AllYearsNoFacets", time.Time{}, time.Time{}, nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			i, exact := 0, 0
			var shards int64
			var cpu time.Duration
			for b.Loop() {
				q := Query{Q: words[i%len(words)], Direction: "incoming", From: c.from, To: c.to,
					Facets: c.facets, Visibility: vis}
				i++
				start := time.Now()
				res, err := x.Search(b.Context(), q)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				if i == 1 { // the CPU and shards of the queries after the first
					shards, cpu = x.shardsSearched.Load(), processCPU()
					continue
				}
				if res.TotalExact {
					exact++
				}
			}
			// The first query of a freshly opened index builds the tables of its segments
			// (tables.go), as the first one after a merge does for the merged segment.
			b.ReportMetric(float64(lat[0])/1e6, "first-ms")
			slices.Sort(lat)
			ms := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.95), "p95-ms")
			// How many month shards a query searched, and how many queries were exact: broad
			// queries stop early (Index.Search).
			if i > 1 {
				b.ReportMetric(float64(x.shardsSearched.Load()-shards)/float64(i-1), "shards/op")
				b.ReportMetric(float64(exact)/float64(i-1), "exact/op")
				// On a loaded machine the latencies measure the neighbours too; the CPU time a
				// query takes much less.
				if cpu := processCPU() - cpu; cpu > 0 {
					b.ReportMetric(float64(cpu.Microseconds())/float64(i-1)/1000, "cpu-ms/op")
				}
			}
		})
	}
}
