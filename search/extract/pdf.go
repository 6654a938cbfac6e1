package extract

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/digitorus/pdf"
)

// minPDFText is how many letters a PDF must yield before it counts as having text: a scan
// often carries a page number or a stamp as text over the page image.
const minPDFText = 16

// pdf extracts a PDF's text layer, and OCRs its pages when it has (next to) none.
func (x *Extractor) pdf(ctx context.Context, data []byte) (string, error) {
	var (
		text string
		err  error
	)
	if x.PDFToText != "" {
		text, err = x.pdfToText(ctx, data)
	} else {
		text, err = pureGoPDFText(data)
	}
	if err != nil {
		return "", err
	}
	if letters(text) >= minPDFText || x.PDFToPPM == "" || x.Tesseract == "" {
		return text, nil
	}
	return x.ocrPDF(ctx, data)
}

func (x *Extractor) pdfToText(ctx context.Context, data []byte) (string, error) {
	dir, err := os.MkdirTemp("", "sportello-pdf-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	in, err := tempFile(dir, "in-*.pdf", data)
	if err != nil {
		return "", err
	}
	out, err := run(ctx, x.PDFToText, "-enc", "UTF-8", "-q", in, "-")
	if err != nil {
		return "", err
	}
	return normalise(string(out)), nil
}

// ocrPDF renders each page with pdftoppm and reads it with tesseract.
func (x *Extractor) ocrPDF(ctx context.Context, data []byte) (string, error) {
	dir, err := os.MkdirTemp("", "sportello-ocr-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	in, err := tempFile(dir, "in-*.pdf", data)
	if err != nil {
		return "", err
	}
	if _, err := run(ctx, x.PDFToPPM, "-r", fmt.Sprint(x.OCRResolution), "-gray", "-png", in,
		filepath.Join(dir, "page")); err != nil {
		return "", err
	}
	pages, err := filepath.Glob(filepath.Join(dir, "page*.png"))
	if err != nil {
		return "", err
	}
	slices.Sort(pages) // pdftoppm zero-pads page numbers to the same width
	var b strings.Builder
	for _, p := range pages {
		text, err := x.tesseract(ctx, p)
		if err != nil {
			return "", err
		}
		b.WriteString(text)
		b.WriteString("\n\n")
	}
	return normalise(b.String()), nil
}

// pureGoPDFText reads the text layer without external tools: the glyph runs of each page,
// grouped into lines by their baseline and ordered left to right, with a space wherever the
// gap between two runs is wider than a fraction of the font size.
func pureGoPDFText(data []byte) (text string, err error) {
	defer func() {
		if r := recover(); r != nil { // malformed files can panic deep in the parser
			text, err = "", fmt.Errorf("read PDF: %v", r)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fmt.Errorf("read PDF: %w", err)
	}
	var b strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		runs := p.Content().Text
		slices.SortStableFunc(runs, func(a, c pdf.Text) int {
			if math.Abs(a.Y-c.Y) > 2 {
				return -cmpFloat(a.Y, c.Y) // top of the page first
			}
			return cmpFloat(a.X, c.X)
		})
		for j, t := range runs {
			if j > 0 {
				prev := runs[j-1]
				switch {
				case math.Abs(prev.Y-t.Y) > 2:
					b.WriteString("\n")
				case t.X-(prev.X+prev.W) > 0.15*max(t.FontSize, 1):
					b.WriteString(" ")
				}
			}
			b.WriteString(t.S)
		}
		b.WriteString("\n\n")
	}
	return normalise(b.String()), nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// letters counts the letters and digits in s.
func letters(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f {
			n++
		}
	}
	return n
}
