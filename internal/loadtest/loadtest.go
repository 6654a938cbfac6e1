// Package loadtest is the load and fault suite of docs/operations.md#load-and-fault-suite: it
// builds the sportello binary, starts a private PostgreSQL cluster, a blob store (a directory,
// a small tmpfs, or a versitygw S3 server) and two `sportello serve` replicas on loopback,
// sends them a mixed load from concurrent clients (registrations, searches, downloads, case
// submissions, receipts) round-robin, injects one fault mid-load (a replica killed, PostgreSQL
// restarted, the blob store's disk full, S3 unreachable), and ends with the same verification
// every time: every acknowledged registration present and byte-exact, numbers gapless,
// `sportello verify --data` clean, every replica's index complete. cmd/sportello-load runs
// one scenario; the package's test runs each one shortly.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// Scenarios are the scenario names, in the order the suite runs them.
var Scenarios = []string{"mixed", "kill", "pg-restart", "disk-full", "s3-down"}

// Options configure one run.
type Options struct {
	Scenario string
	Duration time.Duration // of the load
	Clients  int           // concurrent clients (16)
	Interval time.Duration // rows of the report (1 minute; Duration/4 when shorter than 4 minutes)
	FaultAt  time.Duration // when the fault starts, since the load started (Duration/3)
	FaultFor time.Duration // how long it lasts: replica or PostgreSQL down, disk full, S3 down (s3-down: 30 s)
	Binary   string        // the sportello binary; built from this module when empty
	Work     string        // the working directory (a new temporary one when empty; removed unless Keep)
	Keep     bool          // keep the working directory (logs, database, blobs)
	Log      io.Writer     // progress lines (os.Stderr when nil)
}

// Event is something the scenario did, at a time since the load started.
type Event struct {
	At   time.Duration
	What string
}

// Check is one verification, passed or failed.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// Result is a finished run.
type Result struct {
	Options  Options
	Started  time.Time
	Machine  string
	Blobs    string // file, tmpfs, s3
	Rows     []Interval
	Total    Interval
	Acks     int
	Events   []Event
	Checks   []Check
	Failures []string       // the first failed operations
	Retried  map[string]int // the answers that were retried, by kind
}

// OK says whether every check passed.
func (r *Result) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// cluster is what a scenario runs on.
type cluster struct {
	work     string
	pg       *postgres
	s3       *versity
	blobsDir string // the file store's directory (file and tmpfs stores)
	tmpfs    bool
	replicas []*replica
}

// up returns the URLs of the replicas to send to: all of them, as a client-side load balancer
// that does not know one is down (it learns by a refused connection, and tries the next).
func (c *cluster) up() []string {
	var out []string
	for _, r := range c.replicas {
		out = append(out, r.URL())
	}
	return out
}

func (c *cluster) close() {
	for _, r := range c.replicas {
		r.stop()
	}
	if c.s3 != nil {
		c.s3.stop()
	}
	if c.pg != nil {
		c.pg.close()
	}
	if c.tmpfs {
		unmount(c.blobsDir)
	}
}

