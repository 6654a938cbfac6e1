package scan_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/sportello/sportello/scan"
)

// BenchmarkBind measures OCR throughput: three-page TIFF scans bound by as many concurrent
// Binds as there are cores, on a Binder with one worker per core (the saturating setting).
// Reports pages/s.
func BenchmarkBind(b *testing.B) {
	bd := scan.New(runtime.NumCPU())
	if err := bd.Available(); err != nil {
		b.Skip(err)
	}
	dir := b.TempDir()
	copyInto(b, dir, map[string]string{"scan.tif": threePages})
	var n atomic.Int64
	b.SetParallelism(1) // GOMAXPROCS goroutines: one Bind per core
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			out := filepath.Join(dir, fmt.Sprintf("out-%d.pdf", n.Add(1)))
			res, err := bd.Bind(context.Background(), dir, []string{"scan.tif"}, out)
			if err != nil {
				b.Error(err)
				return
			}
			if res.Pages != 3 {
				b.Errorf("pages = %d", res.Pages)
			}
		}
	})
	b.ReportMetric(float64(3*b.N)/b.Elapsed().Seconds(), "pages/s")
}
