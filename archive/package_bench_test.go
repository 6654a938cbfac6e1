package archive

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// benchFiles returns BENCH_PACKAGE_MB (default 256) MiB of random 4 MiB files in groups of
// eight, with their index.
func benchFiles(b *testing.B) (Index, []Entry, int64) {
	mb := 256
	if s := os.Getenv("BENCH_PACKAGE_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	ix := Index{Label: "Pacchetto di archiviazione", Producer: "Comune", Signer: "Sportello", ApplicationVersion: "bench",
		TimeReference: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	var files []Entry
	var total int64
	for i := 0; i < mb/4; i++ {
		data := make([]byte, 4<<20)
		if _, err := rand.Read(data); err != nil {
			b.Fatal(err)
		}
		g := fmt.Sprintf("PG-2026-%07d", i/8+1)
		files = append(files, Entry{Path: fmt.Sprintf("registrations/%s/attachments/%02d-scan.pdf", g, i%8+1), Group: g,
			Format: "application/pdf", Data: data})
		total += int64(len(data))
	}
	return ix, files, total
}

// BenchmarkPackageBuild measures archive.Build — index, seal, time-stamp (built-in TSA) and the
// deflated zip in memory — over BENCH_PACKAGE_MB of incompressible files (docs/benchmarks.md).
func BenchmarkPackageBuild(b *testing.B) {
	ix, files, total := benchFiles(b)
	s := sealing(b)
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Build(context.Background(), ix, files, s); err != nil {
			b.Fatal(err)
		}
	}
}
