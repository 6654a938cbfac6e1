//go:build ignore

// Generate writes the sample documents the README's walk-through sends: small one-page PDFs,
// the same bytes on every run. Run it from the repository's root with
// `go run examples/generate.go`.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
)

// samples are the files and the line of text each carries, which search finds once the
// text is extracted.
var samples = []struct{ name, text string }{
	{"istanza.pdf", "Istanza di rilascio del certificato di residenza - Mario Rossi"},
	{"allegato.pdf", "Copia del documento di identita di Mario Rossi"},
	{"bozza.pdf", "Bozza di determina: concessione del contributo per la facciata"},
	{"planimetria.pdf", "Planimetria dei locali - Bar Centrale srl, Via Roma 1"},
	{"notifica.pdf", "Notifica sanitaria ai sensi del Reg. CE 852/2004 - Bar Centrale srl"},
	{"integrazione.pdf", "Planimetria integrata con le quote dei locali - Bar Centrale srl"},
	{"determina.pdf", "Provvedimento finale: SCIA di Bar Centrale srl efficace"},
}

func main() {
	for _, s := range samples {
		if err := os.WriteFile(filepath.Join("examples", s.name), pdf(s.text), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// pdf returns a valid one-page PDF showing text in Helvetica.
func pdf(text string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(s string) {
		offsets = append(offsets, b.Len())
		b.WriteString(s)
	}
	b.WriteString("%PDF-1.4\n")
	stream := "BT /F1 12 Tf 72 720 Td (" + text + ") Tj ET"
	obj("1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n")
	obj("2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n")
	obj("3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj\n")
	obj(fmt.Sprintf("4 0 obj << /Length %d >> stream\n%s\nendstream endobj\n", len(stream), stream))
	obj("5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n")
	xref := b.Len()
	b.WriteString("xref\n0 6\n0000000000 65535 f \n")
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer << /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}
