package jobs

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gabriel-vasile/mimetype"
	"github.com/riverqueue/river"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/importer"
)

// QueueImports is the queue of server-side imports (POST /v1/imports): long jobs, few at once.
const QueueImports = "imports"

// RunImport asks for an import's rows to be registered. Storage enqueues it in the import's
// transaction.
type RunImport struct {
	ImportID string `json:"import_id"`
}

// Kind names the job in River's table.
func (RunImport) Kind() string { return "run_import" }

// InsertOpts puts the job on its queue. An attempt works for at most ImportChunk and snoozes
// (which costs no attempt); a failure of the system (the database down) is retried with
// River's backoff.
func (RunImport) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueImports, MaxAttempts: 20}
}

// ImportChunk is how long one attempt of an import registers rows before it hands the job back
// to the queue: a job is never running long, so that one left by a process that died is
// rescued soon (RescueStuckJobsAfter).
const ImportChunk = 20 * time.Second

// ImportTimeout bounds one attempt: a chunk, and the row in progress at its end. The binding of
// page images is not bound by it (it goes on for the next attempt: bind).
const ImportTimeout = 90 * time.Second

// ImportService is what the import job needs of the domain (domain.Service).
type ImportService interface {
	ImportPrincipal(ctx context.Context, im *domain.Import) (domain.Principal, error)
	StoreContent(ctx context.Context, p domain.Principal, r io.Reader) (sha256 string, size int64, err error)
	RegisterImportRows(ctx context.Context, p domain.Principal, rows []domain.ImportRowRegistration) ([]domain.ImportRowResult, error)
}

// BindPages binds the page images pages (paths in dir) into one PDF with a text layer, written
// to out atomically (scan.Binder.Bind).
type BindPages func(ctx context.Context, dir string, pages []string, out string) error

// RunImportWorker registers the rows of an import in manifest order. Its working files live
// only under Dir/<import id>/ — the archive copied from the blob store, the page images of a
// scan and the PDF bound from them — and are removed when the import ends.
type RunImportWorker struct {
	river.WorkerDefaults[RunImport]
	Store   domain.ImportStore
	Service ImportService
	Blobs   domain.BlobStore
	// Dir is <data>/imports.
	Dir    string
	Limits importer.Limits
	// Chunk overrides ImportChunk (tests).
	Chunk time.Duration
	// Bind binds page images into a searchable PDF; IsImage tells a page image by its first
	// bytes. Without Bind a row of several page images fails, and one image is registered as it
	// is.
	Bind    BindPages
	IsImage func(head []byte) bool
	// OCRWorkers is how many rows' pages are bound at once, ahead of the registering loop.
	OCRWorkers int
	// Row, when set, is told the outcome of each row (metrics).
	Row func(state string)
	// Now is the clock.
	Now func() time.Time
	// AttemptTimeout overrides ImportTimeout (tests).
	AttemptTimeout time.Duration
	// Background is the context of the binds of page images, which outlive an attempt: the
	// process's, cancelled when it stops (nil: never cancelled).
	Background context.Context

	slotsOnce sync.Once
	slots     chan struct{}
	binds     sync.Map // PDF path → *bindCall in progress
}

// bindCall is a bind in progress: done is closed when err is set.
type bindCall struct {
	done chan struct{}
	err  error
}

// Timeout overrides River's default of one minute.
func (w *RunImportWorker) Timeout(*river.Job[RunImport]) time.Duration {
	if w.AttemptTimeout > 0 {
		return w.AttemptTimeout
	}
	return ImportTimeout
}

// workDir is the import's own space.
func (w *RunImportWorker) workDir(id string) string { return filepath.Join(w.Dir, id) }

