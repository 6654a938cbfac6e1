package domain

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"
)

// This file turns a received message into what a registration is made of: the uploaded .eml
// of POST /v1/registrations and the messages of the configured mailboxes (intake.go) share it.

// MailIntake are the mail pieces intake plugs in; internal/app sets them. A nil Parse leaves
// uploaded messages registered as plain files and mailboxes unread; a nil ReadSegnatura leaves a
// Segnatura.xml an attachment like any other; a nil LinkReceipt leaves every receipt unmatched.
type MailIntake struct {
	Parse               MailParser
	ReadSegnatura       SegnaturaReader
	ReadProtocolMessage ProtocolMessageReader
	// LinkReceipt links a PEC receipt, or a protocol message (ConfermaRicezione,
	// NotificaEccezione, AggiornamentoConferma), to the dispatch it answers, and reports whether
	// it found one. It may be called twice for one message (a crash before the message's record
	// commits), so it must be idempotent.
	LinkReceipt func(ctx context.Context, msg *MailMessage, raw []byte) (linked bool, err error)
}

// Interoperability is what the segnatura received with a registration stated and what its check
// found (Allegato 6), the answer Sportello sends back, and the sender's annulment of its own
// registration when one arrives. Kept beside the registration, read with it; nil when the
// registration came without a segnatura.
type Interoperability struct {
	// Version is the segnatura's form: "3.0.0", "2013" or "2001".
	Version string
	// Sender is the sending AOO's protocol identifier; SenderAddress the address the message
	// came from (for a PEC, the certified sender), where answers go.
	Sender        ProtocolID
	SenderAddress string
	// MessageID is the Message-ID of the message received (the certified one inside a PEC),
	// which an answer is In-Reply-To.
	MessageID             string
	ConfirmationRequested bool
	Anomalies             []Anomaly
	// Answer is the ConfermaRicezione or NotificaEccezione sent back, nil when none is due.
	Answer *InteropAnswer
	// AnnulledBySender is set when the sender annulled its registration
	// (AnnullamentoProtocollazione); ours stays as it is until a records officer annuls it.
	AnnulledBySender *SenderAnnulment
}

// InteropAnswer is the protocol message sent back to the sender of a segnatura and how far its
// sending got.
type InteropAnswer struct {
	// Kind is ProtocolConferma or ProtocolEccezione; MessageID is derived from the registration
	// id (AnswerMessageID), so that a retry sends the same message.
	Kind, MessageID string
	// State is AnswerPending until the relay accepted it (AnswerSent), or AnswerFailed once it
	// refused it for good or the retries ran out; Error is the last failure.
	State, Error string
	Attempts     int
	SentAt       *time.Time
}

// States of an InteropAnswer.
const (
	AnswerPending = "pending"
	AnswerSent    = "sent"
	AnswerFailed  = "failed"
)

// SenderAnnulment is an AnnullamentoProtocollazione received: the sender's reason and
// authorising act, the message it came in, and when it was received.
type SenderAnnulment struct {
	Reason    string    `json:"reason"`
	Provision string    `json:"provision"`
	MessageID string    `json:"message_id"`
	At        time.Time `json:"at"`
}

// AnswerMessageID is the Message-ID of the answer to the segnatura of registration id: the same
// on every attempt, so that a message sent again after a crash is recognisably the same one.
func AnswerMessageID(kind, registrationID, ipaCode string) string {
	return strings.ToLower(kind) + "." + registrationID + "@" + ipaCode + ".sportello.invalid"
}

// MessageFilename is the name the primary document of a registration made from a message takes.
const MessageFilename = "messaggio.eml"

// IsMessageFile reports whether an uploaded file is an e-mail message: sniffed as
// message/rfc822, or named .eml.
func IsMessageFile(f File) bool {
	return f.MediaType == "message/rfc822" || strings.EqualFold(path.Ext(f.Filename), ".eml")
}

// messageKind is what a received message is, for intake.
type messageKind int

const (
	kindDocument messageKind = iota // a message to register
	kindReceipt                     // a PEC provider's receipt about a dispatch
	kindProtocol                    // a protocol message between AOOs (pec_message.xsd)
)

// protocolFiles are the names, in lower case, under which the protocol messages between AOOs
// travel (AgID guidelines, Allegato 6).
var protocolFiles = []string{"conferma.xml", "eccezione.xml", "aggiornamento.xml", "annullamento.xml"}

// certified returns the message a PEC envelope certifies, or msg itself when it is no envelope.
func certified(msg *MailMessage) *MailMessage {
	if msg.PEC != nil && msg.PEC.Kind == PECPostaCertificata && msg.PEC.Original != nil {
		return msg.PEC.Original
	}
	return msg
}

