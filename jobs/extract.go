package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/search/extract"
)

// TextStore is what the extraction worker needs from storage.
type TextStore interface {
	RegistrationByID(ctx context.Context, id string) (*domain.Registration, error)
	// StoreText records the outcome of an attempt (domain.TextDone or domain.TextNone) and, in
	// the same transaction, a change-feed event so that the search index picks the text up.
	StoreText(ctx context.Context, id, status, text string, attempt int) error
	// TextFailed records a failed attempt and its error.
	TextFailed(ctx context.Context, id string, attempt int, cause string) error
}

// ExtractTextWorker extracts the text of a registration's document and attachments.
type ExtractTextWorker struct {
	river.WorkerDefaults[ExtractText]
	Store     TextStore
	Blobs     domain.BlobStore
	Extractor *extract.Extractor
}

// Timeout overrides River's default of one minute.
func (w *ExtractTextWorker) Timeout(*river.Job[ExtractText]) time.Duration { return Timeout }

// Work extracts and stores the text. A failure is recorded on the registration before it is
// returned to River, which retries with backoff: text_status shows it meanwhile.
func (w *ExtractTextWorker) Work(ctx context.Context, job *river.Job[ExtractText]) error {
	id := job.Args.RegistrationID
	status, text, err := w.extract(ctx, id)
	if err != nil {
		if rerr := w.Store.TextFailed(ctx, id, job.Attempt, err.Error()); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return w.Store.StoreText(ctx, id, status, text, job.Attempt)
}

func (w *ExtractTextWorker) extract(ctx context.Context, id string) (status, text string, err error) {
	r, err := w.Store.RegistrationByID(ctx, id)
	if err != nil {
		return "", "", err
	}
	if r.Disposal != nil {
		return domain.TextNone, "", nil
	}
	var texts []string
	for _, f := range append([]domain.File{r.Document}, r.Attachments...) {
		t, err := w.file(ctx, f)
		if errors.Is(err, extract.ErrUnsupported) {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", f.Filename, err)
		}
		if t = strings.TrimSpace(t); t != "" {
			texts = append(texts, t)
		}
	}
	if len(texts) == 0 {
		return domain.TextNone, "", nil
	}
	return domain.TextDone, strings.Join(texts, "\n\n"), nil
}

func (w *ExtractTextWorker) file(ctx context.Context, f domain.File) (string, error) {
	rc, err := w.Blobs.Open(ctx, f.SHA256)
	if err != nil {
		return "", fmt.Errorf("open content: %w", err)
	}
	defer rc.Close()
	return w.Extractor.Extract(ctx, f.MediaType, rc)
}
