package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/jobs"
)

// changeDispatch is the change-feed event of a new dispatch or of a change of one of its
// recipients. The search projection and the transparency log ignore it (entity kind dispatch).
const changeDispatch = "dispatch.changed"

// CreateDispatch stores d, its recipients, w, a change-feed event and one send job per
// recipient in one transaction: a message is queued if and only if its dispatch exists.
func (db *DB) CreateDispatch(ctx context.Context, d *domain.Dispatch, w domain.Write) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO dispatches (id, registration_id, segnatura, created_at, created_by) VALUES (?, ?, ?, ?, ?)`,
			d.ID, d.RegistrationID, nullString(d.Segnatura), db.ts(d.CreatedAt), d.CreatedBy).Error; err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		args := make([]river.InsertManyParams, len(d.Recipients))
		for i, rc := range d.Recipients {
			if err := tx.Exec(`INSERT INTO dispatch_recipients (dispatch_id, n, address, name, administration, message_id, state)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, d.ID, rc.N, rc.Address, rc.Name, rc.Administration, rc.MessageID, rc.State).Error; err != nil {
				return fmt.Errorf("insert recipient %d: %w", rc.N, err)
			}
			args[i] = river.InsertManyParams{Args: jobs.SendDispatch{DispatchID: d.ID, Recipient: rc.N}}
		}
		if err := db.runAll(tx, nil, append(db.writeStmts(w), db.changeStmt(changeDispatch, domain.KindDispatch, d.ID))...); err != nil {
			return fmt.Errorf("store audit and idempotency key: %w", idempotencyConflict(err, w))
		}
		return db.enqueueMany(tx, args)
	})
	if err != nil {
		return fmt.Errorf("create dispatch %s: %w", d.ID, err)
	}
	return nil
}

