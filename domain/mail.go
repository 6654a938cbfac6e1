package domain

import (
	"context"
	"time"
)

// MailMessage is an e-mail as Sportello reads it, from an uploaded .eml or from a mailbox: the
// headers a registration is proposed from, its text, and every part worth keeping as a file.
// The message's own bytes are kept elsewhere, byte-exact, as the registration's primary
// document: what is here is derived from them and can be derived again.
type MailMessage struct {
	// MessageID is the Message-ID header without its angle brackets, "" when absent.
	MessageID string
	From      MailAddress
	To, Cc    []MailAddress
	Subject   string
	// Date is the Date header; zero when absent or unreadable.
	Date time.Time
	// Text is the message's readable text: its text/plain body, or the text of its HTML body
	// when there is no plain one.
	Text string
	// Bodies are the message's text/plain and text/html bodies as files (body.txt, body.html);
	// Attachments are its attachments and inline files, in message order, a forwarded message
	// as an .eml file. Names are the sender's, cleaned of paths; a part without one gets a
	// generated name with the extension of its media type.
	Bodies      []MailFile
	Attachments []MailFile
	// Segnatura is the content of the attachment named Segnatura.xml (any case), nil when absent;
	// it is also among Attachments.
	Segnatura []byte
	// PEC is set when the message is a PEC provider's envelope (it carries daticert.xml): a
	// certified message (posta-certificata) or a receipt.
	PEC *PECEnvelope
}

// MailAddress is a mailbox of a From, To or Cc header.
type MailAddress struct {
	Name, Address string
}

// MailFile is a part of a message kept as a file.
type MailFile struct {
	Name, MediaType string
	Content         []byte
}

// PECEnvelope is what a PEC provider states in daticert.xml about a certified message or a
// receipt it issued (DPR 68/2005 and its technical rules, DM 2 November 2005).
type PECEnvelope struct {
	// Kind is the envelope's type: for a message PECPostaCertificata, for a receipt one of the
	// others below. Error is daticert's errore attribute ("nessuno" when none), ErrorDetail its
	// errore-esteso.
	Kind, Error, ErrorDetail string
	// Provider is the issuing provider (gestore-emittente); ProviderID the provider's identifier
	// of the message (identificativo); MsgID the Message-ID of the original message the
	// envelope or receipt is about (msgid, without angle brackets).
	Provider, ProviderID, MsgID string
	// Sender is the original message's sender (mittente); Recipients its recipients
	// (destinatari) with their kind, "certificato" or "esterno".
	Sender     string
	Recipients []PECRecipient
	// Subject is the original message's subject (oggetto).
	Subject string
	// At is when the provider issued it (data/giorno, ora, zona).
	At time.Time
	// Delivery is the recipient a delivery receipt is about (consegna), "" otherwise.
	Delivery string
	// Daticert is daticert.xml byte-exact.
	Daticert []byte
	// Original is the certified message inside a posta-certificata envelope (postacert.eml),
	// parsed, and OriginalRaw its bytes; nil for a receipt that does not carry it.
	Original    *MailMessage
	OriginalRaw []byte
}

// PECRecipient is one recipient of a certified message.
type PECRecipient struct {
	Address, Kind string
}

// Kinds of PECEnvelope (daticert.xml's tipo attribute). A notice of failed delivery (avviso di
// mancata consegna) is an errore-consegna.
const (
	PECPostaCertificata = "posta-certificata"
	PECAccettazione     = "accettazione"
	PECNonAccettazione  = "non-accettazione"
	PECPresaInCarico    = "presa-in-carico"
	PECAvvenutaConsegna = "avvenuta-consegna"
	PECErroreConsegna   = "errore-consegna"
	PECPreavvisoErrore  = "preavviso-errore-consegna"
	PECRilevazioneVirus = "rilevazione-virus"
)

// MailParser reads a message's bytes (RFC 5322, MIME). It returns ECValidation for bytes that
// are not a message; a message with damaged parts is read as far as it can be.
type MailParser func(raw []byte) (*MailMessage, error)

// OutgoingMail is a message Sportello sends: a dispatch of an outgoing registration, or an
// answer to a received segnatura.
type OutgoingMail struct {
	// MessageID is set by the caller (without angle brackets), so that a message sent twice
	// after a crash is the same message and its receipts find it.
	MessageID string
	From      MailAddress
	To        []MailAddress
	Subject   string
	Text      string
	// InReplyTo is the Message-ID answered, "" when none.
	InReplyTo string
	Files     []MailFile
	Date      time.Time
}

// MailComposer turns m into the bytes of an RFC 5322 MIME message.
type MailComposer func(m OutgoingMail) ([]byte, error)

// MailSender hands a message to the configured SMTP relay (the PEC provider's). A returned
// error is temporary unless it is a *Error with ECValidation (the relay refused a recipient
// or the message for good).
type MailSender interface {
	Send(ctx context.Context, from string, to []string, raw []byte) error
}

