package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
		out = append(out, db.auditStmt(w.Audit))
	}
	if rec := w.Idempotency; rec != nil {
		out = append(out, stmt{sql: `INSERT INTO idempotency_keys
			(principal_id, key, request_hash, resource_kind, resource_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			args: []any{rec.PrincipalID, rec.Key, rec.RequestHash, rec.Kind, rec.ResourceID, db.ts(rec.CreatedAt)}})
	}
	return out
}

// auditStmt appends events to the audit trail in one statement, in the order given.
func (db *DB) auditStmt(events []domain.AuditEvent) stmt {
	var q strings.Builder
	q.WriteString(`INSERT INTO audit_events
		(at, actor, actor_name, action, entity_kind, entity_id, field, old_value, new_value, detail) VALUES `)
	args := make([]any, 0, 10*len(events))
	for i, e := range events {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, db.ts(e.At), e.Actor, e.ActorName, e.Action, e.EntityKind, e.EntityID,
			e.Field, rawOrNil(e.Old), rawOrNil(e.New), e.Detail)
	}
	return stmt{sql: q.String(), args: args}
}

// changeStmt adds an event to the change feed, returning its position.
func (db *DB) changeStmt(kind, entityKind, entityID string) stmt {
	return stmt{sql: `INSERT INTO change_events (at, kind, entity_kind, entity_id) VALUES (?, ?, ?, ?) RETURNING position`,
		args: []any{db.ts(db.now()), kind, entityKind, entityID}}
}

// Audit lists the audit events about one entity, oldest first.
func (db *DB) Audit(ctx context.Context, entityKind, entityID string) ([]domain.AuditEvent, error) {
	rows, err := db.read(ctx).Raw(`SELECT id, at, actor, actor_name, action, entity_kind, entity_id,
			field, old_value, new_value, detail
		FROM audit_events WHERE entity_kind = ? AND entity_id = ? ORDER BY id`, entityKind, entityID).Rows()
	if err != nil {
		return nil, fmt.Errorf("audit of %s %s: %w", entityKind, entityID, err)
	}
	defer rows.Close()
	events := []domain.AuditEvent{}
	for rows.Next() {
		var (
			e        domain.AuditEvent
			old, new sql.NullString
		)
		if err := rows.Scan(&e.ID, timeCol{T: &e.At}, &e.Actor, &e.ActorName, &e.Action, &e.EntityKind,
			&e.EntityID, &e.Field, &old, &new, &e.Detail); err != nil {
			return nil, fmt.Errorf("audit of %s %s: %w", entityKind, entityID, err)
		}
		if old.Valid {
			e.Old = []byte(old.String)
		}
		if new.Valid {
			e.New = []byte(new.String)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit of %s %s: %w", entityKind, entityID, err)
	}
	return events, nil
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
