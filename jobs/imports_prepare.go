package jobs

import (
	"context"
	"strings"
	"sync"

	"github.com/sportello/sportello/importer"
)

// prepareWorkers is how many rows are made ready at once (more when page images are bound:
// 2×OCRWorkers); prepareWindow how far ahead of the registering loop (at least twice the
// workers).
const (
	prepareWorkers = 4
	prepareWindow  = 32
)

// prepareAhead reads the pending rows from the manifest in the order of registration
// (importer.Source.InRegisterOrder) and makes them ready, several at once and a bounded window
// ahead of the loop: it sends, in that order, one channel per row on which the row arrives once
// ready, and closes ready after the last. Only the rows of the window are held: memory does not
// grow with the number of rows. wait, after ctx's end or the last row, waits for the reading
// and the workers to stop and returns the reading's error.
func (r *importRun) prepareAhead(ctx context.Context, pending rowSet) (ready <-chan chan prepared, wait func() error) {
	type job struct {
		n   int
		row importer.Row
		out chan prepared
	}
	workers := max(prepareWorkers, 2*max(r.w.OCRWorkers, 1))
	queue := make(chan chan prepared, max(prepareWindow, 2*workers))
	todo := make(chan job)
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(queue)
		defer close(todo)
		readErr = r.src.InRegisterOrder(pending.has, func(n int, row importer.Row) error {
			out := make(chan prepared, 1)
			select {
			case queue <- out:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case todo <- job{n, row, out}:
			case <-ctx.Done():
				out <- prepared{err: ctx.Err()}
				return ctx.Err()
			}
			return nil
		})
	})
	for range workers {
		wg.Go(func() {
			for j := range todo {
				p := r.prepareRow(ctx, j.n, j.row)
				p.n, p.line = j.n, j.row.Line
				j.out <- p
			}
		})
	}
	return queue, func() error {
		wg.Wait()
		return readErr
	}
}

// prepareRow makes one row ready: its page images bound into a PDF first when it is a scan (at
// most 2×OCRWorkers rows at once across the process; a PDF bound already, by an earlier
// attempt, is taken as it is), then prepare.
func (r *importRun) prepareRow(ctx context.Context, n int, row importer.Row) prepared {
	if !row.OK() {
		return prepared{outcome: failed("%s", strings.Join(row.Problems, "; "))}
	}
	var scan scanResult
	if r.isScan(row) {
		w := r.w
		w.slotsOnce.Do(func() { w.slots = make(chan struct{}, 2*max(w.OCRWorkers, 1)) })
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			return prepared{err: ctx.Err()}
		}
		scan.pdf, scan.err = r.bind(ctx, n, row)
		<-w.slots
	}
	return r.prepare(ctx, row, scan)
}
