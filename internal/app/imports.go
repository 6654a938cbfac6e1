package app

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/sportello/sportello/jobs"
	"github.com/sportello/sportello/scan"
)

// ImportsDir is the directory, under the data directory, of the imports' own spaces: an upload
// being checked, and the working files of each import's job (<data>/imports/<id>/).
const ImportsDir = "imports"

// DefaultJobRescueAfter is how long a job may have been running before River takes it as left by
// a process that died and runs it again, unless its worker's Timeout is longer (River's rescuer
// waits for that too): an import's attempt works for jobs.ImportChunk, then the row in
// progress, within jobs.ImportTimeout, so an import left by a killed process goes on within two
// minutes.
const DefaultJobRescueAfter = 2 * time.Minute

// River elects one leader among every client on the database — this process's text, mail and
// import clients and other processes' — and the leader's rescuer rescues every stuck job with
// its own RescueStuckJobsAfter, looking the job's kind up in its own workers (a kind it does not
// know is discarded). So every client of the process gets the same registry of every worker
// (jobWorkers: a client works only the queues it names) and the same RescueStuckJobsAfter, and
// each worker's Timeout keeps a long job (a text extraction) from being rescued early.

// newJobClient makes a River client of the process that works one queue with n workers, with
// the registry of every worker (jobWorkers) and the same rescue horizon as every other client
// of the process; retry nil is River's default backoff. Every client of the process is made
// here, so that none can be the leader with a registry or a horizon of its own, and each
// carries the process's periodic jobs, which only the leader enqueues (periodicJobs).
func (m *Main) newJobClient(queue string, n int, retry river.ClientRetryPolicy) (*river.Client[*sql.Tx], error) {
	return m.DB.NewJobClient(&river.Config{
		Workers:           m.jobWorkers(),
		Queues:            map[string]river.QueueConfig{queue: {MaxWorkers: n}},
		FetchPollInterval: jobPollInterval,
		// A job left running by a process that died is worked again once it has been running
		// longer than jobRescueAfter and than its worker's Timeout, which the rescuer honours
		// (River's default waits an hour).
		RescueStuckJobsAfter: m.jobRescueAfter(),
		JobTimeout:           m.jobTimeout(),
		RetryPolicy:          retry,
		PeriodicJobs:         m.periodicJobs(),
		Logger:               m.Logger,
	})
}

// jobWorkers is the registry of every River worker of the process, shared by its clients.
func (m *Main) jobWorkers() *river.Workers {
	if m.workers == nil {
		m.workers = river.NewWorkers()
	}
	return m.workers
}

// jobRescueAfter is every client's RescueStuckJobsAfter: ImportRescueAfter, or
// DefaultJobRescueAfter.
func (m *Main) jobRescueAfter() time.Duration {
	if m.ImportRescueAfter > 0 {
		return m.ImportRescueAfter
	}
	return DefaultJobRescueAfter
}

// jobTimeout is River's default attempt timeout (every worker here sets its own): River wants
// it no longer than RescueStuckJobsAfter.
func (m *Main) jobTimeout() time.Duration { return min(time.Minute, m.jobRescueAfter()) }

// importJobs runs the jobs of server-side imports (River, queue imports) in this process. Every
// process may run them: the uploaded archive is in the blob store, and an import's progress is
// in the database.
type importJobs struct {
	client *river.Client[*sql.Tx]
	rows   *prometheus.CounterVec
	// stopBinds ends the binds of page images, which outlive an attempt.
	stopBinds context.CancelFunc
}

// importsDir is <data>/imports.
func (m *Main) importsDir() string { return filepath.Join(m.Config.Data, ImportsDir) }

// openImports prepares the River client that works import jobs, unless
// SPORTELLO_IMPORT_WORKERS is 0 (a process that takes uploads but runs no import).
func (m *Main) openImports() error {
	rows := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sportello_import_rows_total",
		Help: "Rows of server-side imports this process ended, by outcome (done or failed).",
	}, []string{"outcome"})
	m.imports = &importJobs{rows: rows}
	ocr := m.Config.OCRWorkers
	if ocr == 0 {
		ocr = runtime.NumCPU()
	}
	w := &jobs.RunImportWorker{Store: m.DB, Service: m.Service, Blobs: m.Service.Blobs, Dir: m.importsDir(),
		Limits: m.Config.ImportLimits(), Chunk: m.ImportChunk, OCRWorkers: ocr, Now: m.Service.Now,
		Row: func(state string) { rows.WithLabelValues(state).Inc() }, AttemptTimeout: m.ImportTimeout}
	// The worker is in the process's registry even where this process runs no import, so that
	// its River clients, one of which may be the leader, rescue a stuck import job rather than
	// discard it as a kind they do not know (jobWorkers).
	workers := m.jobWorkers()
	if err := river.AddWorkerSafely(workers, w); err != nil {
		return fmt.Errorf("import jobs: %w", err)
	}
	if m.Config.ImportWorkers == 0 {
		return nil
	}
	w.Background, m.imports.stopBinds = context.WithCancel(context.Background())
	if m.BindPages != nil {
		w.Bind, w.IsImage = m.BindPages(ocr)
	}
	if err := scan.New(1).Available(); err != nil && w.Bind != nil {
		m.Logger.Warn("imports: rows of scanned page images will fail", "err", err)
	}
	client, err := m.newJobClient(jobs.QueueImports, m.Config.ImportWorkers, nil)
	if err != nil {
		return err
	}
	m.imports.client = client
	return nil
}

// start starts working imports.
func (j *importJobs) start() error {
	if j == nil || j.client == nil {
		return nil
	}
	if err := j.client.Start(context.Background()); err != nil {
		return fmt.Errorf("start import jobs: %w", err)
	}
	return nil
}

// stop cancels the imports in progress at once: each stops after its row in progress and is
// snoozed, and the next start goes on from its first pending row.
func (j *importJobs) stop(timeout time.Duration) error {
	if j == nil || j.client == nil {
		return nil
	}
	defer j.stopBinds()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return j.client.StopAndCancel(ctx)
}

// scanBinder binds page images with tesseract (package scan), at most workers at once across
// the process. Without tesseract or poppler a row of page images fails with
// scan.ErrUnavailable rather than registering images without text.
func scanBinder(workers int) (jobs.BindPages, func(head []byte) bool) {
	b := scan.New(workers)
	return func(ctx context.Context, dir string, pages []string, out string) error {
		_, err := b.Bind(ctx, dir, pages, out)
		return err
	}, scan.IsImage
}
