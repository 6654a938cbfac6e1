package domain

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// The services in this file use the port DispatchStore (ports.go).

// Dispatch is the sending of an outgoing registration by PEC or e-mail to some of its
// recipients (art. 55 DPR 445/2000; AgID guidelines, Allegato 6): one message per recipient,
// each followed through the provider's receipts and the recipient AOO's protocol messages.
type Dispatch struct {
	ID string `json:"id"`
	// RegistrationID is the registration's id; Registration its identifier.
	RegistrationID string    `json:"-"`
	Registration   string    `json:"registration"`
	CreatedAt      time.Time `json:"created_at"`
	CreatedBy      string    `json:"created_by"`
	// Segnatura is the SHA-256 of the sealed Segnatura.xml sent to the administrations among the
	// recipients, sealed once when the dispatch was made so that a message sent again is the
	// same; "" when no recipient is an administration.
	Segnatura  string              `json:"-"`
	Recipients []DispatchRecipient `json:"recipients"`
}

// KindDispatch is the entity kind of dispatches in audit events, idempotency records and the
// change feed.
const KindDispatch = "dispatch"

// DispatchRecipient is one recipient of a dispatch and how far its message has got.
type DispatchRecipient struct {
	// N numbers the recipients of a dispatch from 1; with the dispatch's id it makes MessageID.
	N       int    `json:"-"`
	Address string `json:"address"`
	Name    string `json:"name"`
	// Administration is set for an administration known by its IPA code: its message carries
	// the segnatura.
	Administration bool   `json:"administration"`
	MessageID      string `json:"message_id"`
	// State is one of the Dispatch* states; Attempts counts the attempts to hand the message to
	// the relay, LastError says why the last one failed, or, once the provider's notice of
	// failure failed the recipient, what the notice says (kind, errore, errore-esteso).
	State     string            `json:"state"`
	Attempts  int               `json:"attempts"`
	LastError string            `json:"last_error"`
	SentAt    *time.Time        `json:"sent_at"`
	Receipts  []DispatchReceipt `json:"receipts"`
	// Protocol is what the recipient AOO's latest protocol message said, nil before any.
	Protocol *DispatchProtocol `json:"protocol"`
}

// DispatchReceipt is a receipt linked to a recipient: a PEC provider's (Kind is daticert's
// tipo) or a protocol message of the recipient AOO (Kind is its root element). The message is
// kept byte-exact in the blob store under SHA256.
type DispatchReceipt struct {
	ID   string    `json:"id"`
	Kind string    `json:"kind"`
	At   time.Time `json:"at"`
	// ProviderID is the PEC provider's identifier of the receipt, "" for a protocol message.
	ProviderID string `json:"provider_id"`
	SHA256     string `json:"sha256"`
	Size       int64  `json:"size"`
}

// DispatchProtocol is what a recipient AOO answered: the kind of its protocol message, its own
// protocol identifier (ConfermaRicezione, AggiornamentoConferma) and its reason
// (NotificaEccezione).
type DispatchProtocol struct {
	Kind       string `json:"kind"`
	Identifier string `json:"identifier"`
	Reason     string `json:"reason"`
}

// States of a dispatch recipient. A message goes queued → sent → accepted → delivered →
// confirmed; it ends failed when the relay refuses it for good, or the provider does not
// accept or cannot deliver it, and exception when the recipient AOO answers NotificaEccezione.
const (
	DispatchQueued    = "queued"
	DispatchSent      = "sent"
	DispatchAccepted  = "accepted"
	DispatchDelivered = "delivered"
	DispatchConfirmed = "confirmed"
	DispatchFailed    = "failed"
	DispatchException = "exception"
)

// dispatchRank orders the states a message goes through; failed and exception are outside it.
var dispatchRank = map[string]int{DispatchQueued: 0, DispatchSent: 1, DispatchAccepted: 2, DispatchDelivered: 3, DispatchConfirmed: 4}

// Webhook event of a change of a dispatch recipient's state, sent to the portal of a case the
// dispatched registration belongs to.
const EventCaseDispatch = "case.dispatch"

