package api

import "time"

// The request and response types of the API. They are the contract (openapi.yaml):
// domain and storage types are never decoded from or encoded into a body directly, so that a
// change inside the domain cannot silently change what portals see.

// RegistrationMetadata is the `metadata` part of POST /v1/registrations: what the client states
// about the document. Number, dates, digests and status are assigned by the system.
type RegistrationMetadata struct {
	Register               string           `json:"register,omitempty" example:"PG" extensions:"x-pattern=register"`                 // register code; default PG (protocollo generale)
	Direction              string           `json:"direction" enums:"incoming,outgoing,internal"`                                    // flow (tipologia di flusso)
	Channel                string           `json:"channel,omitempty" enums:"web,pec,email,counter,paper,post,api"`                  // how the document arrived or left; default api
	Subject                string           `json:"subject,omitempty" example:"Richiesta di permesso di costruire" maxLength:"2000"` // oggetto; required, except that it is proposed from an e-mail message (channel pec or email)
	Correspondents         []Correspondent  `json:"correspondents,omitempty" validate:"min=1"`                                       // mittenti and destinatari; required, except that the sender is proposed from an e-mail message
	SenderReference        *SenderReference `json:"sender_reference,omitempty"`                                                      // the sender's own protocol number and date
	ReceivedOn             string           `json:"received_on,omitempty" format:"date" example:"2026-11-27"`                        // the date a paper document reached the office, if before the protocol date (art. 53)
	Class                  string           `json:"class,omitempty" example:"VI.3" extensions:"x-pattern=class"`                     // voce di titolario
	Offices                []string         `json:"offices,omitempty" example:"TEC" extensions:"x-pattern=office"`                   // UOR codes the document is assigned to
	Confidential           bool             `json:"confidential,omitempty"`                                                          // riservato: visible only to its offices and records officers
	AttachmentDescriptions []string         `json:"attachment_descriptions,omitempty" example:"Planimetria,Relazione"`               // descriptions of the attachment parts, by index
	DocumentID             string           `json:"document_id,omitempty" format:"uuid"`                                             // an unregistered document whose content is the primary document, instead of a document part
	InReplyTo              string           `json:"in_reply_to,omitempty" example:"PG/2026/0000041"`                                 // an outgoing registration only: the incoming registration it answers, as register/year/number; its segnatura names that message in Riferimenti
	// Emergency, for an entry of the emergency register loaded with its file (art. 63): the
	// outage it was written during, its emergency number and date.
	Emergency *EmergencyMetadata `json:"emergency,omitempty"`
	// ImageCopy, when the document is an image copy of a paper original (a scan): `{}` for a copy
	// no one has attested, or who attested its conformity and when.
	ImageCopy *ImageCopy `json:"image_copy,omitempty"`
}

// ImageCopy says that the document is an image copy of a paper original (copia per immagine su
// supporto informatico di documento analogico: ConformitaCopieImmagineSuSupportoInformatico in
// the metadata of Allegato 5), and who attested its conformity to the original, and when. Both
// members are optional: an image copy need not be attested; attested_on needs attested_by.
type ImageCopy struct {
	AttestedBy string `json:"attested_by,omitempty" example:"Mario Rossi" maxLength:"200"` // who attested that the copy conforms to the original
	AttestedOn string `json:"attested_on,omitempty" format:"date" example:"2026-12-01"`    // the date of the attestation, not in the future
}

// EmergencyMetadata names the entry of the emergency register a registration loads.
type EmergencyMetadata struct {
	Outage string `json:"outage,omitempty" format:"uuid"`          // the outage (GET /v1/registers/{code}/emergencies); when left out, the one outage of the register whose dates contain date
	Number int64  `json:"number" example:"12" minimum:"1"`         // the emergency number
	Date   string `json:"date" format:"date" example:"2026-11-30"` // the emergency date, within the outage
}

// Emergency is the entry of the emergency register a registration was loaded from (art. 63):
// fixed once registered.
type Emergency struct {
	Register string `json:"register" format:"uuid"`                  // the outage: the emergency register the entry was written on
	Number   int64  `json:"number" example:"12"`                     // the emergency number
	Date     string `json:"date" format:"date" example:"2026-11-30"` // the emergency date
}

