package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// storeWrite records what every write carries beside its entity: the audit events and the
// idempotency record. A duplicate idempotency key is a conflict.
func (db *DB) storeWrite(tx *gorm.DB, w domain.Write) error {
	if err := db.runAll(tx, nil, db.writeStmts(w)...); err != nil {
		return fmt.Errorf("store audit and idempotency key: %w", idempotencyConflict(err, w))
	}
	return nil
}

// writeStmts returns the statements that store w.
func (db *DB) writeStmts(w domain.Write) []stmt {
	var out []stmt
	if len(w.Audit) > 0 {
		out = append(out, stmt{audit: w.Audit})
	}
	if rec := w.Idempotency; rec != nil {
		out = append(out, stmt{sql: `INSERT INTO idempotency_keys
			(principal_id, key, request_hash, resource_kind, resource_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			args: []any{rec.PrincipalID, rec.Key, rec.RequestHash, rec.Kind, rec.ResourceID, db.ts(rec.CreatedAt)}})
	}
	return out
}

// chainAudit turns the audit events among stmts into INSERT statements, chained after the head
// of the audit chain (docs/audit.md), and adds the statement that moves the head. The head row
// is read locked (PostgreSQL: FOR UPDATE; SQLite has one writer), so concurrent transactions
// take turns and the chain cannot fork; the lock is held until tx ends, which is why runAll
// chains only when it is about to run the statements.
func (db *DB) chainAudit(tx *gorm.DB, stmts []stmt) ([]stmt, error) {
	if auditCount(stmts) == 0 {
		return stmts, nil
	}
	head, err := db.lockAuditHead(tx)
	if err != nil {
		return nil, err
	}
	return db.chainAfter(head, stmts), nil
}

// auditCount counts the audit events among stmts.
func auditCount(stmts []stmt) int {
	n := 0
	for _, s := range stmts {
		n += len(s.audit)
	}
	return n
}

// chainAfter returns stmts with their audit events chained after head, followed by the
// statement that moves the head past them. The events of every audit statement among stmts —
// in a group commit, one per registration — are inserted together, in their order, by one
// multi-row INSERT (of at most auditPerInsert events; auditInserts) in the place of the first:
// PostgreSQL plans and starts each statement of a WITH on its own, and one INSERT per
// registration cost more than the rows it wrote (docs/benchmarks.md, "Audit chain").
func (db *DB) chainAfter(head domain.AuditHead, stmts []stmt) []stmt {
	out := make([]stmt, 0, len(stmts)+1)
	var (
		chained []domain.AuditEvent
		at      = -1 // where in out the INSERTs go
	)
	for _, s := range stmts {
		if len(s.audit) == 0 {
			out = append(out, s)
			continue
		}
		if at < 0 {
			at = len(out)
		}
		for _, e := range s.audit {
			e.At = utcMicro(e.At)
			head.Seq++
			e.Seq, e.PrevHash = head.Seq, head.Hash
			e.Hash = domain.AuditChainHash(e)
			head.Hash = e.Hash
			chained = append(chained, e)
		}
	}
	if at >= 0 {
		out = slices.Insert(out, at, db.auditInserts(chained)...)
	}
	return append(out, stmt{sql: `UPDATE audit_chain SET seq = ?, hash = ? WHERE id = 1`,
		args: []any{head.Seq, head.Hash}})
}

// runAllChainLast runs stmts as runAll does, but on PostgreSQL leaves their audit events to
// the transaction's last statement, saving the round trip that reads the chain's head: the
// head is read and locked by the statement that runs the others, and the returned statements
// (the chained INSERTs and the move of the head, none with a result) must be sent by the
// caller before anything else in tx writes audit events — by a registration, together with
// the numbering statement that commits (numberAndInsert). On SQLite, in process, a round trip
// costs nothing: runAll chains the events and nothing is returned.
//
// A registration's locks are taken in one order, so that concurrent transactions wait rather
// than deadlock: content (lockContentStmt), then the audit chain's head, then the register's
// counter, taken by the numbering statement.
func (db *DB) runAllChainLast(tx *gorm.DB, stmts []stmt) ([]stmt, error) {
	if db.engine != Postgres || auditCount(stmts) == 0 {
		return nil, db.runAll(tx, nil, stmts...)
	}
	var (
		plain, audit []stmt
		head         domain.AuditHead
	)
	lock := `SELECT seq, hash FROM audit_chain WHERE id = 1`
	for _, s := range stmts {
		if len(s.audit) > 0 {
			audit = append(audit, s)
			continue
		}
		if s.read && s.into == nil {
			// runAll names its statements s0, s1, …: the head is locked after the content.
			lock += fmt.Sprintf(` AND EXISTS (SELECT 1 FROM s%d)`, len(plain))
		}
		plain = append(plain, s)
	}
	plain = append(plain, stmt{sql: lock + ` FOR UPDATE OF audit_chain`, scan: []any{&head.Seq, &head.Hash}})
	if err := db.runAll(tx, nil, plain...); err != nil {
		return nil, err
	}
	return db.chainAfter(head, audit), nil
}

// lockAuditHead reads the chain's head, locking it until tx ends.
func (db *DB) lockAuditHead(tx *gorm.DB) (domain.AuditHead, error) {
	var h domain.AuditHead
	q := `SELECT seq, hash, chained_from FROM audit_chain WHERE id = 1`
	if db.engine == Postgres {
		q += ` FOR UPDATE`
	}
	if err := tx.Raw(q).Row().Scan(&h.Seq, &h.Hash, &h.ChainedFrom); err != nil {
		return h, fmt.Errorf("lock the audit chain's head: %w", err)
	}
	return h, nil
}

// auditPerInsert bounds the events of one INSERT: 16 parameters each, within PostgreSQL's
// 65,535 and SQLite's 32,766 parameters a statement.
const auditPerInsert = 1000

// auditInserts appends chained events to the audit trail, in the order given: one multi-row
// INSERT per auditPerInsert events.
func (db *DB) auditInserts(events []domain.AuditEvent) []stmt {
	rows := make([][]any, len(events))
	for i, e := range events {
		rows[i] = []any{db.ts(e.At), e.Actor, e.ActorName, e.Action, e.EntityKind, e.EntityID,
			e.Field, rawOrNil(e.Old), rawOrNil(e.New), e.Detail, e.Person, e.RequestID, e.ClientAddress,
			e.Seq, e.PrevHash, e.Hash}
	}
	return insertBatches("audit_events", auditColumns, rows, auditPerInsert)
}

// auditColumns are the columns auditInserts writes, in its order.
var auditColumns = []string{"at", "actor", "actor_name", "action", "entity_kind", "entity_id", "field",
	"old_value", "new_value", "detail", "actor_person", "request_id", "client_address", "seq", "prev_hash", "hash"}

// AppendAudit chains and stores events in one transaction of their own.
func (db *DB) AppendAudit(ctx context.Context, events []domain.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := db.write(ctx, func(tx *gorm.DB) error {
		return db.runAll(tx, nil, stmt{audit: events})
	}); err != nil {
		return fmt.Errorf("append %d audit events: %w", len(events), err)
	}
	return nil
}

// AuditChainHead returns the chain's head.
func (db *DB) AuditChainHead(ctx context.Context) (domain.AuditHead, error) {
	var h domain.AuditHead
	err := db.read(ctx).Raw(`SELECT seq, hash, chained_from FROM audit_chain WHERE id = 1`).
		Row().Scan(&h.Seq, &h.Hash, &h.ChainedFrom)
	if err != nil {
		return h, fmt.Errorf("audit chain head: %w", err)
	}
	return h, nil
}

// changeStmt adds an event to the change feed, returning its position.
func (db *DB) changeStmt(kind, entityKind, entityID string) stmt {
	return stmt{sql: `INSERT INTO change_events (at, kind, entity_kind, entity_id) VALUES (?, ?, ?, ?) RETURNING position`,
		args: []any{db.ts(db.now()), kind, entityKind, entityID}}
}

// selectAudit reads every column of an audit event, in scanAudit's order.
const selectAudit = `SELECT id, at, actor, actor_name, action, entity_kind, entity_id,
		field, old_value, new_value, detail, actor_person, request_id, client_address, seq, prev_hash, hash
	FROM audit_events`

// Audit lists the audit events about one entity, oldest first.
func (db *DB) Audit(ctx context.Context, entityKind, entityID string) ([]domain.AuditEvent, error) {
	events, err := db.scanAudit(db.read(ctx).Raw(selectAudit+` WHERE entity_kind = ? AND entity_id = ? ORDER BY seq`,
		entityKind, entityID).Rows())
	if err != nil {
		return nil, fmt.Errorf("audit of %s %s: %w", entityKind, entityID, err)
	}
	return events, nil
}

// AuditTrail lists the events f selects in seq order, a page after f.Cursor (a seq).
func (db *DB) AuditTrail(ctx context.Context, f domain.AuditFilter) (domain.Page[domain.AuditEvent], error) {
	page := domain.Page[domain.AuditEvent]{Items: []domain.AuditEvent{}}
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) { where = append(where, cond); args = append(args, arg) }
	for _, c := range []struct{ col, v string }{{"actor", f.Actor}, {"actor_person", f.Person}, {"action", f.Action},
		{"entity_kind", f.EntityKind}, {"entity_id", f.EntityID}} {
		if c.v != "" {
			add(c.col+` = ?`, c.v)
		}
	}
	if f.From != nil {
		add(`at >= ?`, db.ts(*f.From))
	}
	if f.To != nil {
		add(`at <= ?`, db.ts(*f.To))
	}
	if f.Cursor != "" {
		seq, err := decodeCursor(f.Cursor)
		if err != nil {
			return page, err
		}
		add(`seq > ?`, seq)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = domain.DefaultLimit
	}
	limit = min(limit, domain.MaxLimit)
	q := selectAudit
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	events, err := db.scanAudit(db.read(ctx).Raw(q+` ORDER BY seq LIMIT ?`, append(args, limit+1)...).Rows())
	if err != nil {
		return page, fmt.Errorf("audit trail: %w", err)
	}
	if len(events) > limit {
		events = events[:limit]
		page.NextCursor = encodeCursor(events[limit-1].Seq)
	}
	page.Items = events
	return page, nil
}

// scanAudit reads the rows of a selectAudit query.
func (db *DB) scanAudit(rows *sql.Rows, err error) ([]domain.AuditEvent, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	events := []domain.AuditEvent{}
	for rows.Next() {
		var (
			e        domain.AuditEvent
			old, new sql.NullString
		)
		if err := rows.Scan(&e.ID, timeCol{T: &e.At}, &e.Actor, &e.ActorName, &e.Action, &e.EntityKind,
			&e.EntityID, &e.Field, &old, &new, &e.Detail, &e.Person, &e.RequestID, &e.ClientAddress,
			&e.Seq, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		if old.Valid {
			e.Old = []byte(old.String)
		}
		if new.Valid {
			e.New = []byte(new.String)
		}
		events = append(events, e)
	}
	return events, errors.Join(rows.Err(), rows.Close())
}

// Idempotency returns the record of an earlier request with this key (ECNotFound).
func (db *DB) Idempotency(ctx context.Context, principalID, key string) (domain.IdempotencyRecord, error) {
	rec := domain.IdempotencyRecord{PrincipalID: principalID, Key: key}
	err := db.read(ctx).Raw(`SELECT request_hash, resource_kind, resource_id, created_at
		FROM idempotency_keys WHERE principal_id = ? AND key = ?`, principalID, key).
		Row().Scan(&rec.RequestHash, &rec.Kind, &rec.ResourceID, timeCol{T: &rec.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return domain.IdempotencyRecord{}, domain.Errorf(domain.ECNotFound, "idempotency key %q not found", key)
	}
	if err != nil {
		return domain.IdempotencyRecord{}, fmt.Errorf("idempotency key %q: %w", key, err)
	}
	return rec, nil
}

// AuditAnchors returns the transparency-log leaves that logged a head of the audit chain, in
// index order.
func (db *DB) AuditAnchors(ctx context.Context) ([]domain.TLogLeaf, error) {
	rows, err := db.read(ctx).Raw(`SELECT `+tlogLeafColumns+` FROM tlog_leaves WHERE kind = ? ORDER BY idx`,
		domain.LeafKindAuditHead).Rows()
	if err != nil {
		return nil, fmt.Errorf("audit anchors: %w", err)
	}
	defer rows.Close()
	out := []domain.TLogLeaf{}
	for rows.Next() {
		l, err := scanTLogLeaf(rows)
		if err != nil {
			return nil, fmt.Errorf("audit anchors: %w", err)
		}
		out = append(out, l)
	}
	return out, errors.Join(rows.Err(), rows.Close())
}
