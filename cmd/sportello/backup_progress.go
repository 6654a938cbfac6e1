package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// blobProgress shows a backup, restore or check moving over the blobs (backup.Progress): a bar
// with rate and ETA on a terminal, a line every 5 seconds and one at the end otherwise.
type blobProgress struct {
	out           io.Writer
	what          string
	bar           *progressbar.ProgressBar
	total, count  int64
	copied, bytes int64
	copiedBytes   int64
	start, last   time.Time
}

func newBlobProgress(out io.Writer, what string) *blobProgress {
	return &blobProgress{out: out, what: what, start: time.Now(), last: time.Now()}
}

func (p *blobProgress) Total(n int64) {
	p.total = n
	if f, ok := p.out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(n,
			progressbar.OptionSetWriter(p.out), progressbar.OptionSetDescription(p.what),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("blobs"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionFullWidth(),
			progressbar.OptionSetRenderBlankState(true))
	}
}

func (p *blobProgress) Blob(_ string, size int64, copied bool) {
	p.count++
	p.bytes += size
	if copied {
		p.copied++
		p.copiedBytes += size
	}
	if p.bar != nil {
		_ = p.bar.Add(1)
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 5*time.Second {
		p.last = now
		p.line(now)
	}
}

func (p *blobProgress) line(now time.Time) {
	elapsed := max(now.Sub(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.out, "     %s: %d/%d blobs, %d copied, %s, %.1f MB/s\n", p.what, p.count, p.total, p.copied,
		byteCount(p.bytes), float64(p.bytes)/elapsed/1e6)
}

// finish ends the bar, or writes the last line.
func (p *blobProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.out)
		return
	}
	p.line(time.Now())
}
