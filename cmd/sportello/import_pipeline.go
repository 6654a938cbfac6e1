package main

import (
	"context"
	"encoding/csv"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/sportello/sportello/importer"
)

// item is a row on its way through a run: taken from the manifest, its files digested by a
// worker (prep), handled by its lane (res), and recorded in the order it was taken.
type item struct {
	row  importer.Row
	prep chan prepared  // nil for a row that failed before any file was read
	res  chan rowResult // its outcome
}

// prepared is a row's files digested, or why they could not be.
type prepared struct {
	importer.Prepared
	err error
}

// pipeline bounds a run's memory: at most window rows are between the manifest and their
// outcome (digested, waiting for their lane, in flight, or waiting for an earlier row to be
// recorded), whatever the number of rows. Rows are recorded (progress, report) in the order
// they were added, so the report lists them in that order.
type pipeline struct {
	r      *importRun
	window int
	slots  chan struct{} // a slot per row between add and its record
	order  chan *item    // to the recorder, in the order added
	jobs   chan *item    // to the workers that digest files
	wg     sync.WaitGroup
	done   chan struct{} // closed when the recorder has recorded the last row
}

// startPipeline starts n workers that digest files and the recorder.
func (r *importRun) startPipeline(ctx context.Context, n, window int) *pipeline {
	p := &pipeline{r: r, window: window, slots: make(chan struct{}, window),
		order: make(chan *item, window), jobs: make(chan *item), done: make(chan struct{})}
	for range n {
		p.wg.Go(func() {
			for it := range p.jobs {
				if err := ctx.Err(); err != nil {
					it.prep <- prepared{err: err}
					continue
				}
				prep, err := r.src.Prepare(it.row)
				it.prep <- prepared{Prepared: prep, err: err}
			}
		})
	}
	go func() {
		defer close(p.done)
		for it := range p.order {
			r.record(it.row, <-it.res)
			<-p.slots
		}
	}()
	return p
}

// add takes the next row, waiting for a slot of the window. A row with problems fails at once,
// and after ctx's end a row is not sent; either way its prep is nil. A valid row is given to
// the workers: the caller hands it to its lane, which answers on res.
func (p *pipeline) add(ctx context.Context, row importer.Row) *item {
	it := &item{row: row, res: make(chan rowResult, 1)}
	p.slots <- struct{}{}
	p.order <- it
	switch {
	case !row.OK():
		it.res <- rowResult{state: rowFailed, reason: strings.Join(row.Problems, "; ")}
	case ctx.Err() != nil:
		it.res <- rowResult{state: rowPending, reason: "not sent: interrupted"}
	default:
		it.prep = make(chan prepared, 1)
		p.jobs <- it
	}
	return it
}

// close waits for the workers and for the recorder to record every row added. The lanes must
// have answered every row given to them.
func (p *pipeline) close() {
	close(p.jobs)
	p.wg.Wait()
	close(p.order)
	<-p.done
}

// reportWriter writes the rows that did not go in as CSV (row, file, reason), each as its
// outcome is known: to the --report file, or without it to a temporary file copied to the
// output at the end, so that the rows are not kept in memory.
type reportWriter struct {
	f     *os.File
	w     *csv.Writer
	spool bool // f is temporary: copied to the output and removed by close
}

func newReportWriter(name string) (*reportWriter, error) {
	if name == "" {
		f, err := os.CreateTemp("", "sportello-report-*.csv")
		if err != nil {
			return nil, err
		}
		return &reportWriter{f: f, w: csv.NewWriter(f), spool: true}, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	rw := &reportWriter{f: f, w: csv.NewWriter(f)}
	rw.w.Write([]string{"row", "file", "reason"})
	rw.w.Flush()
	return rw, rw.w.Error()
}

// add writes a row, at once: a run killed later still leaves it in the report.
func (rw *reportWriter) add(row importer.Row, reason string) {
	rw.w.Write([]string{strconv.Itoa(row.Line), strings.Join(row.Pages, "|"), reason})
	rw.w.Flush()
}

// close ends the report; a spooled one is copied to out.
func (rw *reportWriter) close(out io.Writer) error {
	rw.w.Flush()
	err := rw.w.Error()
	if rw.spool {
		defer os.Remove(rw.f.Name())
		if _, serr := rw.f.Seek(0, io.SeekStart); serr == nil && err == nil {
			_, err = io.Copy(out, rw.f)
		}
	}
	if cerr := rw.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// numbersAnswered are the registration numbers the server has answered a lane with in this
// run, a bit each, by year: memory grows with the span of numbers by a bit a number, not with
// the rows.
type numbersAnswered map[[2]int]uint64 // (year, number/64) → bits

// mark records a number and reports whether it had been answered already.
func (a *numbersAnswered) mark(year, number int) bool {
	if *a == nil {
		*a = numbersAnswered{}
	}
	k, bit := [2]int{year, number / 64}, uint64(1)<<(number%64)
	seen := (*a)[k]&bit != 0
	(*a)[k] |= bit
	return seen
}
