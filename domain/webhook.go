package domain

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// The services in this file use the port WebhookStore (ports.go).

// Webhook is a client's endpoint: a portal's for the events of the cases it submitted, a staff
// client's or user's for the assignment events of its offices (assignment_webhook.go). Every
// delivery is signed with HMAC-SHA256 under Secret, so the receiver can tell it came from this
// instance.
type Webhook struct {
	ClientID  string
	URL       string
	Secret    string
	CreatedAt time.Time
}

// KindWebhook is the entity kind of webhooks in audit events and idempotency records.
const KindWebhook = "webhook"

// CaseEvent is what a webhook delivers: which event, when, and the case as the applicant sees
// it. ID is unique per event: a portal that receives an event twice (a retry after a lost
// answer) recognises it by its id.
type CaseEvent struct {
	ID        string        `json:"id"`
	Type      string        `json:"type"`
	CreatedAt time.Time     `json:"created_at"`
	Case      CaseEventCase `json:"case"`
	// Registration is the identifier of the registration the event added (a message's
	// documents, the final act), if any.
	Registration string `json:"registration,omitempty"`
	// Dispatch is, in a case.dispatch event, the dispatch of the registration whose recipient
	// moved (see LinkMailReceipt).
	Dispatch *DispatchEvent `json:"dispatch,omitempty"`
}

// CaseEventCase is the case in a webhook event.
type CaseEventCase struct {
	ID        string     `json:"id"`
	Procedure string     `json:"procedure"`
	Applicant string     `json:"applicant"`
	Status    CaseStatus `json:"status"`
	Deadline  string     `json:"deadline"`
	Paused    bool       `json:"paused"`
}

// NewCaseEvent describes the event kind of c at at; r is the registration it added, if any.
func NewCaseEvent(kind string, c *Case, r *Registration, at time.Time) CaseEvent {
	e := CaseEvent{ID: NewID(), Type: kind, CreatedAt: at.UTC(), Case: CaseEventCase{ID: c.ID, Procedure: c.Procedure,
		Applicant: c.Applicant, Status: c.Status, Deadline: c.DueDate, Paused: c.PausedOn != ""}}
	if r != nil && len(r.Parties) > 0 {
		e.Registration = r.Identifier
	}
	return e
}

// WebhookEvent is one event waiting in the outbox, with where to send it.
type WebhookEvent struct {
	ID       string
	ClientID string
	CaseID   string
	Kind     string
	Payload  json.RawMessage
	Attempts int
	URL      string
	Secret   string
}

// WebhookDelivery is one attempt to deliver an event, as the delivery log shows it.
type WebhookDelivery struct {
	EventID     string    `json:"event_id"`
	CaseID      string    `json:"case_id"`
	Kind        string    `json:"type"`
	Attempt     int       `json:"attempt"`
	AttemptedAt time.Time `json:"attempted_at"`
	StatusCode  int       `json:"status_code"`
	Error       string    `json:"error"`
	Delivered   bool      `json:"delivered"`
}

// SetWebhook registers (or replaces) the caller's endpoint for the events of its cases, with a
// new secret, shown in the answer only. The URL must be https and not point into the server's
// network, unless the administrator allows its origin (Service.WebhookAllow). Portals only.
// Returns forbidden, validation_failed.
func (s *Service) SetWebhook(ctx context.Context, p Principal, rawURL string, idem Idempotency) (Webhook, bool, error) {
	if err := p.require("receiving webhooks", RolePortal); err != nil {
		return Webhook{}, false, err
	}
	return s.setWebhook(ctx, p, rawURL, idem)
}

// setWebhook checks rawURL and stores it as p's webhook with a new secret.
func (s *Service) setWebhook(ctx context.Context, p Principal, rawURL string, idem Idempotency) (Webhook, bool, error) {
	u, err := s.WebhookAllow.CheckWebhookURL(rawURL)
	if err != nil {
		return Webhook{}, false, err
	}
	return idempotent(ctx, s, p, idem, KindWebhook, s.Store.Webhook, func() (Webhook, error) {
		now := s.now()
		w := Webhook{ClientID: p.ID, URL: u.String(), Secret: "whsec_" + hex.EncodeToString(NewSecret(24)), CreatedAt: now}
		e := audit(p, now, "webhook.set", KindWebhook, p.ID)
		e.Detail = w.URL
		if err := s.Store.SetWebhook(ctx, w, Write{Audit: []AuditEvent{e}, Idempotency: idem.record(p, KindWebhook, p.ID, now)}); err != nil {
			return Webhook{}, fmt.Errorf("set webhook: %w", err)
		}
		return w, nil
	})
}

// WebhookDeliveries lists the caller's delivery log for the cases of the applicant it acts
// for, newest first: like everything a portal reads, one applicant's. Returns forbidden,
// validation_failed.
func (s *Service) WebhookDeliveries(ctx context.Context, p Principal, limit int) ([]WebhookDelivery, error) {
	if err := requireApplicant(p, "reading the webhook deliveries"); err != nil {
		return nil, err
	}
	if limit < 0 || limit > MaxLimit {
		return nil, Invalid("limit", "must be between 1 and %d", MaxLimit)
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	return s.Store.WebhookDeliveries(ctx, p.ID, p.Applicant, limit)
}
