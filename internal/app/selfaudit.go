package app

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sportello/sportello/signing/tlog"
)

// selfAuditRecent is how many of the latest leaves and registrations each self-audit checks:
// the last minutes of work at any realistic rate, in one or two queries. `sportello verify
// --data` checks everything.
const selfAuditRecent = 1000

// selfAudit re-checks, every Config.AuditInterval, the recent leaves of the transparency log
// against the rows they log and looks for recent facts never logged: an alteration behind the
// database's guards shows within one interval in sportello_integrity_mismatches and in the
// warnings of /readyz, not only when someone thinks of running `sportello verify --data`.
type selfAudit struct {
	m     *Main
	every time.Duration
	lag   time.Duration

	mu      sync.Mutex
	last    tlog.AuditReport
	lastErr error
	ran     bool

	audits, failures prometheus.Counter
	stop             func()
	done             sync.WaitGroup
}

func newSelfAudit(m *Main) *selfAudit {
	lag := m.IntegrityLag
	if lag <= 0 {
		lag = tlog.DefaultLag
	}
	return &selfAudit{m: m, every: m.Config.AuditInterval, lag: lag,
		audits: prometheus.NewCounter(prometheus.CounterOpts{Name: "sportello_integrity_audits_total",
			Help: "Self-audits of the recent transparency log leaves against the register."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "sportello_integrity_audit_failures_total",
			Help: "Self-audits that could not finish, for instance because the database did not answer."}),
	}
}

// collectors are the self-audit's metrics: its counters and the mismatches of the last audit.
func (a *selfAudit) collectors() []prometheus.Collector {
	return []prometheus.Collector{a.audits, a.failures,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sportello_integrity_mismatches",
			Help: "Rows that differ from their logged leaf, or facts older than the lag never logged, found by the last self-audit."},
			func() float64 {
				a.mu.Lock()
				defer a.mu.Unlock()
				return float64(len(a.last.Mismatches) + len(a.last.Unlogged))
			}),
	}
}

// run audits once and keeps the report; an audit that fails keeps the previous report.
func (a *selfAudit) run(ctx context.Context) {
	rep, err := a.m.Audit(ctx, tlog.AuditOptions{Lag: a.lag, Recent: selfAuditRecent, Now: a.now})
	if ctx.Err() != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ran, a.lastErr = true, err
	if err != nil {
		a.failures.Inc()
		a.m.Logger.ErrorContext(ctx, "integrity self-audit failed", "err", err)
		return
	}
	a.audits.Inc()
	a.last = rep
	for _, mm := range rep.Mismatches {
		a.m.Logger.ErrorContext(ctx, "integrity alarm: the register differs from the transparency log",
			"leaf", mm.Index, "kind", mm.Kind, "identifier", mm.Identifier, "problem", mm.Problem)
	}
	for _, f := range rep.Unlogged {
		a.m.Logger.ErrorContext(ctx, "integrity alarm: a fact was never logged", "kind", f.Kind, "identifier", f.Identifier,
			"at", f.At)
	}
}

// now is the service's clock, which dates the registrations.
func (a *selfAudit) now() time.Time {
	if a.m.Now != nil {
		return a.m.Now()
	}
	return time.Now()
}

// warnings describe the last audit's findings for /readyz.
func (a *selfAudit) warnings() []string {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	if a.lastErr != nil {
		out = append(out, "integrity self-audit failed: see the server log")
	}
	if n := len(a.last.Mismatches) + len(a.last.Unlogged); n > 0 {
		var names []string
		for _, mm := range a.last.Mismatches {
			names = append(names, fmt.Sprintf("%s %s: %s", mm.Kind, cmp.Or(mm.Identifier, fmt.Sprint("leaf ", mm.Index)), mm.Problem))
		}
		for _, f := range a.last.Unlogged {
			names = append(names, fmt.Sprintf("%s %s: never logged", f.Kind, f.Identifier))
		}
		const shown = 5
		if len(names) > shown {
			names = append(names[:shown], fmt.Sprintf("%d more", len(names)-shown))
		}
		out = append(out, fmt.Sprintf("integrity: %d differences between the register and the transparency log (%s); run `sportello verify --data`",
			n, strings.Join(names, "; ")))
	}
	return out
}

// start audits now, then every interval, until stopBackground.
func (a *selfAudit) start() {
	ctx, cancel := context.WithCancel(context.Background())
	a.stop = cancel
	a.done.Go(func() {
		t := time.NewTicker(a.every)
		defer t.Stop()
		for {
			a.run(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// stopBackground stops the audits and waits for the current one to finish.
func (a *selfAudit) stopBackground() {
	if a != nil && a.stop != nil {
		a.stop()
		a.done.Wait()
	}
}
