package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sportello/sportello/importer"
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
