package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/storage"
)

// maxCounted bounds how many untime-stamped checkpoints or pending events a health check
// counts: past it the figure says "at least".
const maxCounted = 10000

// DefaultBlobsReadyEvery is how long /readyz trusts the blob store's last answer: a load
// balancer polling every replica every second then costs an S3 bucket one HeadBucket per
// replica every few seconds, and a store that stops answering is seen within that time.
const DefaultBlobsReadyEvery = 3 * time.Second

// blobsReadyTimeout bounds one check, so that /readyz answers even when the S3 endpoint
// swallows packets instead of refusing the connection.
const blobsReadyTimeout = 2 * time.Second

// blobProbe answers whether the blob store can be reached, asking it at most once per every:
// concurrent calls wait for the one check in flight, then share its answer.
type blobProbe struct {
	ping  func(context.Context) error
	every time.Duration
	mu    sync.Mutex
	at    time.Time
	err   error
}

// newBlobProbe returns the probe of store, or nil when the store has no Ping.
func newBlobProbe(store any, every time.Duration) *blobProbe {
	p, ok := store.(interface{ Ping(context.Context) error })
	if !ok {
		return nil
	}
	if every <= 0 {
		every = DefaultBlobsReadyEvery
	}
	return &blobProbe{ping: p.Ping, every: every}
}

// ready returns the store's last answer while it is fresh, else asks again. The check runs
// on its own deadline, not the request's: a load balancer that gives up early does not leave
// an error cached in the others' way.
func (p *blobProbe) ready(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.at.IsZero() && time.Since(p.at) < p.every {
		return p.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), blobsReadyTimeout)
	defer cancel()
	p.err = p.ping(ctx)
	p.at = time.Now()
	return p.err
}

// logHealth is the transparency log's state as operators watch it.
type logHealth struct {
	Size             uint64
	CheckpointAge    time.Duration // since the latest checkpoint; 0 without one
	MissingTimestamp int           // checkpoints still waiting for an RFC 3161 token
	Pending          int           // change events the sequencer has not integrated yet
}

// logHealth reads the log's state from the database.
func (m *Main) logHealth(ctx context.Context) (logHealth, error) {
	var h logHealth
	st, err := m.DB.TLogState(ctx)
	if err != nil {
		return h, err
	}
	h.Size = st.Size
	cp, err := m.DB.LatestTLogCheckpoint(ctx)
	switch {
	case err == nil:
		h.CheckpointAge = time.Since(cp.Time)
	case !domain.IsCode(err, domain.ECNotFound):
		return h, err
	}
	missing, err := m.DB.TLogCheckpoints(ctx, 0, maxCounted, true)
	if err != nil {
		return h, err
	}
	h.MissingTimestamp = len(missing)
	pending, err := m.DB.Changes(ctx, st.Cursor, maxCounted)
	h.Pending = len(pending)
	return h, err
}

// warnings lists what an operator should know although the instance still serves: registering
// goes on while the TSA is down, but checkpoints wait for their time-stamps.
func (m *Main) warnings(ctx context.Context) []string {
	out := append(m.audit.warnings(), m.fixity.warnings()...)
	h, err := m.logHealth(ctx)
	if err != nil {
		return append(out, "transparency log state unreadable")
	}
	if h.MissingTimestamp > 0 {
		out = append(out, fmt.Sprintf("%d log checkpoints wait for a time-stamp: the time-stamping authority (%s) is unreachable or failing",
			h.MissingTimestamp, m.integrity.TSAName))
	}
	if h.Pending >= 1000 {
		out = append(out, fmt.Sprintf("the transparency log is %d events behind the register", h.Pending))
	}
	return out
}

// logCollector exports logHealth as Prometheus gauges, read at scrape time.
type logCollector struct {
	m                                   *Main
	size, age, missing, pending, errors *prometheus.Desc
}

func newLogCollector(m *Main) *logCollector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	return &logCollector{m: m,
		size:    d("sportello_tlog_size", "Leaves in the transparency log."),
		age:     d("sportello_tlog_checkpoint_age_seconds", "Seconds since the latest signed checkpoint."),
		missing: d("sportello_tlog_checkpoints_missing_timestamp", "Checkpoints still waiting for an RFC 3161 time-stamp token."),
		pending: d("sportello_tlog_pending_events", "Change events the log sequencer has not integrated yet (capped)."),
		errors:  d("sportello_tlog_health_errors", "1 when the log state could not be read at this scrape."),
	}
}

func (c *logCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.size, c.age, c.missing, c.pending, c.errors} {
		ch <- d
	}
}

func (c *logCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h, err := c.m.logHealth(ctx)
	failed := 0.0
	if err != nil {
		failed = 1
	}
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	g(c.errors, failed)
	if err == nil {
		g(c.size, float64(h.Size))
		g(c.age, h.CheckpointAge.Seconds())
		g(c.missing, float64(h.MissingTimestamp))
		g(c.pending, float64(h.Pending))
	}
}

// groupCounters export the counts of registrations written in groups (storage.DB.GroupStats):
// their ratio is the mean group size, which says how much concurrent registrations share
// their transactions.
func groupCounters(db *storage.DB) []prometheus.Collector {
	counter := func(name, help string, v func(storage.GroupStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(db.GroupStats())) })
	}
	return []prometheus.Collector{
		counter("sportello_registration_groups_total", "Transactions that wrote a group of concurrent registrations of one register.",
			func(s storage.GroupStats) uint64 { return s.Groups }),
		counter("sportello_registration_grouped_total", "Registrations in those groups.",
			func(s storage.GroupStats) uint64 { return s.Registrations }),
		counter("sportello_registration_group_failures_total", "Groups that failed, whose registrations were written again one at a time.",
			func(s storage.GroupStats) uint64 { return s.Failed }),
	}
}

// blobsReady is /readyz's check of the blob store, cached (blobProbe); nil for a store that
// cannot be asked.
func (m *Main) blobsReady() func(context.Context) error {
	p := newBlobProbe(m.Service.Blobs, m.BlobsReadyEvery)
	if p == nil {
		return nil
	}
	return p.ready
}
