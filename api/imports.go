package api

import (
	"archive/zip"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/importer"
)

// Imports are the settings of server-side imports (POST /v1/imports).
type Imports struct {
	// Dir is where an upload is written while it is checked (<data>/imports); it is removed
	// whatever the outcome: an accepted archive goes to the blob store.
	Dir string
	// MaxBytes limits the uploaded archive (413); zero means DefaultImportMaxBytes.
	MaxBytes int64
	// Limits bound what the archive may expand to (importer.CheckZipLimits); zero values mean
	// importer.DefaultLimits.
	Limits importer.Limits
}

// DefaultImportMaxBytes is the largest archive POST /v1/imports takes when Imports.MaxBytes is
// zero (4 GiB).
const DefaultImportMaxBytes = 4 << 30

// partFile is the part of POST /v1/imports that carries the archive.
const partFile = "file"

// createImport uploads an archive to import.
//
//	@Summary		Import a zip of documents (server-side import)
//	@Description	Importers, protocol operators and records officers upload the archive the import tool reads (docs/import.md): a zip holding `manifest.csv` and the files it names, as the one part `file`. The upload is streamed to disk and checked before it is kept: an entry with `..`, an absolute path, a backslash, a symbolic link or encryption, more entries than `SPORTELLO_IMPORT_MAX_ENTRIES`, entries declaring more than `SPORTELLO_IMPORT_MAX_EXPANDED` bytes in all, an entry over 1 MiB compressed more than `SPORTELLO_IMPORT_MAX_RATIO` times, no manifest or a manifest with a bad header are 422 naming the entry or the limit, and nothing is kept; past `SPORTELLO_IMPORT_MAX_BYTES` the upload is 413. A good archive goes to the blob store and a job registers its rows in manifest order, each under the caller, with the idempotency key the import tool derives from the row and its files' digests (a row registered already, by the tool or an earlier run, is answered, not registered again); page images (`file` naming several images, or one TIFF, JPEG or PNG) are bound into one PDF with a text layer, registered as the primary document with the images as its first attachments. Answers 202 at once: poll GET /v1/imports/{id} (the `Location`). The same Idempotency-Key with the same archive answers the same import.
//	@Tags			imports
//	@Accept			multipart/form-data
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string	false	"Makes retries safe: the same key and archive answer the first import"	minlength(1)	maxlength(255)
//	@Param			file			formData	file	true	"The zip: manifest.csv and the files it names"
//	@Success		202				{object}	Import
//	@Header			202				{string}	Location			"URL of the import"
//	@Header			202				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,413,415,422,500,503,507	{object}	Problem
//	@ID				createImport
//	@Router			/v1/imports [post]
func (h *handlers) createImport(c *gin.Context) {
	p := principal(c)
	if err := domain.MayImport(p); err != nil {
		h.fail(c, err)
		return
	}
	in, idem, err := h.readImport(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	im, replayed, err := h.svc.CreateImport(c.Request.Context(), p, in, idem)
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	c.Header("Location", "/v1/imports/"+im.ID)
	respond(c, http.StatusAccepted, toImport(im, time.Now()))
}

// readImport streams the part `file` to a temporary file under the imports directory, checks
// it as an archive to import, and stores it in the blob store. The temporary file is removed
// whatever the outcome.
func (h *handlers) readImport(c *gin.Context) (domain.NewImport, domain.Idempotency, error) {
	var in domain.NewImport
	var idem domain.Idempotency
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return in, idem, domain.Errorf(domain.ECUnsupportedMedia,
			"the body must be multipart/form-data with a boundary, not %q", c.GetHeader("Content-Type"))
	}
	// The multipart framing around the archive is small: a few KiB over the archive's limit.
	body := &recordingReader{r: http.MaxBytesReader(c.Writer, c.Request.Body, h.imports.MaxBytes+64<<10)}
	mr := multipart.NewReader(body, params["boundary"])
	var tmp string
	defer func() {
		if tmp != "" {
			os.Remove(tmp)
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return in, idem, bodyError(body, err)
		}
		switch {
		case part.FormName() != partFile:
			return in, idem, domain.Invalid(part.FormName(), "unknown part: the one part is file, the zip")
		case tmp != "":
			return in, idem, domain.Invalid(partFile, "only one file part is allowed")
		}
		in.Filename = baseName(part.FileName())
		if msg := filenameProblem(in.Filename); msg != "" {
			return in, idem, domain.Invalid(partFile, "%s", msg)
		}
		if tmp, err = h.spoolImport(part, body); err != nil {
			return in, idem, err
		}
		part.Close()
	}
	if tmp == "" {
		return in, idem, domain.Invalid(partFile, "the file part (the zip) is required")
	}
	if err := checkImportArchive(tmp, h.imports.Limits); err != nil {
		return in, idem, err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return in, idem, err
	}
	defer f.Close()
	if in.SHA256, in.Size, err = h.svc.StoreContent(c.Request.Context(), principal(c), f); err != nil {
		return in, idem, err
	}
	if key := c.GetHeader(idempotencyKeyHeader); key != "" {
		fp := requestFingerprint(c)
		fp.addFile(partFile, in.Filename, in.SHA256)
		idem = domain.Idempotency{Key: key, Hash: fp.sum()}
	}
	return in, idem, nil
}