// classify says what msg is; for a protocol message it also returns the XML found: an
// attachment named as Allegato 6 names them, or, with read, any other XML attachment read is
// able to read. A message carrying a segnatura is a document.
func classify(msg *MailMessage, read ProtocolMessageReader) (messageKind, []byte) {
	if msg.PEC != nil && msg.PEC.Kind != PECPostaCertificata {
		return kindReceipt, nil
	}
	inner := certified(msg)
	if inner.Segnatura != nil {
		return kindDocument, nil
	}
	for _, a := range inner.Attachments {
		if slices.Contains(protocolFiles, strings.ToLower(a.Name)) {
			return kindProtocol, a.Content
		}
	}
	if read == nil {
		return kindDocument, nil
	}
	for _, a := range inner.Attachments {
		if strings.EqualFold(path.Ext(a.Name), ".xml") && !strings.EqualFold(a.Name, "daticert.xml") {
			if _, err := read(a.Content); err == nil {
				return kindProtocol, a.Content
			}
		}
	}
	return kindDocument, nil
}

// channelOf is the channel a message came by: pec for a certified message, email otherwise.
func channelOf(msg *MailMessage) Channel {
	if msg.PEC != nil && msg.PEC.Kind == PECPostaCertificata {
		return ChannelPEC
	}
	return ChannelEmail
}

// checkMailChannel refuses a message that is not what channel says: pec takes a certified
// message (a PEC envelope of kind posta-certificata), email a message that is no PEC envelope.
// A receipt or a protocol message is refused whatever the channel: it answers a dispatch and
// is linked to it, never registered. Returns validation_failed naming channel or document.
func checkMailChannel(msg *MailMessage, channel Channel, read ProtocolMessageReader) error {
	switch kind, _ := classify(msg, read); kind {
	case kindReceipt:
		return Invalid("document", "is a PEC receipt (%s): receipts are linked to the dispatch they answer, not registered", msg.PEC.Kind)
	case kindProtocol:
		return Invalid("document", "is a protocol message between AOOs: it answers a dispatch and is linked to it, not registered")
	}
	switch got := channelOf(msg); {
	case channel == ChannelPEC && got != ChannelPEC:
		return Invalid("channel", "is pec but the document is no certified message (a PEC envelope with daticert.xml of type posta-certificata): use email")
	case channel == ChannelEmail && got == ChannelPEC:
		return Invalid("channel", "is email but the document is a certified message (PEC): use pec")
	}
	if msg.PEC != nil && msg.PEC.Original == nil {
		return Invalid("document", "is a PEC envelope without its certified message (postacert.eml)")
	}
	return nil
}

// mailContent is what a message yields for its registration.
type mailContent struct {
	attachments []File
	subject     string
	sender      *Correspondent
	receivedOn  string
	senderRef   *SenderReference
	interop     *Interoperability
}