// Work registers the import's pending rows for a chunk of time, then snoozes; at the last row it
// ends the import and removes its working files. A stop of the process (ctx cancelled) snoozes
// too: the job goes on from the first pending row at the next start.
func (w *RunImportWorker) Work(ctx context.Context, job *river.Job[RunImport]) error {
	err := w.work(ctx, job)
	var snooze *river.JobSnoozeError
	var cancel *river.JobCancelError
	if err != nil && !errors.As(err, &snooze) && !errors.As(err, &cancel) && job.Attempt >= job.MaxAttempts {
		// The last attempt: the import fails rather than stay running with no job.
		return errors.Join(err, w.end(context.WithoutCancel(ctx), job.Args.ImportID, domain.ImportFailed,
			fmt.Sprintf("gave up after %d attempts: %v", job.Attempt, err)))
	}
	return err
}

// work is one attempt at the import.
func (w *RunImportWorker) work(ctx context.Context, job *river.Job[RunImport]) error {
	id := job.Args.ImportID
	im, err := w.Store.Import(ctx, id)
	if domain.IsCode(err, domain.ECNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return w.retry(ctx, err)
	}
	if im.Finished() {
		return os.RemoveAll(w.workDir(id))
	}
	src, closeSrc, err := w.open(ctx, im)
	if err != nil {
		if ctx.Err() != nil {
			return river.JobSnooze(0)
		}
		if !errors.Is(err, errBadArchive) {
			return err
		}
		return w.end(ctx, id, domain.ImportFailed, err.Error())
	}
	defer closeSrc()
	if im.RowsTotal == nil {
		if _, err := src.CountRows(); err != nil { // the manifest as a whole: its header, its CSV
			return w.end(ctx, id, domain.ImportFailed, err.Error())
		}
		if err := w.start(ctx, im, src); err != nil {
			return w.retry(ctx, err)
		}
	}
	pending, err := w.pendingRows(ctx, id)
	if err != nil {
		return w.retry(ctx, err)
	}
	p, err := w.Service.ImportPrincipal(ctx, im)
	if err != nil {
		return w.retry(ctx, err)
	}
	run := &importRun{w: w, im: im, src: src, p: p, dir: w.workDir(id)}
	done, err := run.register(ctx, pending)
	switch {
	case errors.Is(err, errCancelled):
		return os.RemoveAll(run.dir)
	case err != nil:
		return w.retry(ctx, err)
	case !done:
		return river.JobSnooze(0)
	}
	return w.end(ctx, id, domain.ImportDone, "")
}

// rowSet is a set of row indexes, a bit each: the pending rows of an import, whatever their
// number, in little memory.
type rowSet []uint64

func (s *rowSet) add(n int) {
	for len(*s) <= n/64 {
		*s = append(*s, 0)
	}
	(*s)[n/64] |= 1 << (n % 64)
}

func (s rowSet) has(n int) bool { return n/64 < len(s) && s[n/64]&(1<<(n%64)) != 0 }

// pendingPage is how many rows pendingRows reads at once.
const pendingPage = 1000

// pendingRows reads which rows of the import are pending, a page at a time.
func (w *RunImportWorker) pendingRows(ctx context.Context, id string) (rowSet, error) {
	var set rowSet
	for after := -1; ; {
		page, err := w.Store.ImportRows(ctx, id, domain.RowPending, after, pendingPage)
		if err != nil || len(page) == 0 {
			return set, err
		}
		for _, r := range page {
			set.add(r.N)
		}
		after = page[len(page)-1].N
	}
}

// retry hands the job back: at once after a stop of the process, with River's backoff after a
// failure of the system.
func (w *RunImportWorker) retry(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return river.JobSnooze(0)
	}
	return err
}

// end ends the import and removes its working files.
func (w *RunImportWorker) end(ctx context.Context, id, state, cause string) error {
	err := w.Store.EndImport(ctx, id, state, cause, w.Now(), domain.Write{})
	if err != nil && !domain.IsCode(err, domain.ECConflict) {
		return w.retry(ctx, err)
	}
	return os.RemoveAll(w.workDir(id))
}

// errBadArchive marks an archive the job refuses: the import fails, nothing is registered.
var errBadArchive = errors.New("the archive cannot be imported")

