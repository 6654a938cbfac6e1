package apptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strconv"
)

// Part is one file part of a multipart request.
type Part struct {
	Name     string // form name: document, attachment
	Filename string
	Content  []byte
}

// Multipart builds a multipart/form-data body with a `metadata` JSON part (marshalled from
// metadata, or sent as is when it is a []byte or string) followed by parts.
func Multipart(metadata any, parts ...Part) (contentType string, body *bytes.Buffer) {
	body = &bytes.Buffer{}
	w := multipart.NewWriter(body)
	var raw []byte
	switch m := metadata.(type) {
	case []byte:
		raw = m
	case string:
		raw = []byte(m)
	default:
		var err error
		if raw, err = json.Marshal(metadata); err != nil {
			panic(err) // writing to memory cannot fail
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="metadata"`)
	h.Set("Content-Type", "application/json")
	mw, err := w.CreatePart(h)
	if err != nil {
		panic(err) // writing to memory cannot fail
	}
	mw.Write(raw)
	for _, p := range parts {
		fw, err := w.CreateFormFile(p.Name, p.Filename)
		if err != nil {
			panic(err) // writing to memory cannot fail
		}
		fw.Write(p.Content)
	}
	if err := w.Close(); err != nil {
		panic(err) // writing to memory cannot fail
	}
	return w.FormDataContentType(), body
}

// Incoming returns valid metadata for an incoming registration with the given subject.
func Incoming(subject string) map[string]any {
	return map[string]any{
		"direction": "incoming", "channel": "web", "subject": subject,
		"correspondents": []map[string]any{{"role": "sender", "type": "person", "name": "Mario Rossi", "tax_code": "RSSMRA80A01H501U"}},
	}
}

// PDF returns a small, valid one-page PDF whose text is text.
func PDF(text string) []byte {
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
