package domain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// The services in this file use the port FixityStore (ports.go).

// FixityProblem says what is wrong with a stored blob.
type FixityProblem string

// The problems a fixity run finds.
const (
	FixityMissing    FixityProblem = "missing"    // the database references it; the blob store has no such content
	FixityMismatch   FixityProblem = "mismatch"   // the stored bytes no longer hash to their digest
	FixityUnreadable FixityProblem = "unreadable" // the blob store failed to open or read it
)

// Who started a fixity run.
const (
	FixityBySchedule = "schedule" // the server's schedule (SPORTELLO_FIXITY_EVERY)
	FixityByVerify   = "verify"   // `sportello verify --data`
)

// States of a fixity run. A run stopped midway (shutdown, crash, cancellation) stays running
// and is continued from its cursor by the next start.
const (
	FixityRunning = "running"
	FixityDone    = "done"
)

// FixityRun is one pass over every blob the database references, in digest order: Cursor is
// the last digest checked, committed with the counts every few blobs.
type FixityRun struct {
	ID         string     `json:"id"`
	StartedBy  string     `json:"started_by"`
	State      string     `json:"state"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Cursor     string     `json:"cursor"`
	Blobs      int64      `json:"blobs"`    // blobs checked
	Bytes      int64      `json:"bytes"`    // bytes read
	Failures   int64      `json:"failures"` // blobs found missing, altered or unreadable
}

// FixityReference is something the database keeps that references a blob: a registration's
// document or attachment, an unregistered document, a daily journal, a received message, a
// dispatch's segnatura, a receipt or an archive package's zip.
type FixityReference struct {
	Kind       string `json:"kind"`       // registration, document, journal, mail, dispatch, receipt, import, package
	Identifier string `json:"identifier"` // PG/2026/0000042, a document's id, PG/2026-03-01, …
	Role       string `json:"role"`       // document, attachment, json, pdf, message, segnatura, …
}

// String names the reference as a report lists it: "registration PG/2026/0000042 document".
func (r FixityReference) String() string {
	s := r.Kind + " " + r.Identifier
	if r.Role != "" && r.Role != r.Kind {
		s += " " + r.Role
	}
	return s
}

// FixityReferencesText names what references a blob, as reports and logs say it:
// "registration PG/2026/0000042 document, mail 0190…".
func FixityReferencesText(refs []FixityReference) string {
	if len(refs) == 0 {
		return "referenced by nothing kept"
	}
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		out = append(out, r.String())
	}
	return strings.Join(out, ", ")
}

// FixityFailure is a blob a run found wrong, kept until a later run finds it right again (or
// no longer referenced): then Resolved is set.
type FixityFailure struct {
	SHA256      string            `json:"sha256"`
	Problem     FixityProblem     `json:"problem"`
	Detail      string            `json:"detail"`
	References  []FixityReference `json:"references"`
	FirstSeen   time.Time         `json:"first_seen"`
	LastSeen    time.Time         `json:"last_seen"`
	LastRun     string            `json:"last_run"`
	ResolvedAt  *time.Time        `json:"resolved_at"`
	ResolvedRun string            `json:"resolved_run,omitempty"`
}

// FixityClaim asks the store for the run a process should work on (FixityStore.ClaimFixityRun).
type FixityClaim struct {
	Holder     string    // the claiming process
	Now        time.Time // the time of the claim
	LeaseUntil time.Time // the lease granted on the run
	// DueAt: a new run starts only if the latest run started at or before it; a running run
	// whose lease expired is continued regardless.
	DueAt     time.Time
	NewID     string // the id of a new run
	StartedBy string // FixityBySchedule or FixityByVerify
}

// FixityProgress is what a run reports after each blob (FixityOptions.Progress).
type FixityProgress struct {
	Run     *FixityRun
	SHA256  string
	Size    int64
	Failure *FixityFailure // nil when the blob is right
}

// FixityOptions set up one call of RunFixity.
type FixityOptions struct {
	Holder    string        // who works on the run: a process name (default: a fresh id)
	Every     time.Duration // a new run starts when the latest started this long ago; 0 starts one now
	StartedBy string        // FixityBySchedule (default) or FixityByVerify
	// Rate is the most bytes read per second (a token bucket); 0 or less reads unthrottled.
	Rate float64
	// Batch is how many blobs are checked between commits of the cursor (default 100); a commit
	// also happens when Lease/3 has passed since the last.
	Batch int
	Lease time.Duration // how long the run is held without a commit (default 10 minutes)
	// Progress, when set, is called after each blob, from the goroutine of RunFixity.
	Progress func(FixityProgress)
}

// Defaults of FixityOptions.
const (
	DefaultFixityBatch = 100
	DefaultFixityLease = 10 * time.Minute
	// fixityChunk is how much a run reads at a time, and the token bucket's burst.
	fixityChunk = 256 << 10
)

// RunFixity re-reads every blob the database references and compares its digest, recording
// each blob found missing, altered or unreadable with what references it, and resolving
// failures that are right again. It continues a run stopped midway (from its cursor) if one's
// lease has expired, otherwise starts a new run when one is due (opts.Every); it returns a
// nil run when there is nothing to do or another process holds the run. Cancelling ctx stops
// the run after the blob being read: its cursor is committed and its lease let go, so that the
// next call, here or in another process, continues it. The run returned is done.
func (s *Service) RunFixity(ctx context.Context, opts FixityOptions) (*FixityRun, error) {
	if opts.Holder == "" {
		opts.Holder = NewID()
	}
	if opts.StartedBy == "" {
		opts.StartedBy = FixityBySchedule
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultFixityBatch
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultFixityLease
	}
	now := s.now()
	run, err := s.Store.ClaimFixityRun(ctx, FixityClaim{Holder: opts.Holder, Now: now, LeaseUntil: now.Add(opts.Lease),
		DueAt: now.Add(-opts.Every), NewID: NewID(), StartedBy: opts.StartedBy})
	if err != nil || run == nil {
		return nil, err
	}
	limit := rate.NewLimiter(rate.Inf, fixityChunk)
	if opts.Rate > 0 && !math.IsInf(opts.Rate, 1) {
		limit = rate.NewLimiter(rate.Limit(opts.Rate), fixityChunk)
	}
	buf := make([]byte, fixityChunk)
	commit := func() error {
		now := s.now()
		return s.Store.AdvanceFixityRun(ctx, run, opts.Holder, now.Add(opts.Lease))
	}
	lastCommit, sinceCommit := time.Now(), 0
	for {
		digests, err := s.Store.FixityDigests(ctx, run.Cursor, opts.Batch)
		if ctx.Err() != nil {
			return nil, s.stopFixity(ctx, run, opts.Holder)
		}
		if err != nil {
			return nil, err
		}
		if len(digests) == 0 {
			break
		}
		for _, digest := range digests {
			size, problem, detail := s.checkBlob(ctx, digest, limit, buf)
			if ctx.Err() != nil {
				return nil, s.stopFixity(ctx, run, opts.Holder)
			}
			var failure *FixityFailure
			if problem != "" {
				refs, err := s.Store.FixityReferences(ctx, digest)
				if err != nil {
					return nil, err
				}
				at := s.now()
				failure = &FixityFailure{SHA256: digest, Problem: problem, Detail: detail, References: refs,
					FirstSeen: at, LastSeen: at, LastRun: run.ID}
				if err := s.Store.RecordFixityFailure(ctx, failure); err != nil {
					return nil, err
				}
				run.Failures++
			}
			run.Blobs++
			run.Bytes += size
			run.Cursor = digest
			sinceCommit++
			if opts.Progress != nil {
				opts.Progress(FixityProgress{Run: run, SHA256: digest, Size: size, Failure: failure})
			}
			if ctx.Err() != nil {
				return nil, s.stopFixity(ctx, run, opts.Holder)
			}
			if sinceCommit >= opts.Batch || time.Since(lastCommit) >= opts.Lease/3 {
				if err := commit(); err != nil {
					return nil, err
				}
				lastCommit, sinceCommit = time.Now(), 0
			}
		}
	}
	if err := s.Store.FinishFixityRun(ctx, run, opts.Holder, s.now()); err != nil {
		return nil, err
	}
	return run, nil
}

// stopFixity commits the cursor of a run whose context was cancelled (every blob up to it was
// checked and its failure recorded) and lets its lease go, so that the next start, in this
// process or another, continues it at once. It returns the cancellation.
func (s *Service) stopFixity(ctx context.Context, run *FixityRun, holder string) error {
	stopped := fmt.Errorf("fixity run %s stopped after %s: %w", run.ID, run.Cursor, ctx.Err())
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.Store.AdvanceFixityRun(bg, run, holder, s.now()); err != nil {
		return errors.Join(stopped, err)
	}
	return stopped
}

// checkBlob reads the blob with this digest through the token bucket and says what is wrong
// with it, if anything, and how many bytes were read.
func (s *Service) checkBlob(ctx context.Context, digest string, limit *rate.Limiter, buf []byte) (int64, FixityProblem, string) {
	rc, err := s.Blobs.Open(ctx, digest)
	if IsCode(err, ECNotFound) {
		return 0, FixityMissing, "not in the blob store"
	}
	if err != nil {
		return 0, FixityUnreadable, err.Error()
	}
	defer rc.Close()
	h := sha256.New()
	var size int64
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			if werr := limit.WaitN(ctx, n); werr != nil {
				return size, "", "" // cancelled: the caller sees ctx.Err()
			}
			h.Write(buf[:n])
			size += int64(n)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return size, FixityUnreadable, fmt.Sprintf("read after %d bytes: %v", size, err)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != digest {
		return size, FixityMismatch, fmt.Sprintf("the %d bytes stored hash to %s", size, got)
	}
	return size, "", ""
}

// FixityReport is the latest fixity runs, newest first, and the failures still open, for
// records officers and administrators.
type FixityReport struct {
	Runs     []*FixityRun     `json:"runs"`
	Failures []*FixityFailure `json:"failures"`
	Open     int64            `json:"open"` // failures still open, all of them (Failures may list fewer)
}

// FixityFailureFilter selects fixity failures: the open ones, newest first, or with Resolved
// also the resolved ones; at most Limit.
type FixityFailureFilter struct {
	Resolved bool
	Limit    int
}

// FixityReportLimit is how many runs and failures FixityState returns at most.
const FixityReportLimit = 100

// FixityState returns the latest runs and the open failures (with the resolved ones when
// resolved is true), newest first. Records officers and administrators only.
func (s *Service) FixityState(ctx context.Context, p Principal, resolved bool) (*FixityReport, error) {
	if err := p.require("reading the fixity checks", RoleRecordsOfficer, RoleAdmin); err != nil {
		return nil, err
	}
	return s.FixityReport(ctx, FixityFailureFilter{Resolved: resolved, Limit: FixityReportLimit})
}

// FixityReport reads the latest runs and the failures f selects, with the count of the open
// ones, for the server's metrics and /readyz and for `sportello verify --data`.
func (s *Service) FixityReport(ctx context.Context, f FixityFailureFilter) (*FixityReport, error) {
	runs, err := s.Store.FixityRuns(ctx, FixityReportLimit)
	if err != nil {
		return nil, err
	}
	failures, open, err := s.Store.FixityFailures(ctx, f)
	if err != nil {
		return nil, err
	}
	return &FixityReport{Runs: runs, Failures: failures, Open: open}, nil
}
