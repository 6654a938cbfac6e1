package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sportello/sportello/importer"
	"github.com/sportello/sportello/internal/apiclient"
)

const importUsage = `usage: sportello import --server URL --token-file FILE [--concurrency N] [--check] [--report FILE] [--server-side] SOURCE

SOURCE is a folder or a .zip holding manifest.csv and the files it names (docs/import.md).
With --server-side the source is uploaded to POST /v1/imports and the server registers it,
binding page images into searchable PDFs; the tool follows the import until it ends.
Exit status: 0 every row went in (or, with --check, every row is valid), 1 some did not,
2 a usage or configuration error.
`

// Exit statuses of `sportello import`.
const (
	exitSomeFailed = 1
	exitUsage      = 2
)

// importFlags are the flags of `sportello import`.
type importFlags struct {
	server, tokenFile, report, source string
	concurrency                       int
	check, serverSide                 bool
}

func parseImportFlags(args []string, out io.Writer) (importFlags, error) {
	var f importFlags
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, importUsage); fs.PrintDefaults() }
	fs.StringVar(&f.server, "server", "", "base URL of the Sportello server")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the API key (an importer's or a protocol operator's)")
	fs.IntVar(&f.concurrency, "concurrency", 4, "registers sent at once, and files read ahead")
	fs.BoolVar(&f.check, "check", false, "validate the manifest and every file, and register nothing")
	fs.StringVar(&f.report, "report", "", "write the rows that did not go in to this CSV file (row, file, reason)")
	fs.BoolVar(&f.serverSide, "server-side", false, "upload the source to POST /v1/imports and follow the server's import")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	switch {
	case fs.NArg() != 1:
		return f, fmt.Errorf("one SOURCE is required\n%s", importUsage)
	case f.concurrency < 1:
		return f, errors.New("--concurrency must be at least 1")
	case !f.check && (f.server == "" || f.tokenFile == ""):
		return f, fmt.Errorf("--server and --token-file are required\n%s", importUsage)
	case (f.server == "") != (f.tokenFile == ""):
		return f, errors.New("--server and --token-file go together")
	}
	f.source = fs.Arg(0)
	return f, nil
}

// importCmd runs `sportello import`. The error carries the exit status (exitError).
func importCmd(ctx context.Context, args []string, stdout io.Writer) error {
	f, err := parseImportFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return &exitError{exitUsage, err}
	}
	src, err := importer.Open(f.source)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	defer src.Close()
	total, err := src.CountRows()
	if err != nil {
		return &exitError{exitUsage, err}
	}
	r := &importRun{flags: f, src: src, out: stdout, total: total}
	if f.server != "" {
		if r.api, err = newImportClient(f.server, f.tokenFile); err != nil {
			return &exitError{exitUsage, err}
		}
	}
	switch {
	case f.check:
		return r.checkAll(ctx)
	case f.serverSide:
		return r.importOnServer(ctx)
	}
	return r.importAll(ctx)
}

// newImportClient is the API client of the server, authenticated with the key in tokenFile.
func newImportClient(server, tokenFile string) (*apiclient.Client, error) {
	raw, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, err
	}
	token := strings.TrimSpace(string(raw))
	if token == "" {
		return nil, fmt.Errorf("%s is empty", tokenFile)
	}
	if u, err := url.Parse(server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q is not an http(s) URL", server)
	}
	hc := &http.Client{Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment, ResponseHeaderTimeout: 10 * time.Minute, MaxIdleConnsPerHost: 64,
	}}
	return apiclient.NewClient(server, apiclient.WithHTTPClient(hc),
		apiclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
}

// rowState is where a row stands at the end of a run.
type rowState int

const (
	rowPending    rowState = iota // not sent: the run was interrupted, or an earlier row of its register could not be sent
	rowRegistered                 // registered by this run
	rowReplayed                   // registered by an earlier run: the server answered the first registration again
	rowFailed                     // refused: by the manifest's checks or by the server
	rowChecked                    // valid (--check)
	rowUnknown                    // --server-side, the import cancelled or failed: the counts say how many went in
)

// rowResult is the outcome of one row.
type rowResult struct {
	state        rowState
	reason       string // why it failed or was not sent
	ref          string // the registration, e.g. PG 2026/0000042
	year, number int    // the registration's
}