// spoolImport writes the archive to a new file under the imports directory, at most MaxBytes.
func (h *handlers) spoolImport(part *multipart.Part, body *recordingReader) (string, error) {
	if err := os.MkdirAll(h.imports.Dir, 0o750); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(h.imports.Dir, "upload-*.zip")
	if err != nil {
		return "", err
	}
	n, err := io.Copy(f, io.LimitReader(part, h.imports.MaxBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil && body.err != nil:
		return f.Name(), bodyError(body, err)
	case err != nil:
		return f.Name(), err
	case n > h.imports.MaxBytes:
		return f.Name(), domain.Errorf(domain.ECPayloadTooLarge, "the archive is larger than %d bytes (SPORTELLO_IMPORT_MAX_BYTES)", h.imports.MaxBytes)
	}
	return f.Name(), nil
}

// checkImportArchive refuses what the import job would refuse as a whole: a file that is not a
// zip, an archive past the limits or with an unsafe entry, no manifest, a manifest whose header
// is wrong. Rows with problems are not refused here: the job reports each.
func checkImportArchive(name string, limits importer.Limits) error {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return domain.Invalid(partFile, "is not a zip archive: %v", err)
	}
	defer zr.Close()
	src, err := importer.FromZipLimits(&zr.Reader, limits)
	if err != nil {
		return domain.Invalid(partFile, "%v", err)
	}
	if _, err := src.CountRows(); err != nil { // the manifest read through, never held
		return domain.Invalid(partFile, "%v", err)
	}
	return nil
}

// getImport returns an import's progress.
//
//	@Summary		Get an import's progress
//	@Description	State (`queued`, `running`, `done`, `failed` when the archive could not be read at all, `cancelled`), rows registered, failed and pending, the rate in rows per second, and the failed rows with their reasons (the first 1000, in manifest order; `rows_failed` counts them all). Visible to its creator and to admins (404 otherwise).
//	@Tags			imports
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Import id"	format(uuid)
//	@Success		200	{object}	Import
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				getImport
//	@Router			/v1/imports/{id} [get]
func (h *handlers) getImport(c *gin.Context) {
	im, err := h.svc.Import(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toImport(im, time.Now()))
}

// listImports lists imports.
//
//	@Summary		List imports
//	@Description	The caller's imports, newest first (an admin's: every import), the latest 100, without their failed rows. Admins, importers, protocol operators and records officers.
//	@Tags			imports
//	@Produce		json
//	@Security		BearerAuth
//	@Success		200	{object}	ImportList
//	@Failure		401,403,500,503	{object}	Problem
//	@ID				listImports
//	@Router			/v1/imports [get]
func (h *handlers) listImports(c *gin.Context) {
	ims, err := h.svc.Imports(c.Request.Context(), principal(c), 100)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := ImportList{Items: make([]Import, 0, len(ims))}
	now := time.Now()
	for i := range ims {
		out.Items = append(out.Items, toImport(&ims[i], now))
	}
	respond(c, http.StatusOK, out)
}

// cancelImport stops an import.
//
//	@Summary		Cancel an import
//	@Description	The import is `cancelled` at once; its job stops after the rows in progress (numbered in one transaction, at most 32). Rows already registered stay registered (a registration is never undone): `rows_done` says how many. Its creator and admins; an import that has ended is 409.
//	@Tags			imports
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Import id"	format(uuid)
//	@Success		200	{object}	Import
//	@Failure		401,404,409,422,500,503	{object}	Problem
//	@ID				cancelImport
//	@Router			/v1/imports/{id}/cancel [post]
func (h *handlers) cancelImport(c *gin.Context) {
	im, err := h.svc.CancelImport(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toImport(im, time.Now()))
}

// toImport is the API's view of an import at now.
func toImport(im *domain.Import, now time.Time) Import {
	out := Import{ID: im.ID, State: im.State, Filename: im.Filename, Size: im.Size, SHA256: im.SHA256,
		RowsTotal: im.RowsTotal, RowsDone: im.RowsDone, RowsFailed: im.RowsFailed, RowsPending: im.RowsPending(),
		Error: im.Error, CreatedBy: im.CreatedBy, CreatedAt: im.CreatedAt, StartedAt: im.StartedAt,
		FinishedAt: im.FinishedAt, Failures: make([]ImportFailure, 0, len(im.Failures))}
	if im.StartedAt != nil {
		end := now
		if im.FinishedAt != nil {
			end = *im.FinishedAt
		}
		if secs := end.Sub(*im.StartedAt).Seconds(); secs > 0 {
			out.Rate = float64(im.RowsDone+im.RowsFailed) / secs
		}
	}
	for _, f := range im.Failures {
		out.Failures = append(out.Failures, ImportFailure{Row: f.Line, Reason: f.Reason})
	}
	return out
}
