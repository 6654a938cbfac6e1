package scan_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/go-pdf/fpdf"
)

// threePages is a three-page TIFF of a scanned letter, one word of each page in no other test
// document (pageWords). It was made by TestThreePagesFixture with -update-scan-fixture (fpdf
// writes the pages, pdftoppm rasterises them at 150 dpi in grey, tiffcp joins the pages into one
// file) and is committed, so that the tests need neither pdftoppm's rendering nor libtiff-tools.
const threePages = "../testdata/scan_three_pages.tif"

// pageWords are the words only page 1, 2 and 3 of threePages hold.
var pageWords = []string{"sopraelevazione", "frazionamento", "pertinenziale"}

var updateFixture = flag.Bool("update-scan-fixture", false, "regenerate "+threePages+" (needs pdftoppm and tiffcp)")

func TestThreePagesFixture(t *testing.T) {
	if !*updateFixture {
		if _, err := os.Stat(threePages); err != nil {
			t.Fatalf("%v: run go test ./scan -run TestThreePagesFixture -update-scan-fixture", err)
		}
		return
	}
	doc := fpdf.New("P", "mm", "A4", "")
	for i, w := range pageWords {
		doc.AddPage()
		doc.SetFont("Helvetica", "", 18)
		for _, line := range []string{
			"Comune di Esempio - Ufficio edilizia privata",
			"",
			fmt.Sprintf("Domanda di permesso di costruire - pagina %d di 3", i+1),
			"",
			"Il sottoscritto chiede il rilascio del titolo per",
			"l'intervento di " + w + " dell'immobile",
			"sito in via Roma 12, foglio 4, particella 210.",
		} {
			doc.CellFormat(0, 12, line, "", 1, "L", false, 0, "")
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "letter.pdf")
	if err := doc.OutputFileAndClose(in); err != nil {
		t.Fatal(err)
	}
	tool := func(name string, args ...string) {
		if b, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", name, err, b)
		}
	}
	tool("pdftoppm", "-tiff", "-tiffcompression", "deflate", "-r", "150", "-gray", in, filepath.Join(dir, "page"))
	tool("tiffcp", filepath.Join(dir, "page-1.tif"), filepath.Join(dir, "page-2.tif"), filepath.Join(dir, "page-3.tif"), threePages)
}