// Correspondent is a sender (mittente) or recipient (destinatario).
type Correspondent struct {
	Role           string `json:"role" enums:"sender,recipient"`
	Type           string `json:"type" enums:"person,organization,administration"`
	Name           string `json:"name" example:"Mario Rossi"`
	TaxCode        string `json:"tax_code,omitempty" example:"RSSMRA80A01H501U" extensions:"x-pattern=tax_code"` // codice fiscale or partita IVA
	Email          string `json:"email,omitempty" example:"mario.rossi@example.org"`
	Address        string `json:"address,omitempty"`
	IPACode        string `json:"ipa_code,omitempty" example:"c_h501" extensions:"x-pattern=ipa_code"`  // codice IPA of the administration (IPA directory), only with type administration
	AOOCode        string `json:"aoo_code,omitempty" example:"A1B2C3D" extensions:"x-pattern=ipa_code"` // Codice_uni_aoo of its AOO, with ipa_code
	UOCode         string `json:"uo_code,omitempty" example:"UF1234" extensions:"x-pattern=ipa_code"`   // Codice_uni_uo of its office, with ipa_code
	DigitalAddress string `json:"digital_address,omitempty" example:"protocollo@pec.comune.example.it"` // PEC or e-mail address documents are sent to: a bare address, at most 254 bytes
}

// SenderReference is the sender's protocol number and date (estremi del protocollo mittente).
type SenderReference struct {
	Number string `json:"number" example:"1234"`
	Date   string `json:"date,omitempty" format:"date" example:"2026-11-27"`
}