// Dispatch returns one dispatch with its recipients and their receipts (ECNotFound).
func (db *DB) Dispatch(ctx context.Context, id string) (*domain.Dispatch, error) {
	ds, err := db.loadDispatches(db.read(ctx), `d.id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("dispatch %s: %w", id, err)
	}
	if len(ds) == 0 {
		return nil, domain.Errorf(domain.ECNotFound, "dispatch %s not found", id)
	}
	return ds[0], nil
}

// Dispatches lists a registration's dispatches, oldest first.
func (db *DB) Dispatches(ctx context.Context, registrationID string) ([]*domain.Dispatch, error) {
	ds, err := db.loadDispatches(db.read(ctx), `d.registration_id = ?`, registrationID)
	if err != nil {
		return nil, fmt.Errorf("dispatches of %s: %w", registrationID, err)
	}
	return ds, nil
}

// loadDispatches reads the dispatches where selects (on d, dispatches), oldest first, with
// their recipients and receipts, in q (a transaction or the read pool).
func (db *DB) loadDispatches(q *gorm.DB, where string, args ...any) ([]*domain.Dispatch, error) {
	rows, err := q.Raw(`SELECT d.id, d.registration_id, r.identifier, coalesce(d.segnatura, ''), d.created_at, d.created_by
		FROM dispatches d JOIN registrations r ON r.id = d.registration_id WHERE `+where+` ORDER BY d.seq`, args...).Rows()
	if err != nil {
		return nil, err
	}
	out := []*domain.Dispatch{}
	byID := map[string]*domain.Dispatch{}
	for rows.Next() {
		d := &domain.Dispatch{Recipients: []domain.DispatchRecipient{}}
		if err := rows.Scan(&d.ID, &d.RegistrationID, &d.Registration, &d.Segnatura, timeCol{T: &d.CreatedAt}, &d.CreatedBy); err != nil {
			rows.Close()
			return nil, err
		}
		out, byID[d.ID] = append(out, d), d
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]string, len(out))
	for i, d := range out {
		ids[i] = d.ID
	}
	if err := db.loadRecipients(q, ids, byID); err != nil {
		return nil, err
	}
	return out, db.loadReceipts(q, ids, byID)
}

// loadRecipients adds their recipients to the dispatches ids.
func (db *DB) loadRecipients(q *gorm.DB, ids []string, byID map[string]*domain.Dispatch) error {
	rows, err := q.Raw(`SELECT dispatch_id, n, address, name, administration, message_id, state, attempts, last_error, sent_at,
		coalesce(protocol_kind, ''), coalesce(protocol_identifier, ''), coalesce(protocol_reason, '')
		FROM dispatch_recipients WHERE dispatch_id IN ? ORDER BY dispatch_id, n`, ids).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id       string
			rc       = domain.DispatchRecipient{Receipts: []domain.DispatchReceipt{}}
			sent     time.Time
			wasSent  bool
			protocol domain.DispatchProtocol
		)
		if err := rows.Scan(&id, &rc.N, &rc.Address, &rc.Name, &rc.Administration, &rc.MessageID, &rc.State, &rc.Attempts,
			&rc.LastError, timeCol{T: &sent, Valid: &wasSent}, &protocol.Kind, &protocol.Identifier, &protocol.Reason); err != nil {
			return err
		}
		if wasSent {
			rc.SentAt = &sent
		}
		if protocol.Kind != "" {
			rc.Protocol = &protocol
		}
		byID[id].Recipients = append(byID[id].Recipients, rc)
	}
	return rows.Err()
}

// loadReceipts adds their receipts, in the order they were linked, to the recipients of the
// dispatches ids.
func (db *DB) loadReceipts(q *gorm.DB, ids []string, byID map[string]*domain.Dispatch) error {
	rows, err := q.Raw(`SELECT dispatch_id, n, id, kind, at, provider_id, sha256, size
		FROM dispatch_receipts WHERE dispatch_id IN ? ORDER BY seq`, ids).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id string
			n  int
			rx domain.DispatchReceipt
		)
		if err := rows.Scan(&id, &n, &rx.ID, &rx.Kind, timeCol{T: &rx.At}, &rx.ProviderID, &rx.SHA256, &rx.Size); err != nil {
			return err
		}
		d := byID[id]
		for i := range d.Recipients {
			if d.Recipients[i].N == n {
				d.Recipients[i].Receipts = append(d.Recipients[i].Receipts, rx)
			}
		}
	}
	return rows.Err()
}

// DispatchTargetsByMessageID returns the recipients whose message has one of these Message-IDs.
func (db *DB) DispatchTargetsByMessageID(ctx context.Context, messageIDs []string) ([]domain.DispatchTarget, error) {
	if len(messageIDs) == 0 {
		return nil, nil
	}
	rows, err := db.read(ctx).Raw(`SELECT dispatch_id, n FROM dispatch_recipients WHERE message_id IN ? ORDER BY dispatch_id, n`,
		messageIDs).Rows()
	if err != nil {
		return nil, fmt.Errorf("dispatch recipients by message id: %w", err)
	}
	defer rows.Close()
	var out []domain.DispatchTarget
	for rows.Next() {
		var t domain.DispatchTarget
		if err := rows.Scan(&t.Dispatch, &t.N); err != nil {
			return nil, fmt.Errorf("dispatch recipients by message id: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// UpdateDispatchRecipient locks recipient n of dispatch id (on PostgreSQL; SQLite's single
// writer serialises anyway), calls change with the dispatch as stored and that recipient, and
// stores what it changed.
func (db *DB) UpdateDispatchRecipient(ctx context.Context, id string, n int,
	change func(*domain.Dispatch, *domain.DispatchRecipient) (domain.RecipientChange, error)) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		lock := `SELECT n FROM dispatch_recipients WHERE dispatch_id = ? AND n = ?`
		if db.engine == Postgres {
			lock += ` FOR UPDATE`
		}
		var found int
		if err := tx.Raw(lock, id, n).Row().Scan(&found); errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.ECNotFound, "dispatch %s has no recipient %d", id, n)
		} else if err != nil {
			return fmt.Errorf("lock recipient: %w", err)
		}
		ds, err := db.loadDispatches(tx, `d.id = ?`, id)
		if err != nil {
			return err
		}
		d := ds[0]
		var rc *domain.DispatchRecipient
		for i := range d.Recipients {
			if d.Recipients[i].N == n {
				rc = &d.Recipients[i]
			}
		}
		ch, err := change(d, rc)
		if err != nil || !ch.Changed {
			return err
		}
		return db.storeRecipientChange(tx, d, rc, ch)
	})
	if err != nil {
		return fmt.Errorf("update recipient %d of dispatch %s: %w", n, id, err)
	}
	return nil
}

// storeRecipientChange writes the recipient, the receipt it links, the write, a change-feed
// event and the webhook events of ch.
func (db *DB) storeRecipientChange(tx *gorm.DB, d *domain.Dispatch, rc *domain.DispatchRecipient, ch domain.RecipientChange) error {
	if rx := ch.Receipt; rx != nil {
		err := tx.Exec(`INSERT INTO dispatch_receipts (id, dispatch_id, n, kind, at, provider_id, sha256, size, linked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, rx.ID, d.ID, rc.N, rx.Kind, db.ts(rx.At), rx.ProviderID, rx.SHA256, rx.Size,
			db.ts(db.now())).Error
		if isUnique(err, "dispatch_receipts") {
			return conflict(err, "receipt %s is linked to recipient %d of dispatch %s already", rx.SHA256, rc.N, d.ID)
		}
		if err != nil {
			return fmt.Errorf("insert receipt: %w", err)
		}
	}
	var kind, identifier, reason any
	if p := rc.Protocol; p != nil {
		kind, identifier, reason = p.Kind, p.Identifier, p.Reason
	}
	if err := tx.Exec(`UPDATE dispatch_recipients SET state = ?, attempts = ?, last_error = ?, sent_at = ?,
		protocol_kind = ?, protocol_identifier = ?, protocol_reason = ? WHERE dispatch_id = ? AND n = ?`,
		rc.State, rc.Attempts, rc.LastError, db.tsOrNil(rc.SentAt), kind, identifier, reason, d.ID, rc.N).Error; err != nil {
		return fmt.Errorf("update recipient: %w", err)
	}
	if err := db.runAll(tx, nil, append(db.writeStmts(ch.Write), db.changeStmt(changeDispatch, domain.KindDispatch, d.ID))...); err != nil {
		return fmt.Errorf("store audit: %w", err)
	}
	if ch.Event != nil {
		return db.enqueueDispatchEvents(tx, d, *ch.Event)
	}
	return nil
}

