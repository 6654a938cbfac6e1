package api

import (
	"testing"

	"github.com/sportello/sportello/domain"
)

var (
	metaA    = []byte(`{"direction":"incoming","subject":"Domanda","correspondents":[{"role":"sender","type":"person","name":"Mario"}]}`)
	metaASp  = []byte("{\n  \"direction\": \"incoming\",\n  \"subject\": \"Domanda\",\n  \"correspondents\": [ {\"role\": \"sender\", \"type\": \"person\", \"name\": \"Mario\"} ]\n}")
	metaB    = []byte(`{"direction":"incoming","subject":"Altra","correspondents":[{"role":"sender","type":"person","name":"Mario"}]}`)
	pdf      = []byte("%PDF-1.4\nhello\n%%EOF\n")
	png      = []byte("\x89PNG\r\n\x1a\nrest of a png")
	baseline = []testPart{
		{name: "metadata", content: metaA},
		{name: "document", filename: "a.pdf", content: pdf, contentType: "application/octet-stream"},
		{name: "attachment", filename: "b.png", content: png},
	}
)

func fingerprintOf(t *testing.T, boundary string, parts ...testPart) string {
	t.Helper()
	up, err := readTestUpload(t, testHandlers(), boundary, "key-1", parts...)
	if err != nil {
		t.Fatal(err)
	}
	if up.idem.Key != "key-1" || len(up.idem.Hash) != 64 {
		t.Fatalf("idempotency %+v", up.idem)
	}
	return up.idem.Hash
}

func TestFingerprintStableAcrossBoundaries(t *testing.T) {
	a := fingerprintOf(t, "boundary-one", baseline...)
	if b := fingerprintOf(t, "another-boundary-0123456789", baseline...); a != b {
		t.Error("a new multipart boundary changed the fingerprint")
	}
	spaced := append([]testPart{{name: "metadata", content: metaASp}}, baseline[1:]...)
	if b := fingerprintOf(t, "x", spaced...); a != b {
		t.Error("insignificant JSON whitespace changed the fingerprint")
	}
	typed := append([]testPart{}, baseline...)
	typed[2].contentType = "image/png"
	if b := fingerprintOf(t, "x", typed...); a != b {
		t.Error("a part's declared Content-Type, which is ignored, changed the fingerprint")
	}
}

func TestFingerprintChangesWithTheRequest(t *testing.T) {
	a := fingerprintOf(t, "b", baseline...)
	variants := map[string][]testPart{
		"metadata":   {{name: "metadata", content: metaB}, baseline[1], baseline[2]},
		"filename":   {baseline[0], {name: "document", filename: "renamed.pdf", content: pdf}, baseline[2]},
		"content":    {baseline[0], {name: "document", filename: "a.pdf", content: append(pdf, ' ')}, baseline[2]},
		"part order": {baseline[0], {name: "document", filename: "b.png", content: png}, {name: "attachment", filename: "a.pdf", content: pdf}},
		"no attach":  {baseline[0], baseline[1]},
	}
	for name, parts := range variants {
		if b := fingerprintOf(t, "b", parts...); a == b {
			t.Errorf("changing the %s kept the fingerprint", name)
		}
	}
}

func TestUploadSniffsMediaType(t *testing.T) {
	up, err := readTestUpload(t, testHandlers(), "b", "", baseline...)
	if err != nil {
		t.Fatal(err)
	}
	if up.document.MediaType != "application/pdf" || up.attachments[0].MediaType != "image/png" {
		t.Errorf("media types %q, %q", up.document.MediaType, up.attachments[0].MediaType)
	}
	if up.document.Filename != "a.pdf" || up.document.Size != int64(len(pdf)) || up.idem != (domain.Idempotency{}) {
		t.Errorf("upload %+v", up)
	}
}

func TestUploadErrors(t *testing.T) {
	doc := baseline[1]
	cases := map[string]struct {
		parts []testPart
		code  domain.ErrorCode
		field string
	}{
		"ErrMetadataMissing":     {[]testPart{doc}, domain.ECValidation, "metadata"},
		"ErrDocumentMissing":     {[]testPart{baseline[0]}, domain.ECValidation, "document"},
		"ErrTwoDocuments":        {[]testPart{baseline[0], doc, doc}, domain.ECValidation, "document"},
		"ErrTwoMetadata":         {[]testPart{baseline[0], baseline[0], doc}, domain.ECValidation, "metadata"},
		"ErrUnknownPart":         {[]testPart{baseline[0], doc, {name: "file", filename: "x", content: pdf}}, domain.ECValidation, "file"},
		"ErrSystemAssigned":      {[]testPart{{name: "metadata", content: []byte(`{"number":42}`)}, doc}, domain.ECValidation, "number"},
		"ErrMalformedMetadata":   {[]testPart{{name: "metadata", content: []byte(`{"subject":`)}, doc}, domain.ECValidation, "metadata"},
		"ErrTooManyDescriptions": {[]testPart{{name: "metadata", content: []byte(`{"attachment_descriptions":["a"]}`)}, doc}, domain.ECValidation, "attachment_descriptions"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := readTestUpload(t, testHandlers(), "b", "", tc.parts...)
			if codeOf(t, err) != tc.code {
				t.Fatalf("error %v, want %s", err, tc.code)
			}
			if fields := err.(*domain.Error).Fields; len(fields) == 0 || fields[0].Field != tc.field {
				t.Errorf("error %v does not name %s", err, tc.field)
			}
		})
	}
	t.Run("ErrTooLarge", func(t *testing.T) {
		h := testHandlers()
		h.maxUpload = 1000
		big := testPart{name: "document", filename: "big.bin", content: make([]byte, 5000)}
		if _, err := readTestUpload(t, h, "b", "", baseline[0], big); codeOf(t, err) != domain.ECPayloadTooLarge {
			t.Errorf("error %v, want payload_too_large", err)
		}
	})
}
