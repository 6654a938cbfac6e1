package domain

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// The services in this file use the ports ProcedureStore and CaseStore (ports.go).

// ActDraft is what a generated final act says; ActRenderer lays it out as a PDF.
type ActDraft struct {
	Procedure  string
	Dossier    string
	Submission string
	Applicant  string
	Outcome    string
	Reasons    string
	Office     string
	Date       time.Time
}

// ActRenderer renders a final act the office did not upload.
type ActRenderer func(ActDraft) ([]byte, error)

// PDFSigner seals a PDF produced or issued by the administration as PAdES (baseline B-T) with
// the instance's sealing identity; reason is written in the signature.
type PDFSigner func(ctx context.Context, pdf []byte, reason string) ([]byte, error)

// CaseTransition asks to move a case to another status. Act is the final act (a PDF already
// in the blob store) to approve or reject with, refused otherwise; without it the act is
// generated from the note, which then states the reasons.
type CaseTransition struct {
	To   CaseStatus
	Note string
	Act  *File
}

// mayHandleCase returns forbidden unless p is a records officer or a clerk of one of offices.
func mayHandleCase(p Principal, action string, offices ...string) error {
	if p.Has(RoleRecordsOfficer) {
		return nil
	}
	if p.Has(RoleClerk) && slices.ContainsFunc(offices, func(o string) bool { return slices.Contains(p.Offices, o) }) {
		return nil
	}
	return Errorf(ECForbidden, "%s requires the role records_officer, or clerk of office %s", action, strings.Join(offices, " or "))
}

// mayMove returns forbidden unless p may make moves to `to` at all: withdrawing is the
// applicant's (its portal, acting for it), every other move the offices'. It is checked before
// the case's status, so that a portal asking for an office's move learns it may not, not
// whether the move would fit the case now.
func mayMove(p Principal, to CaseStatus) error {
	if to == CaseWithdrawn {
		return requireApplicant(p, "withdrawing a case")
	}
	return p.require("moving a case to "+string(to), RoleRecordsOfficer, RoleClerk)
}

