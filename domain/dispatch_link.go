package domain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// The services in this file use the ports DispatchStore, InstallationStore and RegistrationStore (ports.go).

// RecipientChange is what a change of a dispatch recipient stores beside the recipient itself.
type RecipientChange struct {
	// Changed says whether there is anything to store; when false nothing is written.
	Changed bool
	// Receipt, when set, is linked to the recipient; its content is in the blob store already.
	// Storage returns ECConflict when the recipient has one with the same SHA-256.
	Receipt *DispatchReceipt
	// Event, when set, is sent as a case.dispatch webhook event to the portal of each case the
	// dispatched registration belongs to (its submission, a message or its final act).
	Event *DispatchEvent
	Write Write
}

// DispatchTarget names one recipient of one dispatch.
type DispatchTarget struct {
	Dispatch string
	N        int
}

// LinkMailReceipt links a message read from a mailbox to the dispatch recipient it answers,
// and reports whether it found one. A PEC receipt (msg.PEC of any kind but posta-certificata)
// is matched by the Message-ID its daticert.xml names (msgid), which is the one the dispatch
// gave the recipient's message, and a delivery receipt (avvenuta-consegna, errore-consegna)
// also by the address it names (consegna). A protocol message of the recipient AOO (ConfermaRicezione,
// NotificaEccezione, AggiornamentoConferma: an XML attachment that ReadProtocolMessage reads,
// also inside a PEC envelope) is matched by its In-Reply-To or References headers, or else by
// the registration of this AOO it names and its sender's address. The message is stored
// byte-exact (raw) and linked to the recipient, whose state moves on, with an audit event, a
// change-feed event and a webhook event for the portal of a case the registration belongs to,
// all in one transaction. The same message linked twice is stored once. Nothing matching is
// linked=false without error.
func (s *Service) LinkMailReceipt(ctx context.Context, msg *MailMessage, raw []byte) (linked bool, err error) {
	if msg == nil {
		return false, nil
	}
	rx, targets, proto, err := s.receiptTargets(ctx, msg, raw)
	if err != nil || len(targets) == 0 {
		return false, err
	}
	sum := sha256.Sum256(raw)
	rx.SHA256, rx.Size = hex.EncodeToString(sum[:]), int64(len(raw))
	if _, _, err := s.Blobs.Put(ctx, bytes.NewReader(raw)); err != nil {
		return false, fmt.Errorf("store receipt: %w", err)
	}
	for _, t := range targets {
		// A receipt linked already, or by a concurrent reader of the same message (the
		// database's unique key), is linked: once.
		if err := s.linkReceipt(ctx, t, rx, proto, providerFailure(msg)); err != nil && !errors.Is(err, errLinked) && !IsCode(err, ECConflict) {
			return false, err
		}
	}
	return true, nil
}

// errLinked says the receipt was linked to the recipient already.
var errLinked = errors.New("receipt linked already")

// receiptTargets reads what msg is and which recipients it is about.
func (s *Service) receiptTargets(ctx context.Context, msg *MailMessage, raw []byte) (DispatchReceipt, []DispatchTarget, *ProtocolMessage, error) {
	now := s.now()
	if pec := msg.PEC; pec != nil && pec.Kind != PECPostaCertificata {
		rx := DispatchReceipt{Kind: pec.Kind, At: orNow(pec.At, now), ProviderID: pec.ProviderID}
		id := strings.Trim(strings.TrimSpace(pec.MsgID), "<>")
		if id == "" {
			return rx, nil, nil, nil
		}
		targets, err := s.Store.DispatchTargetsByMessageID(ctx, []string{id})
		if err != nil || pec.Delivery == "" {
			return rx, targets, nil, err
		}
		targets, err = s.deliveredTo(ctx, targets, pec.Delivery)
		return rx, targets, nil, err
	}
	inner, innerRaw := msg, raw
	if pec := msg.PEC; pec != nil && pec.Original != nil {
		inner, innerRaw = pec.Original, pec.OriginalRaw
	}
	pm, ok := s.protocolMessage(inner)
	if !ok {
		return DispatchReceipt{}, nil, nil, nil
	}
	rx := DispatchReceipt{Kind: pm.Kind, At: orNow(inner.Date, now)}
	if msg.PEC != nil {
		rx.ProviderID = msg.PEC.ProviderID
	}
	if ids := referencedIDs(innerRaw, raw); len(ids) > 0 {
		targets, err := s.Store.DispatchTargetsByMessageID(ctx, ids)
		if err != nil || len(targets) > 0 {
			return rx, targets, &pm, err
		}
	}
	targets, err := s.targetsByIdentifier(ctx, pm, senderOf(msg, inner))
	return rx, targets, &pm, err
}

