package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// QueueArchive is the queue of archive packages: building one reads every file it holds, so
// it gets a queue of its own that cannot hold up other jobs.
const QueueArchive = "archive"

// BuildPackage asks for the archive package PackageID to be built.
type BuildPackage struct {
	PackageID string `json:"package_id"`
}

// Kind names the job in River's table.
func (BuildPackage) Kind() string { return "build_package" }

// InsertOpts puts the job on the archive queue. A failure that retrying can cure (the blob
// store or the time-stamping authority did not answer) is retried with River's backoff; the
// package stays building meanwhile, and failed, with the reason, when the job gives up.
func (BuildPackage) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueArchive, MaxAttempts: 5}
}

// PackageTimeout bounds one attempt to build a package.
const PackageTimeout = 30 * time.Minute

// PackageBuilder builds one archive package and records the result (archive.Builder); attempt
// and last say which attempt this is and whether it is the last.
type PackageBuilder interface {
	BuildPackage(ctx context.Context, id string, last bool) error
}

// BuildPackageWorker builds archive packages.
type BuildPackageWorker struct {
	river.WorkerDefaults[BuildPackage]
	Builder PackageBuilder
}

// Timeout overrides River's default of one minute.
func (w *BuildPackageWorker) Timeout(*river.Job[BuildPackage]) time.Duration { return PackageTimeout }

// Work builds the package; on its last attempt the builder records a failure as failed.
func (w *BuildPackageWorker) Work(ctx context.Context, job *river.Job[BuildPackage]) error {
	return w.Builder.BuildPackage(ctx, job.Args.PackageID, job.Attempt >= job.MaxAttempts)
}
