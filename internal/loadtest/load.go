package loadtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sportello/sportello/internal/samplepdf"
)

// Operations of the mixed load, as a portal and clerks would do them.
const (
	OpRegister = "registration"
	OpSearch   = "search"
	OpDownload = "download"
	OpCase     = "case submission"
	OpReceipt  = "receipt"
)

var operations = []string{OpRegister, OpSearch, OpDownload, OpCase, OpReceipt}

// pickOperation draws the next operation: 40% registrations, 20% searches, 20% downloads, 10%
// case submissions, 10% receipts.
func pickOperation(r *rand.Rand) string {
	switch n := r.IntN(10); {
	case n < 4:
		return OpRegister
	case n < 6:
		return OpSearch
	case n < 8:
		return OpDownload
	case n < 9:
		return OpCase
	default:
		return OpReceipt
	}
}

// Ack is one acknowledged (201) registration: what the verification checks is still there.
type Ack struct {
	Identifier string
	Register   string
	Year       int
	Number     int64
	Position   int64
	Subject    string            // the load's own registrations: a unique subject; "" for cases
	Files      map[string]string // path under the registration (document, attachments/0) → SHA-256 sent
}

func (a Ack) path() string {
	return fmt.Sprintf("/v1/registrations/%s/%d/%d", a.Register, a.Year, a.Number)
}

// sample is one finished operation.
type sample struct {
	op       string
	at       time.Time // when it finished
	took     time.Duration
	ok       bool
	attempts int            // requests sent, retries included
	retried  int            // of them, answers that asked for a retry (503, 507, 429, a cut connection)
	answers  map[string]int // the retried answers: "503", "503 without Retry-After", "507", "connection refused or cut"
}

func (s *sample) retry(why string) {
	if s.answers == nil {
		s.answers = map[string]int{}
	}
	s.answers[why]++
	s.retried++
}

// load is the traffic of N clients over the replicas, round-robin on the client side.
type load struct {
	run       string // a word unique to this run, in every subject
	replicas  func() []string
	tokens    tokens
	retryFor  time.Duration // how long one operation retries before giving up
	next      atomic.Uint64
	http      *http.Client
	mu        sync.Mutex
	acks      []Ack
	samples   []sample
	failures  []string // the first few failed operations, for the report
	requestNo atomic.Uint64
}

type tokens struct{ clerk, records, portal string }

// ack records an acknowledged registration.
func (l *load) ack(a Ack) {
	l.mu.Lock()
	l.acks = append(l.acks, a)
	l.mu.Unlock()
}

// someAck returns a random acknowledged registration, if any.
func (l *load) someAck(r *rand.Rand) (Ack, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.acks) == 0 {
		return Ack{}, false
	}
	return l.acks[r.IntN(len(l.acks))], true
}

func (l *load) record(s sample, failure string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.samples = append(l.samples, s)
	if failure != "" && len(l.failures) < 20 {
		l.failures = append(l.failures, failure)
	}
}

// request is one HTTP request the load sends, possibly several times.
type request struct {
	method, path, token string
	header              http.Header
	body                func() (io.Reader, string) // a fresh body and its content type for each attempt
}

// answer is the last answer to a request.
type answer struct {
	status int
	body   []byte
}

