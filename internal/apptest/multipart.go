package apptest

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/textproto"

	"github.com/sportello/sportello/internal/samplepdf"
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
func PDF(text string) []byte { return samplepdf.Text(text) }
