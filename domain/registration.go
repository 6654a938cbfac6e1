package domain

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Direction says whether a document came in, went out, or stayed inside the AOO.
type Direction string

// Directions (TipologiaFlusso E/U/I).
const (
	Incoming Direction = "incoming"
	Outgoing Direction = "outgoing"
	Internal Direction = "internal"
)

// Channel is how a document reached or left the administration.
type Channel string

// Channels.
const (
	ChannelWeb     Channel = "web"
	ChannelPEC     Channel = "pec"
	ChannelEmail   Channel = "email"
	ChannelCounter Channel = "counter"
	ChannelPaper   Channel = "paper"
	ChannelPost    Channel = "post"
	ChannelAPI     Channel = "api"
)

// Channels lists every channel.
var Channels = []Channel{ChannelWeb, ChannelPEC, ChannelEmail, ChannelCounter, ChannelPaper, ChannelPost, ChannelAPI}

// Status of a registration: active until annulled, never deleted.
type Status string

// Statuses.
const (
	StatusActive   Status = "active"
	StatusAnnulled Status = "annulled"
)

// Correspondent roles and types.
const (
	RoleSender    = "sender"
	RoleRecipient = "recipient"

	TypePerson         = "person"
	TypeOrganization   = "organization"
	TypeAdministration = "administration"
)