// TransitionCase moves a case along its state machine (submitted → in_progress →
// awaiting_applicant → in_progress → approved | rejected; withdrawn by the applicant while
// open). The responsible office's clerks and records officers make the office's moves, the
// applicant's portal only withdraws. Asking for integration (awaiting_applicant) needs a note,
// which the applicant sees as a message, and pauses the deadline; resuming moves it by the
// days paused. Approving needs every step done. Approving or rejecting needs the final act: a
// PDF, sealed PAdES, registered outgoing to the applicant, filed in the dossier and shared
// with the applicant; the case closes and its dossier with it. Every move is audited with
// from, to and note. Returns forbidden, not_found, validation_failed, conflict (a move not
// allowed from the current status), unavailable (no signer). Who may make the move is checked
// before whether the case's status allows it.
func (s *Service) TransitionCase(ctx context.Context, p Principal, id string, in CaseTransition, idem Idempotency) (*Case, bool, error) {
	var v Validation
	if !slices.Contains(CaseStatuses, in.To) || in.To == CaseSubmitted {
		v.Add("to", "must be one of in_progress, awaiting_applicant, approved, rejected, withdrawn")
		return nil, false, v.Err()
	}
	if err := mayMove(p, in.To); err != nil {
		return nil, false, err
	}
	in.Note = strings.TrimSpace(in.Note)
	final := in.To == CaseApproved || in.To == CaseRejected
	switch {
	case final && in.Act == nil && (s.RenderAct == nil || in.Note == ""):
		v.Add("document", "approving or rejecting needs the final act (a PDF, as multipart) or a note with the reasons to generate it from")
	case !final && in.Act != nil:
		v.Add("document", "only approving or rejecting takes a final act")
	case in.To == CaseAwaitingApplicant && in.Note == "":
		v.Add("note", "is required: it tells the applicant what to integrate")
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	return idempotent(ctx, s, p, idem, KindCase, s.loadCase, func() (*Case, error) {
		current, err := s.Case(ctx, p, id)
		if err != nil {
			return nil, err
		}
		if in.To != CaseWithdrawn {
			if err := mayHandleCase(p, "moving a case to "+string(in.To), current.Office); err != nil {
				return nil, err
			}
		}
		if _, ok := caseMoves[current.Status][in.To]; !ok {
			return nil, Errorf(ECConflict, "case %s is %s: it cannot become %s", id, current.Status, in.To)
		}
		var act *Registration
		if final && in.Act == nil {
			if in.Act, err = s.generateAct(ctx, current, in); err != nil {
				return nil, err
			}
		}
		if final {
			if act, err = s.finalAct(ctx, p, current, in); err != nil {
				return nil, err
			}
		}
		return s.Store.UpdateCase(ctx, id, func(c *Case) (CaseChange, error) {
			if _, ok := caseMoves[c.Status][in.To]; !ok {
				return CaseChange{}, Errorf(ECConflict, "case %s is %s: it cannot become %s", id, c.Status, in.To)
			}
			if in.To == CaseApproved && !c.stepsDone() {
				return CaseChange{}, Errorf(ECConflict, "case %s cannot be approved before every involved office has done its step", id)
			}
			now := s.now()
			today := now.In(s.Location).Format("2006-01-02")
			e, err := change(p, now, KindCase, c.ID, "status", c.Status, in.To)
			e.Action, e.Detail = "case."+string(in.To), in.Note
			ch := CaseChange{Event: EventCaseStatus, Write: Write{Audit: []AuditEvent{e}, Idempotency: idem.record(p, KindCase, c.ID, now),
				Actor: p.ID, At: now}}
			switch {
			case in.To == CaseAwaitingApplicant:
				c.pause(today)
				ch.Message = &CaseMessage{ID: NewID(), Case: c.ID, Author: p.ID, AuthorName: p.Name, Text: in.Note, CreatedAt: now}
			case c.Status == CaseAwaitingApplicant:
				c.resume(today)
			}
			if in.To.Closed() {
				c.PausedOn = ""
				c.ClosedAt = &now
				ch.CloseDossier = true
			}
			if act != nil {
				// Numbered at this instant: the date and year are this instant's in Rome.
				act.stamp(now, s.Location)
				c.FinalRegistrationID = act.ID
				ch.Registration, ch.Event = act, EventCaseFinalAct
				ch.Write.Verify = func(ctx context.Context) error { return s.checkContent(ctx, []File{act.Document}) }
				ch.Write.Audit = append(ch.Write.Audit, audit(p, now, "registration.created", KindRegistration, act.ID))
			}
			c.Status = in.To
			return ch, err
		})
	})
}

// generateAct renders the final act of c from the transition's note and stores it.
func (s *Service) generateAct(ctx context.Context, c *Case, in CaseTransition) (*File, error) {
	proc, err := s.Store.ProcedureVersion(ctx, c.Procedure, c.ProcedureVersion)
	if err != nil {
		return nil, err
	}
	pdf, err := s.RenderAct(ActDraft{Procedure: proc.Name, Dossier: c.Dossier, Submission: c.Registration.Identifier,
		Applicant: c.Applicant, Outcome: outcomes[in.To], Reasons: in.Note, Office: c.Office, Date: s.now()})
	if err != nil {
		return nil, fmt.Errorf("generate the final act of %s: %w", c.ID, err)
	}
	sha, size, err := s.Blobs.Put(ctx, bytes.NewReader(pdf))
	if err != nil {
		return nil, fmt.Errorf("store the final act of %s: %w", c.ID, err)
	}
	return &File{Filename: "provvedimento.pdf", MediaType: "application/pdf", Size: size, SHA256: sha}, nil
}

// outcomes names the final acts in Italian: accoglimento (granted), diniego (refused).
var outcomes = map[CaseStatus]string{CaseApproved: "accoglimento", CaseRejected: "diniego"}

// finalAct seals the uploaded final act and prepares its outgoing registration to the
// applicant, in the case's class and office (dated and numbered when the transition commits).
func (s *Service) finalAct(ctx context.Context, p Principal, c *Case, in CaseTransition) (*Registration, error) {
	if s.SignPDF == nil {
		return nil, Errorf(ECUnavailable, "no sealing identity is configured: final acts cannot be signed")
	}
	if in.Act.MediaType != "application/pdf" {
		return nil, Invalid("document", "the final act must be a PDF, not %s", in.Act.MediaType)
	}
	rc, err := s.Blobs.Open(ctx, in.Act.SHA256)
	if err != nil {
		return nil, fmt.Errorf("open final act: %w", err)
	}
	pdf, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("read final act: %w", err)
	}
	outcome := outcomes[in.To]
	signed, err := s.SignPDF(ctx, pdf, "Provvedimento finale ("+outcome+") pratica "+c.Dossier)
	if err != nil {
		return nil, Invalid("document", "the final act could not be sealed: %v", err)
	}
	sha, size, err := s.Blobs.Put(ctx, bytes.NewReader(signed))
	if err != nil {
		return nil, fmt.Errorf("store sealed final act: %w", err)
	}
	act := newRegistration(p, NewRegistration{
		Direction: Outgoing, Channel: ChannelWeb, Subject: fmt.Sprintf("Provvedimento di %s: pratica %s", outcome, c.Dossier),
		Correspondents: []Correspondent{applicantCorrespondent(c.Applicant, RoleRecipient)},
		Document:       &File{Filename: in.Act.Filename, Description: "Provvedimento finale", MediaType: "application/pdf", Size: size, SHA256: sha},
		Class:          c.Registration.Class, Offices: c.Offices(),
	}, s.now(), s.Location)
	act.Parties = []string{Party(c.Portal, c.Applicant)}
	return act, nil
}

