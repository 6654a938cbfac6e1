package jobs

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/search/extract"
	"github.com/sportello/sportello/signing"
)

// TextStore is what the extraction worker needs from storage.
type TextStore interface {
	RegistrationByID(ctx context.Context, id string) (*domain.Registration, error)
	// StoreText records the outcome of an attempt (domain.TextDone or domain.TextNone) and, in
	// the same transaction, a change-feed event so that the search index picks the text up.
	// The signatures found on the files are stored with it.
	StoreText(ctx context.Context, id, status, text string, signatures domain.FileSignatures, attempt int) error
	// TextFailed records a failed attempt and its error, and the signatures found meanwhile.
	TextFailed(ctx context.Context, id string, attempt int, cause string, signatures domain.FileSignatures) error
}

// SignatureChecker reports the signatures on a received file (signing.Anchors).
type SignatureChecker interface {
	CheckSignatures(data []byte, mediaType, filename string) []domain.Signature
}

// ExtractTextWorker extracts the text of a registration's document and attachments, and checks
// the signatures on them: both need every file read, once, after the registration.
type ExtractTextWorker struct {
	river.WorkerDefaults[ExtractText]
	Store      TextStore
	Blobs      domain.BlobStore
	Extractor  *extract.Extractor
	Signatures SignatureChecker
}

// Timeout overrides River's default of one minute.
func (w *ExtractTextWorker) Timeout(*river.Job[ExtractText]) time.Duration { return Timeout }

// Work extracts and stores the text. A failure is recorded on the registration before it is
// returned to River, which retries with backoff: text_status shows it meanwhile.
func (w *ExtractTextWorker) Work(ctx context.Context, job *river.Job[ExtractText]) error {
	id := job.Args.RegistrationID
	status, text, sigs, err := w.extract(ctx, id)
	if err != nil {
		if rerr := w.Store.TextFailed(ctx, id, job.Attempt, err.Error(), sigs); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return w.Store.StoreText(ctx, id, status, text, sigs, job.Attempt)
}

// extract reads every file, even after one failed, so that the signatures of all are checked.
func (w *ExtractTextWorker) extract(ctx context.Context, id string) (status, text string, sigs domain.FileSignatures, err error) {
	r, err := w.Store.RegistrationByID(ctx, id)
	if err != nil {
		return "", "", nil, err
	}
	if r.Disposal != nil {
		return domain.TextNone, "", nil, nil
	}
	sigs = domain.FileSignatures{}
	var texts []string
	var failed error
	for _, f := range append([]domain.File{r.Document}, r.Attachments...) {
		t, err := w.file(ctx, f, sigs)
		if errors.Is(err, extract.ErrUnsupported) {
			continue
		}
		if err != nil {
			failed = cmp.Or(failed, fmt.Errorf("%s: %w", f.Filename, err))
			continue
		}
		if t = strings.TrimSpace(t); t != "" {
			texts = append(texts, t)
		}
	}
	if failed != nil {
		return "", "", sigs, failed
	}
	if len(texts) == 0 {
		return domain.TextNone, "", sigs, nil
	}
	return domain.TextDone, strings.Join(texts, "\n\n"), sigs, nil
}

// file returns the text of f and adds the signatures found on it to sigs.
func (w *ExtractTextWorker) file(ctx context.Context, f domain.File, sigs domain.FileSignatures) (string, error) {
	rc, err := w.Blobs.Open(ctx, f.SHA256)
	if err != nil {
		return "", fmt.Errorf("open content: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return "", fmt.Errorf("read content: %w", err)
	}
	mediaType := f.MediaType
	if signing.IsSigned(mediaType, f.Filename) {
		// A .p7m in base64 or PEM is stored as the text it is; it is read as the envelope.
		mediaType = "application/pkcs7-mime"
	}
	if w.Signatures != nil {
		if found := w.Signatures.CheckSignatures(data, mediaType, f.Filename); len(found) > 0 {
			sigs[f.SHA256] = found
		}
	}
	return w.Extractor.Extract(ctx, mediaType, bytes.NewReader(data))
}