// Correspondent is a sender or a recipient of a registered document.
type Correspondent struct {
	Role    string `json:"role"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	TaxCode string `json:"tax_code,omitempty"`
	Email   string `json:"email,omitempty"`
	Address string `json:"address,omitempty"`
	// IPACode, AOOCode and UOCode name an administration in the IPA directory (Codice_IPA,
	// Codice_uni_aoo, Codice_uni_uo): the identifiers a segnatura carries, so they are kept
	// only for an administration. DigitalAddress is the PEC or e-mail address documents are
	// sent to (domicilio digitale), of any kind of correspondent.
	IPACode        string `json:"ipa_code,omitempty"`
	AOOCode        string `json:"aoo_code,omitempty"`
	UOCode         string `json:"uo_code,omitempty"`
	DigitalAddress string `json:"digital_address,omitempty"`
}

// SenderReference is the sender's own protocol number and date, when known (R1).
type SenderReference struct {
	Number string `json:"number"`
	Date   string `json:"date"`
}

// File describes stored content: the digest is the SHA-256 of the exact bytes, hex-encoded, and
// addresses the content in the blob store.
type File struct {
	Filename    string `json:"filename"`
	Description string `json:"description,omitempty"`
	MediaType   string `json:"media_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Annulment records who voided a registration, when, why and under which authorising act (M3).
type Annulment struct {
	Reason        string    `json:"reason"`
	Authorization string    `json:"authorization"`
	By            string    `json:"by"`
	ByName        string    `json:"by_name"`
	At            time.Time `json:"at"`
}

// Registration is the legal record of a document entering or leaving the AOO (art. 53). Number,
// date, direction, subject, correspondents, sender reference and file digests are immutable
// once registered (M1); only Class, Offices and Dossiers change, and annulment sets Status.
type Registration struct {
	ID           string    `json:"id"`
	Register     string    `json:"register"`
	Year         int       `json:"year"`
	Number       int64     `json:"number"`
	Identifier   string    `json:"identifier"`
	RegisteredAt time.Time `json:"registered_at"`
	Date         string    `json:"date"`
	// ReceivedOn is the date a paper document reached the office, when it differs from the
	// protocol date (art. 53): never after Date, "" when not stated.
	ReceivedOn string `json:"received_on,omitempty"`
	// Emergency is set on a registration loaded from the emergency register (art. 63, E1): the
	// outage, the entry's emergency number and date. Fixed once registered.
	Emergency *Emergency `json:"emergency,omitempty"`
	// ImageCopy is set when the document is an image copy of a paper original, with who
	// attested its conformity and when (image_copy.go). Fixed once registered.
	ImageCopy       *ImageCopy       `json:"image_copy,omitempty"`
	Direction       Direction        `json:"direction"`
	Channel         Channel          `json:"channel"`
	Subject         string           `json:"subject"`
	Correspondents  []Correspondent  `json:"correspondents"`
	SenderReference *SenderReference `json:"sender_reference"`
	// InReplyTo is the identifier of the incoming registration an outgoing one answers, ""
	// when it answers none: its segnatura names that message in Riferimenti. Fixed once
	// registered.
	InReplyTo    string     `json:"in_reply_to,omitempty"`
	Document     File       `json:"document"`
	Attachments  []File     `json:"attachments"`
	Class        string     `json:"class"`
	Offices      []string   `json:"offices"`
	Dossiers     []string   `json:"dossiers"`
	Confidential bool       `json:"confidential"`
	Status       Status     `json:"status"`
	Annulment    *Annulment `json:"annulment"`
	// Disposal is set once the registration's content was destroyed by a disposal (scarto);
	// the registration itself stays in the register.
	Disposal  *DisposalRef `json:"disposal"`
	CreatedBy string       `json:"created_by"`
	// Parties are the portal/applicant pairs (see Party) whose cases share this registration
	// with the applicant; storage derives them from the cases, they are not part of the record.
	Parties []string `json:"-"`
	// Position is the change-feed position of the latest write to this registration; search
	// accepts it as min_position for read-your-writes.
	Position int64 `json:"position"`
	// TextStatus says how far the extraction of the text of the document and its attachments
	// for search has got (TextPending, TextDone, TextFailed, TextNone). It is derived data,
	// filled in by a background job after the registration.
	TextStatus string `json:"text_status"`
	// Signatures are the signatures found on the files, checked by the same background job as
	// the text: nil until it has run. Derived data, not part of the record.
	Signatures FileSignatures `json:"-"`
	// Interoperability is what the segnatura received with the document stated and found, the
	// answer sent back and the sender's annulment; nil when none came (intake_mail.go). Kept
	// beside the record, read with it.
	Interoperability *Interoperability `json:"-"`
}

// Text statuses of a registration.
const (
	TextPending = "pending" // the extraction job has not run yet
	TextDone    = "done"    // text extracted and handed to the search index
	TextFailed  = "failed"  // the last attempt failed; it is retried with backoff until it gives up
	TextNone    = "none"    // nothing to read: no file of a readable type, or content disposed of
)

// newRegistration is the one constructor of a Registration, whatever registers it (Register,
// SubmitCase, a case message or final act): in's facts, a new id, active, in no dossier, by p,
// taken at `at` (see stamp). Storage numbers it.
func newRegistration(p Principal, in NewRegistration, at time.Time, loc *time.Location) *Registration {
	r := &Registration{
		ID: NewID(), Register: in.Register, Direction: in.Direction, Channel: in.Channel,
		Subject: in.Subject, Correspondents: in.Correspondents, SenderReference: in.SenderReference,
		ReceivedOn: in.ReceivedOn, Emergency: in.Emergency, ImageCopy: in.ImageCopy, Attachments: append([]File{}, in.Attachments...), Class: in.Class, Offices: uniq(in.Offices),
		Dossiers: []string{}, Confidential: in.Confidential, Status: StatusActive, CreatedBy: p.ID,
		Interoperability: in.Interoperability,
	}
	if r.Register == "" {
		r.Register = DefaultRegister
	}
	if in.Document != nil {
		r.Document = *in.Document
	}
	r.stamp(at, loc)
	return r
}

// stamp sets the instant of registration and, from it, the year and the protocol date, both
// reckoned in loc (the AOO's time zone).
func (r *Registration) stamp(at time.Time, loc *time.Location) {
	local := at.In(loc)
	r.RegisteredAt, r.Year, r.Date = at.UTC(), local.Year(), local.Format(time.DateOnly)
}

// Ref names a registration the way people do: register, year and number.
type Ref struct {
	Register string
	Year     int
	Number   int64
}

func (r Ref) String() string {
	return r.Register + "/" + strconv.Itoa(r.Year) + "/" + FormatNumber(r.Number)
}

// Ref returns the registration's reference.
func (r *Registration) Ref() Ref { return Ref{r.Register, r.Year, r.Number} }

// AssignNumber gives the registration its number and identifier. Storage calls it inside the
// registration transaction with the number it just took from the (register, year) counter.
func (r *Registration) AssignNumber(aoo AOO, number int64) {
	r.Number = number
	r.Identifier = Identifier(aoo, r.Register, r.Year, number)
}

// ImmutableFields lists the JSON fields that registration fixes forever (M1).
var ImmutableFields = []string{
	"id", "register", "year", "number", "number_formatted", "identifier", "registered_at", "date",
	"received_on", "emergency", "image_copy", "direction", "channel", "subject", "correspondents", "sender_reference", "document",
	"attachments", "confidential", "status", "annulment", "created_by", "position",
}

// MutableFields lists the JSON fields that may change after registration (M1, R4).
var MutableFields = []string{"class", "offices", "dossiers"}

var (
	classPattern = regexp.MustCompile(`^[IVXLC]+(\.[0-9]{1,3})*$`)
	// taxCodePattern is a codice fiscale (omocodia included) or a partita IVA, in either case.
	taxCodePattern = regexp.MustCompile(`^([A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z]|[0-9]{11})$`)
	datePattern    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// ValidClass reports whether code has the shape of a classification code (`VI`, `VI.3`, `VI.3.2`).
func ValidClass(code string) bool { return classPattern.MatchString(code) }

// ValidDate reports whether s is a calendar date YYYY-MM-DD.
func ValidDate(s string) bool {
	if !datePattern.MatchString(s) {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// MaxSubject is the longest subject accepted, in characters.
const MaxSubject = 2000

func validateCorrespondents(v *Validation, dir Direction, cs []Correspondent) {
	if len(cs) == 0 {
		v.Add("correspondents", "at least one correspondent is required")
		return
	}
	senders, recipients := 0, 0
	for i, c := range cs {
		f := "correspondents[" + strconv.Itoa(i) + "]"
		switch c.Role {
		case RoleSender:
			senders++
		case RoleRecipient:
			recipients++
		default:
			v.Add(f+".role", "must be sender or recipient")
		}
		switch c.Type {
		case TypePerson, TypeOrganization, TypeAdministration:
		default:
			v.Add(f+".type", "must be person, organization or administration")
		}
		if strings.TrimSpace(c.Name) == "" {
			v.Add(f+".name", "is required")
		}
		if c.TaxCode != "" && !taxCodePattern.MatchString(c.TaxCode) {
			v.Add(f+".tax_code", "must be a codice fiscale (16 characters) or a partita IVA (11 digits)")
		}
		if c.Email != "" {
			if _, err := mail.ParseAddress(c.Email); err != nil {
				v.Add(f+".email", "is not a valid e-mail address")
			}
		}
		validateAdministrationCodes(v, f, c)
	}
	switch dir {
	case Incoming:
		if senders == 0 {
			v.Add("correspondents", "an incoming registration needs a sender")
		}
	case Outgoing:
		if recipients == 0 {
			v.Add("correspondents", "an outgoing registration needs a recipient")
		}
	}
}

func validateFile(v *Validation, field string, f File) {
	if f.Filename == "" {
		v.Add(field+".filename", "is required")
	}
	if len(f.SHA256) != 64 || strings.Trim(f.SHA256, "0123456789abcdef") != "" {
		v.Add(field+".sha256", "must be a lowercase hex SHA-256")
	}
	if f.Size < 0 {
		v.Add(field+".size", "must not be negative")
	}
}
