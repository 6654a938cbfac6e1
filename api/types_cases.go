package api

import "time"

// RequiredDocument is a document an application to a procedure must or may carry.
type RequiredDocument struct {
	Name      string   `json:"name" example:"Planimetria dei locali"`
	Mandatory bool     `json:"mandatory"`
	Formats   []string `json:"formats" example:"application/pdf"` // accepted media types; empty accepts any
}

// ProcedureStep is an office involved in handling the cases of a procedure.
type ProcedureStep struct {
	Office       string `json:"office" example:"PM"`
	Name         string `json:"name" example:"Parere igienico-sanitario"`
	Instructions string `json:"instructions,omitempty" example:"Verificare la notifica sanitaria entro 10 giorni"` // how the office carries out its step; its editors maintain them
}

// Contact is a person or office the public may reach: a name and an e-mail or telephone.
type Contact struct {
	Name  string `json:"name" example:"Dott.ssa Maria Rossi"`
	Email string `json:"email,omitempty" example:"suap@comune.example.it"`
	Phone string `json:"phone,omitempty" example:"+39 06 0000000"`
}

// InfoSheet is the rest of what D.Lgs. 33/2013 art. 35 wants published for a procedure, beside
// its description, office, deadline, silence rule, documents and form.
type InfoSheet struct {
	LegalReferences string  `json:"legal_references" example:"L. 241/1990, art. 19; D.Lgs. 222/2016"`
	Responsible     Contact `json:"responsible"`                                       // the person responsible for the procedure (RUP), with contacts
	DecidingOffice  string  `json:"deciding_office" example:"SUAP"`                    // the office that adopts the final act
	Fees            string  `json:"fees" example:"Diritti di istruttoria: 50 euro"`    // "nessun costo" when there are none
	PaymentMethods  string  `json:"payment_methods" example:"pagoPA"`                  // how fees are paid
	Remedies        string  `json:"remedies" example:"Ricorso al TAR entro 60 giorni"` // against the act or the silence
	SubstitutePower Contact `json:"substitute_power"`                                  // who holds the substitute power (L. 241/1990 art. 2 c. 9-bis)
}

// NewProcedure is the body of POST /v1/procedures.
type NewProcedure struct {
	Code              string             `json:"code" example:"scia-avvio-attivita" extensions:"x-pattern=procedure"`
	Name              string             `json:"name" example:"SCIA - Avvio di attività commerciale"`
	Audience          string             `json:"audience" enums:"citizen,business,both"`
	Description       string             `json:"description"`
	RequiredDocuments []RequiredDocument `json:"required_documents"`
	FormSchema        map[string]any     `json:"form_schema" swaggertype:"object"`                     // JSON Schema (2020-12 unless $schema says otherwise) of the structured form (modello strutturato); a property marked `"x-applicant": true` (reached through `properties`) holds the applicant's own codice fiscale or partita IVA, and a case whose form puts another there is 422 naming `form/<JSON pointer>`
	Office            string             `json:"office" example:"SUAP" extensions:"x-pattern=office"`  // responsible office
	Class             string             `json:"class" example:"VIII.4" extensions:"x-pattern=class"`  // class of the cases' registrations and dossiers
	DeadlineDays      int                `json:"deadline_days" example:"60" minimum:"1" maximum:"180"` // legal deadline in days (L. 241/1990 art. 2)
	SilenceIsConsent  bool               `json:"silence_is_consent,omitempty"`                         // silenzio assenso (art. 20)
	Steps             []ProcedureStep    `json:"steps,omitempty"`                                      // involved offices
	StepsInOrder      bool               `json:"steps_in_order,omitempty"`                             // true: each step waits for the one before; false: in parallel
	Info              *InfoSheet         `json:"info,omitempty"`                                       // the information sheet (D.Lgs. 33/2013 art. 35)
}