// deliveredTo keeps the targets whose address is the one a delivery receipt is about
// (consegna): each message has one recipient, and a receipt about another address is not its.
func (s *Service) deliveredTo(ctx context.Context, targets []DispatchTarget, address string) ([]DispatchTarget, error) {
	var out []DispatchTarget
	for _, t := range targets {
		d, err := s.Store.Dispatch(ctx, t.Dispatch)
		if err != nil {
			return nil, err
		}
		if rc, ok := d.recipient(t.N); ok && strings.EqualFold(rc.Address, address) {
			out = append(out, t)
		}
	}
	return out, nil
}

// orNow is t, or now when t is zero.
func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t.UTC().Truncate(time.Microsecond)
}

// protocolMessage finds the first attachment of msg that ReadProtocolMessage reads as a
// ConfermaRicezione, NotificaEccezione or AggiornamentoConferma.
func (s *Service) protocolMessage(msg *MailMessage) (ProtocolMessage, bool) {
	if s.Mail.ReadProtocolMessage == nil {
		return ProtocolMessage{}, false
	}
	for _, f := range msg.Attachments {
		if !strings.HasSuffix(strings.ToLower(f.Name), ".xml") && !strings.Contains(f.MediaType, "xml") {
			continue
		}
		if strings.EqualFold(f.Name, "Segnatura.xml") {
			continue
		}
		pm, err := s.Mail.ReadProtocolMessage(f.Content)
		if err != nil {
			continue
		}
		switch pm.Kind {
		case ProtocolConferma, ProtocolEccezione, ProtocolAggiornamento:
			return pm, true
		}
	}
	return ProtocolMessage{}, false
}

// referencedIDs are the Message-IDs the In-Reply-To and References headers of the messages
// name, without angle brackets.
func referencedIDs(raws ...[]byte) []string {
	var ids []string
	for _, raw := range raws {
		if len(raw) == 0 {
			continue
		}
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			continue
		}
		for _, h := range []string{"In-Reply-To", "References"} {
			for _, f := range strings.Fields(m.Header.Get(h)) {
				if id := strings.Trim(f, "<>,"); strings.Contains(id, "@") {
					ids = append(ids, id)
				}
			}
		}
	}
	return ids
}

// senderOf is the address a protocol message came from: the certified message's sender for a
// PEC, the From of the message otherwise.
func senderOf(msg, inner *MailMessage) string {
	if inner.From.Address != "" {
		return inner.From.Address
	}
	if msg.PEC != nil {
		return msg.PEC.Sender
	}
	return msg.From.Address
}

