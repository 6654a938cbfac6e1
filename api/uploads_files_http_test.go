package api_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// rawPart is a file part whose Content-Disposition is written as given, so that a test can
// send the filenames a careless or hostile client sends.
type rawPart struct {
	name, disposition string
	content           []byte
}

// registerRaw posts a registration with metadata and parts.
func (c *client) registerRaw(token string, parts ...rawPart) *response {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	meta, _ := json.Marshal(apptest.Incoming("Nomi di file"))
	mw, _ := w.CreatePart(textproto.MIMEHeader{"Content-Disposition": {`form-data; name="metadata"`}, "Content-Type": {"application/json"}})
	mw.Write(meta)
	for _, p := range parts {
		pw, _ := w.CreatePart(textproto.MIMEHeader{"Content-Disposition": {`form-data; name="` + p.name + `"; ` + p.disposition}})
		pw.Write(p.content)
	}
	w.Close()
	return c.do("POST", "/v1/registrations", token, &body, "Content-Type", w.FormDataContentType())
}

// TestUploadRefusesBadFiles: filenames with control characters, bidirectional controls or
// more than 255 bytes, empty files and programs are 422 naming the part, and take no number.
func TestUploadRefusesBadFiles(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		pdf := apptest.PDF("x")
		doc := func(disposition string) rawPart { return rawPart{"document", disposition, pdf} }
		for _, tc := range []struct {
			name  string
			parts []rawPart
			field string
			word  string
		}{
			{"ErrC0Control", []rawPart{doc(`filename*=UTF-8''fattura%01.pdf`)}, "document", "control"},
			{"ErrC1Control", []rawPart{doc(`filename*=UTF-8''fattura%C2%85.pdf`)}, "document", "control"},
			{"ErrDEL", []rawPart{doc(`filename*=UTF-8''fattura%7F.pdf`)}, "document", "control"},
			{"ErrTab", []rawPart{doc("filename=\"fat\ttura.pdf\"")}, "document", "control"},
			{"ErrRightToLeftOverride", []rawPart{doc("filename=\"fattura\u202Efdp.exe\"")}, "document", "bidirectional"},
			{"ErrIsolate", []rawPart{doc("filename=\"fattura\u2067.pdf\"")}, "document", "bidirectional"},
			{"ErrRightToLeftMark", []rawPart{doc("filename=\"fattura\u200F.pdf\"")}, "document", "bidirectional"},
			{"ErrLongerThan255Bytes", []rawPart{doc(`filename="` + strings.Repeat("è", 126) + `.pdf"`)}, "document", "255 bytes"},
			{"ErrAttachmentName", []rawPart{doc(`filename="a.pdf"`), {"attachment", `filename="ok.pdf"`, pdf},
				{"attachment", "filename=\"b\u202E.pdf\"", pdf}}, "attachment[1]", "bidirectional"},
			{"ErrEmptyDocument", []rawPart{{"document", `filename="vuoto.pdf"`, nil}}, "document", "empty"},
			{"ErrEmptyAttachment", []rawPart{doc(`filename="a.pdf"`), {"attachment", `filename="vuoto.txt"`, nil}}, "attachment[0]", "empty"},
			{"ErrELF", []rawPart{{"document", `filename="a.pdf"`, append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 64)...)}}, "document", "program"},
			{"ErrPE", []rawPart{{"document", `filename="setup.pdf"`, append([]byte("MZ\x90\x00\x03\x00"), make([]byte, 64)...)}}, "document", "program"},
			{"ErrMachO", []rawPart{{"document", `filename="a.pdf"`, append([]byte{0xcf, 0xfa, 0xed, 0xfe, 0x07, 0, 0, 0x01}, make([]byte, 64)...)}}, "document", "program"},
			{"ErrMachOUniversal", []rawPart{{"document", `filename="a.pdf"`, append([]byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0x02}, make([]byte, 64)...)}}, "document", "program"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				namesField(t, c.registerRaw(op, tc.parts...).problem(t, 422, "validation_failed"), tc.field, tc.word)
			})
		}
		if reg := c.mustRegister(op, "Dopo i rifiuti"); reg.Number != 1 {
			t.Fatalf("after the refusals the first number is %d, want 1", reg.Number)
		}
	})
}

// TestUploadFileNames: directories are cut from a filename whether written with slashes or
// backslashes, a name of 255 bytes is kept whole, and enveloped signed content (.p7m) is
// application/pkcs7-mime while a detached signature (.p7s) stays application/pkcs7-signature.
func TestUploadFileNames(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		pdf := apptest.PDF("x")
		// The start of a DER PKCS#7 SignedData, as in a CAdES envelope.
		pkcs7 := append([]byte{0x30, 0x82, 0x01, 0x00, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0},
			bytes.Repeat([]byte{0x30}, 64)...)
		long := strings.Repeat("a", 251) + ".pdf"
		var reg api.Registration
		c.registerRaw(op,
			rawPart{"document", `filename="C:\\Users\\mario\\Documenti\\contratto.pdf.p7m"`, pkcs7},
			rawPart{"attachment", `filename="/home/mario/firma.p7s"`, append(pkcs7, 1)},
			rawPart{"attachment", `filename="` + long + `"`, pdf},
		).decode(t, http.StatusCreated, &reg)
		if reg.Document.Filename != "contratto.pdf.p7m" || reg.Document.MediaType != "application/pkcs7-mime" {
			t.Errorf("document %+v, want contratto.pdf.p7m as application/pkcs7-mime", reg.Document)
		}
		if a := reg.Attachments[0]; a.Filename != "firma.p7s" || a.MediaType != "application/pkcs7-signature" {
			t.Errorf("attachment %+v, want firma.p7s as application/pkcs7-signature", a)
		}
		if a := reg.Attachments[1]; a.Filename != long {
			t.Errorf("a 255-byte name became %q", a.Filename)
		}
	})
}
