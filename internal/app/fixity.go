package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/storage"
)

// fixityTick is how often the server looks whether a fixity run is due (or left unfinished by
// a process that stopped) and re-reads the open failures that /readyz and the metrics show.
const fixityTick = 5 * time.Minute

// fixityJob runs the fixity checks on SPORTELLO_FIXITY_EVERY (domain.RunFixity): every blob
// the database references is read again, at most SPORTELLO_FIXITY_RATE bytes a second, and its
// digest compared. The database holds the schedule and the run's lease, so that of several
// replicas one runs it, and a run a stopped process left is continued from its cursor. Blobs
// found wrong show in sportello_fixity_failures and as a warning of /readyz, which they do not
// fail: a damaged file does not stop the instance from registering, and every other file is
// served; the operator restores it from the backup.
type fixityJob struct {
	m      *Main
	every  time.Duration // 0: no scheduled runs (the failures `sportello verify --data` finds still show)
	rate   float64
	holder string
	tick   time.Duration
	// leader tells whether this process starts the scheduled runs (RoleFixity).
	leader *storage.Leader

	mu        sync.Mutex
	open      int64
	last      []*domain.FixityFailure
	err       error
	refreshed time.Time // when a failure found last refreshed them: at most once a second

	runs, blobs, bytes, found prometheus.Counter
	stop                      func()
	done                      sync.WaitGroup
}

func newFixityJob(m *Main) *fixityJob {
	host, _ := os.Hostname()
	tick := fixityTick
	if m.FixityTick > 0 {
		tick = m.FixityTick
	}
	return &fixityJob{m: m, leader: m.leaders.byRole[RoleFixity], every: m.Config.FixityEvery, rate: float64(m.Config.FixityRate), tick: tick,
		holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), domain.NewID()),
		runs: prometheus.NewCounter(prometheus.CounterOpts{Name: "sportello_fixity_runs_total",
			Help: "Fixity runs this process finished."}),
		blobs: prometheus.NewCounter(prometheus.CounterOpts{Name: "sportello_fixity_blobs_checked_total",
			Help: "Blobs this process read again and compared with their digest."}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "sportello_fixity_bytes_read_total",
			Help: "Bytes this process read for fixity checks."}),
		found: prometheus.NewCounter(prometheus.CounterOpts{Name: "sportello_fixity_failures_found_total",
			Help: "Blobs this process found missing, altered or unreadable (each time it found one)."}),
	}
}

// collectors are the fixity metrics: the counters of this process and the failures still open.
func (f *fixityJob) collectors() []prometheus.Collector {
	return []prometheus.Collector{f.runs, f.blobs, f.bytes, f.found,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sportello_fixity_failures",
			Help: "Blobs the latest fixity checks found missing, altered or unreadable and no later run found right again."},
			func() float64 {
				f.mu.Lock()
				defer f.mu.Unlock()
				return float64(f.open)
			}),
	}
}

// refresh re-reads the open failures.
func (f *fixityJob) refresh(ctx context.Context) {
	rep, err := f.m.Service.FixityReport(ctx, domain.FixityFailureFilter{Limit: 5})
	if ctx.Err() != nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
	if err == nil {
		f.open, f.last = rep.Open, rep.Failures
	}
}

// runOnce continues an unfinished run or starts a due one, then refreshes the failures.
func (f *fixityJob) runOnce(ctx context.Context) {
	defer f.refresh(ctx)
	if f.every <= 0 {
		return
	}
	run, err := f.m.Service.RunFixity(ctx, domain.FixityOptions{Holder: f.holder, Every: f.every, Rate: f.rate,
		StartedBy: domain.FixityBySchedule, Progress: func(p domain.FixityProgress) {
			f.blobs.Inc()
			f.bytes.Add(float64(p.Size))
			if p.Failure != nil {
				f.found.Inc()
				f.m.Logger.Error("fixity alarm: a stored blob is wrong", "sha256", p.SHA256, "problem", p.Failure.Problem,
					"detail", p.Failure.Detail, "references", domain.FixityReferencesText(p.Failure.References))
				if time.Since(f.refreshed) >= time.Second { // shown at once, without a query per blob of a lost store
					f.refreshed = time.Now()
					f.refresh(ctx)
				}
			}
		}})
	switch {
	case ctx.Err() != nil:
		f.m.Logger.Info("fixity run interrupted; the next start continues it", "err", err)
	case err != nil:
		f.m.Logger.Error("fixity run failed; retrying later from its cursor", "err", err)
	case run != nil:
		f.runs.Inc()
		f.m.Logger.Info("fixity run done", "run", run.ID, "blobs", run.Blobs, "bytes", run.Bytes, "failures", run.Failures)
	}
}

// warnings describe the open failures for /readyz.
func (f *fixityJob) warnings() []string {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return []string{"fixity checks unreadable: see the server log"}
	}
	if f.open == 0 {
		return nil
	}
	var names []string
	for _, x := range f.last {
		names = append(names, fmt.Sprintf("%s %s (%s)", x.SHA256, x.Problem, domain.FixityReferencesText(x.References)))
	}
	if more := f.open - int64(len(names)); more > 0 {
		names = append(names, fmt.Sprintf("%d more", more))
	}
	return []string{fmt.Sprintf("fixity: %d stored blobs are missing, altered or unreadable (%s); restore them from the backup, see GET /v1/archive/fixity",
		f.open, strings.Join(names, "; "))}
}

// start looks for due runs now and then every tick, in the background, until stopBackground:
// the process that leads RoleFixity starts or continues runs (and refreshes the failures after
// each look), the others only refresh the failures.
func (f *fixityJob) start() {
	ctx, cancel := context.WithCancel(context.Background())
	f.stop = cancel
	f.done.Go(func() { f.leader.Run(ctx, func(ctx context.Context) { f.eachTick(ctx, f.runOnce) }) })
	f.done.Go(func() {
		f.eachTick(ctx, func(ctx context.Context) {
			if !f.leader.Leading() {
				f.refresh(ctx)
			}
		})
	})
}

// eachTick calls fn now and then every tick until ctx ends.
func (f *fixityJob) eachTick(ctx context.Context, fn func(ctx context.Context)) {
	t := time.NewTicker(f.tick)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// stopBackground stops the run in progress (its cursor is committed and its lease let go) and
// waits for it.
func (f *fixityJob) stopBackground() {
	if f != nil && f.stop != nil {
		f.stop()
		f.done.Wait()
	}
}

// RunFixity runs the fixity checks once, now, as `sportello verify --data` does: it continues
// a run left unfinished or starts one, and returns it (nil when a server holds the running
// run). Main must be opened (Open, or OpenExisting with OpenBlobs).
func (m *Main) RunFixity(ctx context.Context, opts domain.FixityOptions) (*domain.FixityRun, error) {
	if m.Service == nil {
		return nil, errors.New("fixity: open the application first")
	}
	return m.Service.RunFixity(ctx, opts)
}
