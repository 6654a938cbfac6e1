package journal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing"
)

// DefaultInterval is how often Run looks for days without a journal.
const DefaultInterval = time.Minute

// Worker produces the missing daily journals. Several may run at once — one per server
// process — because the journals table takes one row per register and day: the loser of a
// race gets a conflict and moves on, and its blobs (content-addressed) cost nothing.
//
// It runs as a goroutine of the server process; background jobs move to River together with
// text extraction, and this one with them.
type Worker struct {
	Store domain.JournalStore
	Blobs domain.BlobStore
	// AOO names the administration printed on the PDF.
	AOO func(ctx context.Context) (domain.AOO, error)
	// Sign seals a PDF as PAdES B-T (sealing identity and time-stamping authority).
	Sign func(ctx context.Context, pdf []byte) ([]byte, error)
	// Location is where protocol dates are reckoned (Europe/Rome).
	Location *time.Location
	// Now is the clock; tests inject one to cross midnight.
	Now    func() time.Time
	Logger *slog.Logger
}

// RunOnce produces every missing journal of the days strictly before today (in Location) that
// have registrations, oldest first — after downtime, all of the days missed — and reports how
// many it stored. A day another worker stored first is skipped. An error on one day does not
// stop the others; the errors are returned joined, and the day is retried on the next run.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	today := w.now().In(w.Location).Format(time.DateOnly)
	days, err := w.Store.MissingJournalDays(ctx, today)
	if err != nil {
		return 0, fmt.Errorf("journals: %w", err)
	}
	var (
		produced int
		errs     []error
	)
	for _, d := range days {
		if ctx.Err() != nil {
			break
		}
		_, err := w.Produce(ctx, d)
		switch {
		case err == nil:
			produced++
			w.logger().InfoContext(ctx, "daily journal produced", "register", d.Register, "date", d.Date)
		case domain.IsCode(err, domain.ECConflict):
			w.logger().DebugContext(ctx, "daily journal produced by another worker", "register", d.Register, "date", d.Date)
		default:
			errs = append(errs, err)
		}
	}
	return produced, errors.Join(errs...)
}

// Produce builds, seals and stores the journal of one day: the JSON and the signed PDF go to
// the blob store first, then the row (with its change event, which the log sequencer turns
// into the journal's leaf). Returns ECConflict if the journal exists already.
func (w *Worker) Produce(ctx context.Context, d domain.JournalDay) (domain.Journal, error) {
	rs, err := w.Store.DayRegistrations(ctx, d.Register, d.Date)
	if err != nil {
		return domain.Journal{}, fmt.Errorf("journal of %s on %s: %w", d.Register, d.Date, err)
	}
	if len(rs) == 0 {
		return domain.Journal{}, fmt.Errorf("journal of %s on %s: no registrations", d.Register, d.Date)
	}
	if rs, err = w.asAtEndOfDay(ctx, d, rs); err != nil {
		return domain.Journal{}, err
	}
	aoo, err := w.AOO(ctx)
	if err != nil {
		return domain.Journal{}, fmt.Errorf("journal of %s on %s: %w", d.Register, d.Date, err)
	}
	doc, err := Build(aoo.Name, d.Register, d.Date, w.Location, rs)
	if err != nil {
		return domain.Journal{}, err
	}
	now := w.now().UTC()
	doc.Content.ProducedAt = now
	pdf, err := signing.RenderJournal(doc.Content)
	if err != nil {
		return domain.Journal{}, err
	}
	signed, err := w.Sign(ctx, pdf)
	if err != nil {
		return domain.Journal{}, fmt.Errorf("seal journal of %s on %s: %w", d.Register, d.Date, err)
	}
	if _, _, err := w.Blobs.Put(ctx, bytes.NewReader(doc.JSON)); err != nil {
		return domain.Journal{}, fmt.Errorf("store journal JSON of %s on %s: %w", d.Register, d.Date, err)
	}
	pdfSum, _, err := w.Blobs.Put(ctx, bytes.NewReader(signed))
	if err != nil {
		return domain.Journal{}, fmt.Errorf("store journal PDF of %s on %s: %w", d.Register, d.Date, err)
	}
	j := domain.Journal{Register: d.Register, Date: d.Date, Registrations: len(rs), JSONSHA256: doc.JSONSHA256,
		PDFSHA256: pdfSum, CreatedAt: now}
	if err := w.Store.CreateJournal(ctx, j); err != nil {
		return domain.Journal{}, err
	}
	return j, nil
}

// asAtEndOfDay rewinds the class and offices of the day's registrations rs to what they were
// when the day ended in Location, from each registration's history (AsAtEndOfDay).
func (w *Worker) asAtEndOfDay(ctx context.Context, d domain.JournalDay, rs []*domain.Registration) ([]*domain.Registration, error) {
	day, err := time.ParseInLocation(time.DateOnly, d.Date, w.Location)
	if err != nil {
		return nil, fmt.Errorf("journal of %s: date %q: %w", d.Register, d.Date, err)
	}
	end := day.AddDate(0, 0, 1)
	out := make([]*domain.Registration, len(rs))
	for i, r := range rs {
		events, err := w.Store.Audit(ctx, domain.KindRegistration, r.ID)
		if err != nil {
			return nil, fmt.Errorf("journal of %s on %s: %w", d.Register, d.Date, err)
		}
		if out[i], err = AsAtEndOfDay(r, events, end); err != nil {
			return nil, fmt.Errorf("journal of %s on %s: %w", d.Register, d.Date, err)
		}
	}
	return out, nil
}

// Run calls RunOnce now and then every interval until ctx is done. Errors are logged and the
// missing days retried at the next tick.
func (w *Worker) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.logger().ErrorContext(ctx, "daily journals failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Journal returns the record of one journal (ECNotFound).
func (w *Worker) Journal(ctx context.Context, register, date string) (domain.Journal, error) {
	return w.Store.Journal(ctx, register, date)
}

// Journals lists a register's journals between from and to, oldest first.
func (w *Worker) Journals(ctx context.Context, register, from, to string) ([]domain.Journal, error) {
	return w.Store.Journals(ctx, register, from, to)
}

// Content returns stored journal bytes (JSON or PDF) by digest.
func (w *Worker) Content(ctx context.Context, sha256 string) ([]byte, error) {
	rc, err := w.Blobs.Open(ctx, sha256)
	if err != nil {
		return nil, fmt.Errorf("journal content %s: %w", sha256, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("journal content %s: %w", sha256, err)
	}
	return b, nil
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.New(slog.DiscardHandler)
}
