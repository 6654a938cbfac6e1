package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// SetWebhook stores or replaces a client's webhook with w.
func (db *DB) SetWebhook(ctx context.Context, wh domain.Webhook, w domain.Write) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO webhooks (client_id, url, secret, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (client_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, created_at = excluded.created_at`,
			wh.ClientID, wh.URL, wh.Secret, db.ts(wh.CreatedAt)).Error; err != nil {
			return err
		}
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return fmt.Errorf("set webhook of %s: %w", wh.ClientID, err)
	}
	return nil
}

// Webhook returns a client's webhook (ECNotFound).
func (db *DB) Webhook(ctx context.Context, clientID string) (domain.Webhook, error) {
	wh := domain.Webhook{ClientID: clientID}
	err := db.read(ctx).Raw(`SELECT url, secret, created_at FROM webhooks WHERE client_id = ?`, clientID).Row().
		Scan(&wh.URL, &wh.Secret, timeCol{T: &wh.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return wh, domain.Errorf(domain.ECNotFound, "client %s has no webhook", clientID)
	}
	if err != nil {
		return wh, fmt.Errorf("webhook of %s: %w", clientID, err)
	}
	return wh, nil
}

// enqueueCaseEvent writes the event of a change of c to the outbox of c's portal, if the portal
// has a webhook, in the transaction of the change.
func (db *DB) enqueueCaseEvent(tx *gorm.DB, kind string, c *domain.Case, r *domain.Registration, at time.Time) error {
	e := domain.NewCaseEvent(kind, c, r, at)
	payload, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	if err := tx.Exec(`INSERT INTO webhook_events (id, client_id, case_id, kind, payload, created_at, next_attempt_at)
		SELECT ?, client_id, ?, ?, ?, ?, ? FROM webhooks WHERE client_id = ?`,
		e.ID, c.ID, kind, string(payload), db.ts(at), db.ts(at), c.Portal).Error; err != nil {
		return fmt.Errorf("enqueue %s: %w", kind, err)
	}
	return nil
}

// DueWebhookEvents returns up to limit events due at now, oldest first, at most one per case
// (or, for assignment events, registration) and client: the first not yet delivered, since an
// event waits for the previous one of its case or registration. A Postgres transaction that
// adds an event to a case holds the case's lock, so events of one case commit in seq order.
func (db *DB) DueWebhookEvents(ctx context.Context, now time.Time, limit int) ([]domain.WebhookEvent, error) {
	rows, err := db.read(ctx).Raw(`SELECT e.id, e.client_id, COALESCE(e.case_id, ''), e.kind, e.payload, e.attempts, w.url, w.secret
		FROM webhook_events e JOIN webhooks w ON w.client_id = e.client_id
		WHERE e.delivered_at IS NULL AND e.next_attempt_at <= ?
		AND NOT EXISTS (SELECT 1 FROM webhook_events p WHERE (p.case_id = e.case_id OR p.registration_id = e.registration_id)
			AND p.client_id = e.client_id AND p.delivered_at IS NULL AND p.seq < e.seq)
		ORDER BY e.seq LIMIT ?`, db.ts(now), limit).Rows()
	if err != nil {
		return nil, fmt.Errorf("due webhook events: %w", err)
	}
	defer rows.Close()
	var out []domain.WebhookEvent
	for rows.Next() {
		var (
			e       domain.WebhookEvent
			payload string
		)
		if err := rows.Scan(&e.ID, &e.ClientID, &e.CaseID, &e.Kind, &payload, &e.Attempts, &e.URL, &e.Secret); err != nil {
			return nil, fmt.Errorf("due webhook events: %w", err)
		}
		e.Payload = json.RawMessage(payload)
		out = append(out, e)
	}
	return out, rows.Err()
}

// RecordWebhookAttempt logs an attempt to deliver e and marks it delivered, or due again at
// next.
func (db *DB) RecordWebhookAttempt(ctx context.Context, e domain.WebhookEvent, d domain.WebhookDelivery, next time.Time) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO webhook_deliveries (event_id, client_id, attempt, attempted_at, status_code, error, delivered)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, e.ID, e.ClientID, d.Attempt, db.ts(d.AttemptedAt), d.StatusCode, d.Error, d.Delivered).Error; err != nil {
			return err
		}
		if d.Delivered {
			return tx.Exec(`UPDATE webhook_events SET attempts = ?, delivered_at = ?, last_error = NULL WHERE id = ?`,
				d.Attempt, db.ts(d.AttemptedAt), e.ID).Error
		}
		return tx.Exec(`UPDATE webhook_events SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`,
			d.Attempt, db.ts(next), d.Error, e.ID).Error
	})
	if err != nil {
		return fmt.Errorf("record delivery of %s: %w", e.ID, err)
	}
	return nil
}

// WebhookDeliveries lists a client's delivery attempts for the cases of one applicant, newest
// first.
func (db *DB) WebhookDeliveries(ctx context.Context, clientID, applicant string, limit int) ([]domain.WebhookDelivery, error) {
	rows, err := db.read(ctx).Raw(`SELECT d.event_id, e.case_id, e.kind, d.attempt, d.attempted_at, d.status_code, d.error, d.delivered
		FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN cases c ON c.id = e.case_id
		WHERE d.client_id = ? AND c.applicant = ? ORDER BY d.seq DESC LIMIT ?`, clientID, applicant, limit).Rows()
	if err != nil {
		return nil, fmt.Errorf("webhook deliveries: %w", err)
	}
	defer rows.Close()
	out := []domain.WebhookDelivery{}
	for rows.Next() {
		var d domain.WebhookDelivery
		if err := rows.Scan(&d.EventID, &d.CaseID, &d.Kind, &d.Attempt, timeCol{T: &d.AttemptedAt}, &d.StatusCode, &d.Error, &d.Delivered); err != nil {
			return nil, fmt.Errorf("webhook deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
