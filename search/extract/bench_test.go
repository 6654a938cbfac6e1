package extract

import (
	"bytes"
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkOCR measures OCR throughput per page with the extractor's defaults (tesseract
// ita+eng, one thread per page): the committed scan as a PNG, and the same scan as the only
// page of an image-only PDF, rasterised by pdftoppm at 300 and 150 dpi first. Each op is one
// page. docs/benchmarks.md records the figures.
func BenchmarkOCR(b *testing.B) {
	needTools(b, "tesseract", "pdftoppm")
	png, err := os.ReadFile(scan)
	if err != nil {
		b.Fatal(err)
	}
	pdf := imagePDF(b)
	cases := []struct {
		name, mediaType string
		data            []byte
		dpi             int
	}{
		{"PNG", "image/png", png, 0},
		{"ImageOnlyPDF300dpi", "application/pdf", pdf, 300},
		{"ImageOnlyPDF150dpi", "application/pdf", pdf, 150},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			x := New()
			if c.dpi != 0 {
				x.OCRResolution = c.dpi
			}
			for b.Loop() {
				text, err := x.Extract(context.Background(), c.mediaType, bytes.NewReader(c.data))
				if err != nil {
					b.Fatal(err)
				}
				if !strings.Contains(text, "sottotetto") {
					b.Fatalf("OCR lost the text: %q", text)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// BenchmarkPDFText measures the extraction of a one-page PDF's text layer with pdftotext, as
// every registered PDF has it. Besides the time per document it reports the CPU the tools took
// per document (child-cpu-ms), most of which is starting them.
func BenchmarkPDFText(b *testing.B) {
	needTools(b, "pdftotext")
	pdf := textPDF(b, "Richiesta di accesso agli atti", "Protocollo generale, ufficio tecnico")
	x := New()
	before := childCPU(b)
	for b.Loop() {
		text, err := x.Extract(context.Background(), "application/pdf", bytes.NewReader(pdf))
		if err != nil || !strings.Contains(text, "accesso agli atti") {
			b.Fatalf("text %q, %v", text, err)
		}
	}
	b.ReportMetric(float64((childCPU(b)-before).Microseconds())/1000/float64(b.N), "child-cpu-ms")
}

// childCPU is the user and system CPU time of the waited-for children of this process.
func childCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