// NewProcedureVersion is the body of POST /v1/procedures/{code}/versions: the whole content of
// the new version.
type NewProcedureVersion struct {
	Name              string             `json:"name" example:"SCIA - Avvio di attività commerciale"`
	Audience          string             `json:"audience" enums:"citizen,business,both"`
	Description       string             `json:"description"`
	RequiredDocuments []RequiredDocument `json:"required_documents"`
	FormSchema        map[string]any     `json:"form_schema" swaggertype:"object"`                     // JSON Schema of the structured form, as in NewProcedure
	Office            string             `json:"office" example:"SUAP" extensions:"x-pattern=office"`  // responsible office
	Class             string             `json:"class" example:"VIII.4" extensions:"x-pattern=class"`  // class of the cases' registrations and dossiers
	DeadlineDays      int                `json:"deadline_days" example:"60" minimum:"1" maximum:"180"` // legal deadline in days (L. 241/1990 art. 2)
	SilenceIsConsent  bool               `json:"silence_is_consent,omitempty"`                         // silenzio assenso (art. 20)
	Steps             []ProcedureStep    `json:"steps,omitempty"`                                      // involved offices
	StepsInOrder      bool               `json:"steps_in_order,omitempty"`                             // true: each step waits for the one before; false: in parallel
	Info              *InfoSheet         `json:"info,omitempty"`                                       // the information sheet (D.Lgs. 33/2013 art. 35); complete to publish
}

// Procedure is a service of the catalogue (procedimento amministrativo).
type Procedure struct {
	Code              string             `json:"code" example:"scia-avvio-attivita"`
	Name              string             `json:"name"`
	Audience          string             `json:"audience" enums:"citizen,business,both"`
	Description       string             `json:"description"`
	RequiredDocuments []RequiredDocument `json:"required_documents"`
	FormSchema        map[string]any     `json:"form_schema" swaggertype:"object"`
	Office            string             `json:"office"`
	Class             string             `json:"class"`
	DeadlineDays      int                `json:"deadline_days"`
	SilenceIsConsent  bool               `json:"silence_is_consent"`
	Steps             []ProcedureStep    `json:"steps"`
	StepsInOrder      bool               `json:"steps_in_order"`
	Info              InfoSheet          `json:"info"`
	Version           int                `json:"version" example:"2"`                                     // numbered from 1
	Status            string             `json:"status" enums:"draft,published"`                          // a published version never changes
	CreatedAt         time.Time          `json:"created_at"`                                              // when this version was drafted
	CreatedBy         string             `json:"created_by"`                                              // the client that drafted it
	PublishedAt       *time.Time         `json:"published_at" format:"date-time" extensions:"x-nullable"` // when it was published (approved)
	PublishedBy       string             `json:"published_by"`                                            // the client that approved it; empty for a draft
}

// ProcedureList is the service catalogue.
type ProcedureList struct {
	Items []Procedure `json:"items"`
}

// ProcedureVersionList is the versions of a procedure, oldest first.
type ProcedureVersionList struct {
	Items []Procedure `json:"items"`
}

// CaseDocumentRef says which requirement of the procedure a `document` part fulfils.
type CaseDocumentRef struct {
	Requirement string `json:"requirement" example:"Planimetria dei locali"`
}

// CaseMetadata is the `metadata` part of POST /v1/cases.
type CaseMetadata struct {
	Procedure string            `json:"procedure" example:"scia-avvio-attivita"`
	Form      map[string]any    `json:"form" swaggertype:"object"` // the structured form, valid against the procedure's form_schema
	Documents []CaseDocumentRef `json:"documents,omitempty"`       // one per document part, in order; without it the parts fill the mandatory requirements in order
}

// CaseDossier names the dossier (fascicolo) of a case.
type CaseDossier struct {
	ID         string `json:"id"`
	Identifier string `json:"identifier" example:"2026-VIII.4-000001"`
}