// File describes stored content; sha256 is the hex digest (impronta) of the exact bytes.
type File struct {
	Filename    string `json:"filename" example:"domanda.pdf"`
	Description string `json:"description,omitempty" example:"Planimetria"`
	MediaType   string `json:"media_type" example:"application/pdf"` // sniffed from the content, never taken from the client
	Size        int64  `json:"size" example:"1234"`
	SHA256      string `json:"sha256" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	// Signatures found on a registration's file (a CAdES .p7m: one per signer of each
	// envelope, outermost first), checked by the background job that reads the text: absent
	// while text_status is pending, and on a file that carries none.
	Signatures []Signature `json:"signatures,omitempty"`
}

// Signature is the check of one signature on a received file. It is derived from the content
// and may be checked again (other trust anchors): it is not part of the registration's record.
type Signature struct {
	Format      string     `json:"format" enums:"cades,pades,xades"`
	Signer      string     `json:"signer" example:"Mario Rossi"`                                   // common name of the signer's certificate
	SigningTime *time.Time `json:"signing_time,omitempty" format:"date-time"`                      // the time the signer claims, when stated
	Valid       bool       `json:"valid"`                                                          // the signature holds over the content, by the certificate in the envelope
	Trusted     *bool      `json:"trusted" extensions:"x-nullable"`                                // the signer chains to a configured trust anchor at the signing time; null without anchors
	Reason      string     `json:"reason,omitempty" example:"the signature does not hold: digest"` // why it is not valid or not trusted
}

// Annulment says who voided a registration, when, why and under which authorising act.
type Annulment struct {
	Reason        string    `json:"reason"`
	Authorization string    `json:"authorization" example:"Determina n. 12 del 2026-11-28"` // estremi del provvedimento di autorizzazione
	By            string    `json:"by"`
	ByName        string    `json:"by_name"`
	At            time.Time `json:"at" format:"date-time"`
}

// Registration is a registrazione di protocollo.
type Registration struct {
	ID              string           `json:"id" format:"uuid"`
	Register        string           `json:"register" example:"PG"`
	Year            int              `json:"year" example:"2026"`
	Number          int64            `json:"number" example:"42"`
	NumberFormatted string           `json:"number_formatted" example:"0000042"` // at least seven digits
	Identifier      string           `json:"identifier" example:"c_h501-A1B2C3D-PG-2026-0000042"`
	RegisteredAt    time.Time        `json:"registered_at" format:"date-time"`
	Date            string           `json:"date" format:"date" example:"2026-11-28"`                  // protocol date in Europe/Rome
	ReceivedOn      string           `json:"received_on,omitempty" format:"date" example:"2026-11-27"` // the date a paper document reached the office, when before the protocol date
	Emergency       *Emergency       `json:"emergency,omitempty"`                                      // set on a registration loaded from the emergency register
	ImageCopy       *ImageCopy       `json:"image_copy,omitempty"`                                     // set when the document is an image copy of a paper original, with its attestation if any
	Direction       string           `json:"direction" enums:"incoming,outgoing,internal"`
	Channel         string           `json:"channel" enums:"web,pec,email,counter,paper,post,api"`
	Subject         string           `json:"subject"`
	Correspondents  []Correspondent  `json:"correspondents"`
	SenderReference *SenderReference `json:"sender_reference" extensions:"x-nullable"`
	InReplyTo       string           `json:"in_reply_to,omitempty" example:"c_h501-A1B2C3D-PG-2026-0000041"` // the identifier of the incoming registration this outgoing one answers
	Document        File             `json:"document"`
	Attachments     []File           `json:"attachments"`
	Class           string           `json:"class" example:"VI.3"`
	Offices         []string         `json:"offices" example:"TEC"`
	Dossiers        []string         `json:"dossiers"`
	Confidential    bool             `json:"confidential"`
	Status          string           `json:"status" enums:"active,annulled"`
	Annulment       *Annulment       `json:"annulment" extensions:"x-nullable"`
	// Disposal is set once the content was destroyed by a disposal (scarto): the
	// registration stays readable, its document and attachments answer 410 Gone.
	Disposal  *DisposalRef `json:"disposal" extensions:"x-nullable"`
	Position  int64        `json:"position" example:"1234"` // change-feed position, for read-your-writes
	CreatedBy string       `json:"created_by"`              // the API client that registered it: for a staff user, the user's id (GET /v1/users/{id})
	// TextStatus says whether the text of the document and attachments has been extracted
	// (and OCRed) for search yet: pending, done, failed (retried with backoff), or none
	// (nothing readable). Once it is done, position is that of the text's change-feed event:
	// a search with min_position=position finds the registration by its text.
	TextStatus string `json:"text_status" enums:"pending,done,failed,none"`
	// Interoperability is set when the document came with a segnatura from another AOO
	// (a .eml or a mailbox message carrying Segnatura.xml); null otherwise.
	Interoperability *Interoperability `json:"interoperability" extensions:"x-nullable"`
}

// RegistrationList is one page of registrations; next_cursor is empty on the last page.
type RegistrationList struct {
	Items      []Registration `json:"items"`
	NextCursor string         `json:"next_cursor"`
}

// RegistrationPatch changes the mutable fields. An absent field stays as it is.
type RegistrationPatch struct {
	Class    *string   `json:"class,omitempty" example:"VI.3"` // "" removes the class
	Offices  *[]string `json:"offices,omitempty" example:"TEC" extensions:"x-pattern=office"`
	Dossiers *[]string `json:"dossiers,omitempty"`
}

// AnnulmentRequest asks to annul a registration (annullamento).
type AnnulmentRequest struct {
	Reason        string `json:"reason" example:"Registrato per errore due volte"`
	Authorization string `json:"authorization" example:"Determina n. 12 del 2026-11-28"`
}

// HistoryEvent is one entry of a registration's history: who did what, when, and for a change
// the field with its old and new values (JSON).
type HistoryEvent struct {
	At        time.Time `json:"at" format:"date-time"`
	Actor     string    `json:"actor"`
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action" example:"registration.changed"`
	Field     string    `json:"field,omitempty" example:"class"`
	Old       any       `json:"old,omitempty" swaggertype:"object" extensions:"x-any"` // any JSON value
	New       any       `json:"new,omitempty" swaggertype:"object" extensions:"x-any"`
	Detail    string    `json:"detail,omitempty"`
}

// History lists a registration's events, oldest first. It is never paged.
type History struct {
	Items []HistoryEvent `json:"items"`
}

// Register is a numbered series (registro, repertorio).
type Register struct {
	Code      string    `json:"code" example:"PG"`
	Name      string    `json:"name" example:"Protocollo generale"`
	CreatedAt time.Time `json:"created_at" format:"date-time"`
	// AllowUnclassified: registrations may omit the class and be classified later.
	AllowUnclassified bool `json:"allow_unclassified"`
}

// NewRegister creates a special register (repertorio).
type NewRegister struct {
	Code string `json:"code" example:"DELIB" extensions:"x-pattern=register"`
	Name string `json:"name" example:"Registro delle deliberazioni"`
	// AllowUnclassified lets registrations omit the class (default false: the class is required).
	AllowUnclassified bool `json:"allow_unclassified,omitempty"`
}