// open copies the archive from the blob store into the import's space (once) and opens it
// after the checks of the upload, made again.
func (w *RunImportWorker) open(ctx context.Context, im *domain.Import) (*importer.Source, func(), error) {
	dir := w.workDir(im.ID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, err
	}
	name := filepath.Join(dir, "upload.zip")
	if _, err := os.Stat(name); err != nil {
		if err := w.copyArchive(ctx, im.SHA256, name); err != nil {
			return nil, nil, err
		}
	}
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errBadArchive, err)
	}
	src, err := importer.FromZipLimits(&zr.Reader, w.Limits)
	if err != nil {
		zr.Close()
		return nil, nil, fmt.Errorf("%w: %v", errBadArchive, err)
	}
	return src, func() { zr.Close() }, nil
}

// copyArchive writes the content sha256 to name, atomically.
func (w *RunImportWorker) copyArchive(ctx context.Context, sha256, name string) error {
	rc, err := w.Blobs.Open(ctx, sha256)
	if err != nil {
		return fmt.Errorf("open the uploaded archive: %w", err)
	}
	defer rc.Close()
	f, err := os.CreateTemp(filepath.Dir(name), "upload-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return fmt.Errorf("copy the uploaded archive: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// start stores the rows, read from the manifest a row at a time, with the manifest's own
// problems as failures, and marks the import running (both once).
func (w *RunImportWorker) start(ctx context.Context, im *domain.Import, src *importer.Source) error {
	failures := 0
	rows := func(yield func(domain.ImportRow, error) bool) {
		stop := errors.New("stopped")
		err := src.EachRow(func(n int, r importer.Row) error {
			out := domain.ImportRow{N: n, Line: r.Line, State: domain.RowPending}
			if !r.OK() {
				out.State, out.Reason = domain.RowFailed, strings.Join(r.Problems, "; ")
				failures++
			}
			if !yield(out, nil) {
				return stop
			}
			return nil
		})
		if err != nil && err != stop {
			yield(domain.ImportRow{}, err)
		}
	}
	if err := w.Store.StartImport(ctx, im.ID, rows, w.Now()); err != nil {
		return err
	}
	if w.Row != nil {
		for range failures {
			w.Row(domain.RowFailed)
		}
	}
	return nil
}

// errCancelled stops the loop: the import was cancelled.
var errCancelled = errors.New("import cancelled")

// importRun is one attempt at an import's rows.
type importRun struct {
	w   *RunImportWorker
	im  *domain.Import
	src *importer.Source
	p   domain.Principal
	dir string
}

// register registers the pending rows in the order of registration until the chunk's time is
// up, ctx ends, or the import is cancelled. It reports whether no row is left. The rows ahead
// are read from the manifest and made ready (their page images bound, their files digested and
// stored) by prepareAhead while the loop registers, in order, one after the other; outcomes are
// recorded in batches (recorder): a row registered but not yet recorded when the process dies
// is answered again by its key.
func (r *importRun) register(ctx context.Context, pending rowSet) (bool, error) {
	chunk := r.w.Chunk
	if chunk == 0 {
		chunk = ImportChunk
	}
	deadline := r.w.Now().Add(chunk)
	ctx, cancel := context.WithCancel(ctx)
	ready, wait := r.prepareAhead(ctx, pending)
	defer func() { cancel(); wait() }()
	rec := &recorder{run: r, last: r.w.Now()}
	defer rec.flush(ctx, true)
	var held chan prepared // the next row's, taken from ready but not ready itself yet
	// next returns the next row: with wait, once it is ready (false: no row is left); without,
	// only if it is ready already.
	next := func(wait bool) (prepared, bool) {
		if held == nil {
			var more bool
			if wait {
				select {
				case held, more = <-ready:
				case <-ctx.Done():
					return prepared{err: ctx.Err()}, true
				}
			} else {
				select {
				case held, more = <-ready:
				default:
					return prepared{}, false
				}
			}
			if !more {
				return prepared{}, false
			}
		}
		if wait {
			select {
			case p := <-held:
				held = nil
				return p, true
			case <-ctx.Done():
				return prepared{err: ctx.Err()}, true
			}
		}
		select {
		case p := <-held:
			held = nil
			return p, true
		default:
			return prepared{}, false
		}
	}
	for started := false; ; started = true {
		if ctx.Err() != nil || (started && r.w.Now().After(deadline)) {
			return false, cmp.Or(ctx.Err(), rec.flush(ctx, true))
		}
		state, err := r.w.Store.ImportState(ctx, r.im.ID)
		if err != nil {
			return false, err
		}
		if state == domain.ImportCancelled {
			return false, errCancelled
		}
		// The next row, as soon as it is ready, and those after it that are ready already: one
		// batch, numbered in one transaction.
		p, more := next(true)
		if !more {
			break
		}
		if p.err != nil && ctx.Err() != nil {
			return false, ctx.Err()
		}
		batch := []prepared{p}
		for batch[len(batch)-1].err == nil && len(batch) < domain.MaxImportBatch {
			p, ok := next(false)
			if !ok {
				break
			}
			batch = append(batch, p)
		}
		outcomes, err := r.registerBatch(ctx, batch)
		for j, outcome := range outcomes {
			outcome.N, outcome.Line = batch[j].n, batch[j].line
			if rerr := rec.add(ctx, outcome); rerr != nil {
				return false, rerr
			}
		}
		if err != nil {
			return false, err
		}
	}
	if err := wait(); err != nil { // the manifest could not be read through
		return false, err
	}
	return true, rec.flush(ctx, true)
}

// registerBatch registers the ready rows of batch in one call, in order, and returns the
// outcomes of the rows before the first error that is not a row's fault, and that error.
func (r *importRun) registerBatch(ctx context.Context, batch []prepared) ([]domain.ImportRow, error) {
	var rows []domain.ImportRowRegistration
	for _, p := range batch {
		if p.err == nil && p.outcome.State == "" {
			rows = append(rows, domain.ImportRowRegistration{In: p.in, Key: p.key})
		}
	}
	var results []domain.ImportRowResult
	if len(rows) > 0 {
		var err error
		if results, err = r.w.Service.RegisterImportRows(ctx, r.p, rows); err != nil {
			return nil, err
		}
	}
	out := make([]domain.ImportRow, 0, len(batch))
	for _, p := range batch {
		switch {
		case p.err != nil:
			return out, p.err
		case p.outcome.State != "":
			out = append(out, p.outcome)
			continue
		}
		res := results[0]
		results = results[1:]
		if res.Err != nil {
			outcome, err := r.fault(ctx, res.Err)
			if err != nil {
				return out, err
			}
			out = append(out, outcome)
			continue
		}
		out = append(out, domain.ImportRow{State: domain.RowDone, RegistrationID: res.Registration.ID})
	}
	return out, nil
}

// recordBatch and recordEvery bound how many outcomes wait to be recorded, and how long.
const (
	recordBatch = 64
	recordEvery = 250 * time.Millisecond
)

// recorder records row outcomes in batches.
type recorder struct {
	run  *importRun
	rows []domain.ImportRow
	last time.Time
}

// add queues an outcome, recording the batch when it is full or old enough.
func (c *recorder) add(ctx context.Context, row domain.ImportRow) error {
	c.rows = append(c.rows, row)
	return c.flush(ctx, false)
}

// flush records the queued outcomes when all is set, the batch is full, or it is old enough. A
// flush at the end of an attempt goes on after ctx's end, briefly.
func (c *recorder) flush(ctx context.Context, all bool) error {
	w := c.run.w
	if len(c.rows) == 0 || (!all && len(c.rows) < recordBatch && w.Now().Sub(c.last) < recordEvery) {
		return nil
	}
	if all {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	if err := w.Store.RecordImportRows(ctx, c.run.im.ID, c.rows); err != nil {
		return err
	}
	if w.Row != nil {
		for _, row := range c.rows {
			w.Row(row.State)
		}
	}
	c.rows, c.last = c.rows[:0], w.Now()
	return nil
}

// failed is a row's failure with its reason.
func failed(format string, args ...any) domain.ImportRow {
	return domain.ImportRow{State: domain.RowFailed, Reason: fmt.Sprintf(format, args...)}
}

// prepared is a row ready to register (its registration and key), or its outcome already (a
// failure), or an error that is not the row's fault.
type prepared struct {
	n, line int // the row's index and line
	in      domain.NewRegistration
	key     string
	outcome domain.ImportRow
	err     error
}

// prepare makes one row ready: its files digested (its key) and stored, its page images' PDF
// first. A failure that is the row's fault is its outcome; any other is err.
func (r *importRun) prepare(ctx context.Context, row importer.Row, scan scanResult) prepared {
	prep, err := r.src.Prepare(row)
	if err != nil {
		return prepared{outcome: failed("%v", err)}
	}
	if scan.err != nil {
		// An attempt or the process that ended (the archive closed under a bind) is no fault
		// of the row's: the next attempt binds again.
		if ctx.Err() != nil || errors.Is(scan.err, os.ErrClosed) || errors.Is(scan.err, context.Canceled) ||
			errors.Is(scan.err, context.DeadlineExceeded) {
			return prepared{err: cmp.Or(ctx.Err(), scan.err)}
		}
		return prepared{outcome: failed("file: the page images could not be bound into a PDF: %v", scan.err)}
	}
	if row.PageImages() && scan.pdf == "" {
		return prepared{outcome: failed("file: page images need OCR (tesseract), which this server does not have")}
	}
	var files []domain.File
	if scan.pdf != "" {
		base := path.Base(row.Pages[0])
		f, err := r.storeFile(ctx, scan.pdf, strings.TrimSuffix(base, path.Ext(base))+".pdf",
			func(n string) (io.ReadCloser, error) { return os.Open(n) })
		if err != nil {
			return r.prepFault(ctx, err)
		}
		files = append(files, f)
	}
	for _, name := range row.Files() {
		f, err := r.storeFile(ctx, name, path.Base(name), func(n string) (io.ReadCloser, error) { return r.src.OpenFile(n) })
		if err != nil {
			return r.prepFault(ctx, err)
		}
		files = append(files, f)
	}
	m := row.Metadata
	in := domain.NewRegistration{Register: m.Register, Direction: domain.Direction(m.Direction),
		Channel: domain.Channel(m.Channel), Subject: m.Subject, ReceivedOn: m.ReceivedOn, Class: m.Class,
		Offices: m.Offices, Confidential: m.Confidential, Document: &files[0], Attachments: files[1:]}
	for _, c := range m.Correspondents {
		in.Correspondents = append(in.Correspondents, domain.Correspondent{Role: c.Role, Type: c.Type, Name: c.Name, TaxCode: c.TaxCode})
	}
	if s := m.SenderReference; s != nil {
		in.SenderReference = &domain.SenderReference{Number: s.Number, Date: s.Date}
	}
	if e := m.Emergency; e != nil {
		in.Emergency = &domain.Emergency{Register: e.Outage, Number: e.Number, Date: e.Date}
	}
	if c := m.ImageCopy; c != nil {
		in.ImageCopy = &domain.ImageCopy{AttestedBy: c.AttestedBy, AttestedOn: c.AttestedOn}
	} else if scan.pdf != "" {
		in.ImageCopy = &domain.ImageCopy{} // a scan is an image copy of paper, not attested
	}
	return prepared{in: in, key: prep.Key}
}

// prepFault is fault for prepare.
func (r *importRun) prepFault(ctx context.Context, err error) prepared {
	outcome, err := r.fault(ctx, err)
	return prepared{outcome: outcome, err: err}
}

// fault is the outcome of an error: the row's failure, or the error to retry.
func (r *importRun) fault(ctx context.Context, err error) (domain.ImportRow, error) {
	if ctx.Err() == nil && domain.RowFault(err) {
		return failed("%v", err), nil
	}
	return domain.ImportRow{}, err
}

// sniffLen is how much of a file its media type is told from.
const sniffLen = 3072

// storeFile streams one file into the blob store: a file of the archive, or one the job made.
// An empty file or a program is the row's fault.
func (r *importRun) storeFile(ctx context.Context, name, filename string, open func(string) (io.ReadCloser, error)) (domain.File, error) {
	f, err := open(name)
	if err != nil {
		return domain.File{}, domain.Invalid("file", "%s: %v", name, err)
	}
	defer f.Close()
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return domain.File{}, domain.Invalid("file", "%s: %v", name, err)
	}
	head = head[:n]
	if n == 0 {
		return domain.File{}, domain.Invalid("file", "%s is empty: a document has content", filename)
	}
	mt := mimetype.Detect(head)
	for m := mt; m != nil; m = m.Parent() {
		if m.Is("application/x-executable") || m.Is("application/vnd.microsoft.portable-executable") ||
			m.Is("application/x-mach-binary") || m.Is("application/x-elf") {
			return domain.File{}, domain.Invalid("file", "%s is a program (%s): programs are not registered", filename, mt)
		}
	}
	rest := &errReader{r: f}
	sha, size, err := r.w.Service.StoreContent(ctx, r.p, io.MultiReader(bytes.NewReader(head), rest))
	if rest.err != nil {
		// A file of the archive that cannot be read whole (a lying header) is the row's fault.
		return domain.File{}, domain.Invalid("file", "%s: %v", name, rest.err)
	}
	if err != nil {
		return domain.File{}, err
	}
	return domain.File{Filename: filename, MediaType: mt.String(), Size: size, SHA256: sha}, nil
}

// errReader remembers the first read error other than EOF.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && e.err == nil {
		e.err = err
	}
	return n, err
}