// importRun is one run of the tool over a source. The manifest is read a row at a time and
// no row is kept once it has its outcome: memory does not grow with the number of rows.
type importRun struct {
	flags importFlags
	src   *importer.Source
	api   *apiclient.Client
	out   io.Writer
	total int // rows in the manifest

	mu       sync.Mutex
	counts   [rowUnknown + 1]int // rows by outcome
	progress progress
	report   *reportWriter
}

// amend adds to a row's problems what the tool refuses: page images, unless the server binds
// them (--server-side).
func (r *importRun) amend(row *importer.Row) {
	if row.PageImages() && !r.flags.serverSide {
		row.Problems = append(row.Problems, "file: "+importer.ErrPageImages.Error())
	}
}

// begin opens the report and the progress.
func (r *importRun) begin() error {
	rep, err := newReportWriter(r.flags.report)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	r.report, r.progress = rep, newProgress(r.out, r.total)
	return nil
}

// record counts the outcome of a row, moves the progress on, and writes the row to the report
// when it did not go in.
func (r *importRun) record(row importer.Row, res rowResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[res.state]++
	r.progress.done(row, res)
	if res.state == rowFailed || res.state == rowPending {
		r.report.add(row, res.reason)
	}
}

// finish writes the report and the summary and returns the exit status as an error.
func (r *importRun) finish(interrupted bool) error {
	r.progress.finish()
	if err := r.report.close(r.out); err != nil {
		return &exitError{exitSomeFailed, err}
	}
	c := r.counts
	rows := c[rowPending] + c[rowRegistered] + c[rowReplayed] + c[rowFailed] + c[rowChecked]
	if r.flags.check {
		fmt.Fprintf(r.out, "checked %d rows: %d valid, %d with problems\n", rows, c[rowChecked], c[rowFailed])
	} else {
		fmt.Fprintf(r.out, "%d rows: %d registered, %d already registered, %d failed, %d not sent\n",
			rows, c[rowRegistered], c[rowReplayed], c[rowFailed], c[rowPending])
	}
	switch {
	case interrupted:
		return &exitError{exitSomeFailed, errors.New("interrupted: run again to send the rest")}
	case c[rowFailed]+c[rowPending] > 0:
		return &exitError{exitSomeFailed, fmt.Errorf("%d rows did not go in", c[rowFailed]+c[rowPending])}
	}
	return nil
}

// importAll sends every valid row: one lane per register, rows of a lane in the order of
// registration (importer.Source.InRegisterOrder), at most --concurrency requests at once. On
// ctx's end (SIGINT, SIGTERM) no new row is sent, the rows in flight finish, and the report is
// written.
func (r *importRun) importAll(ctx context.Context) error {
	if err := r.begin(); err != nil {
		return err
	}
	n := r.flags.concurrency
	p := r.startPipeline(ctx, n, 4*n)
	sem := make(chan struct{}, n)
	lanes := map[string]chan *item{}
	var wg sync.WaitGroup
	err := r.src.InRegisterOrder(nil, func(_ int, row importer.Row) error {
		r.amend(&row)
		it := p.add(ctx, row)
		if it.prep == nil {
			return nil
		}
		reg := row.Metadata.Register
		lane, ok := lanes[reg]
		if !ok {
			// A lane never holds more than the pipeline's window: sending to it never blocks.
			lane = make(chan *item, p.window)
			lanes[reg] = lane
			wg.Go(func() { r.sendLane(ctx, lane, sem) })
		}
		lane <- it
		return nil
	})
	for _, lane := range lanes {
		close(lane)
	}
	wg.Wait()
	p.close()
	if err != nil {
		r.progress.finish()
		r.report.close(io.Discard)
		return &exitError{exitUsage, err}
	}
	return r.finish(ctx.Err() != nil)
}

// sendLane sends the rows of one register in order. A row the server refuses fails alone; a
// row that cannot be sent at all (the server stays unreachable) stops the lane, since a later
// row sent before it would take a lower number.
func (r *importRun) sendLane(ctx context.Context, lane <-chan *item, sem chan struct{}) {
	var answered numbersAnswered
	stopped := ""
	for it := range lane {
		p := <-it.prep
		res := rowResult{state: rowPending, reason: stopped}
		switch {
		case ctx.Err() != nil:
			res.reason = "not sent: interrupted"
		case stopped != "":
		case p.err != nil:
			res = rowResult{state: rowFailed, reason: p.err.Error()}
		default:
			sem <- struct{}{}
			res = r.send(ctx, p.Prepared, &answered)
			<-sem
			if res.state == rowPending && ctx.Err() == nil {
				stopped = fmt.Sprintf("not sent: row %d of register %s before it could not be sent", p.Row.Line, p.Row.Metadata.Register)
			}
		}
		it.res <- res
	}
}