// readMail stores the files of msg — the bodies and attachments of the certified message, and
// daticert.xml for a PEC — and proposes subject, sender and received date from it, and from
// its segnatura when it carries one (read and checked with ReadSegnatura). today is the
// protocol date: a received date is proposed only when it is before it.
func (s *Service) readMail(ctx context.Context, msg *MailMessage, today string) (mailContent, error) {
	inner := certified(msg)
	var c mailContent
	parts := append(slices.Clone(inner.Bodies), inner.Attachments...)
	if msg.PEC != nil && len(msg.PEC.Daticert) > 0 {
		parts = append(parts, MailFile{Name: "daticert.xml", MediaType: "application/xml", Content: msg.PEC.Daticert})
	}
	for _, p := range parts {
		f, err := s.storeMailFile(ctx, p)
		if err != nil {
			return c, err
		}
		c.attachments = append(c.attachments, f)
	}
	c.subject = strings.TrimSpace(inner.Subject)
	if c.subject == "" && msg.PEC != nil {
		c.subject = strings.TrimSpace(msg.PEC.Subject)
	}
	address, name := inner.From.Address, strings.TrimSpace(inner.From.Name)
	if msg.PEC != nil && msg.PEC.Sender != "" {
		address = msg.PEC.Sender
	}
	if name == "" {
		name = address
	}
	if address != "" {
		c.sender = &Correspondent{Role: RoleSender, Type: TypePerson, Name: name, DigitalAddress: address}
	}
	at := inner.Date
	if msg.PEC != nil && !msg.PEC.At.IsZero() {
		at = msg.PEC.At
	}
	if !at.IsZero() {
		if d := at.In(s.Location).Format(time.DateOnly); d < today {
			c.receivedOn = d
		}
	}
	if inner.Segnatura != nil && s.Mail.ReadSegnatura != nil {
		if err := s.readSegnatura(inner, address, parts, &c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// readSegnatura reads the segnatura inner carries against the files that came with it (see
// interopFrom). A segnatura too damaged to read at all is left an attachment like any other.
func (s *Service) readSegnatura(inner *MailMessage, address string, files []MailFile, c *mailContent) error {
	rs, err := s.Mail.ReadSegnatura(inner.Segnatura, files)
	if IsCode(err, ECValidation) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the segnatura: %w", err)
	}
	c.interop, c.sender, c.senderRef = interopFrom(rs, address, inner.MessageID)
	if subject := strings.TrimSpace(rs.Subject); subject != "" {
		c.subject = subject
	}
	return nil
}

// interopFrom maps a segnatura received from address in message messageID: the sender AOO
// becomes the sender correspondent (an administration, at that address) and its identifier the
// sender reference; the anomalies are kept (000 is none), and the answer due is named: a
// NotificaEccezione when there are anomalies, else a ConfermaRicezione when the sender asked
// for one — none when there is no address to send it to.
func interopFrom(rs ReceivedSegnatura, address, messageID string) (*Interoperability, *Correspondent, *SenderReference) {
	in := &Interoperability{Version: rs.Version, Sender: rs.Sender, SenderAddress: address, MessageID: messageID,
		ConfirmationRequested: rs.ConfirmationRequested}
	for _, a := range rs.Anomalies {
		if a.Code != AnomalyNone {
			in.Anomalies = append(in.Anomalies, a)
		}
	}
	switch {
	case address == "":
	case len(in.Anomalies) > 0:
		in.Answer = &InteropAnswer{Kind: ProtocolEccezione, State: AnswerPending}
	case rs.ConfirmationRequested:
		in.Answer = &InteropAnswer{Kind: ProtocolConferma, State: AnswerPending}
	}
	name := strings.TrimSpace(rs.SenderParty.Name)
	if name == "" {
		name = rs.Sender.IPACode
	}
	sender := &Correspondent{Role: RoleSender, Type: TypeAdministration, Name: name,
		IPACode: rs.Sender.IPACode, AOOCode: rs.Sender.AOOCode, DigitalAddress: address}
	var ref *SenderReference
	if rs.Sender.Number != "" {
		ref = &SenderReference{Number: rs.Sender.Number, Date: rs.Sender.Date}
	}
	return in, sender, ref
}

// storeMailFile writes a part of a message to the blob store and describes it as a file.
func (s *Service) storeMailFile(ctx context.Context, p MailFile) (File, error) {
	sha, size, err := s.Blobs.Put(ctx, bytes.NewReader(p.Content))
	if err != nil {
		return File{}, fmt.Errorf("store %s: %w", p.Name, err)
	}
	mt := p.MediaType
	if mt == "" {
		mt = "application/octet-stream"
	}
	return File{Filename: p.Name, MediaType: mt, Size: size, SHA256: sha}, nil
}

// propose fills what in does not state from c: the metadata wins.
func (c mailContent) propose(in *NewRegistration) {
	in.Attachments = append(c.attachments, in.Attachments...)
	if strings.TrimSpace(in.Subject) == "" {
		in.Subject = c.subject
	}
	if len(in.Correspondents) == 0 && c.sender != nil {
		in.Correspondents = []Correspondent{*c.sender}
	}
	if in.ReceivedOn == "" {
		in.ReceivedOn = c.receivedOn
	}
	if in.SenderReference == nil {
		in.SenderReference = c.senderRef
	}
	in.Interoperability = c.interop
}

// maxMessage bounds the message read back from the blob store for parsing.
const maxMessage = 1 << 30

// registerUploadedMessage reads an uploaded message (in.Document, channel pec or email) and
// completes in from it (see readMail, propose). Returns validation_failed (checkMailChannel, or
// bytes that are not a message).
func (s *Service) registerUploadedMessage(ctx context.Context, in *NewRegistration) error {
	rc, err := s.Blobs.Open(ctx, in.Document.SHA256)
	if err != nil {
		return fmt.Errorf("open the uploaded message: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(rc, maxMessage))
	rc.Close()
	if err != nil {
		return fmt.Errorf("read the uploaded message: %w", err)
	}
	msg, err := s.Mail.Parse(raw)
	if IsCode(err, ECValidation) {
		return Invalid("document", "is not a readable e-mail message: %v", err)
	}
	if err != nil {
		return err
	}
	if err := checkMailChannel(msg, in.Channel, s.Mail.ReadProtocolMessage); err != nil {
		return err
	}
	c, err := s.readMail(ctx, msg, s.now().In(s.Location).Format(time.DateOnly))
	if err != nil {
		return err
	}
	c.propose(in)
	return nil
}

// uploadedMessage reports whether Register must read in's document as a message.
func (s *Service) uploadedMessage(in NewRegistration) bool {
	return s.Mail.Parse != nil && in.Document != nil && in.DocumentID == "" &&
		(in.Channel == ChannelPEC || in.Channel == ChannelEmail) && IsMessageFile(*in.Document)
}
