package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"reflect"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// fuzzMaxUpload is the upload limit under fuzzing: small, so that inputs reach the 413 path.
const fuzzMaxUpload = fuzzMaxInput / 2

// FuzzUploadMultipart feeds raw bodies, with any boundary, to the reading of a registration
// upload. A body is either refused as a client error (malformed or non-strict: 422 naming the
// part or field; too large: 413; not multipart: 415) or read into metadata and stored files;
// every file it reports is in the blob store with its digest and size, descriptions go to
// their attachments, and reading the same body again gives the same upload and fingerprint.
func FuzzUploadMultipart(f *testing.F) {
	const boundary = "sportello-fuzz"
	meta := []byte(metadataSeeds[1])
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	f.Add(fuzzBody(boundary, fuzzPart{partMetadata, "", meta}, fuzzPart{partDocument, "domanda.pdf", pdf},
		fuzzPart{partAttachment, "pianta.png", png}, fuzzPart{partAttachment, "relazione.txt", []byte("Relazione tecnica.\n")}), boundary, true)
	f.Add(fuzzBody(boundary, fuzzPart{partDocument, "domanda.pdf", pdf}, fuzzPart{partMetadata, "", []byte(metadataSeeds[0])}), boundary, false)
	f.Add(fuzzBody(boundary, fuzzPart{partMetadata, "", []byte(metadataSeeds[3])}), boundary, false)
	f.Add(fuzzBody(boundary, fuzzPart{partMetadata, "", []byte(metadataSeeds[0])}, fuzzPart{partDocument, "grande.bin", bytes.Repeat([]byte("x"), fuzzMaxUpload/2)}), boundary, false)
	f.Fuzz(func(t *testing.T, body []byte, boundary string, idempotent bool) {
		if len(body)+len(boundary) > fuzzMaxInput {
			return
		}
		blobs := &memBlobs{}
		h := &handlers{svc: domain.NewService(nil, blobs, time.UTC), maxUpload: fuzzMaxUpload}
		up, err := readFuzzUpload(h, body, boundary, idempotent)
		if err != nil {
			wantProblem(t, err, domain.ECValidation, domain.ECPayloadTooLarge, domain.ECUnsupportedMedia)
			return
		}
		if up.document == nil && up.metadata.DocumentID == "" {
			t.Fatal("an upload without a document part nor document_id was accepted")
		}
		files := up.attachments
		if up.document != nil {
			files = append([]domain.File{*up.document}, files...)
		}
		for _, file := range files {
			content, ok := blobs.blobs[file.SHA256]
			if sum := sha256.Sum256(content); !ok || hex.EncodeToString(sum[:]) != file.SHA256 || int64(len(content)) != file.Size {
				t.Fatalf("file %+v is not in the blob store as described", file)
			}
			if file.MediaType == "" {
				t.Fatalf("file %+v has no media type", file)
			}
		}
		if descs := up.metadata.AttachmentDescriptions; len(descs) > len(up.attachments) {
			t.Fatalf("%d descriptions for %d attachments", len(descs), len(up.attachments))
		}
		for i, d := range up.metadata.AttachmentDescriptions {
			if up.attachments[i].Description != d {
				t.Fatalf("attachment %d described %q, want %q", i, up.attachments[i].Description, d)
			}
		}
		if idempotent && (up.idem.Key == "" || up.idem.Hash == "") {
			t.Fatalf("no fingerprint with an Idempotency-Key: %+v", up.idem)
		}
		again, err := readFuzzUpload(h, body, boundary, idempotent)
		if err != nil || !reflect.DeepEqual(again, up) {
			t.Fatalf("the same body read again gives %+v, %v; first %+v", again, err, up)
		}
		if in := up.registration(); in.Validate() != nil {
			wantProblem(t, in.Validate(), domain.ECValidation)
		}
	})
}

// readFuzzUpload runs readUpload on body, sent with boundary (quoted if it must be).
func readFuzzUpload(h *handlers, body []byte, boundary string, idempotent bool) (upload, error) {
	req := httptest.NewRequest(http.MethodPost, "/v1/registrations", bytes.NewReader(body))
	ct := mime.FormatMediaType("multipart/form-data", map[string]string{"boundary": boundary})
	if ct == "" {
		ct = "multipart/form-data; boundary=" + boundary
	}
	req.Header.Set("Content-Type", ct)
	if idempotent {
		req.Header.Set(idempotencyKeyHeader, "fuzz")
	}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = req
	c.Set(principalKey, domain.Principal{ID: "op", Roles: []domain.Role{domain.RoleProtocolOperator}})
	return h.readUpload(c)
}

// fuzzPart is one part of a seed body.
type fuzzPart struct {
	name, filename string
	content        []byte
}

// fuzzBody builds a well-formed multipart body, as a client library would.
func fuzzBody(boundary string, parts ...fuzzPart) []byte {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary(boundary); err != nil {
		panic(err)
	}
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			cd += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", cd)
		pw, err := w.CreatePart(h)
		if err != nil {
			panic(err)
		}
		pw.Write(p.content)
	}
	w.Close()
	return b.Bytes()
}
