package domain

import (
	"context"
	"slices"
	"strings"
	"time"
)

// The services in this file use the ports AssignmentStore, RegistrationStore and UserStore (ports.go).

// Kinds of assignment (smistamento): per competenza the office must act on the registration,
// per conoscenza it is informed and may read it.
const (
	AssignCompetenza = "competenza"
	AssignConoscenza = "conoscenza"
)

// States of an assignment. A competenza assignment is pending until its office accepts or
// rejects it, and superseded when the registration is assigned per competenza again; a
// conoscenza assignment is informed and stays so.
const (
	AssignmentPending    = "pending"
	AssignmentAccepted   = "accepted"
	AssignmentRejected   = "rejected"
	AssignmentSuperseded = "superseded"
	AssignmentInformed   = "informed"
)

// AssignmentPrior gives, for each state an assignment may move to, the states it may move
// from: the store applies a state change only if the row is still in one of them, so of two
// concurrent decisions one succeeds and the other is conflict.
var AssignmentPrior = map[string][]string{
	AssignmentAccepted:   {AssignmentPending},
	AssignmentRejected:   {AssignmentPending},
	AssignmentSuperseded: {AssignmentPending, AssignmentAccepted},
}

// AssignmentStates are the states a worklist filters and counts by.
var AssignmentStates = []string{AssignmentPending, AssignmentAccepted, AssignmentRejected}

// KindAssignment is the entity kind of assignments in audit events.
const KindAssignment = "assignment"

// Assignment is one assignment of a registration to an office. Rows are never deleted; only
// State and the decision (Reason, DecidedBy, DecidedAt) change, forwards only, so the rows of a
// registration are the history of its routing.
type Assignment struct {
	ID             string
	Seq            int64
	RegistrationID string
	Registration   string // the registration's identifier
	Kind           string
	Office         string
	Person         string // user id, "" for the office as a whole
	State          string
	Reason         string // why it was rejected
	CreatedBy      string
	CreatedAt      time.Time
	DecidedBy      string
	DecidedAt      *time.Time
}

// AssignmentRequest assigns a registration: Competenza (optional) to one office and optionally
// a person of it, Conoscenza to any number of offices. At least one of the two.
type AssignmentRequest struct {
	Competenza *AssignmentTarget
	Conoscenza []string
}

// AssignmentTarget is the office, and optionally the person, of a competenza assignment.
type AssignmentTarget struct {
	Office string
	Person string
}

// AssignmentFilter selects a worklist. Zero fields do not filter; After is the Seq to page on.
type AssignmentFilter struct {
	Office  string
	Offices []string // set for clerks: only these offices' assignments
	Person  string
	State   string
	After   int64
	Limit   int
}

// AssignmentList is a worklist page and the count of every state under the same filter.
type AssignmentList struct {
	Items  []Assignment
	Counts map[string]int
	More   bool
}

// AssignmentWrite is what a registration's write adds to the assignments: rows to insert and
// rows whose state changes, in the registration's transaction. A row of Update changes only if
// its state is still one AssignmentPrior allows for its new state; otherwise the write is
// conflict (another decision came first).
type AssignmentWrite struct {
	Insert []Assignment
	Update []Assignment
}

