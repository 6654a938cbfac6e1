package api

import "time"

// DispatchRequest asks to send an outgoing registration by PEC or e-mail.
type DispatchRequest struct {
	// Recipients are digital addresses of recipient correspondents of the registration; when
	// absent or empty, every recipient correspondent with a digital address.
	Recipients []string `json:"recipients,omitempty" maxItems:"100" example:"protocollo@pec.comune.example"`
}

// Dispatch is the sending of an outgoing registration to its recipients: one message each,
// followed through its receipts.
type Dispatch struct {
	ID           string              `json:"id" format:"uuid"`
	Registration string              `json:"registration" example:"c_h501-A1B2C3D-PG-2026-0000042"` // the registration's identifier
	CreatedAt    time.Time           `json:"created_at" format:"date-time"`
	CreatedBy    string              `json:"created_by"` // the client who made it
	Recipients   []DispatchRecipient `json:"recipients"`
}

// DispatchRecipient is one recipient of a dispatch and how far its message has got: queued →
// sent (the relay took it) → accepted (the sender's PEC provider accepted it) → delivered (into
// the recipient's mailbox) → confirmed (the recipient AOO registered it: ConfermaRicezione); or
// failed (refused by the relay, not accepted, not delivered) or exception (NotificaEccezione).
type DispatchRecipient struct {
	Address        string            `json:"address" example:"protocollo@pec.comune.example"`
	Name           string            `json:"name"`
	Administration bool              `json:"administration"` // an administration known by its IPA code: its message carries Segnatura.xml
	MessageID      string            `json:"message_id" example:"0193a2c4-7b1e-7cde-9f00-1234567890ab.1@pec.comune.example"`
	State          string            `json:"state" enums:"queued,sent,accepted,delivered,confirmed,failed,exception"`
	Attempts       int               `json:"attempts"`   // attempts to hand the message to the relay
	LastError      string            `json:"last_error"` // why the last attempt failed, or what the provider's notice that failed the recipient says (non-accettazione, errore-consegna, rilevazione-virus, with daticert's errore and errore-esteso); "" otherwise
	SentAt         *time.Time        `json:"sent_at" format:"date-time" extensions:"x-nullable"`
	Receipts       []DispatchReceipt `json:"receipts"`
	Protocol       *DispatchProtocol `json:"protocol" extensions:"x-nullable"` // the recipient AOO's latest protocol message; null before any
}

// DispatchReceipt is a receipt linked to a recipient: the PEC provider's (kind as daticert.xml
// names it) or the recipient AOO's protocol message. GET …/receipts/{receipt_id} returns it
// byte-exact.
type DispatchReceipt struct {
	ID         string    `json:"id" format:"uuid"`
	Kind       string    `json:"kind" example:"avvenuta-consegna"` // accettazione, non-accettazione, avvenuta-consegna, errore-consegna …, ConfermaRicezione, NotificaEccezione, AggiornamentoConferma
	At         time.Time `json:"at" format:"date-time"`            // when the provider issued it, or the message's date
	ProviderID string    `json:"provider_id"`                      // the provider's identifier, "" for a protocol message sent by e-mail
	SHA256     string    `json:"sha256" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	Size       int64     `json:"size"`
}

// DispatchProtocol is what the recipient AOO answered.
type DispatchProtocol struct {
	Kind       string `json:"kind" enums:"ConfermaRicezione,NotificaEccezione,AggiornamentoConferma"`
	Identifier string `json:"identifier"` // the recipient AOO's registration, "" when none
	Reason     string `json:"reason"`     // NotificaEccezione's Motivo
}

// DispatchList lists the dispatches of a registration, oldest first.
type DispatchList struct {
	Items []Dispatch `json:"items"`
}
