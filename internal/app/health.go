package app

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/storage"
)

// maxCounted bounds how many untime-stamped checkpoints or pending events a health check
// counts: past it the figure says "at least".
const maxCounted = 10000

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
