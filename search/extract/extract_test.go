package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"
)

// scan is the OCR fixture shared with the API tests (see api/ocr_fixture_test.go).
const scan = "../../testdata/verbale_sopralluogo.png"

func needTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (CI installs it: apt-get install poppler-utils tesseract-ocr tesseract-ocr-ita)", tool)
		}
	}
}

// textPDF renders lines as a PDF with a text layer.
func textPDF(t testing.TB, lines ...string) []byte {
	t.Helper()
	doc := fpdf.New("P", "mm", "A4", "")
	doc.AddPage()
	doc.SetFont("Helvetica", "", 14)
	for _, l := range lines {
		doc.CellFormat(0, 10, l, "", 1, "L", false, 0, "")
	}
	var b bytes.Buffer
	if err := doc.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// imagePDF wraps the scan in a PDF that has no text layer at all.
func imagePDF(t testing.TB) []byte {
	t.Helper()
	doc := fpdf.New("P", "mm", "A4", "")
	doc.AddPage()
	doc.ImageOptions(scan, 0, 0, 210, 0, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	var b bytes.Buffer
	if err := doc.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func extract(t *testing.T, x *Extractor, mediaType string, data []byte) string {
	t.Helper()
	text, err := x.Extract(context.Background(), mediaType, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("extract %s: %v", mediaType, err)
	}
	return text
}

func TestPDFText(t *testing.T) {
	pdf := textPDF(t, "Determina dirigenziale numero 12", "Affidamento del servizio di mensa scolastica")
	t.Run("PureGo", func(t *testing.T) {
		text := extract(t, &Extractor{}, "application/pdf", pdf)
		for _, want := range []string{"Determina dirigenziale numero 12", "mensa scolastica"} {
			if !strings.Contains(text, want) {
				t.Errorf("text %q lacks %q", text, want)
			}
		}
	})
	t.Run("Pdftotext", func(t *testing.T) {
		needTools(t, "pdftotext")
		text := extract(t, New(), "application/pdf", pdf)
		if !strings.Contains(text, "Affidamento del servizio di mensa scolastica") {
			t.Errorf("text %q", text)
		}
	})
}

func TestOCR(t *testing.T) {
	needTools(t, "tesseract", "pdftoppm")
	png, err := os.ReadFile(scan)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("PNG", func(t *testing.T) {
		if text := extract(t, New(), "image/png", png); !strings.Contains(text, "infiltrazioni nel sottotetto") {
			t.Errorf("text %q", text)
		}
	})
	t.Run("ImageOnlyPDF", func(t *testing.T) {
		x := New()
		x.OCRResolution = 150
		if text := extract(t, x, "application/pdf", imagePDF(t)); !strings.Contains(text, "sottotetto") {
			t.Errorf("text %q", text)
		}
	})
	t.Run("WithoutTesseract", func(t *testing.T) {
		x := New()
		x.Tesseract = ""
		if _, err := x.Extract(context.Background(), "image/png", bytes.NewReader(png)); !errors.Is(err, ErrUnsupported) {
			t.Errorf("err %v, want ErrUnsupported", err)
		}
	})
}

func TestEmail(t *testing.T) {
	msg := "From: ufficio@example.org\r\nSubject: Convocazione della commissione\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b1\r\n\r\n" +
		"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		"<html><head><style>p{color:red}</style></head><body><p>La seduta &egrave; fissata per luned&igrave;.</p></body></html>\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename=odg.txt\r\n\r\n" +
		"Ordine del giorno: bilancio consuntivo\r\n--b1--\r\n"
	text := extract(t, New(), "message/rfc822", []byte(msg))
	for _, want := range []string{"Convocazione della commissione", "La seduta è fissata per lunedì.", "bilancio consuntivo"} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q lacks %q", text, want)
		}
	}
	if strings.Contains(text, "color") {
		t.Errorf("text %q has the style sheet", text)
	}
}

func TestPlainText(t *testing.T) {
	latin1 := []byte("Citt\xe0 di Roma  \n\n\n  perch\xe9 s\xec\n")
	if text := extract(t, New(), "text/plain; charset=iso-8859-1", latin1); text != "Città di Roma\n\nperché sì" {
		t.Errorf("text %q", text)
	}
	if _, err := New().Extract(context.Background(), "application/zip", strings.NewReader("PK")); !errors.Is(err, ErrUnsupported) {
		t.Errorf("zip: err %v, want ErrUnsupported", err)
	}
}

// TestToolsRunBelowServerPriority: the tools run niced, so that extraction takes the CPU that
// registrations and searches leave. The tool here is nice itself, which prints its niceness.
func TestToolsRunBelowServerPriority(t *testing.T) {
	needTools(t, "nice")
	out, err := run(t.Context(), "nice")
	if err != nil {
		t.Fatal(err)
	}
	self, err := exec.Command("nice").Output()
	if err != nil {
		t.Fatal(err)
	}
	got, want := strings.TrimSpace(string(out)), strings.TrimSpace(string(self))
	var g, w int
	if _, err := fmt.Sscan(got, &g); err != nil {
		t.Fatalf("niceness %q: %v", got, err)
	}
	fmt.Sscan(want, &w)
	if g != min(w+10, 19) {
		t.Fatalf("the tool ran at niceness %d, the test at %d: want %d", g, w, min(w+10, 19))
	}
}
