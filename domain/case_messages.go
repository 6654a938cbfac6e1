package domain

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The services in this file use the port CaseStore (ports.go).

// NewCaseMessage is a message to post in a case's dialogue: its text, the documents (already in
// the blob store) it carries, and for staff whether it is an internal note.
type NewCaseMessage struct {
	Text      string
	Internal  bool
	Documents []File
}

// MaxMessageText bounds a message's text.
const MaxMessageText = 20000

// PostCaseMessage adds a message to an open case: from the applicant (a portal acting for the
// case's applicant) or from staff handling it (responsible or step office, records officer).
// A message with documents is registered in the same transaction — incoming from the
// applicant, outgoing to the applicant, internal for an internal note — and filed in the
// case's dossier; what is not internal is shared with the applicant. The applicant's message
// answers a request for integration: a case awaiting the applicant goes back in progress and
// its deadline resumes. Returns forbidden, not_found, validation_failed, conflict (closed).
func (s *Service) PostCaseMessage(ctx context.Context, p Principal, id string, in NewCaseMessage, idem Idempotency) (CaseMessage, bool, error) {
	var v Validation
	in.Text = strings.TrimSpace(in.Text)
	switch n := utf8.RuneCountInString(in.Text); {
	case n == 0:
		v.Add("text", "is required")
	case n > MaxMessageText:
		v.Add("text", "is longer than %d characters", MaxMessageText)
	}
	fromApplicant := p.Applicant != ""
	if fromApplicant && in.Internal {
		v.Add("internal", "only staff write internal notes")
	}
	if err := v.Err(); err != nil {
		return CaseMessage{}, false, err
	}
	return idempotent(ctx, s, p, idem, KindCaseMessage, s.Store.CaseMessage, func() (CaseMessage, error) {
		current, err := s.Case(ctx, p, id)
		if err != nil {
			return CaseMessage{}, err
		}
		if !fromApplicant {
			if err := mayHandleCase(p, "writing in a case", current.ActiveOffices()...); err != nil {
				return CaseMessage{}, err
			}
		}
		if err := s.checkContent(ctx, in.Documents); err != nil {
			return CaseMessage{}, err
		}
		var author Correspondent
		if in.Internal && len(in.Documents) > 0 {
			if author, err = s.noteAuthor(ctx, p, current); err != nil {
				return CaseMessage{}, err
			}
		}
		var out CaseMessage
		_, err = s.Store.UpdateCase(ctx, id, func(c *Case) (CaseChange, error) {
			if c.Status.Closed() {
				return CaseChange{}, Errorf(ECConflict, "case %s is %s: its dialogue is closed", id, c.Status)
			}
			now := s.now()
			msg := &CaseMessage{ID: NewID(), Case: c.ID, Author: p.ID, AuthorName: p.Name, FromApplicant: fromApplicant,
				Internal: in.Internal, Text: in.Text, CreatedAt: now}
			ch := CaseChange{Event: EventCaseMessage, Message: msg, Internal: in.Internal, Write: Write{
				Audit:       []AuditEvent{audit(p, now, "case.message", KindCase, c.ID)},
				Idempotency: idem.record(p, KindCaseMessage, msg.ID, now), Actor: p.ID, At: now}}
			if len(in.Documents) > 0 {
				r := s.messageRegistration(p, current, msg, in.Documents, author)
				msg.RegistrationID, msg.Registration, ch.Registration = r.ID, r, r
				ch.Write.Audit = append(ch.Write.Audit, audit(p, now, "registration.created", KindRegistration, r.ID))
				ch.Write.Verify = func(ctx context.Context) error {
					return s.checkContent(ctx, append([]File{r.Document}, r.Attachments...))
				}
			}
			if fromApplicant && c.Status == CaseAwaitingApplicant {
				c.resume(now.In(s.Location).Format("2006-01-02"))
				e, err := change(p, now, KindCase, c.ID, "status", c.Status, CaseInProgress)
				if err != nil {
					return ch, err
				}
				e.Action = "case.integrated"
				ch.Write.Audit = append(ch.Write.Audit, e)
				c.Status, ch.Event = CaseInProgress, EventCaseIntegrated
			}
			out = *msg
			return ch, nil
		})
		return out, err
	})
}

// messageRegistration prepares the registration of a message's documents (numbered when the
// message commits): incoming from the applicant, outgoing to the applicant, internal for a note
// written by author (see noteAuthor).
func (s *Service) messageRegistration(p Principal, c *Case, msg *CaseMessage, docs []File, author Correspondent) *Registration {
	r := newRegistration(p, NewRegistration{
		Channel: ChannelWeb, Subject: fmt.Sprintf("Pratica %s: %s", c.Dossier, truncate(msg.Text, 200)),
		Document: &docs[0], Attachments: docs[1:], Class: c.Registration.Class, Offices: c.Offices(),
	}, msg.CreatedAt, s.Location)
	switch {
	case msg.FromApplicant:
		r.Direction, r.Correspondents = Incoming, []Correspondent{applicantCorrespondent(c.Applicant, RoleSender)}
	case msg.Internal:
		r.Direction, r.Channel, r.Correspondents = Internal, ChannelAPI, []Correspondent{author}
	default:
		r.Direction, r.Correspondents = Outgoing, []Correspondent{applicantCorrespondent(c.Applicant, RoleRecipient)}
	}
	if !msg.Internal {
		r.Parties = []string{Party(c.Portal, c.Applicant)}
	}
	return r
}

// truncate cuts s to at most n characters.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// CaseMessages lists the dialogue of a case p may see, oldest first; the applicant does not see
// internal notes. Returns not_found, forbidden, validation_failed.
func (s *Service) CaseMessages(ctx context.Context, p Principal, id string) ([]CaseMessage, error) {
	c, err := s.Case(ctx, p, id)
	if err != nil {
		return nil, err
	}
	all, err := s.Store.CaseMessages(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := []CaseMessage{}
	for _, m := range all {
		if p.Applicant == "" || !m.Internal {
			out = append(out, m)
		}
	}
	return out, nil
}
