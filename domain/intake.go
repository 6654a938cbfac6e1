package domain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The services in this file use the ports InstallationStore, IntakeStore, RegisterStore and RegistrationStore (ports.go).

// MailboxSettings is a configured mailbox as intake needs it (internal/app reads the list from
// SPORTELLO_MAILBOXES).
type MailboxSettings struct {
	// Name identifies the mailbox in the records of its messages; it must not change while
	// messages are read from it, or they are read again.
	Name string
	// Channel is what the mailbox receives: ChannelPEC or ChannelEmail. A message that is not
	// what it says (an ordinary message in a PEC mailbox) is kept as a draft.
	Channel Channel
	// Mode is MailboxRegister (each message is registered) or MailboxDraft (each is kept for an
	// operator to register or discard).
	Mode string
	// Register, Class and Offices are given to the registrations made from its messages.
	Register, Class string
	Offices         []string
}

// Mailbox modes.
const (
	MailboxRegister = "register"
	MailboxDraft    = "draft"
)

// IntakeMessage is the record of one message a mailbox yielded: which message (mailbox,
// UIDVALIDITY, UID; Message-ID; the digest of its bytes, kept in the blob store) and what
// became of it (State).
type IntakeMessage struct {
	ID               string
	Mailbox          string
	UIDValidity, UID uint32
	MessageID        string
	// DedupeKey is what makes two messages of a mailbox the same: the Message-ID, or the digest
	// when there is none.
	DedupeKey string
	// SHA256 is the digest of the bytes kept in the blob store, the whole message; for a
	// message rejected as too large, only its header. Size is the whole message's size.
	SHA256 string
	Size   int64
	// Channel is what the message is (pec for a certified message); Register and Offices are
	// the mailbox's when it was read, for a draft registered later.
	Channel  Channel
	Register string
	Offices  []string
	// Sender and Subject are proposed from the message, for the operator's list.
	Sender, Subject string
	State           string
	ReceivedAt      time.Time
	// RegistrationID is the registration made from it (state registered), DuplicateOf the
	// first record of the same message (state duplicate).
	RegistrationID, DuplicateOf string
	// Detail says why a message was rejected or kept as a draft, or why a draft was discarded.
	Detail string
	// DecidedBy and DecidedAt record who registered or discarded a draft, and when.
	DecidedBy string
	DecidedAt *time.Time
}

// States of an IntakeMessage.
const (
	IntakeRegistered = "registered"
	IntakeDraft      = "draft"
	IntakeDiscarded  = "discarded"
	IntakeReceipt    = "receipt"
	IntakeUnmatched  = "unmatched"
	IntakeDuplicate  = "duplicate"
	IntakeRejected   = "rejected"
)

// KindIntake is the entity kind of intake messages in audit events and idempotency records.
const KindIntake = "intake_message"

// IntakeFilter selects intake messages: State and Mailbox filter when set; newest first.
type IntakeFilter struct {
	State, Mailbox string
	Limit          int
	Cursor         string
}

// mailSystem is who registers what a mailbox brings: the system, on behalf of the mailbox.
func mailSystem(mailbox string) Principal {
	return Principal{ID: system.ID, Name: "mailbox " + mailbox, Roles: []Role{RoleImporter}}
}

