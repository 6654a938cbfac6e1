//go:build ignore

// Generate writes the sample documents the README's walk-through sends: small one-page PDFs
// made as the tests make theirs (apptest.PDF), the same bytes on every run. Run it from the repository's root with
// `go run examples/generate.go`.
package main

import (
	"log"
	"os"
	"path/filepath"

	"github.com/sportello/sportello/internal/apptest"
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
		if err := os.WriteFile(filepath.Join("examples", s.name), apptest.PDF(s.text), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
