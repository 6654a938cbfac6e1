package domain

import (
	"slices"
	"time"
)

// CaseMessage is one message of a case's dialogue: from the applicant (through the portal) or
// from an office. A message with documents is registered: incoming from the applicant,
// outgoing to the applicant, internal for an office-only note. Internal messages are never
// shown to the applicant.
type CaseMessage struct {
	ID             string
	Case           string
	Author         string
	AuthorName     string
	FromApplicant  bool
	Internal       bool
	Text           string
	RegistrationID string
	Registration   *Registration
	CreatedAt      time.Time
}

// KindCaseMessage is the entity kind of case messages in audit events and idempotency records.
const KindCaseMessage = "case_message"

// CaseChange is what a change of a case writes beside the case's own columns (status,
// deadline, steps, closing, final act), all in the same transaction.
type CaseChange struct {
	// Write carries the audit events and idempotency record; Actor and At say who filed the
	// new registration, Verify checks its content under the content locks.
	Write Write
	// Event is the kind of the change-feed event (and of the webhook) the change appends.
	Event string
	// Registration, when set, is numbered and stored as CreateRegistration does, filed in the
	// case's dossier, and shared with the applicant when it lists the case's party.
	Registration *Registration
	// Message, when set, is stored (with Registration's id, if any).
	Message *CaseMessage
	// CloseDossier closes the case's dossier at Write.At.
	CloseDossier bool
	// Internal changes (an internal note) are not told to the portal's webhook.
	Internal bool
}

// Change-feed (and webhook) events of cases.
const (
	EventCaseSubmitted  = "case.submitted"
	EventCaseStatus     = "case.status_changed"
	EventCaseMessage    = "case.message"
	EventCaseStepDone   = "case.step_done"
	EventCaseFinalAct   = "case.final_act"
	EventCaseWithdrawn  = "case.withdrawn"
	EventCaseIntegrated = "case.integrated"
)

// caseMoves lists the transitions of the state machine, from → to, with who makes them: the
// responsible office (office) or the applicant. mayMove holds callers to the same split, and
// before the status: who makes a move depends only on where it goes.
var caseMoves = map[CaseStatus]map[CaseStatus]string{
	CaseSubmitted:         {CaseInProgress: "office", CaseWithdrawn: "applicant"},
	CaseInProgress:        {CaseAwaitingApplicant: "office", CaseApproved: "office", CaseRejected: "office", CaseWithdrawn: "applicant"},
	CaseAwaitingApplicant: {CaseInProgress: "office", CaseWithdrawn: "applicant"},
}

// completeStep marks the step at index done and, when the steps run in order, activates the
// next one. Returns conflict unless the step is active.
func (c *Case) completeStep(index int, inOrder bool) error {
	if index < 0 || index >= len(c.Steps) {
		return Errorf(ECNotFound, "case %s has no step %d", c.ID, index)
	}
	if c.Steps[index].Status != StepActive {
		return Errorf(ECConflict, "step %d of case %s is %s, not active", index, c.ID, c.Steps[index].Status)
	}
	c.Steps[index].Status = StepDone
	if inOrder && index+1 < len(c.Steps) {
		c.Steps[index+1].Status = StepActive
	}
	return nil
}

// stepsDone reports whether every involved office has done its part.
func (c *Case) stepsDone() bool {
	return !slices.ContainsFunc(c.Steps, func(s CaseStep) bool { return s.Status != StepDone })
}