// RegisterList lists every register; it is never paged.
type RegisterList struct {
	Items []Register `json:"items"`
}

// Office is an organisational unit (UOR, ufficio).
type Office struct {
	Code      string    `json:"code" example:"TEC"`
	Name      string    `json:"name" example:"Ufficio tecnico"`
	CreatedAt time.Time `json:"created_at" format:"date-time"`
}

// NewOffice creates an office.
type NewOffice struct {
	Code string `json:"code" example:"TEC" extensions:"x-pattern=office"`
	Name string `json:"name" example:"Ufficio tecnico"`
}

// OfficeList lists every office; it is never paged.
type OfficeList struct {
	Items []Office `json:"items"`
}

// NewClient creates an API client (a portal, an importer, a staff member's key).
type NewClient struct {
	Name    string   `json:"name" example:"Portale del cittadino"`
	Roles   []string `json:"roles" example:"portal" enums:"admin,records_officer,protocol_operator,clerk,portal,importer,editor"`
	Offices []string `json:"offices,omitempty" example:"TEC"`
	// ExpiresAt, when given, is when the client's key stops working; it must be in the future.
	ExpiresAt *time.Time `json:"expires_at,omitempty" format:"date-time"`
}

// CreatedClient is a new client with its token, shown only in the first answer: a replayed
// request (Idempotent-Replayed: true) answers without it.
type CreatedClient struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Roles     []string  `json:"roles"`
	Offices   []string  `json:"offices"`
	CreatedAt time.Time `json:"created_at" format:"date-time"`
	Token     string    `json:"token,omitempty" example:"spt_abcd_secret"`
}

// Principal is the caller: the client the API key belongs to.
type Principal struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Roles   []string `json:"roles" example:"protocol_operator"`
	Offices []string `json:"offices"`
	// Person is the staff user's id (GET /v1/users/{id}) when the caller is a person, signed in
	// by the identity provider's token or a personal key; absent for API clients.
	Person string `json:"person,omitempty"`
}

// AOO is the Area Organizzativa Omogenea owning the registers.
type AOO struct {
	IPACode string `json:"ipa_code" example:"c_h501"` // codice IPA of the administration
	Code    string `json:"code" example:"A1B2C3D"`    // Codice_uni_aoo
	Name    string `json:"name"`
}

// InfoResponse describes the instance.
type InfoResponse struct {
	Version   string     `json:"version"`
	Engine    string     `json:"engine" example:"sqlite"` // database engine
	Timezone  string     `json:"timezone" example:"Europe/Rome"`
	AOO       AOO        `json:"aoo"`
	Registers []Register `json:"registers"`
	Signing   Signing    `json:"signing"`
}

// Signing describes the sealing identity that signs receipts, journals and log checkpoints,
// and the time-stamping authority. A self-signed seal proves integrity but not identity:
// compare its fingerprint with the one the administration publishes.
type Signing struct {
	Subject     string `json:"subject" example:"CN=Sportello sealing key (self-signed)"`
	Fingerprint string `json:"fingerprint"` // SHA-256 of the certificate, hex
	SelfSigned  bool   `json:"self_signed"`
	TSA         string `json:"tsa" example:"built-in"` // "built-in" or the external TSA's URL
	// The sealing certificate (PEM), then its chain: what `sportello verify
	// --certificate` needs for a checkpoint, which carries no certificate of its own.
	CertificatePEM string `json:"certificate_pem" example:"-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n"`
	// The built-in time-stamping authority's certificate (PEM), for
	// `sportello verify --tsa-certificate`; absent with an external TSA, whose tokens carry it.
	TSACertificatePEM string `json:"tsa_certificate_pem,omitempty" example:"-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n"`
}

// Health is the answer of /healthz and /readyz.
type Health struct {
	Status string `json:"status" enums:"ok,degraded,unavailable"`
	// Dependency names what an unavailable instance cannot reach: the database or the blob store.
	Dependency string `json:"dependency,omitempty" enums:"database,blobs"`
	Detail     string `json:"detail,omitempty"`
	// Warnings are degradations that do not stop the instance serving, such as checkpoints
	// waiting for an unreachable time-stamping authority.
	Warnings []string `json:"warnings,omitempty"`
}

