package api

import "time"

// InboxMessage is the record of a message a configured mailbox yielded, and what became of it.
type InboxMessage struct {
	ID          string `json:"id" format:"uuid"`
	Mailbox     string `json:"mailbox" example:"pec"`
	UIDValidity uint32 `json:"uid_validity"`
	UID         uint32 `json:"uid"`
	MessageID   string `json:"message_id" example:"abc@pec.example.org"` // without angle brackets; "" when the message had none
	SHA256      string `json:"sha256"`                                   // of the message's bytes, kept byte-exact (of its header alone for one rejected as too large)
	Size        int64  `json:"size"`                                     // of the whole message
	Channel     string `json:"channel" enums:"pec,email"`                // pec for a certified message
	Sender      string `json:"sender"`
	Subject     string `json:"subject"`
	// State: registered, draft (waiting for an operator), discarded, receipt (linked to a
	// dispatch), unmatched (a receipt or protocol message answering nothing of ours),
	// duplicate (of duplicate_of: the same Message-ID again), rejected (unreadable, or above the
	// mailbox's size limit: detail says which).
	State      string    `json:"state" enums:"registered,draft,discarded,receipt,unmatched,duplicate,rejected"`
	ReceivedAt time.Time `json:"received_at" format:"date-time"`
	// RegistrationID names the registration made from it (state registered).
	RegistrationID string `json:"registration_id,omitempty" format:"uuid"`
	DuplicateOf    string `json:"duplicate_of,omitempty" format:"uuid"`
	// Detail says why it was rejected or kept as a draft, or why it was discarded.
	Detail    string     `json:"detail,omitempty"`
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty" format:"date-time"`
}

// InboxList is one page of received messages, newest first.
type InboxList struct {
	Items      []InboxMessage `json:"items"`
	NextCursor string         `json:"next_cursor"`
}

// InboxRegistration is what an operator may state when registering a draft; the rest is
// proposed from the message. subject only when the message has none.
type InboxRegistration struct {
	Class        string    `json:"class,omitempty" example:"VI.3"`
	Offices      *[]string `json:"offices,omitempty" example:"TEC"`
	Subject      string    `json:"subject,omitempty"` // at most 2000 characters
	Confidential bool      `json:"confidential,omitempty"`
}

// InboxDiscard is the reason a draft is discarded.
type InboxDiscard struct {
	Reason string `json:"reason"` // required, at most 2000 characters
}

// Interoperability is what the segnatura received with a registration stated and what its
// check found (AgID guidelines, Allegato 6), the answer sent back, and the sender's annulment
// of its own registration.
type Interoperability struct {
	Version string `json:"version" enums:"3.0.0,2013,2001"`
	// Sender is the sending AOO's protocol identifier; its address is where answers go.
	Sender InteropSender `json:"sender"`
	// Anomalies are the Allegato 6 codes found (001 seal, 002 digest, 003 unreadable, 004
	// missing file, 005 schema, 006 not sealed, 007 other); empty when all held.
	Anomalies             []InteropAnomaly `json:"anomalies"`
	ConfirmationRequested bool             `json:"confirmation_requested"`
	// Answer is the ConfermaRicezione or NotificaEccezione sent back; null when none is due.
	Answer *InteropAnswer `json:"answer" extensions:"x-nullable"`
	// AnnulledBySender is set when the sender annulled its registration; this one stays as it
	// is until a records officer annuls it.
	AnnulledBySender *SenderAnnulment `json:"annulled_by_sender" extensions:"x-nullable"`
}

// InteropSender is a sending AOO's protocol identifier and address.
type InteropSender struct {
	IPACode  string `json:"ipa_code" example:"c_a123"`
	AOOCode  string `json:"aoo_code"`
	Register string `json:"register"`
	Number   string `json:"number" example:"0000123"`
	Date     string `json:"date" example:"2026-11-27"`
	Address  string `json:"address"`
}

// InteropAnomaly is an Allegato 6 anomaly code and what it was found on.
type InteropAnomaly struct {
	Code   string `json:"code" example:"002"`
	Detail string `json:"detail"`
}

// InteropAnswer is the answer sent back and how far its sending got: pending (retried with
// backoff; error is the last failure), sent, failed (refused for good or out of retries).
type InteropAnswer struct {
	Kind      string     `json:"kind" enums:"ConfermaRicezione,NotificaEccezione"`
	MessageID string     `json:"message_id"`
	State     string     `json:"state" enums:"pending,sent,failed"`
	Attempts  int        `json:"attempts"`
	Error     string     `json:"error,omitempty"`
	SentAt    *time.Time `json:"sent_at,omitempty" format:"date-time"`
}

// SenderAnnulment is an AnnullamentoProtocollazione received from the sender.
type SenderAnnulment struct {
	Reason    string    `json:"reason"`
	Provision string    `json:"provision"`
	MessageID string    `json:"message_id"`
	At        time.Time `json:"at" format:"date-time"`
}