// Run runs one scenario and its verification. The error is for a run that could not be set up
// or carried out; a verification that fails is in the result's checks.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if o.Clients <= 0 {
		o.Clients = 16
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Minute
	}
	if o.Interval <= 0 {
		o.Interval = time.Minute
		if o.Duration < 4*time.Minute {
			o.Interval = max(o.Duration/4, time.Second)
		}
	}
	if o.FaultAt <= 0 {
		o.FaultAt = o.Duration / 3
	}
	if o.FaultFor <= 0 {
		o.FaultFor = min(o.Duration/4, 30*time.Second)
		if o.Scenario == "s3-down" {
			o.FaultFor = 30 * time.Second
		}
	}
	if !validScenario(o.Scenario) {
		return nil, fmt.Errorf("unknown scenario %q: want one of %s", o.Scenario, strings.Join(Scenarios, ", "))
	}
	if o.Work == "" {
		dir, err := os.MkdirTemp("", "sportello-load-")
		if err != nil {
			return nil, err
		}
		o.Work = dir
		if !o.Keep {
			defer os.RemoveAll(dir)
		}
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(o.Log, "%s %s\n", time.Now().UTC().Format(time.TimeOnly), fmt.Sprintf(format, args...))
	}
	res := &Result{Options: o, Started: time.Now().UTC(), Machine: machine()}

	if o.Binary == "" {
		logf("building cmd/sportello")
		bin, err := buildBinary(o.Work)
		if err != nil {
			return nil, err
		}
		o.Binary = bin
	}
	c, err := setUp(o, logf)
	if c != nil {
		defer c.close()
	}
	if err != nil {
		return nil, err
	}
	res.Blobs = "file"
	switch {
	case c.s3 != nil:
		res.Blobs = "s3 (versitygw)"
	case c.tmpfs:
		res.Blobs = "file on a tmpfs"
	}
	tok, err := makeClients(c.replicas[0])
	if err != nil {
		return nil, err
	}
	l := &load{run: "caricoprova" + randHex(3), replicas: c.up, tokens: tok, retryFor: 2 * time.Minute,
		http: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.Clients}}}

	logf("load: %d clients on %d replicas for %s; scenario %s", o.Clients, len(c.replicas), o.Duration, o.Scenario)
	loadCtx, stopLoad := context.WithCancel(ctx)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range o.Clients {
		wg.Go(func() { l.client(loadCtx, i) })
	}
	event := func(format string, args ...any) {
		e := Event{At: time.Since(start).Round(100 * time.Millisecond), What: fmt.Sprintf(format, args...)}
		res.Events = append(res.Events, e)
		logf("+%s %s", e.At, e.What)
	}
	faultErr := fault(ctx, o, c, start, event)
	if wait := time.Until(start.Add(o.Duration)); wait > 0 && faultErr == nil {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	stopLoad()
	wg.Wait()
	event("load stopped")
	if faultErr != nil {
		return nil, faultErr
	}
	res.Rows, res.Total = intervals(l.samples, start, o.Interval, o.Duration)
	res.Acks = len(l.acks)
	res.Failures = l.failures
	failed := 0
	res.Retried = map[string]int{}
	for _, s := range l.samples {
		if !s.ok {
			failed++
		}
		for why, n := range s.answers {
			res.Retried[why] += n
		}
	}
	res.Checks = append(res.Checks, Check{Name: "every operation succeeded (retries included)", OK: failed == 0,
		Detail: fmt.Sprintf("%d operations, %d failed", len(l.samples), failed)})
	if ch, ok := faultSeen(o.Scenario, res.Retried); ok {
		res.Checks = append(res.Checks, ch)
	}
	logf("verifying %d acknowledged registrations", len(l.acks))
	res.Checks = append(res.Checks, verify(ctx, o, c, l)...)
	for _, ch := range res.Checks {
		status := "PASS"
		if !ch.OK {
			status = "FAIL"
		}
		logf("%s %s: %s", status, ch.Name, ch.Detail)
	}
	return res, nil
}

func validScenario(s string) bool {
	for _, v := range Scenarios {
		if v == s {
			return true
		}
	}
	return false
}

// setUp starts PostgreSQL, the blob store and two replicas.
func setUp(o Options, logf func(string, ...any)) (*cluster, error) {
	c := &cluster{work: o.Work}
	logf("starting a private PostgreSQL cluster")
	pg, err := startPostgres()
	if err != nil {
		return c, err
	}
	c.pg = pg
	env := []string{"SPORTELLO_DATABASE_URL=" + pg.URL(), "SPORTELLO_AUTO_MIGRATE=true", "SPORTELLO_LOG_LEVEL=warn",
		"SPORTELLO_TEXT_WORKERS=2"}
	switch o.Scenario {
	case "s3-down":
		logf("starting versitygw")
		v, err := startVersity(filepath.Join(o.Work, "versitygw"))
		if err != nil {
			return c, err
		}
		c.s3 = v
		env = append(append(env, "SPORTELLO_BLOBS="+v.blobsURL()), v.env()...)
	case "disk-full":
		c.blobsDir = filepath.Join(o.Work, "blobs")
		if err := os.MkdirAll(c.blobsDir, 0o700); err != nil {
			return c, err
		}
		if err := mountTmpfs(c.blobsDir, "256m"); err != nil {
			return c, err
		}
		c.tmpfs = true
		env = append(env, "SPORTELLO_BLOBS=file://"+c.blobsDir)
	default:
		c.blobsDir = filepath.Join(o.Work, "blobs")
		if err := os.MkdirAll(c.blobsDir, 0o700); err != nil {
			return c, err
		}
		env = append(env, "SPORTELLO_BLOBS=file://"+c.blobsDir)
	}
	for i, name := range []string{"replica-a", "replica-b"} {
		port, err := freePort()
		if err != nil {
			return c, err
		}
		r := &replica{name: name, bin: o.Binary, data: filepath.Join(o.Work, name, "data"), addr: fmt.Sprintf("127.0.0.1:%d", port), env: env}
		if err := os.MkdirAll(r.data, 0o700); err != nil {
			return c, err
		}
		if i > 0 { // the same sealing keys and admin key as the first replica (docs/operations.md#several-replicas)
			first := c.replicas[0].data
			if err := os.CopyFS(filepath.Join(r.data, "keys"), os.DirFS(filepath.Join(first, "keys"))); err != nil {
				return c, err
			}
			key, err := os.ReadFile(filepath.Join(first, "admin.key"))
			if err != nil {
				return c, err
			}
			if err := os.WriteFile(filepath.Join(r.data, "admin.key"), key, 0o600); err != nil {
				return c, err
			}
		}
		logf("starting %s on %s", name, r.addr)
		if err := r.start(); err != nil {
			return c, err
		}
		c.replicas = append(c.replicas, r)
	}
	return c, nil
}