// CaseStep is an involved office's part in a case.
type CaseStep struct {
	Office string `json:"office" example:"ASL"`
	Name   string `json:"name"`
	Status string `json:"status" enums:"waiting,active,done"`
}

// Case is an application (pratica, istanza) to a procedure.
type Case struct {
	ID        string `json:"id"`
	Procedure string `json:"procedure" example:"scia-avvio-attivita"`
	// ProcedureVersion is the version of the procedure the case was submitted under, whose form,
	// documents and steps handle it.
	ProcedureVersion int            `json:"procedure_version" example:"1"`
	Applicant        string         `json:"applicant" example:"12345678903"`
	Status           string         `json:"status" enums:"submitted,in_progress,awaiting_applicant,approved,rejected,withdrawn"`
	Form             map[string]any `json:"form" swaggertype:"object"`
	Office           string         `json:"office" example:"SUAP"` // responsible office
	SubmittedAt      time.Time      `json:"submitted_at"`
	Deadline         string         `json:"deadline" format:"date" example:"2027-01-27"` // legal deadline; moves by the days the case awaited the applicant
	RemainingDays    int            `json:"remaining_days" example:"42"`                 // days left until the deadline today (negative when overdue); frozen while paused
	Paused           bool           `json:"paused"`
	// ConsentBySilence: the procedure says silence is consent (silenzio assenso) and the deadline
	// passed without a final act, so the application counts as granted.
	ConsentBySilence bool          `json:"consent_by_silence"`                                                        // the deadline stands still: the case awaits the applicant's integration
	Overdue          bool          `json:"overdue"`                                                                   // the deadline has passed while the case is in the office's hands
	ClosedAt         *time.Time    `json:"closed_at" format:"date-time" extensions:"x-nullable"`                      // when it was approved, rejected or withdrawn
	Registration     *Registration `json:"registration,omitempty"`                                                    // the incoming registration of the submission (on submission and GET)
	Dossier          CaseDossier   `json:"dossier"`                                                                   // the case's dossier
	ReceiptURL       string        `json:"receipt_url,omitempty" example:"/v1/registrations/PG/2026/0000042/receipt"` // the signed receipt of the submission (on submission and GET)
	Steps            []CaseStep    `json:"steps,omitempty"`                                                           // involved offices (staff only)
	Position         int64         `json:"position"`
}

