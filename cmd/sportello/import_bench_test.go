package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sportello/sportello/importer"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkImport measures `sportello import` end to end on each engine: b.N rows of one
// register, each a distinct ≈10 KiB PDF like BenchmarkRegisterHTTP's (internal/app), sent by
// the tool in manifest order to the real server in this process. It reports documents per
// second; compare with BenchmarkRegisterHTTP's reg/s from the same command (docs/import.md):
//
//	go test ./cmd/sportello ./internal/app -run '^$' -bench 'Import|RegisterHTTP' -benchtime 2000x
//
// BenchmarkImport/server-side is the same with --server-side: the folder zipped, uploaded and
// registered by the server's import job, the tool polling until it is done.
func BenchmarkImport(b *testing.B) {
	for _, mode := range []struct {
		name  string
		flags []string
	}{{"tool", nil}, {"server-side", []string{"--server-side"}}} {
		b.Run(mode.name, func(b *testing.B) { benchmarkImport(b, mode.flags) })
	}
}

func benchmarkImport(b *testing.B, flags []string) {
	filler := strings.Repeat("protocollo ", 930)
	for _, engine := range testdb.Names() {
		b.Run(engine, func(b *testing.B) {
			s := apptest.Start(b, testdb.URL(b, engine))
			token := importerToken(b, s)
			dir := b.TempDir()
			var m strings.Builder
			m.WriteString("file,subject,sender_name,sender_tax_code\n")
			for i := range b.N {
				name := fmt.Sprintf("doc-%06d.pdf", i)
				if err := os.WriteFile(filepath.Join(dir, name), apptest.PDF(fmt.Sprintf("%s %d", filler, i)), 0o644); err != nil {
					b.Fatal(err)
				}
				fmt.Fprintf(&m, "%s,Domanda di contributo %d,Mario Rossi,RSSMRA80A01H501U\n", name, i)
			}
			os.WriteFile(filepath.Join(dir, importer.ManifestName), []byte(m.String()), 0o644)
			b.ResetTimer()
			if code, out := runImport(b, append(append([]string{"--server", s.URL, "--token-file", token}, flags...), dir)...); code != 0 {
				b.Fatalf("exit %d\n%s", code, out)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}

// BenchmarkImportMemory shows that memory does not grow with the number of rows: the built
// binary, a process of its own, imports b.N rows of one register (each row its own tiny PDF; no
// OCR) into the real server in this process, by itself ("tool") or with --server-side (the
// server's import job registers them). It reports the tool's peak resident set (the kernel's
// ru_maxrss), the tool's peak live heap (the largest live heap of its collections in
// GODEBUG=gctrace=1, in whole MiB) and the peak of the server's live Go heap
// (/gc/heap/live:bytes, sampled every 50 ms; the server and the benchmark share this process). Compare N with 10×N
// (docs/benchmarks.md):
//
//	go test ./cmd/sportello -run '^$' -bench 'ImportMemory' -benchtime 10000x
//	go test ./cmd/sportello -run '^$' -bench 'ImportMemory' -benchtime 100000x
func BenchmarkImportMemory(b *testing.B) {
	for _, mode := range []struct {
		name  string
		flags []string
	}{{"tool", nil}, {"server-side", []string{"--server-side"}}} {
		b.Run(mode.name, func(b *testing.B) {
			s := apptest.Start(b, testdb.SQLiteURL(b), apptest.WithConfig(func(c *app.Config) {
				c.ImportMaxEntries = 1 << 30 // one entry per row, and more rows than the default allows
			}))
			token := importerToken(b, s)
			dir := b.TempDir()
			var m bytes.Buffer
			m.WriteString("file,subject,sender_name,sender_tax_code\n")
			for i := range b.N {
				name := fmt.Sprintf("doc-%06d.pdf", i)
				if err := os.WriteFile(filepath.Join(dir, name), apptest.PDF(strconv.Itoa(i)), 0o644); err != nil {
					b.Fatal(err)
				}
				fmt.Fprintf(&m, "%s,Domanda di contributo %d,Mario Rossi,RSSMRA80A01H501U\n", name, i)
			}
			if err := os.WriteFile(filepath.Join(dir, importer.ManifestName), m.Bytes(), 0o644); err != nil {
				b.Fatal(err)
			}
			m = bytes.Buffer{}
			runtime.GC()
			peak, stop := sampleLiveHeap()
			b.ResetTimer()
			args := append(append([]string{"import", "--server", s.URL, "--token-file", token}, mode.flags...), dir)
			c := exec.Command(binary, args...)
			c.Env = append(os.Environ(), "GODEBUG=gctrace=1") // the tool's heap at each collection, on stderr
			var out, trace bytes.Buffer
			c.Stdout, c.Stderr = &out, &trace
			if err := c.Run(); err != nil {
				b.Fatalf("%v\n%s%s", err, out.String(), trace.String())
			}
			b.StopTimer()
			stop()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
			b.ReportMetric(float64(c.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)/1024, "tool-peak-RSS-MiB")
			b.ReportMetric(float64(peakLiveMB(trace.String())), "tool-peak-live-heap-MiB")
			b.ReportMetric(float64(peak())/(1<<20), "server-peak-live-heap-MiB")
		})
	}
}

// sampleLiveHeap samples the process's live heap every 50 ms until stop, and peak returns the
// highest sample.
func sampleLiveHeap() (peak func() uint64, stop func()) {
	var max atomic.Uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > max.Load() {
				max.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return max.Load, func() { close(done); <-stopped }
}

// gcLine is a collection in a gctrace line: heap at its start -> at its end -> live (MB).
var gcLine = regexp.MustCompile(`(\d+)->(\d+)->(\d+) MB`)

// peakLiveMB is the highest live heap of the collections a GODEBUG=gctrace=1 trace lists.
func peakLiveMB(trace string) int {
	peak := 0
	for _, m := range gcLine.FindAllStringSubmatch(trace, -1) {
		if v, _ := strconv.Atoi(m[3]); v > peak {
			peak = v
		}
	}
	return peak
}
