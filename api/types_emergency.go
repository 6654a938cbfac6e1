package api

import "time"

// NewOutage records an outage of a register (interruzione, DPR 445/2000 art. 63).
type NewOutage struct {
	Cause         string    `json:"cause" example:"Interruzione della linea dati"`                               // why the protocol system could not be used
	Start         time.Time `json:"start" format:"date-time"`                                                    // when the outage began (RFC 3339)
	End           time.Time `json:"end" format:"date-time"`                                                      // when it ended: after start, in the past
	Authorization string    `json:"authorization" example:"Autorizzazione del responsabile n. 3 del 2026-11-30"` // the act authorising the emergency register
}

// Outage is an outage of a register, during which its entries were written on the emergency
// register. Immutable once recorded.
type Outage struct {
	ID            string    `json:"id" format:"uuid"`
	Register      string    `json:"register" example:"PG"`
	Cause         string    `json:"cause"`
	Start         time.Time `json:"start" format:"date-time"`
	End           time.Time `json:"end" format:"date-time"`
	Authorization string    `json:"authorization"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at" format:"date-time"`
	Entries       int       `json:"entries" example:"20"` // how many entries have been loaded from it
	// Identifiers of the registrations loaded from its entries that the caller may see, in
	// emergency-number order; only in GET of one outage.
	Identifiers []string `json:"identifiers,omitempty"`
}

// OutageList lists the outages of a register, oldest first; never paged.
type OutageList struct {
	Items []Outage `json:"items"`
}

// EmergencyEntry is one entry of the emergency register, loaded without a file: the metadata of
// a registration, with its emergency number and date. Its primary document is a short text the
// system writes, saying that the original is the paper entry.
type EmergencyEntry struct {
	EmergencyNumber int64            `json:"emergency_number" example:"12" minimum:"1"`                         // the number on the emergency register
	EmergencyDate   string           `json:"emergency_date" format:"date" example:"2026-11-30"`                 // the date on the emergency register, within the outage
	Direction       string           `json:"direction" enums:"incoming,outgoing,internal"`                      // flow (tipologia di flusso)
	Channel         string           `json:"channel,omitempty" enums:"web,pec,email,counter,paper,post,api"`    // default paper
	Subject         string           `json:"subject" example:"Richiesta di accesso agli atti" maxLength:"2000"` // oggetto
	Correspondents  []Correspondent  `json:"correspondents" validate:"min=1"`                                   // mittenti and destinatari
	SenderReference *SenderReference `json:"sender_reference,omitempty"`                                        // the sender's own protocol number and date
	ReceivedOn      string           `json:"received_on,omitempty" format:"date" example:"2026-11-30"`          // the date the paper document reached the office
	Class           string           `json:"class,omitempty" example:"VI.3" extensions:"x-pattern=class"`       // voce di titolario
	Offices         []string         `json:"offices,omitempty" example:"TEC" extensions:"x-pattern=office"`     // UOR codes the document is assigned to
	Confidential    bool             `json:"confidential,omitempty"`                                            // riservato
}

// EmergencyLoad is a batch of emergency entries to load, in any order: they are numbered in
// emergency-number order.
type EmergencyLoad struct {
	Entries []EmergencyEntry `json:"entries" validate:"min=1,max=500"`
}

// EmergencyLoadResult lists the registrations a load made, in emergency-number order.
type EmergencyLoadResult struct {
	Outage string         `json:"outage" format:"uuid"`
	Items  []Registration `json:"items"`
}