// DispatchEvent is the dispatch part of a case.dispatch webhook event.
type DispatchEvent struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	State   string `json:"state"`
	// Receipt is the kind of the receipt that moved it.
	Receipt string `json:"receipt"`
}

// dispatching lists the roles that may dispatch a registration: those who register outgoing
// documents.
var dispatching = []Role{RoleProtocolOperator, RoleRecordsOfficer}

// MaxDispatchRecipients bounds the recipients of one dispatch.
const MaxDispatchRecipients = 100

// CreateDispatch sends the outgoing registration at ref by PEC or e-mail (Service.MailOut) to the
// recipients whose digital addresses are given, or, when none are given, to every recipient
// correspondent with a digital address. Each address must be a recipient correspondent's.
// One message per recipient is queued in the dispatch's transaction, and sent by a background
// job (SendDispatch). The messages to administrations carry the sealed segnatura, so the
// registration must be classified for them. A retry with the same idempotency key returns the
// first dispatch and replayed=true. Protocol operators and records officers who may see the
// registration. Returns forbidden, not_found (also when not visible), conflict (not outgoing,
// annulled, not classified for an administration), gone (content disposed of),
// validation_failed (no recipient with a digital address, an address that is not one),
// unavailable (no mail relay or sealer configured).
func (s *Service) CreateDispatch(ctx context.Context, p Principal, ref Ref, addresses []string, idem Idempotency) (*Dispatch, bool, error) {
	if err := p.require("dispatching", dispatching...); err != nil {
		return nil, false, err
	}
	r, err := s.Registration(ctx, p, ref)
	if err != nil {
		return nil, false, err
	}
	if err := dispatchable(r); err != nil {
		return nil, false, err
	}
	if s.MailOut == nil {
		return nil, false, Errorf(ECUnavailable, "this installation has no mail relay to dispatch by")
	}
	recipients, err := dispatchRecipients(r, addresses)
	if err != nil {
		return nil, false, err
	}
	return idempotent(ctx, s, p, idem, KindDispatch, s.Store.Dispatch, func() (*Dispatch, error) {
		now := s.now()
		d := &Dispatch{ID: NewID(), RegistrationID: r.ID, Registration: r.Identifier, CreatedAt: now, CreatedBy: p.ID}
		for i, rc := range recipients {
			rc.N, rc.State, rc.Receipts = i+1, DispatchQueued, []DispatchReceipt{}
			rc.MessageID = dispatchMessageID(d.ID, rc.N, s.MailOut.From.Address)
			d.Recipients = append(d.Recipients, rc)
		}
		if slices.ContainsFunc(d.Recipients, func(rc DispatchRecipient) bool { return rc.Administration }) {
			if d.Segnatura, err = s.storeSegnatura(ctx, p, ref); err != nil {
				return nil, err
			}
		}
		created := audit(p, now, "dispatch.created", KindDispatch, d.ID)
		created.Detail = r.ID
		dispatched := audit(p, now, "registration.dispatched", KindRegistration, r.ID)
		dispatched.Detail = d.ID
		w := Write{Audit: []AuditEvent{created, dispatched}, Idempotency: idem.record(p, KindDispatch, d.ID, now)}
		if err := s.Store.CreateDispatch(ctx, d, w); err != nil {
			return nil, fmt.Errorf("dispatch %s: %w", ref, err)
		}
		return d, nil
	})
}

// dispatchable refuses a registration that cannot be sent: only what the AOO registered as
// outgoing, still active and with its content.
func dispatchable(r *Registration) error {
	switch {
	case r.Direction != Outgoing:
		return Errorf(ECConflict, "registration %s is %s: only an outgoing registration is dispatched", r.Identifier, r.Direction)
	case r.Status == StatusAnnulled:
		return Errorf(ECConflict, "registration %s is annulled: it cannot be dispatched", r.Identifier)
	case r.Disposal != nil:
		return Errorf(ECGone, "the content of registration %s was disposed of", r.Identifier)
	}
	return nil
}