// targetsByIdentifier finds the recipient a protocol message answers by the registration of
// this AOO it names (Received) and the address it came from: the recipients with that address
// of the registration's latest dispatch that has one.
func (s *Service) targetsByIdentifier(ctx context.Context, pm ProtocolMessage, from string) ([]DispatchTarget, error) {
	if pm.Received == nil || from == "" {
		return nil, nil
	}
	aoo, err := s.Store.AOO(ctx)
	if err != nil {
		return nil, err
	}
	id := pm.Received
	if !strings.EqualFold(id.IPACode, aoo.IPACode) || !strings.EqualFold(id.AOOCode, aoo.Code) || len(id.Date) < 4 {
		return nil, nil
	}
	year, err1 := strconv.Atoi(id.Date[:4])
	number, err2 := strconv.ParseInt(strings.TrimLeft(id.Number, "0"), 10, 64)
	if err1 != nil || err2 != nil {
		return nil, nil
	}
	r, err := s.Store.Registration(ctx, Ref{Register: id.Register, Year: year, Number: number})
	if IsCode(err, ECNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ds, err := s.Store.Dispatches(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	for i := len(ds) - 1; i >= 0; i-- {
		var out []DispatchTarget
		for _, rc := range ds[i].Recipients {
			if strings.EqualFold(rc.Address, from) {
				out = append(out, DispatchTarget{Dispatch: ds[i].ID, N: rc.N})
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, nil
}

// providerFailure is what a PEC provider's notice of failure (non-accettazione,
// errore-consegna, rilevazione-virus) says went wrong: its kind, daticert's errore and
// errore-esteso; "" for any other message.
func providerFailure(msg *MailMessage) string {
	pec := msg.PEC
	if pec == nil || nextDispatchState(DispatchSent, pec.Kind) != DispatchFailed {
		return ""
	}
	out := pec.Kind
	if pec.Error != "" && pec.Error != "nessuno" {
		out += " (" + pec.Error + ")"
	}
	if pec.ErrorDetail != "" {
		out += ": " + pec.ErrorDetail
	}
	return out
}

// linkReceipt links rx to the recipient t and moves its state; failure, when the receipt is
// a provider's notice of failure that fails the recipient, becomes its LastError.
func (s *Service) linkReceipt(ctx context.Context, t DispatchTarget, rx DispatchReceipt, pm *ProtocolMessage, failure string) error {
	return s.Store.UpdateDispatchRecipient(ctx, t.Dispatch, t.N, func(d *Dispatch, rc *DispatchRecipient) (RecipientChange, error) {
		for _, old := range rc.Receipts {
			if old.SHA256 == rx.SHA256 {
				return RecipientChange{}, errLinked
			}
		}
		now := s.now()
		rx := rx
		rx.ID = NewID()
		old := rc.State
		rc.State = nextDispatchState(rc.State, rx.Kind)
		if failure != "" && rc.State == DispatchFailed && old != DispatchFailed {
			rc.LastError = truncate(failure, 2000)
		}
		if pm != nil {
			rc.Protocol = &DispatchProtocol{Kind: pm.Kind, Reason: pm.Reason}
			if pm.Identifier != nil {
				rc.Protocol.Identifier = FormatProtocolID(*pm.Identifier)
			}
		}
		e, err := change(system, now, KindDispatch, d.ID, "recipients."+strconv.Itoa(rc.N)+".state", old, rc.State)
		if err != nil {
			return RecipientChange{}, err
		}
		e.Action, e.Detail = "dispatch.receipt", rx.Kind+" "+rc.Address
		return RecipientChange{Changed: true, Receipt: &rx, Write: Write{Audit: []AuditEvent{e}},
			Event: &DispatchEvent{ID: d.ID, Address: rc.Address, State: rc.State, Receipt: rx.Kind}}, nil
	})
}

// nextDispatchState is the state a receipt of kind moves a recipient in state to. The
// provider's receipts move a message only forward along queued → sent → accepted → delivered
// (a receipt read late does not move it back), and fail it unless it was delivered. The
// recipient AOO's answer decides whatever came before: ConfermaRicezione and
// AggiornamentoConferma confirm, NotificaEccezione is an exception. Other receipts
// (presa-in-carico, preavviso-errore-consegna) are kept without a change of state.
func nextDispatchState(state, kind string) string {
	forward := func(to string) string {
		if rank, ok := dispatchRank[state]; ok && rank < dispatchRank[to] {
			return to
		}
		return state
	}
	fail := func() string {
		if rank, ok := dispatchRank[state]; ok && rank < dispatchRank[DispatchDelivered] {
			return DispatchFailed
		}
		return state
	}
	switch kind {
	case PECAccettazione:
		return forward(DispatchAccepted)
	case PECAvvenutaConsegna:
		return forward(DispatchDelivered)
	case PECNonAccettazione, PECErroreConsegna, PECRilevazioneVirus:
		return fail()
	case ProtocolConferma, ProtocolAggiornamento:
		return DispatchConfirmed
	case ProtocolEccezione:
		return DispatchException
	}
	return state
}

// FormatProtocolID writes a protocol identifier as Identifier writes this AOO's: IPA code, AOO
// code, register, year and number, joined by hyphens.
func FormatProtocolID(id ProtocolID) string {
	year := id.Date
	if len(year) >= 4 {
		year = year[:4]
	}
	return strings.Join([]string{id.IPACode, id.AOOCode, id.Register, year, id.Number}, "-")
}