// enqueueDispatchEvents writes a case.dispatch event to the outbox of the portal of every case
// the dispatched registration belongs to (its submission, a document shared in it, its final
// act), if the portal has a webhook: webhooks are per case and portal, and a dispatch of a
// registration of no case has no portal to tell.
func (db *DB) enqueueDispatchEvents(tx *gorm.DB, d *domain.Dispatch, de domain.DispatchEvent) error {
	rows, err := tx.Raw(`SELECT id, procedure_code, applicant, status, due_date, paused_on IS NOT NULL, portal_id FROM cases
		WHERE id IN (SELECT case_id FROM case_documents WHERE registration_id = ?) OR final_registration_id = ? ORDER BY seq`,
		d.RegistrationID, d.RegistrationID).Rows()
	if err != nil {
		return fmt.Errorf("cases of the dispatch: %w", err)
	}
	type caseOf struct {
		c      domain.CaseEventCase
		portal string
	}
	var cases []caseOf
	for rows.Next() {
		var c caseOf
		if err := rows.Scan(&c.c.ID, &c.c.Procedure, &c.c.Applicant, &c.c.Status, &c.c.Deadline, &c.c.Paused, &c.portal); err != nil {
			rows.Close()
			return fmt.Errorf("cases of the dispatch: %w", err)
		}
		cases = append(cases, c)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("cases of the dispatch: %w", err)
	}
	at := db.now()
	for _, c := range cases {
		e := domain.CaseEvent{ID: domain.NewID(), Type: domain.EventCaseDispatch, CreatedAt: at.UTC(), Case: c.c,
			Registration: d.Registration, Dispatch: &de}
		payload, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		if err := tx.Exec(`INSERT INTO webhook_events (id, client_id, case_id, kind, payload, created_at, next_attempt_at)
			SELECT ?, client_id, ?, ?, ?, ?, ? FROM webhooks WHERE client_id = ?`,
			e.ID, c.c.ID, e.Type, string(payload), db.ts(at), db.ts(at), c.portal).Error; err != nil {
			return fmt.Errorf("enqueue %s: %w", e.Type, err)
		}
	}
	return nil
}

// DispatchJobs counts the send jobs of a dispatch in River's table, by state, for tests and
// operators.
func (db *DB) DispatchJobs(ctx context.Context, dispatchID string) (map[string]int, error) {
	q := `SELECT state, count(*) FROM river_job WHERE kind = ? AND args->>'dispatch_id' = ? GROUP BY state`
	if db.engine != Postgres {
		q = strings.Replace(q, `args->>'dispatch_id'`, `json_extract(args, '$.dispatch_id')`, 1)
	}
	rows, err := db.read(ctx).Raw(q, jobs.SendDispatch{}.Kind(), dispatchID).Rows()
	if err != nil {
		return nil, fmt.Errorf("dispatch jobs: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			state string
			n     int
		)
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("dispatch jobs: %w", err)
		}
		out[state] = n
	}
	return out, rows.Err()
}
