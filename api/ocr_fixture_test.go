package api_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/go-pdf/fpdf"
)

// ocrFixture is a scan-like PNG of an Italian letter, for the OCR test: its words are only in
// the image. It was made by TestOCRFixture with -update-ocr-fixture (fpdf renders the text as a
// PDF, pdftoppm rasterises it at 200 dpi) and is committed, so the test does not depend on
// poppler's rendering.
const ocrFixture = "../testdata/verbale_sopralluogo.png"

// ocrWord is in the image and in no other test document.
const ocrWord = "infiltrazioni"

var updateOCRFixture = flag.Bool("update-ocr-fixture", false, "regenerate "+ocrFixture+" (needs pdftoppm)")

func TestOCRFixture(t *testing.T) {
	if !*updateOCRFixture {
		if _, err := os.Stat(ocrFixture); err != nil {
			t.Fatalf("%v: run go test ./api -run TestOCRFixture -update-ocr-fixture", err)
		}
		return
	}
	pdftoppm, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Fatal("pdftoppm (poppler-utils) is needed to regenerate the fixture")
	}
	doc := fpdf.New("P", "mm", "A4", "")
	doc.AddPage()
	doc.SetFont("Helvetica", "", 18)
	for _, line := range []string{
		"Comune di Esempio - Ufficio tecnico",
		"",
		"Verbale di sopralluogo del 12 novembre 2026",
		"",
		"Durante il sopralluogo presso la scuola di via Garibaldi",
		"sono state rilevate " + ocrWord + " nel sottotetto",
		"e distacchi di intonaco nella palestra.",
		"Si chiede un intervento urgente di manutenzione.",
		"",
		"Il tecnico incaricato",
	} {
		doc.CellFormat(0, 12, line, "", 1, "L", false, 0, "")
	}
	var pdf bytes.Buffer
	if err := doc.Output(&pdf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "verbale.pdf")
	if err := os.WriteFile(in, pdf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "verbale")
	if b, err := exec.Command(pdftoppm, "-png", "-r", "200", "-gray", "-singlefile", in, out).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, b)
	}
	png, err := os.ReadFile(out + ".png")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ocrFixture, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
