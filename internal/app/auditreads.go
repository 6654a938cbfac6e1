package app

import (
	"context"
	"sync"

	"github.com/sportello/sportello/domain"
)

// auditReads runs the buffer of the audit events no write carries (reads of confidential
// records, downloads, refused requests): domain.AuditBuffer makes each durable within a second.
type auditReads struct {
	buf    *domain.AuditBuffer
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startAuditReads gives the service its read recorder and starts flushing it.
func (m *Main) startAuditReads() {
	r := &auditReads{buf: &domain.AuditBuffer{Store: m.DB, Logger: m.Logger}}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Go(func() { r.buf.Run(ctx) })
	m.Service.Reads = r.buf
	m.auditReads = r
}

// stop flushes what is buffered and stops; it is called after the HTTP server has stopped, so
// that no request records anything after it.
func (r *auditReads) stop() {
	if r == nil {
		return
	}
	r.cancel()
	r.wg.Wait()
}