// Assign routes a registration (smistamento). A competenza assignment supersedes the current
// one (pending or accepted): one office at a time. Its person must be an active user of that
// office. The assigned offices join the registration's offices, the list that decides what
// clerks see (VisibilityOf), so that a clerk sees what is assigned to its offices; they are not
// removed when an assignment is rejected or superseded (the protocol office changes offices
// with PATCH). Each assignment is an event of the registration's history. Protocol operators
// and records officers only. Returns the assignments made and how many it superseded; errors
// forbidden, validation_failed, not_found, conflict.
func (s *Service) Assign(ctx context.Context, p Principal, ref Ref, in AssignmentRequest) ([]Assignment, int, error) {
	if err := p.require("assigning a registration", RoleProtocolOperator, RoleRecordsOfficer); err != nil {
		return nil, 0, err
	}
	var v Validation
	if in.Competenza == nil && len(in.Conoscenza) == 0 {
		v.Add("body", "assign per competenza, per conoscenza or both")
	}
	offices := uniq(in.Conoscenza)
	if c := in.Competenza; c != nil {
		if strings.TrimSpace(c.Office) == "" {
			v.Add("competenza.office", "is required")
		} else if slices.Contains(offices, c.Office) {
			v.Add("conoscenza", "office %s is assigned per competenza already", c.Office)
		}
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	all := offices
	if c := in.Competenza; c != nil {
		all = append([]string{c.Office}, offices...)
	}
	if err := s.checkOffices(ctx, all); err != nil {
		return nil, 0, err
	}
	if c := in.Competenza; c != nil {
		if err := s.checkMember(ctx, "competenza.person", c.Person, c.Office); err != nil {
			return nil, 0, err
		}
	}
	current, err := s.Registration(ctx, p, ref)
	if err != nil {
		return nil, 0, err
	}
	existing, err := s.Store.Assignments(ctx, current.ID)
	if err != nil {
		return nil, 0, err
	}
	var made []Assignment
	superseded := 0
	_, err = s.Store.UpdateRegistration(ctx, current.ID, func(r *Registration) (Write, error) {
		if r.Status == StatusAnnulled {
			return Write{}, Errorf(ECConflict, "registration %s is annulled", ref)
		}
		if r.Disposal != nil {
			return Write{}, Errorf(ECConflict, "registration %s is disposed of", ref)
		}
		now := s.now()
		w := Write{Actor: p.ID, At: now, Assignments: &AssignmentWrite{}}
		add := func(kind, office, person, state string) {
			a := Assignment{ID: NewID(), RegistrationID: r.ID, Registration: r.Identifier, Kind: kind, Office: office,
				Person: person, State: state, CreatedBy: p.ID, CreatedAt: now}
			w.Assignments.Insert = append(w.Assignments.Insert, a)
			e := audit(p, now, "registration.assigned", KindRegistration, r.ID)
			e.Field, e.Detail = "assignment", assignmentDetail(a)
			w.Audit = append(w.Audit, e)
		}
		if c := in.Competenza; c != nil {
			for _, a := range existing {
				if a.Kind == AssignCompetenza && (a.State == AssignmentPending || a.State == AssignmentAccepted) {
					a.State, a.DecidedBy, a.DecidedAt = AssignmentSuperseded, p.ID, &now
					w.Assignments.Update = append(w.Assignments.Update, a)
				}
			}
			add(AssignCompetenza, c.Office, c.Person, AssignmentPending)
		}
		for _, o := range offices {
			add(AssignConoscenza, o, "", AssignmentInformed)
		}
		if joined := uniq(append(slices.Clone(r.Offices), all...)); !slices.Equal(joined, r.Offices) {
			e, err := change(p, now, KindRegistration, r.ID, "offices", r.Offices, joined)
			if err != nil {
				return w, err
			}
			w.Audit = append(w.Audit, e)
			r.Offices = joined
		}
		made, superseded = w.Assignments.Insert, len(w.Assignments.Update)
		return w, nil
	})
	if err != nil {
		return nil, 0, err
	}
	return made, superseded, nil
}

func assignmentDetail(a Assignment) string {
	d := a.Kind + " " + a.Office
	if a.Person != "" {
		d += " (" + a.Person + ")"
	}
	return d + " [" + a.ID + "]"
}

// DecideAssignment accepts (accept) or rejects with a reason a pending competenza assignment of
// the registration at ref. Only a clerk of the assigned office (and, when the assignment names
// a person, that person) decides: a clerk of an office informed per conoscenza is conflict, a
// clerk who cannot see the registration is not_found. A rejection returns the registration to
// the protocol office's worklist (state rejected). Returns forbidden, validation_failed,
// not_found, conflict.
func (s *Service) DecideAssignment(ctx context.Context, p Principal, ref Ref, id string, accept bool, reason string) (Assignment, error) {
	if err := p.require("deciding an assignment", RoleClerk); err != nil {
		return Assignment{}, err
	}
	if !accept && strings.TrimSpace(reason) == "" {
		return Assignment{}, Invalid("reason", "is required")
	}
	current, err := s.Registration(ctx, p, ref)
	if err != nil {
		return Assignment{}, err
	}
	a, err := s.Store.Assignment(ctx, id)
	if err != nil {
		return Assignment{}, err
	}
	if a.RegistrationID != current.ID {
		return Assignment{}, Errorf(ECNotFound, "assignment %s not found for %s", id, ref)
	}
	if !slices.Contains(p.Offices, a.Office) {
		return Assignment{}, Errorf(ECForbidden, "assignment %s is to office %s, not yours", id, a.Office)
	}
	if a.Kind != AssignCompetenza {
		return Assignment{}, Errorf(ECConflict, "assignment %s is per conoscenza: it informs, there is nothing to accept or reject", id)
	}
	if a.Person != "" && a.Person != p.Person {
		return Assignment{}, Errorf(ECForbidden, "assignment %s is to %s", id, a.Person)
	}
	var out Assignment
	_, err = s.Store.UpdateRegistration(ctx, current.ID, func(r *Registration) (Write, error) {
		if a.State != AssignmentPending {
			return Write{}, Errorf(ECConflict, "assignment %s is %s", id, a.State)
		}
		now := s.now()
		out = a
		out.DecidedBy, out.DecidedAt = p.ID, &now
		action := "registration.assignment_accepted"
		out.State = AssignmentAccepted
		if !accept {
			action, out.State, out.Reason = "registration.assignment_rejected", AssignmentRejected, strings.TrimSpace(reason)
		}
		e := audit(p, now, action, KindRegistration, r.ID)
		e.Field, e.Detail = "assignment", assignmentDetail(a)
		if !accept {
			e.Detail += ": " + out.Reason
		}
		return Write{Actor: p.ID, At: now, Audit: []AuditEvent{e}, Assignments: &AssignmentWrite{Update: []Assignment{out}}}, nil
	})
	return out, err
}

// AssignmentWorklist lists assignments by office, person and state, in the order they were made,
// with the count of each state. Clerks see their offices' assignments only; protocol operators
// and records officers see every office's. Returns forbidden, validation_failed.
func (s *Service) AssignmentWorklist(ctx context.Context, p Principal, f AssignmentFilter) (AssignmentList, error) {
	if err := p.require("reading assignments", RoleProtocolOperator, RoleRecordsOfficer, RoleClerk); err != nil {
		return AssignmentList{}, err
	}
	if f.State != "" && !slices.Contains(AssignmentStates, f.State) {
		return AssignmentList{}, Invalid("state", "must be one of %v", AssignmentStates)
	}
	if f.Limit <= 0 {
		f.Limit = DefaultLimit
	}
	if !p.Has(RoleProtocolOperator, RoleRecordsOfficer) {
		if f.Office != "" && !slices.Contains(p.Offices, f.Office) {
			return AssignmentList{}, Errorf(ECForbidden, "office %s is not yours", f.Office)
		}
		f.Offices = append([]string{""}, p.Offices...) // never nil: no office sees nothing
	}
	return s.Store.AssignmentWorklist(ctx, f)
}

// checkMember returns validation_failed on field unless person is "" or an active user who is a
// member of office.
func (s *Service) checkMember(ctx context.Context, field, person, office string) error {
	if person == "" {
		return nil
	}
	u, err := s.Store.User(ctx, person)
	if IsCode(err, ECNotFound) {
		return Invalid(field, "no user %s", person)
	}
	if err != nil {
		return err
	}
	if u.DeactivatedAt != nil || !slices.Contains(u.Offices, office) {
		return Invalid(field, "user %s is not an active member of office %s", person, office)
	}
	return nil
}
