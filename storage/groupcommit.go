package storage

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// Group commit of registrations.
//
// Every registration in a register and year takes that counter's row lock, from its numbering
// to its commit, so concurrent registrations in one register are serial however many
// connections there are: on PostgreSQL each waits on the row lock in its own backend, and the
// waking and re-checking of waiters cost more CPU than the inserts (measured: a third of the
// database's CPU with 50 concurrent registrations). Instead, concurrent CreateRegistration calls
// for one counter queue here; one of them, the leader, writes everything queued — up to
// maxGroup registrations — in one transaction that moves the counter once and commits once,
// while the next group queues. The numbers are still taken in one atomic step with the rows
// (R2), and a registration whose group fails is written again alone: one registration's bad
// input, refused idempotency key or vanished content fails only that registration, and a
// failed group consumes no number.

// maxGroup bounds the registrations written in one transaction.
const maxGroup = 64

// maxGroupRows bounds the rows a group's statement of inserts writes besides the registrations'
// (content references, offices, audit events; see rows): each takes up to ten parameters, and
// PostgreSQL takes at most 65,535 in one statement. A registration with more than this many is
// written in a group of its own.
const maxGroupRows = 4000

// groupTimeout bounds a group's transaction. A group outlives the request of the client that
// happens to lead it: that client leaving must not fail the others.
const groupTimeout = time.Minute

// pendingRegistration is one CreateRegistration call waiting in a counter's queue.
type pendingRegistration struct {
	ctx context.Context
	r   *domain.Registration
	enc encoded
	w   domain.Write
	err error
	// turn says, once, either that the call must now lead (true) or that its group is written
	// and err is its result (false).
	turn chan bool
}

// rows counts the rows p's registration adds to its group's statement of inserts.
func (p *pendingRegistration) rows() int {
	return 1 + len(p.r.Attachments) + len(p.r.Offices) + len(p.w.Audit)
}

// groupCommit holds the queue of each counter (register and year).
type groupCommit struct {
	mu     sync.Mutex
	queues map[counterKey]*groupQueue
	// hook, if set (tests), is called by each leader with its group's size, before writing it.
	hook func(size int)

	groups, grouped, failed atomic.Uint64 // GroupStats
}

// GroupStats counts the groups of registrations written since Open (see groupcommit.go).
type GroupStats struct {
	Groups        uint64 // transactions that wrote a group, of one registration or more
	Registrations uint64 // registrations in those groups
	Failed        uint64 // groups of several that failed, whose registrations were written again alone
}

// GroupStats returns the counts of registration groups written so far.
func (db *DB) GroupStats() GroupStats {
	g := &db.group
	return GroupStats{Groups: g.groups.Load(), Registrations: g.grouped.Load(), Failed: g.failed.Load()}
}

type groupQueue struct {
	waiting []*pendingRegistration
	busy    bool // a leader is writing a group
}

// createGrouped writes p with the other registrations of its counter queued with it, and
// returns p's result.
func (db *DB) createGrouped(key counterKey, p *pendingRegistration) error {
	g := &db.group
	g.mu.Lock()
	if g.queues == nil {
		g.queues = map[counterKey]*groupQueue{}
	}
	q := g.queues[key]
	if q == nil {
		q = &groupQueue{}
		g.queues[key] = q
	}
	q.waiting = append(q.waiting, p)
	if q.busy {
		g.mu.Unlock()
		if lead := <-p.turn; !lead {
			return p.err
		}
		g.mu.Lock()
	} else {
		q.busy = true
	}
	// p leads, and is first in the queue: the queue is empty when no one leads, and a leader
	// hands over to the first waiting.
	n, rows := 1, q.waiting[0].rows()
	for ; n < min(len(q.waiting), maxGroup); n++ {
		if rows += q.waiting[n].rows(); rows > maxGroupRows {
			break
		}
	}
	group := slices.Clone(q.waiting[:n])
	q.waiting = slices.Delete(q.waiting, 0, n)
	g.mu.Unlock()

	db.writeGroupOrFail(group)

	g.mu.Lock()
	if len(q.waiting) > 0 {
		next := q.waiting[0]
		g.mu.Unlock()
		next.turn <- true
	} else {
		q.busy = false
		g.mu.Unlock()
	}
	for _, o := range group[1:] {
		o.turn <- false
	}
	return p.err
}

