package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"slices"
	"strings"

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
)

// MaxFileParts bounds the repeated file parts of one upload (attachments, the documents of a
// case or a message), each of which costs a blob write. openapi.yaml declares it as the
// maxItems of those parts.
const MaxFileParts = 500

// upload is a registration request read from the wire: its metadata and its stored files.
type upload struct {
	metadata    RegistrationMetadata
	document    *domain.File
	attachments []domain.File
	idem        domain.Idempotency
}

// readUpload reads a multipart/form-data registration request (see readMultipart): one
// document part — left out only by metadata naming a document_id — and attachments matched
// to their descriptions.
func (h *handlers) readUpload(c *gin.Context) (upload, error) {
	var up upload
	body, err := h.readMultipart(c, &up.metadata, metadataUnknown,
		filePartLimit{partDocument, 1, "exactly one document part is allowed"},
		filePartLimit{partAttachment, MaxFileParts, fmt.Sprintf("at most %d attachment parts are allowed", MaxFileParts)})
	if err != nil {
		return up, err
	}
	up.idem, up.attachments = body.idem, body.files[partAttachment]
	if docs := body.files[partDocument]; len(docs) == 1 {
		up.document = &docs[0]
	} else if up.metadata.DocumentID == "" {
		return up, domain.Invalid(partDocument, "the document part (the primary file) is required, or document_id in the metadata")
	}
	descs := up.metadata.AttachmentDescriptions
	if len(descs) > len(up.attachments) {
		return up, domain.Invalid("attachment_descriptions", "has %d entries but %d attachment parts were sent", len(descs), len(up.attachments))
	}
	for i, d := range descs {
		up.attachments[i].Description = d
	}
	return up, nil
}

// filePartLimit names a file part a multipart request may carry, how many times, and what to
// say past that.
type filePartLimit struct {
	name    string
	max     int
	tooMany string
}

// multipartRequest is a multipart request read from the wire: its stored files by part name, in
// order, and its idempotency fingerprint.
type multipartRequest struct {
	files map[string][]domain.File
	idem  domain.Idempotency
}

// readMultipart reads a multipart/form-data request with one JSON part `metadata`, strictly
// decoded into meta (unknown explains refused fields), and the file parts that limits allow,
// each streamed into the blob store. It answers 415 for another content type, 413 past
// maxUpload, 422 for a missing metadata part, a repeated or unknown part, malformed or
// non-strict metadata, or a malformed body. With an Idempotency-Key, the request is
// fingerprinted by its metadata and each file's part name, filename and digest.
func (h *handlers) readMultipart(c *gin.Context, meta any, unknown func(string) (domain.ErrorCode, string), limits ...filePartLimit) (multipartRequest, error) {
	out := multipartRequest{files: map[string][]domain.File{}}
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return out, domain.Errorf(domain.ECUnsupportedMedia,
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
			return out, bodyError(body, err)
		}
		name := part.FormName()
		if name == partMetadata {
			if raw != nil {
				return out, domain.Invalid(partMetadata, "only one metadata part is allowed")
			}
			if raw, err = readMetadata(part, body, meta, unknown); err != nil {
				return out, err
			}
			part.Close()
			continue
		}
		i := slices.IndexFunc(limits, func(l filePartLimit) bool { return l.name == name })
		if i < 0 {
			return out, domain.Invalid(name, "unknown part: the parts are %s", partNames(limits))
		}
		if len(out.files[name]) == limits[i].max {
			return out, domain.Invalid(name, "%s", limits[i].tooMany)
		}
		field := name
		if limits[i].max > 1 {
			field = fmt.Sprintf("%s[%d]", name, len(out.files[name]))
		}
		if problem := textProblem(part.FileName()); problem != "" {
			return out, domain.Invalid(field, "the filename %s", problem)
		}
		f, err := h.storePart(c, part, field, body)
		if err != nil {
			return out, err
		}
		out.files[name] = append(out.files[name], f)
		files = append(files, filePart{name, f.Filename, f.SHA256})
		part.Close()
	}
	if raw == nil {
		return out, domain.Invalid(partMetadata, "the metadata part (JSON) is required")
	}
	if key := c.GetHeader(idempotencyKeyHeader); key != "" {
		fp := requestFingerprint(c)
		fp.addJSON(raw)
		for _, f := range files {
			fp.addFile(f.name, f.filename, f.sha256)
		}
		out.idem = domain.Idempotency{Key: key, Hash: fp.sum()}
	}
	return out, nil
}

// partNames lists the parts a request may carry: "metadata, document and attachment".
func partNames(limits []filePartLimit) string {
	names := []string{partMetadata}
	for _, l := range limits {
		names = append(names, l.name)
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
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
// first bytes; the Content-Type the client declared for the part is ignored. An empty file, a
// program, or a name with control or bidirectional characters or longer than 255 bytes is
// refused, naming field, before anything is stored.
func (h *handlers) storePart(c *gin.Context, part *multipart.Part, field string, body *recordingReader) (domain.File, error) {
	filename := baseName(part.FileName())
	if msg := filenameProblem(filename); msg != "" {
		return domain.File{}, domain.Invalid(field, "%s", msg)
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(part, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return domain.File{}, bodyError(body, err)
	}
	head = head[:n]
	if n == 0 {
		return domain.File{}, domain.Invalid(field, "%q is empty: a document has content", filename)
	}
	mt := mimetype.Detect(head)
	if isExecutable(mt) {
		return domain.File{}, domain.Invalid(field, "%q is a program (%s): programs are not registered", filename, mt)
	}
	rest := &recordingReader{r: part}
	sha, size, err := h.svc.StoreContent(c.Request.Context(), principal(c), io.MultiReader(bytes.NewReader(head), rest))
	if err != nil {
		if rest.err != nil {
			return domain.File{}, bodyError(body, rest.err)
		}
		return domain.File{}, err
	}
	return domain.File{Filename: filename, MediaType: mediaType(mt, head, filename), Size: size, SHA256: sha}, nil
}

// bodyError classifies a failure to read the request: over the limit (413) or malformed (422).
func bodyError(body *recordingReader, err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || errors.As(body.err, &tooLarge) {
		return domain.Errorf(domain.ECPayloadTooLarge, "the upload is larger than %d bytes", tooLarge.Limit)
	}
	return domain.Invalid("body", "malformed multipart body: %v", err)
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