// Retries of a row the server could not take (network error, 429, 5xx).
const (
	maxAttempts  = 8
	firstBackoff = 500 * time.Millisecond
	maxBackoff   = 30 * time.Second
)

// send registers one row, retrying what may succeed later with exponential backoff (or the
// server's Retry-After). Every attempt carries the row's key, so a retry of a registration
// that did go in answers it again. A request already sent finishes even after ctx's end;
// ctx's end only stops the retries.
//
// A row answered with a registration this run has had already is a second row with the same
// content and files as an earlier one (its Idempotency-Key is the same): it fails, naming the
// registration. answered holds a bit per number, not the rows.
func (r *importRun) send(ctx context.Context, p importer.Prepared, answered *numbersAnswered) rowResult {
	backoff := firstBackoff
	var last string
	for attempt := 1; ; attempt++ {
		res, wait, err := r.post(context.WithoutCancel(ctx), p)
		if err == nil {
			if res.state == rowRegistered || res.state == rowReplayed {
				if answered.mark(res.year, res.number) {
					return rowResult{state: rowFailed, reason: "same content and files as an earlier row, registered once as " + res.ref}
				}
			}
			return res
		}
		last = err.Error()
		if attempt == maxAttempts {
			return rowResult{state: rowPending, reason: fmt.Sprintf("not sent after %d attempts: %s", attempt, last)}
		}
		if wait == 0 {
			wait = backoff
			backoff = min(2*backoff, maxBackoff)
		}
		select {
		case <-ctx.Done():
			return rowResult{state: rowPending, reason: "not sent: interrupted (" + last + ")"}
		case <-time.After(wait):
		}
	}
}

// post makes one attempt. It returns the row's outcome, or an error worth retrying and how
// long the server asked to wait (0: not said).
func (r *importRun) post(ctx context.Context, p importer.Prepared) (rowResult, time.Duration, error) {
	ct, body := r.multipartBody(p)
	defer body.Close()
	resp, err := r.api.CreateRegistrationWithBody(ctx, &apiclient.CreateRegistrationParams{IdempotencyKey: &p.Key}, ct, body)
	if err != nil {
		return rowResult{}, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return rowResult{}, 0, err
	}
	switch {
	case resp.StatusCode == http.StatusCreated:
		var reg apiclient.ApiRegistration
		if err := json.Unmarshal(raw, &reg); err != nil {
			return rowResult{}, 0, fmt.Errorf("201 with a body that is not a registration: %w", err)
		}
		res := rowResult{state: rowRegistered, ref: fmt.Sprintf("%s %d/%07d", reg.Register, reg.Year, reg.Number),
			year: reg.Year, number: reg.Number}
		if resp.Header.Get("Idempotent-Replayed") == "true" {
			res.state = rowReplayed
		}
		return res, 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return rowResult{}, retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("%s: %s", resp.Status, problemText(raw))
	}
	return rowResult{state: rowFailed, reason: problemText(raw)}, 0, nil
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), capped at five minutes.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, 5*time.Minute)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), 5*time.Minute)
	}
	return 0
}

// problemText is the reason an RFC 9457 problem gives: its detail and its fields' messages.
func problemText(raw []byte) string {
	var p apiclient.ApiProblem
	if err := json.Unmarshal(raw, &p); err != nil || p.Detail == "" {
		return strings.TrimSpace(string(raw))
	}
	parts := []string{p.Detail}
	if p.Errors != nil {
		for _, f := range *p.Errors {
			parts = append(parts, f.Field+": "+f.Message)
		}
	}
	return strings.Join(parts, "; ")
}

// multipartBody streams the request of a row: its metadata, then each file read from the
// source as the request is sent, through a pipe (never a whole file in memory). Closing body
// stops the writer.
func (r *importRun) multipartBody(p importer.Prepared) (contentType string, body io.ReadCloser) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() { pw.CloseWithError(r.writeParts(mw, p)) }()
	return mw.FormDataContentType(), pr
}

func (r *importRun) writeParts(mw *multipart.Writer, p importer.Prepared) error {
	meta, err := json.Marshal(p.Row.Metadata)
	if err != nil {
		return err
	}
	if err := mw.WriteField("metadata", string(meta)); err != nil {
		return err
	}
	for _, f := range p.Files {
		if err := r.writeFile(mw, f); err != nil {
			return err
		}
	}
	return mw.Close()
}

