package domain

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The services in this file use the ports DispatchStore and RegistrationStore (ports.go).

// MailOut is how this installation sends mail: the AOO's address (SPORTELLO_MAIL_FROM), how
// a message is composed and the relay that takes it (the PEC provider's).
type MailOut struct {
	From    MailAddress
	Compose MailComposer
	Sender  MailSender
}

// ErrPermanent marks an error of SendDispatch that retrying cannot cure: the recipient was
// recorded failed, and the job must not run again.
var ErrPermanent = errors.New("permanent failure")

// SendDispatch hands the message of recipient n of dispatch id to the relay and records it
// sent; the background job calls it, attempt being the job's attempt (from 1). A recipient past
// queued (sent already, or a receipt came first) is skipped, so a job run again after a crash
// does not send again — except in one window: a crash after the relay accepted the message and
// before the state was committed sends it once more, the same message with the same Message-ID,
// whose receipts link to the same recipient. A relay's definitive refusal (ECValidation) and a
// registration annulled or disposed of meanwhile record the recipient failed and return an error
// wrapping ErrPermanent; any other error is recorded in attempts and last_error and returned
// for a retry.
func (s *Service) SendDispatch(ctx context.Context, id string, n, attempt int) error {
	if s.MailOut == nil {
		return Errorf(ECUnavailable, "this installation has no mail relay to dispatch by")
	}
	d, err := s.Store.Dispatch(ctx, id)
	if err != nil {
		return err
	}
	rc, ok := d.recipient(n)
	if !ok {
		return fmt.Errorf("dispatch %s has no recipient %d: %w", id, n, ErrPermanent)
	}
	if rc.State != DispatchQueued {
		return nil
	}
	raw, err := s.composeDispatch(ctx, d, rc)
	if err == nil {
		err = s.MailOut.Sender.Send(ctx, s.MailOut.From.Address, []string{rc.Address}, raw)
	}
	state := DispatchSent
	switch {
	case err == nil:
	case IsCode(err, ECValidation) || IsCode(err, ECGone) || IsCode(err, ECConflict):
		state = DispatchFailed
	default:
		if rerr := s.recordSend(ctx, d, n, attempt, "", err); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	if rerr := s.recordSend(ctx, d, n, attempt, state, err); rerr != nil {
		return errors.Join(err, rerr)
	}
	if state == DispatchFailed {
		return fmt.Errorf("dispatch %s to %s: %w: %w", id, rc.Address, ErrPermanent, err)
	}
	return nil
}

// recordSend records an attempt: its error, and the new state ("" keeps queued). Only a
// recipient still queued moves: a receipt linked meanwhile is never overwritten.
func (s *Service) recordSend(ctx context.Context, d *Dispatch, n, attempt int, state string, cause error) error {
	return s.Store.UpdateDispatchRecipient(ctx, d.ID, n, func(d *Dispatch, rc *DispatchRecipient) (RecipientChange, error) {
		if rc.State != DispatchQueued {
			return RecipientChange{}, nil
		}
		now := s.now()
		rc.Attempts, rc.LastError = attempt, ""
		if cause != nil {
			rc.LastError = truncate(cause.Error(), 2000)
		}
		if state == "" {
			return RecipientChange{Changed: true}, nil
		}
		rc.State = state
		if state == DispatchSent {
			rc.SentAt = &now
		}
		e := audit(system, now, "dispatch."+state, KindDispatch, d.ID)
		e.Detail = rc.Address
		return RecipientChange{Changed: true, Write: Write{Audit: []AuditEvent{e}}}, nil
	})
}

// recipient returns recipient n.
func (d *Dispatch) recipient(n int) (*DispatchRecipient, bool) {
	for i := range d.Recipients {
		if d.Recipients[i].N == n {
			return &d.Recipients[i], true
		}
	}
	return nil, false
}

// composeDispatch builds the message to rc: the registration's document and attachments
// byte-exact, and for an administration the segnatura sealed when the dispatch was made. Its
// Date is the dispatch's, so that every attempt composes the same message.
func (s *Service) composeDispatch(ctx context.Context, d *Dispatch, rc *DispatchRecipient) ([]byte, error) {
	r, err := s.Store.RegistrationByID(ctx, d.RegistrationID)
	if err != nil {
		return nil, err
	}
	if err := dispatchable(r); err != nil {
		return nil, err
	}
	m := OutgoingMail{
		MessageID: rc.MessageID, From: s.MailOut.From, To: []MailAddress{{Name: rc.Name, Address: rc.Address}},
		Subject: "Prot. " + r.Identifier + " - " + r.Subject, Date: d.CreatedAt,
		Text: dispatchText(r, s.Location),
	}
	for _, f := range append([]File{r.Document}, r.Attachments...) {
		content, err := s.blob(ctx, f.SHA256)
		if err != nil {
			return nil, fmt.Errorf("content of %s: %w", f.Filename, err)
		}
		m.Files = append(m.Files, MailFile{Name: f.Filename, MediaType: f.MediaType, Content: content})
	}
	if rc.Administration && d.Segnatura != "" {
		content, err := s.blob(ctx, d.Segnatura)
		if err != nil {
			return nil, fmt.Errorf("segnatura: %w", err)
		}
		m.Files = append(m.Files, MailFile{Name: "Segnatura.xml", MediaType: "application/xml", Content: content})
	}
	return s.MailOut.Compose(m)
}

// dispatchText is the short text of a dispatched message.
func dispatchText(r *Registration, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return fmt.Sprintf("Si trasmette il documento registrato al protocollo con numero %s del %s.\n\nOggetto: %s\n\n"+
		"Il documento e gli allegati sono uniti a questo messaggio.\n",
		FormatNumber(r.Number), r.RegisteredAt.In(loc).Format("02/01/2006"), r.Subject)
}
