package archive

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
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

// BenchmarkPackageBuildStream measures BuildTo as the package job runs it: BENCH_PACKAGE_MB
// (default 256) MiB of incompressible 4 MiB files streamed from disk (as from the blob store),
// digested while copied into a temporary zip, the index sealed and time-stamped, the final zip
// written to a file. It reports the peak heap in use, sampled every 10 ms (peak-heap-MiB), which
// stays flat in the package's size (docs/benchmarks.md).
func BenchmarkPackageBuildStream(b *testing.B) {
	mb := 256
	if s := os.Getenv("BENCH_PACKAGE_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	ix := Index{Label: "Pacchetto di archiviazione", Producer: "Comune", Signer: "Sportello", ApplicationVersion: "bench",
		TimeReference: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	var files []Entry
	data := make([]byte, 4<<20)
	for i := 0; i < mb/4; i++ {
		if _, err := rand.Read(data); err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, strconv.Itoa(i))
		if err := os.WriteFile(p, data, 0o600); err != nil {
			b.Fatal(err)
		}
		g := fmt.Sprintf("PG-2026-%07d", i/8+1)
		files = append(files, Entry{Path: fmt.Sprintf("registrations/%s/attachments/%02d-scan.pdf", g, i%8+1), Group: g,
			Format: "application/pdf", Open: func(context.Context) (io.ReadCloser, error) { return os.Open(p) }})
	}
	data = nil
	s := sealing(b)
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	b.SetBytes(int64(mb) << 20)
	b.ResetTimer()
	for b.Loop() {
		out, err := os.Create(filepath.Join(dir, "package.zip"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := BuildTo(context.Background(), ix, files, s, out, dir); err != nil {
			b.Fatal(err)
		}
		if err := out.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