// scanResult is a row's page images bound into a PDF (its path), or why they could not be.
type scanResult struct {
	pdf string
	err error
}

// isScan reports whether a row's document is page images to bind: several files, or one image.
func (r *importRun) isScan(row importer.Row) bool {
	if r.w.Bind == nil || !row.OK() {
		return false
	}
	if row.PageImages() {
		return true
	}
	if r.w.IsImage == nil {
		return false
	}
	f, err := r.src.OpenFile(row.Pages[0])
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, sniffLen)
	n, _ := io.ReadFull(f, head)
	return r.w.IsImage(head[:n])
}

// bind returns rows/<n>/scan.pdf of the import's space, binding it unless it exists: the row's
// page images are extracted beside it and bound by Bind. The bind runs in the worker's
// Background, not in ctx: one that outlasts an attempt goes on, and the next attempt waits for
// it rather than starting over.
func (r *importRun) bind(ctx context.Context, n int, row importer.Row) (string, error) {
	dir := filepath.Join(r.dir, "rows", fmt.Sprint(n))
	out := filepath.Join(dir, "scan.pdf")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	call, running := r.w.binds.LoadOrStore(out, &bindCall{done: make(chan struct{})})
	c := call.(*bindCall)
	if !running {
		bg := r.w.Background
		if bg == nil {
			bg = context.Background()
		}
		go func() {
			defer r.w.binds.Delete(out)
			c.err = r.bindPages(bg, row, dir, out)
			close(c.done)
		}()
	}
	select {
	case <-c.done:
		if c.err != nil {
			return "", c.err
		}
		return out, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// bindPages extracts a row's page images into dir and binds them into out.
func (r *importRun) bindPages(ctx context.Context, row importer.Row, dir, out string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	var pages []string
	for i, name := range row.Pages {
		page := fmt.Sprintf("page-%04d%s", i+1, strings.ToLower(path.Ext(name)))
		if err := r.extract(name, filepath.Join(dir, page)); err != nil {
			return err
		}
		pages = append(pages, page)
	}
	return r.w.Bind(ctx, dir, pages, out)
}

// extract copies a file of the archive to name.
func (r *importRun) extract(src, name string) error {
	in, err := r.src.OpenFile(src)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, in); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", src, err)
	}
	return f.Close()
}
