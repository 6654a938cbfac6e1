package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"slices"

	"github.com/gabriel-vasile/mimetype"
	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// Uploads are streamed: each file part goes straight from the request into the blob store
// (Service.StoreContent), so memory stays flat however large the files are, and content is
// durable before any row points to it. Nothing is buffered to disk by the API.

const (
	partMetadata   = "metadata"
	partDocument   = "document"
	partAttachment = "attachment"
	// sniffLen is how much of a file the media type is detected from (mimetype's default).
	sniffLen = 3072
	// maxAttachments bounds the parts of one upload, each of which costs a blob write.
	maxAttachments = 500
)

// upload is a registration request read from the wire: its metadata and its stored files.
type upload struct {
	metadata    RegistrationMetadata
	document    *domain.File
	attachments []domain.File
	idem        domain.Idempotency
}

// readUpload reads a multipart/form-data registration request. It answers 415 for another
// content type, 413 past maxUpload, 422 for a missing or repeated part, malformed or
// non-strict metadata, or a malformed body. The document part may be left out only for
// metadata naming a document_id.
func (h *handlers) readUpload(c *gin.Context) (upload, error) {
	var up upload
	parts, err := h.readParts(c, &up.metadata, metadataUnknown, true)
	if err != nil {
		return up, err
	}
	up.document, up.attachments, up.idem = parts.document, parts.attachments, parts.idem
	if up.document == nil && up.metadata.DocumentID == "" {
		return up, validation(partDocument, "the document part (the primary file) is required, or document_id in the metadata")
	}
	descs := up.metadata.AttachmentDescriptions
	if len(descs) > len(up.attachments) {
		return up, validation("attachment_descriptions", "has %d entries but %d attachment parts were sent", len(descs), len(up.attachments))
	}
	for i, d := range descs {
		up.attachments[i].Description = d
	}
	return up, nil
}

// parts are the files of a multipart request, stored, and its idempotency key with the
// request's fingerprint (metadata and files' digests).
type parts struct {
	document    *domain.File
	attachments []domain.File
	idem        domain.Idempotency
}

// readParts reads a multipart/form-data request with one metadata part, strictly decoded into
// meta (unknown explains refused fields), at most one document part and, if attachments
// allows, attachment parts. Each file is streamed into the blob store as it arrives.
func (h *handlers) readParts(c *gin.Context, meta any, unknown func(string) (domain.ErrorCode, string), attachments bool) (parts, error) {
	var up parts
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return up, domain.Errorf(domain.ECUnsupportedMedia,
			"the body must be multipart/form-data with a boundary, not %q", c.GetHeader("Content-Type"))
	}
	body := &recordingReader{r: http.MaxBytesReader(c.Writer, c.Request.Body, h.maxUpload)}
	mr := multipart.NewReader(body, params["boundary"])
	var raw []byte
	type filePart struct{ name, filename, sha256 string }
	var files []filePart
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return up, bodyError(body, err)
		}
		var f domain.File
		switch name := part.FormName(); {
		case name == partMetadata:
			if raw != nil {
				return up, validation(partMetadata, "only one metadata part is allowed")
			}
			if raw, err = readMetadata(part, body, meta, unknown); err != nil {
				return up, err
			}
		case name == partDocument:
			if up.document != nil {
				return up, validation(partDocument, "exactly one document part is allowed")
			}
			if f, err = h.storePart(c, part, body); err != nil {
				return up, err
			}
			up.document = &f
			files = append(files, filePart{partDocument, f.Filename, f.SHA256})
		case name == partAttachment && attachments:
			if len(up.attachments) == maxAttachments {
				return up, validation(partAttachment, "at most %d attachment parts are allowed", maxAttachments)
			}
			if f, err = h.storePart(c, part, body); err != nil {
				return up, err
			}
			up.attachments = append(up.attachments, f)
			files = append(files, filePart{partAttachment, f.Filename, f.SHA256})
		case attachments:
			return up, validation(name, "unknown part: the parts are metadata, document and attachment")
		default:
			return up, validation(name, "unknown part: the parts are metadata and document")
		}
		part.Close()
	}
	if raw == nil {
		return up, validation(partMetadata, "the metadata part (JSON) is required")
	}
	if key := c.GetHeader(idempotencyKeyHeader); key != "" {
		fp := newFingerprint(c.Request.Method, c.Request.URL.Path)
		fp.addJSON(raw)
		for _, f := range files {
			fp.addFile(f.name, f.filename, f.sha256)
		}
		up.idem = domain.Idempotency{Key: key, Hash: fp.sum()}
	}
	return up, nil
}

// readMetadata reads and strictly decodes the metadata part, as soon as it arrives: a client
// that puts it first learns of a mistake before its files are streamed.
func readMetadata(part *multipart.Part, body *recordingReader, into any, unknown func(string) (domain.ErrorCode, string)) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(part, maxJSONBody+1))
	if err != nil {
		return nil, bodyError(body, err)
	}
	if len(data) > maxJSONBody {
		return nil, domain.Errorf(domain.ECPayloadTooLarge, "the metadata part is larger than %d bytes", maxJSONBody)
	}
	if err := decodeStrict(data, into, partMetadata, unknown); err != nil {
		return nil, err
	}
	return data, nil
}

// storePart streams one file part into the blob store. The media type is sniffed from the
// first bytes; the Content-Type the client declared for the part is ignored.
func (h *handlers) storePart(c *gin.Context, part *multipart.Part, body *recordingReader) (domain.File, error) {
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(part, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return domain.File{}, bodyError(body, err)
	}
	head = head[:n]
	rest := &recordingReader{r: part}
	sha, size, err := h.svc.StoreContent(c.Request.Context(), principal(c), io.MultiReader(bytes.NewReader(head), rest))
	if err != nil {
		if rest.err != nil {
			return domain.File{}, bodyError(body, rest.err)
		}
		return domain.File{}, err
	}
	return domain.File{Filename: part.FileName(), MediaType: mimetype.Detect(head).String(), Size: size, SHA256: sha}, nil
}

// bodyError classifies a failure to read the request: over the limit (413) or malformed (422).
func bodyError(body *recordingReader, err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || errors.As(body.err, &tooLarge) {
		return domain.Errorf(domain.ECPayloadTooLarge, "the upload is larger than %d bytes", tooLarge.Limit)
	}
	return validation("body", "malformed multipart body: %v", err)
}

// recordingReader remembers the first read error other than EOF, so that a failure surfacing
// through another layer (the blob store) can still be told apart as the client's fault.
type recordingReader struct {
	r   io.Reader
	err error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && r.err == nil {
		r.err = err
	}
	return n, err
}

// systemAssigned lists the registration fields a client may not send: the immutable fields
// that are not part of the metadata.
var systemAssigned = func() []string {
	sent := jsonFields(reflect.TypeFor[RegistrationMetadata]())
	var out []string
	for _, f := range domain.ImmutableFields {
		if _, ok := sent[f]; !ok && f != "document" && f != "attachments" {
			out = append(out, f)
		}
	}
	return out
}()

// metadataUnknown explains why a metadata field is refused.
func metadataUnknown(path string) (domain.ErrorCode, string) {
	switch {
	case path == "document" || path == "attachments":
		return domain.ECValidation, "files are sent as multipart parts named document and attachment, not in metadata"
	case path == "dossiers":
		return domain.ECValidation, "a registration is filed into dossiers after registration, with PATCH"
	case slices.Contains(systemAssigned, path):
		return domain.ECValidation, "is assigned by the system and cannot be sent"
	}
	return domain.ECValidation, "unknown field"
}