// dispatchRecipients picks the recipient correspondents of r to send to: those whose digital
// address is among addresses, or every one with a digital address when addresses is empty.
// An address is sent to once, however many correspondents share it.
func dispatchRecipients(r *Registration, addresses []string) ([]DispatchRecipient, error) {
	var v Validation
	wanted := map[string]bool{}
	for i, a := range addresses {
		addr, err := mail.ParseAddress(a)
		if err != nil || addr.Name != "" {
			v.Add(fmt.Sprintf("recipients[%d]", i), "is not an e-mail address")
			continue
		}
		wanted[strings.ToLower(addr.Address)] = true
	}
	if len(addresses) > MaxDispatchRecipients {
		v.Add("recipients", "lists more than %d addresses", MaxDispatchRecipients)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out []DispatchRecipient
	seen := map[string]bool{}
	for _, c := range r.Correspondents {
		key := strings.ToLower(c.DigitalAddress)
		if c.Role != RoleRecipient || key == "" || seen[key] || (len(wanted) > 0 && !wanted[key]) {
			continue
		}
		seen[key] = true
		out = append(out, DispatchRecipient{Address: c.DigitalAddress, Name: c.Name,
			Administration: c.Type == TypeAdministration && c.IPACode != ""})
	}
	for i, a := range addresses {
		if addr, err := mail.ParseAddress(a); err == nil && !seen[strings.ToLower(addr.Address)] {
			v.Add(fmt.Sprintf("recipients[%d]", i), "is not the digital address of a recipient of the registration")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, Invalid("recipients", "registration %s has no recipient with a digital address", r.Identifier)
	}
	return out, nil
}

// dispatchMessageID is the Message-ID of the message to recipient n of dispatch id, in the
// domain of the sender's address: the same for every attempt, so that a message sent again
// after a crash is the same message, and the receipts of either find the recipient.
func dispatchMessageID(id string, n int, from string) string {
	domain := from[strings.LastIndexByte(from, '@')+1:]
	return fmt.Sprintf("%s.%d@%s", id, n, domain)
}

// storeSegnatura seals the registration's segnatura (Segnatura, with its errors) and stores it
// in the blob store, returning its digest.
func (s *Service) storeSegnatura(ctx context.Context, p Principal, ref Ref) (string, error) {
	xml, err := s.Segnatura(ctx, p, ref)
	if err != nil {
		return "", err
	}
	sum, _, err := s.Blobs.Put(ctx, bytes.NewReader(xml))
	if err != nil {
		return "", fmt.Errorf("store segnatura: %w", err)
	}
	return sum, nil
}

// Dispatches lists the dispatches of the registration at ref, oldest first, with their
// recipients and receipts, to whoever may see the registration. Returns not_found (also when
// not visible).
func (s *Service) Dispatches(ctx context.Context, p Principal, ref Ref) ([]*Dispatch, error) {
	r, err := s.Registration(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	return s.Store.Dispatches(ctx, r.ID)
}

// DispatchReceiptContent returns a receipt of a dispatch of the registration at ref, byte-exact,
// to whoever may see the registration. Returns not_found (also when not visible, or when the
// dispatch is another registration's).
func (s *Service) DispatchReceiptContent(ctx context.Context, p Principal, ref Ref, dispatchID, receiptID string) (DispatchReceipt, []byte, error) {
	r, err := s.Registration(ctx, p, ref)
	if err != nil {
		return DispatchReceipt{}, nil, err
	}
	d, err := s.Store.Dispatch(ctx, dispatchID)
	if err != nil || d.RegistrationID != r.ID {
		return DispatchReceipt{}, nil, Errorf(ECNotFound, "dispatch %s of %s not found", dispatchID, ref)
	}
	for _, rc := range d.Recipients {
		for _, rx := range rc.Receipts {
			if rx.ID == receiptID {
				content, err := s.blob(ctx, rx.SHA256)
				return rx, content, err
			}
		}
	}
	return DispatchReceipt{}, nil, Errorf(ECNotFound, "receipt %s of dispatch %s not found", receiptID, dispatchID)
}

// blob reads the content with this digest.
func (s *Service) blob(ctx context.Context, sha256 string) ([]byte, error) {
	rc, err := s.Blobs.Open(ctx, sha256)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(rc); err != nil {
		return nil, fmt.Errorf("read %s: %w", sha256, err)
	}
	return b.Bytes(), nil
}
