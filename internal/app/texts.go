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

	stopDispatch func()
	dispatch     sync.WaitGroup
}

// dispatchEvery is how often the text dispatcher looks for new registrations when it has
// caught up; it is below jobPollInterval, so dispatching adds little to a text's delay.
const dispatchEvery = 250 * time.Millisecond

// dispatchBatch is how many change events one dispatch reads.
const dispatchBatch = 1000

// openTexts prepares the River client that works text extraction jobs, unless
// SPORTELLO_TEXT_WORKERS is 0 (a process that only serves).
func (m *Main) openTexts() error {
	// The worker is in the process's registry even where this process extracts nothing, so
	// that its River clients, one of which may be the leader, rescue a stuck extraction rather
	// than discard it as a kind they do not know (jobWorkers).
	workers := m.jobWorkers()
	if err := river.AddWorkerSafely(workers, &jobs.ExtractTextWorker{
		Store: m.DB, Blobs: m.Service.Blobs, Extractor: extract.New(), Signatures: m.Config.Anchors(),
	}); err != nil {
		return fmt.Errorf("text jobs: %w", err)
	}
	if m.Config.TextWorkers == 0 {
		return nil
	}
	client, err := m.newJobClient(jobs.QueueText, m.Config.TextWorkers, m.TextRetryPolicy)
	if err != nil {
		return err
	}
	m.texts = &textJobs{client: client, db: m.DB, logger: m.Logger}
	return nil
}

// start starts working jobs, and the dispatcher that enqueues the extraction of each new
// registration — and, on a database that had none, of every older one — following the feed.
func (t *textJobs) start() error {
	if t == nil {
		return nil
	}
	if err := t.client.Start(context.Background()); err != nil {
		return fmt.Errorf("start text jobs: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.stopDispatch = cancel
	t.dispatch.Go(func() {
		tick := time.NewTicker(dispatchEvery)
		defer tick.Stop()
		for {
			n, err := t.db.DispatchTexts(ctx, dispatchBatch)
			if err != nil && ctx.Err() == nil {
				t.logger.Error("dispatch text extraction", "err", err)
			}
			if n == dispatchBatch && err == nil {
				continue // catching up
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
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
	if t.stopDispatch != nil {
		t.stopDispatch()
		t.dispatch.Wait()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := t.client.Stop(ctx); err != nil {
		return t.client.StopAndCancel(context.Background())
	}
	return nil
}
