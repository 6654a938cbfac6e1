package domain

import (
	"encoding/json"
	"slices"
	"time"
)

// CaseStatus is where a case stands in its handling.
type CaseStatus string

// Case statuses: submitted → in_progress → awaiting_applicant → in_progress → approved |
// rejected; withdrawn by the applicant while the case is open.
const (
	CaseSubmitted         CaseStatus = "submitted"
	CaseInProgress        CaseStatus = "in_progress"
	CaseAwaitingApplicant CaseStatus = "awaiting_applicant"
	CaseApproved          CaseStatus = "approved"
	CaseRejected          CaseStatus = "rejected"
	CaseWithdrawn         CaseStatus = "withdrawn"
)

// CaseStatuses lists every status.
var CaseStatuses = []CaseStatus{CaseSubmitted, CaseInProgress, CaseAwaitingApplicant, CaseApproved, CaseRejected, CaseWithdrawn}

// Closed reports whether the status is final.
func (s CaseStatus) Closed() bool {
	return s == CaseApproved || s == CaseRejected || s == CaseWithdrawn
}

// KindCase is the entity kind of cases in audit events, idempotency records and the change feed.
const KindCase = "case"

// Step statuses of a case: in order, only the first step not done is active.
const (
	StepWaiting = "waiting"
	StepActive  = "active"
	StepDone    = "done"
)

// CaseStep is one involved office's part in a case.
type CaseStep struct {
	Office string `json:"office"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// Case is a pratica: one applicant's application to a procedure, submitted through a portal,
// registered incoming and filed in its own dossier of type procedimento, handled by the
// procedure's office to a final act.
//
// The deadline (L. 241/1990 art. 2) runs from the protocol date of the submission. A request
// for integration pauses it (art. 2 c. 7): PausedOn is the date it stopped, and when the
// applicant answers DueDate moves by the days it was paused.
type Case struct {
	ID        string
	Procedure string
	// ProcedureVersion is the version of the procedure the case was submitted under: its form,
	// documents and steps handle the case whatever is published later.
	ProcedureVersion int
	Portal           string // the client that submitted it
	Applicant        string // codice fiscale or partita IVA
	Status           CaseStatus
	Form             json.RawMessage
	Office           string
	RegistrationID   string
	Registration     *Registration // the submission, when loaded
	DossierID        string
	Dossier          string // the dossier's identifier
	SubmittedAt      time.Time
	// SilenceIsConsent is the procedure's rule when the case was submitted (silenzio assenso,
	// L. 241/1990 art. 20): past the deadline without a final act, the application is granted.
	SilenceIsConsent bool
	DueDate          string // YYYY-MM-DD in the instance's time zone
	PausedOn         string // YYYY-MM-DD while awaiting the applicant, else ""
	ClosedAt         *time.Time
	// FinalRegistrationID is the outgoing registration of the final act, once there is one.
	FinalRegistrationID string
	Steps               []CaseStep
	Position            int64
}

// RemainingDays is how many days are left until the deadline on date today (YYYY-MM-DD):
// negative when overdue. While the case awaits the applicant the count stands still at what it
// was when it paused.
func (c *Case) RemainingDays(today string) int {
	from := today
	if c.PausedOn != "" {
		from = c.PausedOn
	}
	return daysBetween(from, c.DueDate)
}

// Overdue reports whether the deadline has passed on date today for a case still in the
// office's hands.
func (c *Case) Overdue(today string) bool {
	return !c.Status.Closed() && c.PausedOn == "" && c.DueDate < today
}

// ConsentBySilence reports whether, on date today, the application counts as granted because
// the deadline passed without a final act and the procedure says silence is consent.
func (c *Case) ConsentBySilence(today string) bool {
	return c.SilenceIsConsent && c.Overdue(today)
}

// pause stops the deadline on date today.
func (c *Case) pause(today string) { c.PausedOn = today }

// resume restarts the deadline on date today, moving it by the days it stood still.
func (c *Case) resume(today string) {
	if c.PausedOn == "" {
		return
	}
	c.DueDate = addDays(c.DueDate, daysBetween(c.PausedOn, today))
	c.PausedOn = ""
}

// ActiveOffices are the offices that have the case in their hands: the responsible office and
// the offices of its active steps.
func (c *Case) ActiveOffices() []string {
	out := []string{c.Office}
	for _, s := range c.Steps {
		if s.Status == StepActive && !slices.Contains(out, s.Office) {
			out = append(out, s.Office)
		}
	}
	return out
}

// Offices are every office the case involves, responsible first: its registrations are
// assigned to all of them, so that an involved office reads the documents it gives its opinion
// on.
func (c *Case) Offices() []string {
	out := []string{c.Office}
	for _, s := range c.Steps {
		if !slices.Contains(out, s.Office) {
			out = append(out, s.Office)
		}
	}
	return out
}

// daysBetween counts calendar days from a to b (dates YYYY-MM-DD).
func daysBetween(a, b string) int {
	ta, errA := time.Parse(time.DateOnly, a)
	tb, errB := time.Parse(time.DateOnly, b)
	if errA != nil || errB != nil {
		return 0
	}
	return int(tb.Sub(ta).Hours() / 24)
}

// addDays returns date (YYYY-MM-DD) moved by n calendar days.
func addDays(date string, n int) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

// CaseFilter selects cases. Zero fields do not filter.
type CaseFilter struct {
	Procedure string
	Status    CaseStatus
	// Office keeps the cases in that office's hands: responsible, or with an active step.
	Office string
	// OverdueOn keeps the cases overdue on that date (YYYY-MM-DD).
	OverdueOn  string
	Visibility CaseVisibility
	Limit      int
	Cursor     string
}

// CaseVisibility is the set of cases a principal may see: all, those in the hands of some
// offices, or one portal's cases for one applicant.
type CaseVisibility struct {
	All       bool
	Offices   []string
	Portal    string
	Applicant string
}

// Allows reports whether c is visible under v.
func (v CaseVisibility) Allows(c *Case) bool {
	if v.All || (v.Portal != "" && c.Portal == v.Portal && c.Applicant == v.Applicant) {
		return true
	}
	for _, o := range c.ActiveOffices() {
		if slices.Contains(v.Offices, o) {
			return true
		}
	}
	return false
}
