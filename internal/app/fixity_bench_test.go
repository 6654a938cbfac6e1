package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkFixityScan measures a fixity run's throughput, unthrottled (SPORTELLO_FIXITY_RATE
// 0): BENCH_FIXITY_MB megabytes (default 256) of 4 MiB blobs, referenced as the files of daily
// journals, are read again and hashed. The file system's cache holds them after the first
// pass (the runner cannot drop it), so this is the cached figure; compare with `dd` on one of
// them (docs/benchmarks.md).
//
//	go test ./internal/app -run '^$' -bench FixityScan -benchtime 3x
func BenchmarkFixityScan(b *testing.B) {
	const blobSize = 4 << 20
	mb := 256
	if v := os.Getenv("BENCH_FIXITY_MB"); v != "" {
		mb, _ = strconv.Atoi(v)
	}
	n := max(2, mb<<20/blobSize) &^ 1 // journals reference blobs in pairs
	for _, engine := range testdb.Names() {
		url := testdb.URL(b, engine)
		s := apptest.Start(b, url, apptest.WithConfig(func(c *app.Config) { c.FixityEvery = 0 }))
		ctx := context.Background()
		raw := testdb.RawDB(b, url)
		buf := make([]byte, blobSize)
		var digests []string
		for range n {
			rand.Read(buf)
			d, _, err := s.Main.Service.Blobs.Put(ctx, bytes.NewReader(buf))
			if err != nil {
				b.Fatal(err)
			}
			digests = append(digests, d)
		}
		day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < n; i += 2 {
			q := fmt.Sprintf(`INSERT INTO journals (register_code, journal_date, registrations, json_sha256, pdf_sha256, created_at)
				VALUES ('PG', '%s', 1, '%s', '%s', '2026-01-01T00:00:00.000000Z')`, day.AddDate(0, 0, i/2).Format(time.DateOnly), digests[i], digests[i+1])
			if _, err := raw.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(engine, func(b *testing.B) {
			b.SetBytes(int64(n) * blobSize)
			for b.Loop() {
				run, err := s.Main.RunFixity(ctx, domain.FixityOptions{StartedBy: domain.FixityByVerify})
				if err != nil || run == nil || run.Blobs < int64(n) || run.Failures != 0 {
					b.Fatalf("run %+v, %v", run, err)
				}
			}
		})
	}
}
