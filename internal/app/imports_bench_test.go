package app_test

import (
	"archive/zip"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkServerImport measures a server-side import (POST /v1/imports) end to end on each
// engine: b.N rows of one register, each a distinct ≈10 KiB PDF like BenchmarkRegisterHTTP's,
// from the upload to the import's end (no OCR: the rows are PDFs). The archive is written to a
// file and streamed from it, so the process's heap is the server's: it reports documents per
// second and the peak of the live Go heap (as the last collection found it, sampled every
// 50 ms) during the import. Compare
// with BenchmarkRegisterHTTP's reg/s from the same command:
//
//	go test ./internal/app -run '^$' -bench 'ServerImport|RegisterHTTP' -benchtime 2000x
func BenchmarkServerImport(b *testing.B) {
	filler := strings.Repeat("protocollo ", 930)
	for _, engine := range testdb.Names() {
		b.Run(engine, func(b *testing.B) {
			s := apptest.Start(b, testdb.URL(b, engine))
			imp := s.NewClient(b, "bench", []string{"importer"})
			archive := filepath.Join(b.TempDir(), "scansioni.zip")
			f, err := os.Create(archive)
			if err != nil {
				b.Fatal(err)
			}
			w := zip.NewWriter(f)
			var m strings.Builder
			m.WriteString("file,subject,sender_name,sender_tax_code\n")
			for i := range b.N {
				name := fmt.Sprintf("doc-%06d.pdf", i)
				e, _ := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
				e.Write(apptest.PDF(fmt.Sprintf("%s %d", filler, i)))
				fmt.Fprintf(&m, "%s,Domanda di contributo %d,Mario Rossi,RSSMRA80A01H501U\n", name, i)
			}
			e, _ := w.Create("manifest.csv")
			e.Write([]byte(m.String()))
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			f.Close()
			m.Reset()
			runtime.GC()
			var peak atomic.Uint64
			stop := make(chan struct{})
			go func() {
				sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
				for {
					metrics.Read(sample)
					if v := sample[0].Value.Uint64(); v > peak.Load() {
						peak.Store(v)
					}
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
					}
				}
			}()
			b.ResetTimer()
			id := uploadFile(b, s.URL, imp, archive)
			im := pollImport(b, s.URL, imp, id, func(im importView) bool { return im.State != "running" && im.State != "queued" })
			b.StopTimer()
			close(stop)
			if im.State != "done" || im.RowsDone != b.N {
				b.Fatalf("import %+v", im)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-live-heap-MiB")
		})
	}
}

// uploadFile streams the archive in name to POST /v1/imports and returns the import's id.
func uploadFile(b *testing.B, base, token, name string) string {
	b.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, _ := mw.CreateFormFile("file", filepath.Base(name))
		f, err := os.Open(name)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		defer f.Close()
		if _, err := io.Copy(part, f); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(mw.Close())
	}()
	var im importView
	httpJSON(b, "POST", base+"/v1/imports", token, mw.FormDataContentType(), pr, http.StatusAccepted, &im)
	return im.ID
}