// retryable says whether a status asks the client to come back: the server is unavailable
// (503), its disk is full (507), too many requests (429), or a proxy could not reach it.
func retryable(status int) bool {
	switch status {
	case http.StatusServiceUnavailable, http.StatusInsufficientStorage, http.StatusTooManyRequests,
		http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// do sends req to the replicas in turn until an answer that is not retryable, honouring
// Retry-After (at most 5 s), for at most l.retryFor; wantRetry(status) adds statuses to retry
// (a receipt not logged yet: 409).
func (l *load) do(ctx context.Context, req request, s *sample, wantRetry func(int) bool) (answer, error) {
	deadline := time.Now().Add(l.retryFor)
	var last answer
	var lastErr error
	for {
		reps := l.replicas()
		base := reps[int(l.next.Add(1))%len(reps)]
		s.attempts++
		var body io.Reader
		ct := ""
		if req.body != nil {
			body, ct = req.body()
		}
		hr, err := http.NewRequestWithContext(ctx, req.method, base+req.path, body)
		if err != nil {
			return last, err
		}
		for k, v := range req.header {
			hr.Header[k] = v
		}
		hr.Header.Set("Authorization", "Bearer "+req.token)
		if ct != "" {
			hr.Header.Set("Content-Type", ct)
		}
		wait := 500 * time.Millisecond
		resp, err := l.http.Do(hr)
		if err == nil {
			raw, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			last, lastErr = answer{status: resp.StatusCode, body: raw}, rerr
			if rerr == nil && !retryable(resp.StatusCode) && (wantRetry == nil || !wantRetry(resp.StatusCode)) {
				return last, nil
			}
			why := strconv.Itoa(resp.StatusCode)
			if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs > 0 {
				wait = min(time.Duration(secs)*time.Second, 5*time.Second)
			} else if resp.StatusCode == http.StatusServiceUnavailable {
				why += " without Retry-After"
			}
			s.retry(why)
		} else {
			lastErr = err
			if ctx.Err() != nil {
				return last, err
			}
			s.retry("connection refused or cut")
		}
		if time.Now().Add(wait).After(deadline) {
			if lastErr != nil {
				return last, fmt.Errorf("gave up after %d attempts in %s: %w", s.attempts, l.retryFor, lastErr)
			}
			return last, fmt.Errorf("gave up after %d attempts in %s: last answer %d", s.attempts, l.retryFor, last.status)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// client runs operations until ctx ends.
func (l *load) client(ctx context.Context, id int) {
	r := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	for ctx.Err() == nil {
		op := pickOperation(r)
		if _, ok := l.someAck(r); !ok && (op == OpDownload || op == OpReceipt) {
			op = OpSearch // nothing acknowledged yet to read
		}
		s := sample{op: op}
		start := time.Now()
		err := l.operation(ctx, op, r, &s)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return // the load ended mid-operation: not a sample
		}
		s.took, s.at, s.ok = time.Since(start), time.Now(), err == nil
		failure := ""
		if err != nil {
			failure = fmt.Sprintf("%s %s: %v", time.Now().UTC().Format(time.TimeOnly), op, err)
		}
		l.record(s, failure)
	}
}

// operation runs one operation; a registration or case acknowledged is recorded.
func (l *load) operation(ctx context.Context, op string, r *rand.Rand, s *sample) error {
	switch op {
	case OpRegister:
		return l.register(ctx, s)
	case OpCase:
		return l.submitCase(ctx, s)
	case OpSearch:
		words := []string{"istanza", "richiesta", "certificato", "contributo", "autorizzazione", l.run}
		q := url.Values{"q": {words[r.IntN(len(words))]}, "limit": {"20"}}
		a, err := l.do(ctx, request{method: "GET", path: "/v1/search?" + q.Encode(), token: l.tokens.records}, s, nil)
		return expect(a, err, http.StatusOK)
	case OpDownload:
		ack, ok := l.someAck(r)
		if !ok {
			return errors.New("nothing acknowledged to download")
		}
		for p, sum := range ack.Files {
			a, err := l.do(ctx, request{method: "GET", path: ack.path() + "/" + p, token: l.tokens.records}, s, nil)
			if err := expect(a, err, http.StatusOK); err != nil {
				return err
			}
			if got := sha(a.body); got != sum {
				return fmt.Errorf("%s/%s: SHA-256 %s, acknowledged %s", ack.Identifier, p, got, sum)
			}
			break
		}
		return nil
	case OpReceipt:
		ack, ok := l.someAck(r)
		if !ok {
			return errors.New("nothing acknowledged to ask a receipt of")
		}
		h := http.Header{"Accept": {"application/pdf"}}
		a, err := l.do(ctx, request{method: "GET", path: ack.path() + "/receipt", token: l.tokens.records, header: h}, s,
			func(status int) bool { return status == http.StatusConflict }) // not logged yet: the server waited 10 s
		return expect(a, err, http.StatusOK)
	}
	return fmt.Errorf("unknown operation %q", op)
}

var subjects = []string{"Istanza di contributo", "Richiesta di certificato", "Domanda di autorizzazione", "Segnalazione", "Richiesta di accesso agli atti"}

// register registers a PDF with text, with an Idempotency-Key kept across retries.
func (l *load) register(ctx context.Context, s *sample) error {
	n := l.requestNo.Add(1)
	subject := fmt.Sprintf("%s %s richiesta%d", subjects[n%uint64(len(subjects))], l.run, n)
	pdf := samplepdf.Text(fmt.Sprintf("%s. Il sottoscritto chiede quanto in oggetto, richiesta numero %d della prova di carico %s.", subject, n, l.run))
	meta, _ := json.Marshal(map[string]any{
		"direction": "incoming", "channel": "web", "subject": subject,
		"correspondents": []map[string]any{{"role": "sender", "type": "person", "name": "Mario Rossi", "tax_code": "RSSMRA80A01H501U"}},
	})
	key := fmt.Sprintf("%s-reg-%d", l.run, n)
	req := request{method: "POST", path: "/v1/registrations", token: l.tokens.clerk, header: http.Header{"Idempotency-Key": {key}},
		body: func() (io.Reader, string) {
			return multipartBody(meta, filePart{"document", "istanza.pdf", pdf})
		}}
	a, err := l.do(ctx, req, s, nil)
	if err := expect(a, err, http.StatusCreated); err != nil {
		return err
	}
	var reg registration
	if err := json.Unmarshal(a.body, &reg); err != nil {
		return err
	}
	if reg.Subject != subject || reg.Document.SHA256 != sha(pdf) {
		return fmt.Errorf("registration %s answered subject %q, document %s: not what was sent", reg.Identifier, reg.Subject, reg.Document.SHA256)
	}
	l.ack(Ack{Identifier: reg.Identifier, Register: reg.Register, Year: reg.Year, Number: reg.Number, Position: reg.Position,
		Subject: subject, Files: map[string]string{"document": sha(pdf)}})
	return nil
}

// submitCase submits a SCIA as a portal: one registration with two PDF attachments.
func (l *load) submitCase(ctx context.Context, s *sample) error {
	n := l.requestNo.Add(1)
	plan := samplepdf.Text(fmt.Sprintf("Planimetria dei locali %s pratica %d", l.run, n))
	health := samplepdf.Text(fmt.Sprintf("Notifica sanitaria %s pratica %d", l.run, n))
	meta, _ := json.Marshal(map[string]any{"procedure": "scia-avvio-attivita",
		"form": map[string]any{
			"business": map[string]any{"name": fmt.Sprintf("Bar %s %d srl", l.run, n), "vat_number": "12345678903", "legal_representative": "Anna Bianchi"},
			"activity": map[string]any{"type": "somministrazione", "ateco": "56.30"},
			"premises": map[string]any{"address": "Via Roma 1, Roma"},
		},
		"documents": []map[string]any{{"requirement": "Planimetria dei locali"}, {"requirement": "Notifica sanitaria (Reg. CE 852/2004)"}}})
	key := fmt.Sprintf("%s-case-%d", l.run, n)
	req := request{method: "POST", path: "/v1/cases", token: l.tokens.portal,
		header: http.Header{"Idempotency-Key": {key}, "X-Applicant-Id": {"12345678903"}},
		body: func() (io.Reader, string) {
			return multipartBody(meta, filePart{"document", "planimetria.pdf", plan}, filePart{"document", "notifica.pdf", health})
		}}
	a, err := l.do(ctx, req, s, nil)
	if err := expect(a, err, http.StatusCreated); err != nil {
		return err
	}
	var cs struct {
		Registration *registration `json:"registration"`
	}
	if err := json.Unmarshal(a.body, &cs); err != nil {
		return err
	}
	reg := cs.Registration
	if reg == nil || len(reg.Attachments) != 2 || reg.Attachments[0].SHA256 != sha(plan) || reg.Attachments[1].SHA256 != sha(health) {
		return fmt.Errorf("case answered without its registration and the two attachments sent: %s", a.body)
	}
	l.ack(Ack{Identifier: reg.Identifier, Register: reg.Register, Year: reg.Year, Number: reg.Number, Position: reg.Position,
		Files: map[string]string{"document": reg.Document.SHA256, "attachments/0": sha(plan), "attachments/1": sha(health)}})
	return nil
}

// registration is what the load reads of a registration.
type registration struct {
	Identifier  string `json:"identifier"`
	Register    string `json:"register"`
	Year        int    `json:"year"`
	Number      int64  `json:"number"`
	Position    int64  `json:"position"`
	Subject     string `json:"subject"`
	Document    file   `json:"document"`
	Attachments []file `json:"attachments"`
}

type file struct {
	SHA256 string `json:"sha256"`
}

func expect(a answer, err error, want int) error {
	if err != nil {
		return err
	}
	if a.status != want {
		return fmt.Errorf("answered %d, want %d: %.300s", a.status, want, a.body)
	}
	return nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

type filePart struct {
	name, filename string
	content        []byte
}

// multipartBody is a metadata JSON part followed by file parts.
func multipartBody(meta []byte, parts ...filePart) (io.Reader, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="metadata"`)
	h.Set("Content-Type", "application/json")
	mw, _ := w.CreatePart(h)
	mw.Write(meta)
	for _, p := range parts {
		fw, _ := w.CreateFormFile(p.name, p.filename)
		fw.Write(p.content)
	}
	w.Close()
	return &b, w.FormDataContentType()
}

// Interval is one row group of the report: per operation, what finished in [From, From+len).
type Interval struct {
	From time.Duration // since the load started
	Ops  map[string]OpStats
}

// OpStats are the figures of one operation over an interval.
type OpStats struct {
	Count    int           // operations finished
	Failed   int           // of them, failed (not retryable, or retried past the bound)
	Attempts int           // requests sent
	Retried  int           // requests answered 503/507/429 or cut, then retried
	P50, P99 time.Duration // end to end, retries included
}

// ErrorRate is the share of requests that did not succeed at once: retried or failed.
func (o OpStats) ErrorRate() float64 {
	if o.Attempts == 0 {
		return 0
	}
	return float64(o.Retried+o.Failed) / float64(o.Attempts)
}

// intervals groups the samples by interval since start, and a last row over the whole run; an
// operation that finished after the load's duration (it was under way when the load stopped)
// counts in the last interval.
func intervals(samples []sample, start time.Time, every, duration time.Duration) (rows []Interval, total Interval) {
	byRow := map[int]map[string][]sample{}
	all := map[string][]sample{}
	last := 0
	lastRow := max(int((duration+every-1)/every)-1, 0)
	for _, s := range samples {
		i := min(int(s.at.Sub(start)/every), lastRow)
		if byRow[i] == nil {
			byRow[i] = map[string][]sample{}
		}
		byRow[i][s.op] = append(byRow[i][s.op], s)
		all[s.op] = append(all[s.op], s)
		last = max(last, i)
	}
	for i := 0; i <= last; i++ {
		rows = append(rows, Interval{From: time.Duration(i) * every, Ops: stats(byRow[i])})
	}
	return rows, Interval{Ops: stats(all)}
}

func stats(by map[string][]sample) map[string]OpStats {
	out := map[string]OpStats{}
	for op, ss := range by {
		var o OpStats
		var took []time.Duration
		for _, s := range ss {
			o.Count++
			o.Attempts += s.attempts
			o.Retried += s.retried
			if !s.ok {
				o.Failed++
			}
			took = append(took, s.took)
		}
		slices.Sort(took)
		o.P50, o.P99 = quantile(took, 0.50), quantile(took, 0.99)
		out[op] = o
	}
	return out
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