// writeGroupOrFail writes group as writeGroup does, and turns a panic into every member's
// error: the queue must go on, and the members waiting must get an answer.
func (db *DB) writeGroupOrFail(group []*pendingRegistration) {
	defer func() {
		if v := recover(); v != nil {
			db.log.Error("panic while writing a group of registrations", "panic", v, "stack", string(debug.Stack()))
			for _, p := range group {
				p.err = fmt.Errorf("write a group of %d registrations: panic: %v", len(group), v)
			}
		}
	}()
	db.writeGroup(group)
}

// writeGroup writes group's registrations in one transaction, or, should that fail, each in
// a transaction of its own, and sets each one's err.
func (db *DB) writeGroup(group []*pendingRegistration) {
	if h := db.group.hook; h != nil {
		h(len(group))
	}
	db.group.groups.Add(1)
	db.group.grouped.Add(uint64(len(group)))
	if len(group) == 1 {
		p := group[0]
		p.err = db.createRegistration(p.ctx, p.r, p.enc, p.w)
		return
	}
	type saved struct {
		number, position int64
		identifier       string
	}
	before := make([]saved, len(group))
	for i, p := range group {
		before[i] = saved{p.r.Number, p.r.Position, p.r.Identifier}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(group[0].ctx), groupTimeout)
	defer cancel()
	err := db.write(ctx, func(tx *gorm.DB) error { return db.insertGroup(tx, group) })
	if err == nil {
		for _, p := range group {
			p.r.TextStatus = domain.TextPending
			p.err = nil
		}
		db.counters.Store(counterKey{group[0].r.Register, group[0].r.Year}, struct{}{})
		return
	}
	db.group.failed.Add(1)
	db.log.Debug("group of registrations failed; writing each alone", "size", len(group), "err", err)
	for i, p := range group {
		p.r.Number, p.r.Identifier, p.r.Position = before[i].number, before[i].identifier, before[i].position
		p.err = db.createRegistration(p.ctx, p.r, p.enc, p.w)
	}
}

// insertGroup stores and numbers group's registrations in tx, as insertRegistration does one,
// and commits tx with the numbering statement.
func (db *DB) insertGroup(tx *gorm.DB, group []*pendingRegistration) error {
	aoo, err := db.loadAOO(tx)
	if err != nil {
		return err
	}
	var (
		stmts []stmt
		all   []string
	)
	for _, p := range group {
		stmts = append(stmts, db.registrationStmts(p.r, p.w)...)
		all = append(all, digests(p.r)...)
	}
	// One statement takes every content lock, in one order (see insertRegistration).
	if lock, ok := db.lockContentStmt(all); ok {
		stmts = append(stmts, lock)
	}
	tail, err := db.runAllChainLast(tx, mergeInserts(stmts))
	if err != nil {
		return err
	}
	for _, p := range group {
		if p.w.Verify != nil {
			if err := p.w.Verify(p.ctx); err != nil {
				return err
			}
		}
		if p.w.Document != "" {
			if err := db.registerDocument(tx, p.w.Document, p.r.ID); err != nil {
				return err
			}
		}
	}
	rs := make([]*domain.Registration, len(group))
	encs := make([]encoded, len(group))
	for i, p := range group {
		rs[i], encs[i] = p.r, p.enc
	}
	if err := db.numberAndInsertAll(tx, aoo, rs, encs, tail); err != nil {
		return fmt.Errorf("number and insert %d registrations: %w", len(group), err)
	}
	return nil
}