// ReceiveMail handles one message of a mailbox, exactly once: its bytes go to the blob store,
// then, in one transaction, its record and what it becomes. A message is registered incoming
// (mode register), kept as a draft (mode draft, or when it cannot be registered as it is: the
// record says why), linked to the dispatch it answers (a PEC receipt or a protocol message:
// state receipt, or unmatched), or rejected (not a readable message). A message whose
// Message-ID (or digest, without one) the mailbox already recorded is recorded as a duplicate
// of the first, and not registered again. It returns the record, and recorded=false when the
// message was recorded already (another process got there first): nothing was done then.
func (s *Service) ReceiveMail(ctx context.Context, mb MailboxSettings, uidValidity uint32, m MailboxMessage) (*IntakeMessage, bool, error) {
	if s.Mail.Parse == nil {
		return nil, false, Errorf(ECUnavailable, "no mail parser configured")
	}
	if m.TooLarge != nil {
		return s.rejectTooLarge(ctx, mb, uidValidity, m)
	}
	sha, size, err := s.Blobs.Put(ctx, bytes.NewReader(m.Raw))
	if err != nil {
		return nil, false, fmt.Errorf("store message %d of %s: %w", m.UID, mb.Name, err)
	}
	now := s.now()
	rec := &IntakeMessage{ID: NewID(), Mailbox: mb.Name, UIDValidity: uidValidity, UID: m.UID, SHA256: sha, Size: size,
		DedupeKey: "sha256:" + sha, Channel: mb.Channel, Register: mb.Register, Offices: uniq(mb.Offices), ReceivedAt: now}
	if rec.Register == "" {
		rec.Register = DefaultRegister
	}
	msg, err := s.Mail.Parse(m.Raw)
	if IsCode(err, ECValidation) {
		rec.State, rec.Detail = IntakeRejected, "not a readable message: "+err.Error()
		return s.record(ctx, rec, nil, Write{})
	}
	if err != nil {
		return nil, false, err
	}
	inner := certified(msg)
	rec.Channel, rec.Subject, rec.Sender = channelOf(msg), strings.TrimSpace(inner.Subject), inner.From.Address
	if msg.PEC != nil && msg.PEC.Sender != "" {
		rec.Sender = msg.PEC.Sender
	}
	if msg.MessageID != "" {
		rec.MessageID, rec.DedupeKey = msg.MessageID, "message-id:"+msg.MessageID
	}
	switch kind, xml := classify(msg, s.Mail.ReadProtocolMessage); kind {
	case kindReceipt, kindProtocol:
		if err := s.linkAnswer(ctx, rec, msg, m.Raw, xml); err != nil {
			return nil, false, err
		}
		return s.record(ctx, rec, nil, Write{})
	}
	if mb.Mode == MailboxDraft {
		rec.State = IntakeDraft
		return s.record(ctx, rec, nil, Write{})
	}
	if rec.Channel != mb.Channel {
		rec.State, rec.Detail = IntakeDraft, fmt.Sprintf("a %s message in a %s mailbox: an operator decides", rec.Channel, mb.Channel)
		return s.record(ctx, rec, nil, Write{})
	}
	p := mailSystem(mb.Name)
	r, w, err := s.mailRegistration(ctx, p, msg, rec, IntakeOverrides{Class: mb.Class})
	if IsCode(err, ECValidation) || IsCode(err, ECNotFound) {
		// Never lose a message: what the mailbox cannot register an operator will.
		rec.State, rec.Detail = IntakeDraft, "cannot be registered as it is: "+err.Error()
		return s.record(ctx, rec, nil, Write{})
	}
	if err != nil {
		return nil, false, err
	}
	rec.State, rec.RegistrationID = IntakeRegistered, r.ID
	e := audit(p, now, "intake.registered", KindIntake, rec.ID)
	e.Detail = r.ID
	w.Audit = append(w.Audit, e)
	out, recorded, err := s.record(ctx, rec, r, w)
	if IsCode(err, ECValidation) || IsCode(err, ECNotFound) {
		rec.State, rec.RegistrationID, rec.Detail = IntakeDraft, "", "cannot be registered as it is: "+err.Error()
		return s.record(ctx, rec, nil, Write{})
	}
	return out, recorded, err
}

