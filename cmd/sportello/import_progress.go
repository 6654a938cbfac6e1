package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sportello/sportello/importer"
)

// progress shows how an import moves: a bar with rate and ETA on a terminal, log lines
// otherwise. Its methods are called under importRun.mu.
type progress interface {
	done(row importer.Row, res rowResult) // a row has its outcome
	finish()
}

// newProgress is a bar when out is a terminal, log lines otherwise.
func newProgress(out io.Writer, total int) progress {
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{out: out, bar: progressbar.NewOptions(total,
			progressbar.OptionSetWriter(out), progressbar.OptionSetDescription("import"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("docs"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetMaxDetailRow(5),
			progressbar.OptionFullWidth(), progressbar.OptionSetRenderBlankState(true))}
	}
	return &logProgress{out: out, total: total, start: time.Now(), last: time.Now()}
}

// barProgress is the terminal's bar; the last rows that failed show above it.
type barProgress struct {
	bar *progressbar.ProgressBar
	out io.Writer
}

func (p *barProgress) done(row importer.Row, res rowResult) {
	if res.state == rowFailed {
		p.bar.AddDetail(fmt.Sprintf("row %d: %s", row.Line, res.reason))
	}
	p.bar.Add(1)
}

func (p *barProgress) finish() {
	p.bar.Finish()
	fmt.Fprintln(p.out)
}

// logProgress writes a line per row that did not go in, and a progress line every 100 rows or
// 5 seconds with the rate and the estimated time left.
type logProgress struct {
	out          io.Writer
	total, count int
	start, last  time.Time
}

func (p *logProgress) done(row importer.Row, res rowResult) {
	p.count++
	switch res.state {
	case rowFailed:
		fmt.Fprintf(p.out, "row %d: failed: %s\n", row.Line, res.reason)
	case rowPending:
		if res.reason != "not sent: interrupted" {
			fmt.Fprintf(p.out, "row %d: %s\n", row.Line, res.reason)
		}
	}
	if now := time.Now(); p.count%100 == 0 || now.Sub(p.last) >= 5*time.Second {
		p.last = now
		p.line(now)
	}
}

func (p *logProgress) line(now time.Time) {
	elapsed := now.Sub(p.start).Seconds()
	rate := float64(p.count) / max(elapsed, 1e-3)
	eta := time.Duration(float64(p.total-p.count) / max(rate, 1e-9) * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(p.out, "import: %d/%d rows, %.1f docs/s, ETA %s\n", p.count, p.total, rate, eta)
}

func (p *logProgress) finish() {
	if p.count%100 != 0 {
		p.line(time.Now())
	}
}
