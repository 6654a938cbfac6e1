package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
)

// verifyFixity runs the fixity checks once (domain.RunFixity), as `sportello verify --data`
// does after the log audit: every blob the database references is read again and its digest
// compared, at most SPORTELLO_FIXITY_RATE bytes a second. It continues a run a server left
// unfinished; while a server is running one, it says so and reports the failures recorded.
// Every blob found missing, altered or unreadable is listed by digest and by what references it,
// and fails the command.
func verifyFixity(ctx context.Context, m *app.Main, stdout io.Writer) error {
	if err := m.OpenBlobs(); err != nil {
		return err
	}
	total, err := m.DB.CountFixityDigests(ctx)
	if err != nil {
		return err
	}
	bar := newFixityProgress(stdout, total)
	run, err := m.RunFixity(ctx, domain.FixityOptions{StartedBy: domain.FixityByVerify, Rate: float64(m.Config.FixityRate),
		Progress: bar.done})
	bar.finish()
	if err != nil {
		return err
	}
	rep, err := m.Service.FixityReport(ctx, domain.FixityFailureFilter{Limit: 100000})
	if err != nil {
		return err
	}
	failures := rep.Failures
	if run == nil {
		fmt.Fprintln(stdout, "     fixity: a server is running a fixity run now; listing the failures recorded so far (GET /v1/archive/fixity)")
	} else {
		failures = slices.DeleteFunc(failures, func(f *domain.FixityFailure) bool { return f.LastRun != run.ID })
		fmt.Fprintf(stdout, "checked %d blobs (%s) in fixity run %s\n", run.Blobs, byteCount(run.Bytes), run.ID)
	}
	slices.SortFunc(failures, func(a, b *domain.FixityFailure) int { return strings.Compare(a.SHA256, b.SHA256) })
	for _, f := range failures {
		fmt.Fprintf(stdout, "FAIL blob %s %s: %s (%s)\n", f.SHA256, f.Problem, domain.FixityReferencesText(f.References), f.Detail)
	}
	if len(failures) > 0 {
		return fmt.Errorf("%w: %d stored blobs missing, altered or unreadable", errVerifyFailed, len(failures))
	}
	fmt.Fprintln(stdout, "ok   every stored blob matches its digest")
	return nil
}

// byteCount writes n bytes for people: 1.5 GiB.
func byteCount(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// fixityProgress shows a fixity run moving: the import's bar on a terminal (import_progress.go),
// a line every 5 seconds otherwise; a failure shows at once in both.
type fixityProgress struct {
	out   io.Writer
	bar   *progressbar.ProgressBar
	total int64
	count int64
	start time.Time
	last  time.Time
}

func newFixityProgress(out io.Writer, total int64) *fixityProgress {
	p := &fixityProgress{out: out, total: total, start: time.Now(), last: time.Now()}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(out), progressbar.OptionSetDescription("fixity"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("blobs"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetMaxDetailRow(5),
			progressbar.OptionFullWidth(), progressbar.OptionSetRenderBlankState(true))
	}
	return p
}

func (p *fixityProgress) done(f domain.FixityProgress) {
	p.count++
	if p.bar != nil {
		if f.Failure != nil {
			p.bar.AddDetail(fmt.Sprintf("%s %s: %s", f.SHA256, f.Failure.Problem, domain.FixityReferencesText(f.Failure.References)))
		}
		p.bar.Add(1)
		return
	}
	if f.Failure != nil {
		fmt.Fprintf(p.out, "     fixity: %s %s: %s\n", f.SHA256, f.Failure.Problem, domain.FixityReferencesText(f.Failure.References))
	}
	if now := time.Now(); now.Sub(p.last) >= 5*time.Second {
		p.last = now
		p.line(now, f.Run)
	}
}

func (p *fixityProgress) line(now time.Time, run *domain.FixityRun) {
	elapsed := max(now.Sub(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.out, "     fixity: %d/%d blobs, %s, %.1f MB/s\n", p.count, p.total, byteCount(run.Bytes),
		float64(run.Bytes)/1e6/elapsed)
}

func (p *fixityProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.out)
	}
}