// Mailbox is one configured IMAP mailbox as a source of messages. Messages are addressed by
// (UIDValidity, UID), which IMAP guarantees never to reuse for another message.
type Mailbox interface {
	// Fetch returns up to limit messages with a UID above after, in UID order, and the
	// mailbox's current UIDVALIDITY. When UIDVALIDITY differs from the caller's, the caller
	// starts again from after = 0 (IMAP renumbered the mailbox). A message above the mailbox's
	// size limit is among them with its header only (MailboxMessage.TooLarge), so that it is
	// recorded and reading goes past it.
	Fetch(ctx context.Context, after uint32, limit int) (uidValidity uint32, msgs []MailboxMessage, err error)
}

// MailboxMessage is one message of a mailbox, byte-exact.
type MailboxMessage struct {
	UID uint32
	Raw []byte
	// TooLarge is set for a message above the mailbox's size limit, which is not downloaded:
	// Raw is then only its header (or the beginning of it), so that its record can name it.
	TooLarge *MessageTooLarge
}

// MessageTooLarge is why a mailbox did not download a message: its size, as the server reports
// it, is above the mailbox's limit Max.
type MessageTooLarge struct {
	Size, Max int64
}

// ReceivedSegnatura is what a segnatura received from another AOO states, in any of the forms
// still in use (3.0.0, the 2013 circular's, the 2001 circular's), and what the check of it
// found (Allegato 6).
type ReceivedSegnatura struct {
	// Version is "3.0.0", "2013" or "2001".
	Version string
	// Sender is the registering AOO's protocol identifier (Identificatore).
	Sender ProtocolID
	// Subject is Oggetto; Class the classification code when given.
	Subject, Class string
	// SenderParty is the sending administration as the segnatura's Mittente names it.
	SenderParty SegnaturaParty
	// Files are the documents it lists (primary first) with their digests.
	Files []ReceivedSegnaturaFile
	// ConfirmationRequested is the sender's request for a ConfermaRicezione (confermaRicezione
	// / conferma_ricezione).
	ConfirmationRequested bool
	// Anomalies are the Allegato 6 codes found, each with what failed; empty when all holds.
	Anomalies []Anomaly
}

// ProtocolID is the identifier of a registration in an AOO's register (Identificatore): IPA
// code, AOO code, register code, number and date (YYYY-MM-DD).
type ProtocolID struct {
	IPACode, AOOCode, Register, Number, Date string
}

// ReceivedSegnaturaFile is a file a segnatura lists with its digest.
type ReceivedSegnaturaFile struct {
	Name string
	// Digest is the stated digest, DigestAlgorithm its algorithm URI ("" when the form has
	// none: 2001's are SHA-1 by rule).
	Digest          []byte
	DigestAlgorithm string
	Primary         bool
}

// Anomaly is an anomaly code of Allegato 6 and what it was found on.
type Anomaly struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Allegato 6 anomaly codes.
const (
	AnomalyNone          = "000" // no anomaly
	AnomalySeal          = "001" // the seal (XAdES) does not verify
	AnomalyDigest        = "002" // a file does not match its digest
	AnomalyUnreadable    = "003" // a file cannot be read
	AnomalyMissingFile   = "004" // a listed file is missing
	AnomalyInvalidSchema = "005" // the segnatura is not valid against its schema
	AnomalySealMissing   = "006" // the segnatura is not sealed
	AnomalyOther         = "007" // any other anomaly
)

// SegnaturaReader reads a received segnatura and checks it against the files that came with it
// (by name): the seal first, then every digest. A segnatura too damaged to read at all is
// ECValidation; what can be read with anomalies is returned with them.
type SegnaturaReader func(xml []byte, files []MailFile) (ReceivedSegnatura, error)

// ProtocolMessage is a message between AOOs about a registration (pec_message.xsd):
// ConfermaRicezione, NotificaEccezione, AggiornamentoConferma, AnnullamentoProtocollazione.
type ProtocolMessage struct {
	Kind string // ProtocolConferma, ProtocolEccezione, ProtocolAggiornamento, ProtocolAnnullamento
	// Identifier is the answering AOO's registration (its own protocol identifier); nil in a
	// NotificaEccezione sent before registering.
	Identifier *ProtocolID
	// Received is the registration of the message answered (the sender's identifier), nil when
	// the message had none; Description then describes it (DescrizioneMessaggio).
	Received    *ProtocolID
	Description string
	// Reason is Motivo (NotificaEccezione and AnnullamentoProtocollazione), Provision the
	// authorising act (Provvedimento, AnnullamentoProtocollazione).
	Reason, Provision string
}

// Kinds of ProtocolMessage, the root elements of pec_message.xsd.
const (
	ProtocolConferma      = "ConfermaRicezione"
	ProtocolEccezione     = "NotificaEccezione"
	ProtocolAggiornamento = "AggiornamentoConferma"
	ProtocolAnnullamento  = "AnnullamentoProtocollazione"
)

// ProtocolMessageWriter serialises a protocol message as XML valid against pec_message.xsd;
// ProtocolMessageReader reads one back (ECValidation when it is none).
type (
	ProtocolMessageWriter func(m ProtocolMessage) ([]byte, error)
	ProtocolMessageReader func(xml []byte) (ProtocolMessage, error)
)