// CompleteStep records that an involved office has done its step (parere, nulla osta): a
// clerk of that office or a records officer, while the case is open; in order, the next step
// becomes active and its office sees the case. Returns forbidden, not_found, conflict.
func (s *Service) CompleteStep(ctx context.Context, p Principal, id string, index int, note string, idem Idempotency) (*Case, bool, error) {
	if err := p.require("completing a step", RoleRecordsOfficer, RoleClerk); err != nil {
		return nil, false, err
	}
	return idempotent(ctx, s, p, idem, KindCase, s.loadCase, func() (*Case, error) {
		current, err := s.Case(ctx, p, id)
		if err != nil {
			return nil, err
		}
		if index < 0 || index >= len(current.Steps) {
			return nil, Errorf(ECNotFound, "case %s has no step %d", id, index)
		}
		if err := mayHandleCase(p, "completing a step", current.Steps[index].Office); err != nil {
			return nil, err
		}
		proc, err := s.Store.ProcedureVersion(ctx, current.Procedure, current.ProcedureVersion)
		if err != nil {
			return nil, err
		}
		return s.Store.UpdateCase(ctx, id, func(c *Case) (CaseChange, error) {
			if c.Status.Closed() {
				return CaseChange{}, Errorf(ECConflict, "case %s is %s", id, c.Status)
			}
			if err := c.completeStep(index, proc.StepsInOrder); err != nil {
				return CaseChange{}, err
			}
			now := s.now()
			e := audit(p, now, "case.step_done", KindCase, c.ID)
			e.Field, e.Detail = fmt.Sprintf("steps[%d]", index), strings.TrimSpace(note)
			return CaseChange{Event: EventCaseStepDone, Write: Write{Audit: []AuditEvent{e},
				Idempotency: idem.record(p, KindCase, c.ID, now), Actor: p.ID, At: now}}, nil
		})
	})
}
