// Package samplepdf makes small, valid one-page PDFs with a given text, for tests and the load
// suite: text extraction (pdftotext or the pure-Go extractor) reads the text back.
package samplepdf

import (
	"bytes"
	"fmt"
	"strconv"
)

// Text returns a one-page PDF whose text is text (ASCII without parentheses, which would end
// the string in the page's content stream).
func Text(text string) []byte {
	var b bytes.Buffer
	offsets := []int{}
	obj := func(s string) {
		offsets = append(offsets, b.Len())
		b.WriteString(s)
	}
	b.WriteString("%PDF-1.4\n")
	stream := "BT /F1 12 Tf 72 720 Td (" + text + ") Tj ET"
	obj("1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n")
	obj("2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n")
	obj("3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj\n")
	obj("4 0 obj << /Length " + strconv.Itoa(len(stream)) + " >> stream\n" + stream + "\nendstream endobj\n")
	obj("5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n")
	xref := b.Len()
	b.WriteString("xref\n0 6\n0000000000 65535 f \n")
	for _, o := range offsets {
		b.WriteString(fmt.Sprintf("%010d", o) + " 00000 n \n")
	}
	b.WriteString("trailer << /Size 6 /Root 1 0 R >>\nstartxref\n" + strconv.Itoa(xref) + "\n%%EOF\n")
	return b.Bytes()
}
