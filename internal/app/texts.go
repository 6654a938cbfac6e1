package app

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/jobs"
	"github.com/sportello/sportello/search/extract"
	"github.com/sportello/sportello/storage"
)

// jobPollInterval is how often River looks for new jobs: neither engine's database/sql driver
// can listen for them. A registration's text is searchable about this long plus the
// extraction's time after it commits.
const jobPollInterval = time.Second

// textJobs runs the text extraction jobs (River) of this process. Every process may run them:
// River hands each job to one of them.
type textJobs struct {
	client *river.Client[*sql.Tx]
	db     *storage.DB
	logger *slog.Logger

	stopBackfill func()
	backfill     sync.WaitGroup
}

// openTexts prepares the River client that works text extraction jobs, unless
// SPORTELLO_TEXT_WORKERS is 0 (a process that only serves).
func (m *Main) openTexts() error {
	if m.Config.TextWorkers == 0 {
		return nil
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &jobs.ExtractTextWorker{
		Store: m.DB, Blobs: m.Service.Blobs, Extractor: extract.New(),
	}); err != nil {
		return fmt.Errorf("text jobs: %w", err)
	}
	client, err := m.DB.NewJobClient(&river.Config{
		Workers:           workers,
		Queues:            map[string]river.QueueConfig{jobs.QueueText: {MaxWorkers: m.Config.TextWorkers}},
		FetchPollInterval: jobPollInterval,
		// A job left running by a process that died is worked again once it has been running
		// longer than any extraction may: River's default waits an hour.
		RescueStuckJobsAfter: jobs.Timeout + 5*time.Minute,
		RetryPolicy:          m.TextRetryPolicy,
		Logger:               m.Logger,
	})
	if err != nil {
		return err
	}
	m.texts = &textJobs{client: client, db: m.DB, logger: m.Logger}
	return nil
}

// start starts working jobs, and in the background enqueues the extraction of registrations
// stored before text extraction existed.
func (t *textJobs) start() error {
	if t == nil {
		return nil
	}
	if err := t.client.Start(context.Background()); err != nil {
		return fmt.Errorf("start text jobs: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.stopBackfill = cancel
	t.backfill.Go(func() {
		n, err := t.db.EnqueueMissingTexts(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			t.logger.Error("enqueue the text extraction of older registrations", "err", err)
		case n > 0:
			t.logger.Info("enqueued the text extraction of older registrations", "registrations", n)
		}
	})
	return nil
}

// stop lets jobs in progress finish within timeout, then cancels them: River runs a cancelled
// job again later, and extraction is idempotent.
func (t *textJobs) stop(timeout time.Duration) error {
	if t == nil {
		return nil
	}
	if t.stopBackfill != nil {
		t.stopBackfill()
		t.backfill.Wait()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := t.client.Stop(ctx); err != nil {
		return t.client.StopAndCancel(context.Background())
	}
	return nil
}