// CaseList is one page of cases.
type CaseList struct {
	Items      []Case `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// CaseTransitionRequest is the body of POST /v1/cases/{id}/transitions (or its `metadata` part
// when a final act is sent).
type CaseTransitionRequest struct {
	To   string `json:"to" enums:"in_progress,awaiting_applicant,approved,rejected,withdrawn"`
	Note string `json:"note,omitempty" example:"Integrare la planimetria con le quote dei locali"` // required for awaiting_applicant: what the applicant must integrate
}

// CaseTransitionResult answers a transition: the case and, for approved or rejected, the
// outgoing registration of the PAdES-sealed final act.
type CaseTransitionResult struct {
	Case         Case          `json:"case"`
	Registration *Registration `json:"registration" extensions:"x-nullable"`
}

// CaseMessageMetadata is the `metadata` part of POST /v1/cases/{id}/messages.
type CaseMessageMetadata struct {
	Text     string `json:"text" example:"Si trasmette la planimetria integrata." maxLength:"20000"`
	Internal bool   `json:"internal,omitempty"` // staff only: an internal note, never shown to the applicant
}

// CaseMessage is a message of a case's dialogue.
type CaseMessage struct {
	ID            string        `json:"id"`
	Case          string        `json:"case"`
	FromApplicant bool          `json:"from_applicant"`
	Author        string        `json:"author"` // the client that wrote it (the portal, for the applicant)
	AuthorName    string        `json:"author_name"`
	Internal      bool          `json:"internal"`
	Text          string        `json:"text"`
	CreatedAt     time.Time     `json:"created_at"`
	Registration  *Registration `json:"registration" extensions:"x-nullable"` // the registration of its documents, if it carried any
}

// CaseMessageList is a case's dialogue, oldest first.
type CaseMessageList struct {
	Items []CaseMessage `json:"items"`
}

// CaseStepDone is the body of POST /v1/cases/{id}/steps/{index}/done.
type CaseStepDone struct {
	Note string `json:"note,omitempty" example:"Parere favorevole"`
}

// NewWebhook is the body of POST /v1/webhooks.
type NewWebhook struct {
	URL string `json:"url" example:"https://portale.example.org/sportello/events"`
}

// Webhook is the caller's endpoint for the events of its cases. The secret signs every
// delivery (Sportello-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">); it is shown
// when the webhook is set.
type Webhook struct {
	URL       string    `json:"url"`
	Secret    string    `json:"secret"`
	CreatedAt time.Time `json:"created_at"`
}

// WebhookDelivery is one attempt to deliver an event.
type WebhookDelivery struct {
	EventID     string    `json:"event_id"`
	CaseID      string    `json:"case_id"`
	Type        string    `json:"type" example:"case.status_changed"`
	Attempt     int       `json:"attempt"`
	AttemptedAt time.Time `json:"attempted_at"`
	StatusCode  int       `json:"status_code"` // 0 when the endpoint could not be reached
	Error       string    `json:"error"`
	Delivered   bool      `json:"delivered"`
}

// WebhookDeliveryList is the caller's delivery log, newest first.
type WebhookDeliveryList struct {
	Items []WebhookDelivery `json:"items"`
}

// ProcedurePublication is the body of POST /v1/procedures/{code}/versions/{version}/publish.
type ProcedurePublication struct {
	Note string `json:"note,omitempty" example:"Approvata dal responsabile della gestione documentale"` // kept in the audit trail
}

// ProcedureStat is one row of the monitoring of procedural times: a procedure and its
// responsible office over the period.
type ProcedureStat struct {
	Procedure   string `json:"procedure" example:"scia-avvio-attivita"`
	Office      string `json:"office" example:"SUAP"`
	Received    int    `json:"received"`                                      // cases submitted in the period
	Concluded   int    `json:"concluded"`                                     // cases approved or rejected in the period
	InTime      int    `json:"in_time"`                                       // of those, concluded by their deadline
	Late        int    `json:"late"`                                          // of those, concluded after their deadline
	P50Days     *int   `json:"p50_days" extensions:"x-nullable" example:"21"` // median duration of the concluded, in days net of the time awaiting the applicant (nearest rank); null when none
	P90Days     *int   `json:"p90_days" extensions:"x-nullable" example:"48"` // 90th percentile of the same
	OpenOverdue int    `json:"open_overdue"`                                  // cases open today past their deadline, not awaiting the applicant
}

// ProcedureStatList is the monitoring of procedural times over a period.
type ProcedureStatList struct {
	From  string          `json:"from" format:"date" example:"2026-01-01"`
	To    string          `json:"to" format:"date" example:"2026-12-31"`
	Items []ProcedureStat `json:"items"`
}

// RegistrationCount is how many registrations one day had in one register, direction, channel
// and office.
type RegistrationCount struct {
	Date      string `json:"date" format:"date" example:"2026-03-02"`
	Register  string `json:"register" example:"PG"`
	Direction string `json:"direction" enums:"incoming,outgoing,internal"`
	Channel   string `json:"channel" example:"pec"`
	Office    string `json:"office" example:"SUAP"` // the first office the registration is assigned to; empty for none
	Count     int    `json:"count"`
}

// RegistrationStatList counts the registrations of a period.
type RegistrationStatList struct {
	From  string              `json:"from" format:"date" example:"2026-01-01"`
	To    string              `json:"to" format:"date" example:"2026-12-31"`
	Items []RegistrationCount `json:"items"`
}
