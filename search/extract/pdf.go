package extract

import (
	"bytes"
	"context"
	"fmt"
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
	out, err := Run(ctx, data, x.PDFToText, "-enc", "UTF-8", "-q", "-", "-")
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
		text, err := x.tesseract(ctx, p, nil)
		if err != nil {
			return "", err
		}
		b.WriteString(text)
		b.WriteString("\n\n")
	}
	return normalise(b.String()), nil
}

// pureGoPDFText reads the text layer without external tools, interpreting each page's content
// stream: the strings its text operators show, decoded with their font's encoding, with a line
// break where a text operator moves to another line and a space where a TJ array moves the
// next glyph right by more than a fifth of an em. It needs no glyph widths, which the standard
// fonts of many generated PDFs do not carry.
func pureGoPDFText(data []byte) (text string, err error) {
	defer func() {
		if r := recover(); r != nil { // malformed files panic deep in the parser
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
		contents := p.V.Key("Contents")
		if contents.Kind() == pdf.Array {
			for j := range contents.Len() {
				pageText(&b, p, contents.Index(j))
			}
		} else {
			pageText(&b, p, contents)
		}
		b.WriteString("\n\n")
	}
	return normalise(b.String()), nil
}

// pageText appends the text shown by one content stream of page p.
func pageText(b *strings.Builder, p pdf.Page, stream pdf.Value) {
	var enc pdf.TextEncoding
	show := func(v pdf.Value) {
		if enc != nil {
			b.WriteString(enc.Decode(v.RawString()))
		} else {
			b.WriteString(v.RawString())
		}
	}
	pdf.Interpret(stream, func(stk *pdf.Stack, op string) {
		args := make([]pdf.Value, stk.Len())
		for i := len(args) - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		switch {
		case op == "Tf" && len(args) == 2:
			enc = p.Font(args[0].Name()).Encoder()
		case op == "Tj" && len(args) == 1:
			show(args[0])
		case (op == "'" || op == `"`) && len(args) > 0:
			b.WriteString("\n")
			show(args[len(args)-1])
		case op == "TJ" && len(args) == 1:
			for j := range args[0].Len() {
				v := args[0].Index(j)
				switch {
				case v.Kind() == pdf.String:
					show(v)
				case v.Float64() < -200:
					b.WriteString(" ")
				}
			}
		case (op == "Td" || op == "TD") && len(args) == 2:
			if args[1].Float64() != 0 {
				b.WriteString("\n")
			} else {
				b.WriteString(" ")
			}
		case op == "T*" || op == "Tm" || op == "ET":
			b.WriteString("\n")
		}
	})
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
