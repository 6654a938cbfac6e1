package domain

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// The services in this file use the port AuditTrailStore (ports.go).

// AuditBuffer is the AuditRecorder of a server: Record only appends to memory, so that a read
// is not slowed by a write; Run stores what was recorded every Interval, or sooner once Max
// events wait, each flush one transaction (AuditTrailStore.AppendAudit). A flush that fails
// keeps its events for the next one.
type AuditBuffer struct {
	Store    AuditTrailStore
	Interval time.Duration // default 200ms: an event is durable well within a second
	Max      int           // default 256
	Logger   *slog.Logger

	mu      sync.Mutex
	pending []AuditEvent
	full    chan struct{}
	once    sync.Once
}

func (b *AuditBuffer) init() {
	b.once.Do(func() { b.full = make(chan struct{}, 1) })
}

// Record queues e.
func (b *AuditBuffer) Record(e AuditEvent) {
	b.init()
	b.mu.Lock()
	b.pending = append(b.pending, e)
	n := len(b.pending)
	b.mu.Unlock()
	if n >= b.max() {
		select {
		case b.full <- struct{}{}:
		default:
		}
	}
}

// Run flushes until ctx is done, then flushes once more with a context of its own (bounded),
// so that what was recorded before a shutdown is kept.
func (b *AuditBuffer) Run(ctx context.Context) {
	b.init()
	interval := b.Interval
	if interval <= 0 {
		interval = 200 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			b.log(fctx, b.Flush(fctx))
			cancel()
			return
		case <-t.C:
		case <-b.full:
		}
		b.log(ctx, b.Flush(ctx))
	}
}

// Flush stores every queued event now.
func (b *AuditBuffer) Flush(ctx context.Context) error {
	b.mu.Lock()
	events := b.pending
	b.pending = nil
	b.mu.Unlock()
	if len(events) == 0 {
		return nil
	}
	if err := b.Store.AppendAudit(ctx, events); err != nil {
		b.mu.Lock()
		b.pending = append(events, b.pending...)
		b.mu.Unlock()
		return err
	}
	return nil
}

func (b *AuditBuffer) max() int {
	if b.Max > 0 {
		return b.Max
	}
	return 256
}

func (b *AuditBuffer) log(ctx context.Context, err error) {
	if err != nil && b.Logger != nil {
		b.Logger.ErrorContext(ctx, "audit events not stored yet; retrying", "err", err)
	}
}