// rejectTooLarge records a message the mailbox did not download, being above its size limit,
// as rejected: the detail names its size and the limit, its header (m.Raw) is what the blob
// store keeps (SHA256) while Size is the whole message's, and Message-ID, sender and subject
// are read from the header when it can be read. Its Message-ID makes the same message read
// again (after a change of UIDVALIDITY) a duplicate, as for any other.
func (s *Service) rejectTooLarge(ctx context.Context, mb MailboxSettings, uidValidity uint32, m MailboxMessage) (*IntakeMessage, bool, error) {
	sha, _, err := s.Blobs.Put(ctx, bytes.NewReader(m.Raw))
	if err != nil {
		return nil, false, fmt.Errorf("store the header of message %d of %s: %w", m.UID, mb.Name, err)
	}
	rec := &IntakeMessage{ID: NewID(), Mailbox: mb.Name, UIDValidity: uidValidity, UID: m.UID, SHA256: sha,
		Size: m.TooLarge.Size, DedupeKey: "sha256:" + sha, Channel: mb.Channel, Register: mb.Register,
		Offices: uniq(mb.Offices), ReceivedAt: s.now(), State: IntakeRejected,
		Detail: fmt.Sprintf("too large: the message is %d bytes, above the mailbox's limit of %d bytes; it was not downloaded, only its header is kept",
			m.TooLarge.Size, m.TooLarge.Max)}
	if rec.Register == "" {
		rec.Register = DefaultRegister
	}
	if msg, err := s.Mail.Parse(m.Raw); err == nil {
		rec.Subject, rec.Sender = strings.TrimSpace(msg.Subject), msg.From.Address
		if msg.MessageID != "" {
			rec.MessageID, rec.DedupeKey = msg.MessageID, "message-id:"+msg.MessageID
		}
	}
	return s.record(ctx, rec, nil, Write{})
}

// record stores rec (with r and w when r is not nil) through the store.
func (s *Service) record(ctx context.Context, rec *IntakeMessage, r *Registration, w Write) (*IntakeMessage, bool, error) {
	recorded, err := s.Store.RecordIntake(ctx, rec, r, w)
	if err != nil {
		return nil, false, fmt.Errorf("record message %d of %s: %w", rec.UID, rec.Mailbox, err)
	}
	return rec, recorded, nil
}

// linkAnswer hands a receipt or protocol message to the dispatches (Mail.LinkReceipt), or, for
// an AnnullamentoProtocollazione, marks the registration made from the annulled one, and sets
// rec's state: receipt when it answered something of ours, unmatched otherwise.
func (s *Service) linkAnswer(ctx context.Context, rec *IntakeMessage, msg *MailMessage, raw, xml []byte) error {
	rec.State = IntakeUnmatched
	if xml != nil && s.Mail.ReadProtocolMessage != nil {
		pm, err := s.Mail.ReadProtocolMessage(xml)
		if err == nil && pm.Kind == ProtocolAnnullamento {
			linked, err := s.annulledBySender(ctx, pm, rec)
			if err != nil {
				return err
			}
			if linked {
				rec.State = IntakeReceipt
			}
			return nil
		}
		if err != nil && !IsCode(err, ECValidation) {
			return err
		}
	}
	if s.Mail.LinkReceipt == nil {
		return nil
	}
	linked, err := s.Mail.LinkReceipt(ctx, msg, raw)
	if err != nil {
		return fmt.Errorf("link message %d of %s to its dispatch: %w", rec.UID, rec.Mailbox, err)
	}
	if linked {
		rec.State = IntakeReceipt
	}
	return nil
}

