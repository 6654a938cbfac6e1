package domain

import (
	"context"
	"slices"
	"time"
)

// Webhook event types of assignment steps.
const (
	EventAssignmentCreated    = "assignment.created"
	EventAssignmentAccepted   = "assignment.accepted"
	EventAssignmentRejected   = "assignment.rejected"
	EventAssignmentSuperseded = "assignment.superseded" // re-assignment per competenza
)

// assignmentWebhookRoles are the staff roles that may subscribe to assignment events.
var assignmentWebhookRoles = []Role{RoleClerk, RoleProtocolOperator, RoleRecordsOfficer}

// AssignmentEvent is what a staff webhook receives for an assignment step. ID is unique per
// event and subscriber: a receiver that gets an event twice (a retry after a lost answer)
// recognises it by its id. The registration is named by its identifier only, never its subject.
type AssignmentEvent struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	CreatedAt    time.Time `json:"created_at"`
	Registration string    `json:"registration"`
	Assignment   string    `json:"assignment"`
	Office       string    `json:"office"`
	Person       string    `json:"person"`
	Kind         string    `json:"kind"`
	State        string    `json:"state"`
	Reason       string    `json:"reason"`
}

// NewAssignmentEvent describes a step of a: its creation (created) or its change to a.State.
func NewAssignmentEvent(a Assignment, created bool) AssignmentEvent {
	e := AssignmentEvent{ID: NewID(), Type: EventAssignmentCreated, CreatedAt: a.CreatedAt.UTC(), Registration: a.Registration,
		Assignment: a.ID, Office: a.Office, Person: a.Person, Kind: a.Kind, State: a.State, Reason: a.Reason}
	if !created {
		e.Type = map[string]string{AssignmentAccepted: EventAssignmentAccepted, AssignmentRejected: EventAssignmentRejected,
			AssignmentSuperseded: EventAssignmentSuperseded}[a.State]
		if a.DecidedAt != nil {
			e.CreatedAt = a.DecidedAt.UTC()
		}
	}
	return e
}

// ReceivesAssignmentEvent reports whether the client c, which has a webhook, is sent the event
// of a step of assignment a of registration r: a staff client (clerk, protocol operator or
// records officer, not a portal, not a deactivated user) that is a member of a's office, per
// competenza or per conoscenza alike, and may read r as it is after the step (the
// confidentiality rules of VisibilityOf). Checked when the step is written, in its transaction.
func ReceivesAssignmentEvent(c Client, r *Registration, a Assignment) bool {
	if c.Deactivated {
		return false
	}
	p := c.Principal()
	if p.Has(RolePortal) || !p.Has(assignmentWebhookRoles...) || !slices.Contains(p.Offices, a.Office) {
		return false
	}
	return VisibilityOf(p).Allows(r)
}

// SetAssignmentWebhook registers (or replaces) the caller's endpoint for the assignment events
// of its offices (ReceivesAssignmentEvent), with a new secret shown in the answer only. The
// endpoint is the caller's one webhook (Webhook), checked, signed, retried and logged as a
// portal's. Staff clients and users only (clerks, protocol operators, records officers); a
// portal is forbidden (its webhook is for its cases). Returns forbidden, validation_failed.
func (s *Service) SetAssignmentWebhook(ctx context.Context, p Principal, rawURL string, idem Idempotency) (Webhook, bool, error) {
	if err := p.require("receiving assignment webhooks", assignmentWebhookRoles...); err != nil {
		return Webhook{}, false, err
	}
	if p.Has(RolePortal) {
		return Webhook{}, false, Errorf(ECForbidden, "a portal's webhook receives the events of its cases, not assignments")
	}
	return s.setWebhook(ctx, p, rawURL, idem)
}
