package extract

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
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