func (r *importRun) writeFile(mw *multipart.Writer, f importer.File) error {
	in, err := r.src.OpenFile(f.Path)
	if err != nil {
		return err
	}
	defer in.Close()
	w, err := mw.CreateFormFile(f.Part, f.Filename)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, in)
	return err
}

// checkAll validates every row and file without registering anything, a row at a time in
// manifest order: each file is read and digested, and with --server the registers and classes
// named are looked up (GET only).
func (r *importRun) checkAll(ctx context.Context) error {
	known, err := r.knownCodes(ctx)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	if err := r.begin(); err != nil {
		return err
	}
	p := r.startPipeline(ctx, r.flags.concurrency, 4*r.flags.concurrency)
	lane := make(chan *item, p.window)
	done := make(chan struct{})
	go func() {
		defer close(done)
		seen := keySet{}
		for it := range lane {
			it.res <- r.checkRow(<-it.prep, known, seen)
		}
	}()
	err = r.src.EachRow(func(_ int, row importer.Row) error {
		r.amend(&row)
		if it := p.add(ctx, row); it.prep != nil {
			lane <- it
		}
		return nil
	})
	close(lane)
	<-done
	p.close()
	if err != nil {
		r.progress.finish()
		r.report.close(io.Discard)
		return &exitError{exitUsage, err}
	}
	return r.finish(ctx.Err() != nil)
}

// keySet holds 16 bytes of each row's Idempotency-Key and its line, to find two rows with the
// same content and files in --check, where the server is not asked.
type keySet map[[16]byte]int32

// add records key at line and returns the line of an earlier row with the same key (0: none).
func (s keySet) add(key string, line int) int {
	var k [16]byte
	raw, _ := hex.DecodeString(strings.TrimPrefix(key, importer.KeyPrefix))
	copy(k[:], raw)
	if first, ok := s[k]; ok {
		return int(first)
	}
	s[k] = int32(line)
	return 0
}

// checkRow is the --check outcome of a prepared row.
func (r *importRun) checkRow(p prepared, known *serverCodes, seen keySet) rowResult {
	var problems []string
	if p.err != nil {
		problems = append(problems, p.err.Error())
	} else if line := seen.add(p.Key, p.Row.Line); line != 0 {
		problems = append(problems, fmt.Sprintf("same content and files as row %d, registered once", line))
	}
	if known != nil {
		m := p.Row.Metadata
		if !slices.Contains(known.registers, m.Register) {
			problems = append(problems, fmt.Sprintf("register: %q is not a register of the server", m.Register))
		}
		if m.Class != "" && !slices.Contains(known.classes, m.Class) {
			problems = append(problems, fmt.Sprintf("class: %q is not in the server's classification scheme", m.Class))
		}
	}
	if len(problems) > 0 {
		return rowResult{state: rowFailed, reason: strings.Join(problems, "; ")}
	}
	return rowResult{state: rowChecked}
}

// serverCodes are the register and class codes the server knows.
type serverCodes struct{ registers, classes []string }

// knownCodes asks the server its registers and classes (nil without --server).
func (r *importRun) knownCodes(ctx context.Context) (*serverCodes, error) {
	if r.api == nil {
		return nil, nil
	}
	var out serverCodes
	var regs apiclient.ApiRegisterList
	if err := r.getJSON(ctx, func() (*http.Response, error) { return r.api.ListRegisters(ctx) }, &regs); err != nil {
		return nil, fmt.Errorf("GET /v1/registers: %w", err)
	}
	for _, reg := range regs.Items {
		out.registers = append(out.registers, reg.Code)
	}
	flat := apiclient.ListClassesParamsFormatFlat
	var classes apiclient.ApiClassList
	if err := r.getJSON(ctx, func() (*http.Response, error) {
		return r.api.ListClasses(ctx, &apiclient.ListClassesParams{Format: &flat})
	}, &classes); err != nil {
		return nil, fmt.Errorf("GET /v1/classes: %w", err)
	}
	for _, c := range classes.Items {
		out.classes = append(out.classes, c.Code)
	}
	return &out, nil
}

func (r *importRun) getJSON(_ context.Context, get func() (*http.Response, error), out any) error {
	resp, err := get()
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, problemText(raw))
	}
	return json.Unmarshal(raw, out)
}