// Class is a voce di titolario: a titolo (level 1, `VI`), classe (2, `VI.3`) or sottoclasse
// (3, `VI.3.2`). A closed class (valid_to set) stays readable for the documents that used it.
type Class struct {
	Code           string `json:"code" example:"VI.3"`
	Parent         string `json:"parent,omitempty" example:"VI"` // absent for a titolo
	Level          int    `json:"level" example:"2" enums:"1,2,3"`
	Title          string `json:"title" example:"Edilizia privata"`
	Description    string `json:"description,omitempty"`
	RetentionYears *int   `json:"retention_years" extensions:"x-nullable" example:"10"` // piano di conservazione, in years; null when permanent or not set
	// RetentionPermanent: the class keeps its documents permanently. With retention_years null
	// and retention_permanent false the retention is not set yet: nothing under the class is
	// ever due for disposal, and it is on the worklist GET /v1/disposal/due lists as
	// classes_without_retention.
	RetentionPermanent bool      `json:"retention_permanent"`
	ValidFrom          string    `json:"valid_from" format:"date" example:"2005-12-01"` // first day the class may be used
	ValidTo            string    `json:"valid_to,omitempty" format:"date"`              // last day it may be used; absent while open
	ReplacedBy         string    `json:"replaced_by,omitempty" example:"VI.4"`          // the code that took over a closed class
	CreatedAt          time.Time `json:"created_at" format:"date-time"`
	Children           []Class   `json:"children,omitempty"` // only with format=tree
}

// ClassList lists classes: nested titoli with their children (format=tree), or every class in
// scheme order (format=flat). It is never paged.
type ClassList struct {
	Items []Class `json:"items"`
}

// ClassDetail is one class with the path from its titolo down to it and its direct children.
type ClassDetail struct {
	Class     Class   `json:"class"`
	Ancestors []Class `json:"ancestors"` // titolo first; empty for a titolo
	Children  []Class `json:"children"`  // every child, open or closed
}

// NewClass adds a class to the scheme. POST /v1/classes takes one, a JSON array of them, or
// the same columns as text/csv.
type NewClass struct {
	Code               string `json:"code" example:"VI.3.2" extensions:"x-pattern=class"`
	Level              int    `json:"level,omitempty" example:"3" maximum:"3"` // checked against the code when given
	Parent             string `json:"parent,omitempty" example:"VI.3"`         // must be the code without its last segment
	Title              string `json:"title" example:"Permessi di costruire"`
	Description        string `json:"description,omitempty"`
	RetentionYears     *int   `json:"retention_years,omitempty" example:"10" minimum:"1" maximum:"999"` // absent, and not retention_permanent: not set yet
	RetentionPermanent bool   `json:"retention_permanent,omitempty"`                                    // the class is permanent (no retention_years)
	ValidFrom          string `json:"valid_from,omitempty" format:"date" example:"2027-01-01"`          // default today (Europe/Rome)
	ValidTo            string `json:"valid_to,omitempty" format:"date"`                                 // last valid day
}

// ClassRetentionPatch is a JSON merge patch (RFC 7396) of a class's retention: a member left
// out is left as it is.
type ClassRetentionPatch struct {
	// RetentionYears sets the period in years (the class is then not permanent); null removes it.
	RetentionYears *int `json:"retention_years,omitempty" extensions:"x-nullable" example:"10" minimum:"1" maximum:"999"`
	// RetentionPermanent true makes the class permanent (removing retention_years); false
	// makes a permanent class not set.
	RetentionPermanent *bool `json:"retention_permanent,omitempty" extensions:"x-nullable"`
	// Reason is kept in the class's history: the act approving the piano di conservazione.
	Reason string `json:"reason,omitempty" maxLength:"500" example:"Delibera di Giunta n. 7 del 2026-12-01"`
}

// ClassClosing closes a class from a date, optionally naming the class that replaces it.
type ClassClosing struct {
	From       string `json:"from" format:"date" example:"2027-01-01"` // first day the class may no longer be used
	ReplacedBy string `json:"replaced_by,omitempty" example:"VI.4" extensions:"x-pattern=class"`
	Reason     string `json:"reason,omitempty" example:"Delibera di Giunta n. 5 del 2026-12-10"`
}

// ConfidentialityRequest changes a registration's confidentiality (riservatezza).
type ConfidentialityRequest struct {
	// Confidential is the new value; it is required.
	Confidential *bool `json:"confidential" example:"true"`
	// Reason is recorded in the history as the change's detail; it is required.
	Reason string `json:"reason" example:"Contiene dati sanitari"`
}
