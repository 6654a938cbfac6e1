package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// SendPackage asks for the archival package PackageID to be sent to the conservation
// destination.
type SendPackage struct {
	PackageID string `json:"package_id"`
}

// Kind names the job in River's table.
func (SendPackage) Kind() string { return "send_package" }

// InsertOpts puts the job on the archive queue. A temporary failure (a 5xx, a network error,
// a full disk at the destination) is retried with River's backoff, over about a day; after the
// last attempt the package stays ready and the schedule enqueues it again.
func (SendPackage) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueArchive, MaxAttempts: 12}
}

// SendTimeout bounds one attempt to send a package.
const SendTimeout = 30 * time.Minute

// PackageSender sends one archival package (domain.Service.SendPackage with the configured
// destination).
type PackageSender interface {
	SendPackage(ctx context.Context, id string) error
}

// SendPackageWorker sends archival packages.
type SendPackageWorker struct {
	river.WorkerDefaults[SendPackage]
	Sender PackageSender
}

// Timeout overrides River's default of one minute: a package may be large.
func (w *SendPackageWorker) Timeout(*river.Job[SendPackage]) time.Duration { return SendTimeout }

// Work sends the package.
func (w *SendPackageWorker) Work(ctx context.Context, job *river.Job[SendPackage]) error {
	return w.Sender.SendPackage(ctx, job.Args.PackageID)
}

// ScheduleConservation asks for one run of the conservation schedule
// (domain.Service.ScheduleConservation).
type ScheduleConservation struct{}

// Kind names the job in River's table.
func (ScheduleConservation) Kind() string { return "schedule_conservation" }

// InsertOpts puts the job on the archive queue, once: a run already waiting makes another
// useless.
func (ScheduleConservation) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueArchive, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled}}}
}

// ScheduleEvery is how often the schedule runs.
const ScheduleEvery = 5 * time.Minute

// ConservationScheduler runs the conservation schedule once.
type ConservationScheduler interface {
	ScheduleConservation(ctx context.Context) error
}

// ScheduleConservationWorker runs the conservation schedule.
type ScheduleConservationWorker struct {
	river.WorkerDefaults[ScheduleConservation]
	Scheduler ConservationScheduler
}

// Work runs the schedule once; it is idempotent, so a retry or an overlapping run is harmless.
func (w *ScheduleConservationWorker) Work(ctx context.Context, _ *river.Job[ScheduleConservation]) error {
	return w.Scheduler.ScheduleConservation(ctx)
}

// ConservationPeriodic is the periodic job that enqueues the schedule every every (ScheduleEvery
// when 0), and at start. River's leader enqueues periodic jobs, and any client of any process may be the
// leader: every client of the process carries it (internal/app newJobClient).
func ConservationPeriodic(every time.Duration) *river.PeriodicJob {
	if every <= 0 {
		every = ScheduleEvery
	}
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return ScheduleConservation{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true, ID: "schedule_conservation"})
}
