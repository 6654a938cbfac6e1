package app_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkServerImport measures a server-side import (POST /v1/imports) end to end on each
// engine: b.N rows of one register, each a distinct ≈10 KiB PDF like BenchmarkRegisterHTTP's,
// from the upload to the import's end (no OCR: the rows are PDFs). It reports documents per
// second; compare with BenchmarkRegisterHTTP's reg/s from the same command:
//
//	go test ./internal/app -run '^$' -bench 'ServerImport|RegisterHTTP' -benchtime 2000x
func BenchmarkServerImport(b *testing.B) {
	filler := strings.Repeat("protocollo ", 930)
	for _, engine := range testdb.Names() {
		b.Run(engine, func(b *testing.B) {
			s := apptest.Start(b, testdb.URL(b, engine))
			imp := s.NewClient(b, "bench", []string{"importer"})
			var buf bytes.Buffer
			w := zip.NewWriter(&buf)
			var m strings.Builder
			m.WriteString("file,subject,sender_name,sender_tax_code\n")
			for i := range b.N {
				name := fmt.Sprintf("doc-%06d.pdf", i)
				f, _ := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
				f.Write(apptest.PDF(fmt.Sprintf("%s %d", filler, i)))
				fmt.Fprintf(&m, "%s,Domanda di contributo %d,Mario Rossi,RSSMRA80A01H501U\n", name, i)
			}
			f, _ := w.Create("manifest.csv")
			f.Write([]byte(m.String()))
			w.Close()
			b.ResetTimer()
			id := startImport(b, s.URL, imp, buf.Bytes())
			im := pollImport(b, s.URL, imp, id, func(im importView) bool { return im.State != "running" && im.State != "queued" })
			b.StopTimer()
			if im.State != "done" || im.RowsDone != b.N {
				b.Fatalf("import %+v", im)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}