// annulledBySender records an AnnullamentoProtocollazione on the registration made from the
// annulled one, when it came from the address that sent it; ours is not annulled (only a
// records officer annuls). It reports whether one was found.
func (s *Service) annulledBySender(ctx context.Context, pm ProtocolMessage, rec *IntakeMessage) (bool, error) {
	if pm.Identifier == nil {
		return false, nil
	}
	a := SenderAnnulment{Reason: pm.Reason, Provision: pm.Provision, MessageID: rec.MessageID, At: rec.ReceivedAt}
	id, err := s.Store.AnnulledBySender(ctx, *pm.Identifier, rec.Sender, a)
	if IsCode(err, ECNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	rec.Detail = "annulment by the sender of registration " + id
	return true, nil
}

// IntakeOverrides is what an operator states when registering a draft: it wins over what the
// message proposes. Subject is accepted only when the message proposes none.
type IntakeOverrides struct {
	Class        string
	Offices      *[]string
	Subject      string
	Confidential bool
}

// mailRegistration builds the registration of msg, recorded by rec, by p: the primary document
// is the message byte-exact (rec.SHA256), its parts the attachments, and subject, sender,
// received date and sender reference are proposed from it (readMail). It checks what Register
// checks. Returns validation_failed, not_found (an unknown register).
func (s *Service) mailRegistration(ctx context.Context, p Principal, msg *MailMessage, rec *IntakeMessage, o IntakeOverrides) (*Registration, Write, error) {
	now := s.now()
	today := now.In(s.Location).Format(time.DateOnly)
	c, err := s.readMail(ctx, msg, today)
	if err != nil {
		return nil, Write{}, err
	}
	offices := rec.Offices
	if o.Offices != nil {
		offices = *o.Offices
	}
	in := NewRegistration{Register: rec.Register, Direction: Incoming, Channel: rec.Channel, Class: o.Class,
		Offices: offices, Confidential: o.Confidential,
		Document: &File{Filename: MessageFilename, MediaType: "message/rfc822", Size: rec.Size, SHA256: rec.SHA256}}
	if o.Subject != "" {
		if c.subject != "" {
			return nil, Write{}, Invalid("subject", "the message proposes its own subject (%q): it is not replaced", c.subject)
		}
		in.Subject = o.Subject
	}
	c.propose(&in)
	if err := in.Validate(); err != nil {
		return nil, Write{}, err
	}
	if _, err := s.Store.Register(ctx, in.Register); err != nil {
		if IsCode(err, ECNotFound) {
			return nil, Write{}, Invalid("register", "unknown register %s", in.Register)
		}
		return nil, Write{}, err
	}
	if err := s.checkOffices(ctx, in.Offices); err != nil {
		return nil, Write{}, err
	}
	if err := s.checkUnclassified(ctx, in); err != nil {
		return nil, Write{}, err
	}
	if in.Class != "" {
		if err := s.checkClass(ctx, "class", in.Class, today); err != nil {
			return nil, Write{}, err
		}
	}
	r := newRegistration(p, in, now, s.Location)
	if err := s.nameAnswer(ctx, r); err != nil {
		return nil, Write{}, err
	}
	w := Write{Audit: []AuditEvent{audit(p, now, "registration.created", KindRegistration, r.ID)}, Actor: p.ID, At: now,
		Verify: func(ctx context.Context) error {
			return s.checkContent(ctx, append([]File{r.Document}, r.Attachments...))
		}}
	return r, w, nil
}

// mayHandleIntake lists who sees and decides the messages kept as drafts.
var mayHandleIntake = []Role{RoleRecordsOfficer, RoleProtocolOperator}

// Inbox lists the records of received messages, newest first, filtered by state and mailbox,
// to records officers and protocol operators. Returns forbidden, validation_failed.
func (s *Service) Inbox(ctx context.Context, p Principal, f IntakeFilter) (Page[*IntakeMessage], error) {
	if err := p.require("reading the inbox", mayHandleIntake...); err != nil {
		return Page[*IntakeMessage]{}, err
	}
	var v Validation
	switch f.State {
	case "", IntakeRegistered, IntakeDraft, IntakeDiscarded, IntakeReceipt, IntakeUnmatched, IntakeDuplicate, IntakeRejected:
	default:
		v.Add("state", "must be registered, draft, discarded, receipt, unmatched, duplicate or rejected")
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		v.Add("limit", "must be between 1 and %d", MaxLimit)
	}
	if err := v.Err(); err != nil {
		return Page[*IntakeMessage]{}, err
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	return s.Store.IntakeMessages(ctx, f)
}

// IntakeMessage returns one record of a received message (forbidden, not_found).
func (s *Service) IntakeMessage(ctx context.Context, p Principal, id string) (*IntakeMessage, error) {
	if err := p.require("reading the inbox", mayHandleIntake...); err != nil {
		return nil, err
	}
	return s.Store.IntakeMessage(ctx, id)
}

// RegisterIntake registers a message kept as a draft, by p, with o's overrides: in one
// transaction the registration and the draft's new state (registered, by p, now). A retry with
// the same idempotency key returns the first registration. Returns forbidden, not_found,
// validation_failed, conflict (no longer a draft).
func (s *Service) RegisterIntake(ctx context.Context, p Principal, id string, o IntakeOverrides, idem Idempotency) (*Registration, bool, error) {
	if err := p.require("registering a received message", mayHandleIntake...); err != nil {
		return nil, false, err
	}
	if o.Class != "" && !ValidClass(o.Class) {
		return nil, false, Invalid("class", "must be a classification code such as VI.3")
	}
	return idempotent(ctx, s, p, idem, KindRegistration, s.Store.RegistrationByID, func() (*Registration, error) {
		rec, err := s.Store.IntakeMessage(ctx, id)
		if err != nil {
			return nil, err
		}
		if rec.State != IntakeDraft {
			return nil, Errorf(ECConflict, "message %s is %s, not a draft", id, rec.State)
		}
		msg, err := s.parseStored(ctx, rec)
		if err != nil {
			return nil, err
		}
		r, w, err := s.mailRegistration(ctx, p, msg, rec, o)
		if err != nil {
			return nil, err
		}
		w.Idempotency = idem.record(p, KindRegistration, r.ID, w.At)
		e := audit(p, w.At, "intake.registered", KindIntake, rec.ID)
		e.Detail = r.ID
		w.Audit = append(w.Audit, e)
		_, err = s.Store.DecideIntake(ctx, id, func(m *IntakeMessage) (*Registration, Write, error) {
			if m.State != IntakeDraft {
				return nil, w, Errorf(ECConflict, "message %s is %s, not a draft", id, m.State)
			}
			at := w.At
			m.State, m.RegistrationID, m.DecidedBy, m.DecidedAt = IntakeRegistered, r.ID, p.ID, &at
			return r, w, nil
		})
		if err != nil {
			return nil, err
		}
		return r, nil
	})
}

// DiscardIntake discards a message kept as a draft, by p, for reason: it stays recorded, never
// registered. Returns forbidden, not_found, validation_failed (no reason), conflict (no longer a
// draft).
func (s *Service) DiscardIntake(ctx context.Context, p Principal, id, reason string) (*IntakeMessage, error) {
	if err := p.require("discarding a received message", mayHandleIntake...); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, Invalid("reason", "is required")
	}
	if len(reason) > MaxSubject {
		return nil, Invalid("reason", "is longer than %d characters", MaxSubject)
	}
	return s.Store.DecideIntake(ctx, id, func(m *IntakeMessage) (*Registration, Write, error) {
		if m.State != IntakeDraft {
			return nil, Write{}, Errorf(ECConflict, "message %s is %s, not a draft", id, m.State)
		}
		now := s.now()
		m.State, m.Detail, m.DecidedBy, m.DecidedAt = IntakeDiscarded, reason, p.ID, &now
		e := audit(p, now, "intake.discarded", KindIntake, id)
		e.Detail = reason
		return nil, Write{Audit: []AuditEvent{e}, Actor: p.ID, At: now}, nil
	})
}

// parseStored reads a recorded message back from the blob store and parses it.
func (s *Service) parseStored(ctx context.Context, rec *IntakeMessage) (*MailMessage, error) {
	if s.Mail.Parse == nil {
		return nil, Errorf(ECUnavailable, "no mail parser configured")
	}
	rc, err := s.Blobs.Open(ctx, rec.SHA256)
	if err != nil {
		return nil, fmt.Errorf("open message %s: %w", rec.ID, err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxMessage))
	if err != nil {
		return nil, fmt.Errorf("read message %s: %w", rec.ID, err)
	}
	msg, err := s.Mail.Parse(raw)
	if err != nil {
		return nil, errors.Join(Errorf(ECConflict, "message %s cannot be read", rec.ID), err)
	}
	return msg, nil
}

// nameAnswer gives the answer due to r's segnatura, if any, its Message-ID (AnswerMessageID).
func (s *Service) nameAnswer(ctx context.Context, r *Registration) error {
	if r.Interoperability == nil || r.Interoperability.Answer == nil {
		return nil
	}
	aoo, err := s.Store.AOO(ctx)
	if err != nil {
		return err
	}
	in := *r.Interoperability
	a := *in.Answer
	a.MessageID = AnswerMessageID(a.Kind, r.ID, aoo.IPACode)
	in.Answer = &a
	r.Interoperability = &in
	return nil
}

// MailboxCursor returns where reading a mailbox resumes: the UIDVALIDITY of the last message
// recorded and the highest UID recorded under it (0, 0 for none).
func (s *Service) MailboxCursor(ctx context.Context, mailbox string) (uidValidity, uid uint32, err error) {
	return s.Store.IntakeCursor(ctx, mailbox)
}