// makeClients creates the load's API clients through the first replica with the admin key.
func makeClients(r *replica) (tokens, error) {
	raw, err := os.ReadFile(filepath.Join(r.data, "admin.key"))
	if err != nil {
		return tokens{}, err
	}
	admin := strings.TrimSpace(string(raw))
	create := func(name, role string) (string, error) {
		body, _ := json.Marshal(map[string]any{"name": name, "roles": []string{role}, "offices": []string{}})
		req, _ := http.NewRequest("POST", r.URL()+"/v1/clients", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated {
			return "", fmt.Errorf("create client %s: %d %s", name, resp.StatusCode, out)
		}
		var c struct {
			Token string `json:"token"`
		}
		return c.Token, json.Unmarshal(out, &c)
	}
	var t tokens
	if t.clerk, err = create("sportello-load clerk", "protocol_operator"); err != nil {
		return t, err
	}
	if t.records, err = create("sportello-load records", "records_officer"); err != nil {
		return t, err
	}
	t.portal, err = create("sportello-load portal", "portal")
	return t, err
}

// fault injects the scenario's fault at o.FaultAt and repairs it o.FaultFor later.
func fault(ctx context.Context, o Options, c *cluster, start time.Time, event func(string, ...any)) error {
	if o.Scenario == "mixed" {
		return nil
	}
	select {
	case <-time.After(time.Until(start.Add(o.FaultAt))):
	case <-ctx.Done():
		return ctx.Err()
	}
	switch o.Scenario {
	case "kill":
		r := c.replicas[0] // the first replica: it leads the sequencer, the journal and fixity
		r.kill()
		event("kill -9 %s (it led the log sequencer)", r.name)
		time.Sleep(o.FaultFor)
		if err := r.start(); err != nil {
			return err
		}
		event("%s restarted and ready", r.name)
	case "pg-restart":
		if err := c.pg.stop(); err != nil {
			return err
		}
		event("PostgreSQL stopped (pg_ctl stop -m fast)")
		time.Sleep(o.FaultFor)
		if err := c.pg.start(); err != nil {
			return err
		}
		event("PostgreSQL started again")
	case "disk-full":
		path, err := fill(c.blobsDir)
		if err != nil {
			return err
		}
		event("blob store's file system filled (ENOSPC)")
		time.Sleep(o.FaultFor)
		if err := os.Remove(path); err != nil {
			return err
		}
		event("space freed")
	case "s3-down":
		c.s3.stop()
		event("versitygw stopped (S3 unreachable)")
		time.Sleep(o.FaultFor)
		if err := c.s3.start(); err != nil {
			return err
		}
		event("versitygw started again")
	}
	return nil
}

// faultSeen checks that the clients met the fault as the scenario expects it (a cut connection,
// 503 with Retry-After, 507), so that a run whose fault missed every request does not pass
// unnoticed. The mixed scenario has none.
func faultSeen(scenario string, retried map[string]int) (Check, bool) {
	ch := Check{Name: "the clients met the fault and were asked to retry"}
	total := 0
	var seen []string
	for why, n := range retried {
		total += n
		seen = append(seen, fmt.Sprintf("%s × %d", why, n))
	}
	sort.Strings(seen)
	ch.Detail = "retried answers: " + strings.Join(seen, ", ")
	if total == 0 {
		ch.Detail = "no request was answered 503 or 507, nor cut"
	}
	switch scenario {
	case "kill":
		ch.OK = retried["connection refused or cut"] > 0
	case "pg-restart":
		ch.OK = retried["503"] > 0 && retried["503 without Retry-After"] == 0
	case "disk-full":
		ch.OK = retried["507"] > 0
	case "s3-down":
		ch.OK = total > 0 && retried["503 without Retry-After"] == 0
	default:
		return ch, false
	}
	return ch, true
}

// machine describes the machine for the report.
func machine() string {
	model := ""
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d cores (%s), %s/%s, %s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, runtime.Version())
}
