package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// KindDossier is the entity kind of dossiers in audit events, idempotency records and the
// change feed.
const KindDossier = "dossier"

// DossierType is the tipologia di fascicolo (C3). The codes are the Italian terms in snake_case
// without accents, as Allegato 5 names them (TipologiaFascicolo), so that the metadata carry
// them unchanged.
type DossierType string

// Dossier types.
const (
	DossierAffare           DossierType = "affare"            // a matter with no formal procedure
	DossierAttivita         DossierType = "attivita"          // a recurring activity
	DossierPersonaFisica    DossierType = "persona_fisica"    // everything about one person
	DossierPersonaGiuridica DossierType = "persona_giuridica" // everything about one organisation
	DossierProcedimento     DossierType = "procedimento"      // one administrative procedure
)

// DossierTypes lists every dossier type.
var DossierTypes = []DossierType{DossierAffare, DossierAttivita, DossierPersonaFisica, DossierPersonaGiuridica, DossierProcedimento}

// DossierStatus is open (items may be filed) or closed (the index is final until reopened).
type DossierStatus string

// Dossier statuses.
const (
	DossierOpen   DossierStatus = "open"
	DossierClosed DossierStatus = "closed"
	// DossierDisposed is a closed dossier whose content was destroyed by a disposal (scarto):
	// storage keeps it closed and records its DisposalID.
	DossierDisposed DossierStatus = "disposed"
)

// Item kinds of a dossier's index.
const (
	ItemRegistration = "registration"
	ItemDocument     = "document"
)

// DossierNumberDigits is the minimum width of a dossier's progressive number in its identifier.
const DossierNumberDigits = 6

// Dossier is a fascicolo (C3): identified by the year it was opened, its class and a progressive
// number within that class and year, with no gaps, like protocol numbers. Identifier, year,
// class, number and opening time never change; closing sets ClosedAt, reopening clears it.
type Dossier struct {
	ID         string
	Identifier string
	Year       int
	Class      string
	Number     int64
	Subject    string
	Type       DossierType
	Office     string
	// Responsible is the user id of the person responsible (responsabile del procedimento), a
	// member of Office, or "".
	Responsible string
	// Parent is the id of the dossier this one is a sub-dossier (sottofascicolo) of, or "".
	Parent    string
	Status    DossierStatus
	OpenedAt  time.Time
	ClosedAt  *time.Time
	CreatedBy string
	Position  int64
	// DisposalID is the disposal record that destroyed the dossier's content, or "".
	DisposalID string
	// Items is the document index, in filing order as stored; Index sorts it for display.
	Items []DossierItem
}

// DossierItem is one entry of a dossier's document index: a registration (Kind
// ItemRegistration) or an unregistered document (Kind ItemDocument); exactly one of
// Registration and Document is set.
type DossierItem struct {
	Kind         string
	Registration *Registration
	Document     *Document
	AddedAt      time.Time
	AddedBy      string
}

// Date is the date of the item's document: a registration's protocol date, or the day a
// document was created, in loc.
func (it DossierItem) Date(loc *time.Location) string {
	if it.Document != nil {
		return it.Document.CreatedAt.In(loc).Format(time.DateOnly)
	}
	return it.Registration.Date
}

// Identifier names the item in the index: a registration's identifier, a document's id.
func (it DossierItem) Identifier() string {
	if it.Document != nil {
		return it.Document.ID
	}
	return it.Registration.Identifier
}

// DossierIdentifier formats a dossier's identifier: year, class and number with at least six
// digits, `2026-VI.3-000012`.
func DossierIdentifier(year int, class string, number int64) string {
	return fmt.Sprintf("%d-%s-%0*d", year, class, DossierNumberDigits, number)
}

// AssignNumber gives the dossier its number and identifier. Storage calls it inside the
// creating transaction with the number it just took from the (class, year) counter.
func (d *Dossier) AssignNumber(number int64) {
	d.Number = number
	d.Identifier = DossierIdentifier(d.Year, d.Class, number)
}

// Close marks the dossier closed at t. Returns conflict if it is closed or disposed of.
func (d *Dossier) Close(t time.Time) error {
	if d.Status == DossierDisposed {
		return errDisposed(d)
	}
	if d.Status == DossierClosed {
		return Errorf(ECConflict, "dossier %s is already closed", d.Identifier)
	}
	t = t.UTC()
	d.Status, d.ClosedAt = DossierClosed, &t
	return nil
}

// Reopen marks a closed dossier open again; when it was closed stays in the audit trail.
// Returns conflict if it is open or disposed of.
func (d *Dossier) Reopen() error {
	if d.Status == DossierDisposed {
		return errDisposed(d)
	}
	if d.Status != DossierClosed {
		return Errorf(ECConflict, "dossier %s is open", d.Identifier)
	}
	d.Status, d.ClosedAt = DossierOpen, nil
	return nil
}

// errDisposed is the conflict of changing a disposed dossier: its disposal is final.
func errDisposed(d *Dossier) error {
	return Errorf(ECConflict, "dossier %s is disposed of (disposal %s): it cannot change", d.Identifier, d.DisposalID)
}

// Index returns the items ordered by the date of their document (reckoned in loc), then by
// when they were filed: the order of the indice dei documenti.
func (d *Dossier) Index(loc *time.Location) []DossierItem {
	items := slices.Clone(d.Items)
	slices.SortStableFunc(items, func(a, b DossierItem) int {
		if c := strings.Compare(a.Date(loc), b.Date(loc)); c != 0 {
			return c
		}
		return a.AddedAt.Compare(b.AddedAt)
	})
	return items
}

// NewDossier is the input of CreateDossier: what the caller states. Year, number and identifier
// are assigned by the system.
type NewDossier struct {
	Class   string
	Subject string
	Type    DossierType
	Office  string
	Parent  string
	// Responsible is a user id of a member of Office, or "".
	Responsible string
}

// Validate checks the shape of the input and lists every failing field.
func (in *NewDossier) Validate() error {
	var v Validation
	switch {
	case in.Class == "":
		v.Add("class", "is required")
	case !ValidClass(in.Class):
		v.Add("class", "must be a classification code such as VI.3")
	}
	in.Subject = strings.TrimSpace(in.Subject)
	switch n := len([]rune(in.Subject)); {
	case n == 0:
		v.Add("subject", "is required")
	case n > MaxSubject:
		v.Add("subject", "is longer than %d characters", MaxSubject)
	}
	if in.Type == "" {
		v.Add("type", "is required (one of %v)", DossierTypes)
	} else if !slices.Contains(DossierTypes, in.Type) {
		v.Add("type", "must be one of %v", DossierTypes)
	}
	if in.Office == "" {
		v.Add("office", "is required: the office responsible for the dossier")
	}
	return v.Err()
}

var (
	// itemRefPattern reads `PG/2026/42` or `PG/2026/0000042`.
	itemRefPattern = regexp.MustCompile(`^([A-Za-z0-9_-]{1,32})/([0-9]{4})/([0-9]{1,15})$`)
	// dossierIdentifierPattern reads `2026-VI.3-000012`.
	dossierIdentifierPattern = regexp.MustCompile(`^[0-9]{4}-[IVXLC]+(\.[0-9]{1,3})*-[0-9]{6,}$`)
)

// ParseRef reads a registration reference as people write it: `PG/2026/42` or, as printed on
// stamps, `PG/2026/0000042`.
func ParseRef(s string) (Ref, bool) {
	m := itemRefPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Ref{}, false
	}
	ref := Ref{Register: m[1]}
	ref.Year, _ = strconv.Atoi(m[2])
	ref.Number, _ = strconv.ParseInt(m[3], 10, 64) // base 10: 0000042 is 42, not octal
	return ref, ref.Number > 0
}

// IsDossierIdentifier reports whether s has the shape of a dossier identifier.
func IsDossierIdentifier(s string) bool { return dossierIdentifierPattern.MatchString(s) }

// DossierFilter selects dossiers. Zero fields do not filter. Class matches the class and its
// descendants, as for registrations.
type DossierFilter struct {
	Class      string
	Year       int
	Status     DossierStatus
	Office     string
	Type       DossierType
	Visibility Visibility
	Limit      int
	Cursor     string
}

// DossierVisibilityOf returns which dossiers p may see. Dossiers carry no confidentiality of
// their own (a confidential registration inside one stays protected item by item), so records
// officers, protocol operators and admins, who see every non-confidential registration, see
// every dossier; anyone else sees the dossiers of its offices and those it opened. Portals see
// none: the dossier of a case they submitted is the offices' working file, and applicants see
// the case instead.
func DossierVisibilityOf(p Principal) Visibility {
	if p.Has(RolePortal) {
		return Visibility{}
	}
	v := Visibility{CreatedBy: p.ID, Offices: p.Offices}
	if p.Has(RoleRecordsOfficer, RoleProtocolOperator, RoleAdmin) {
		v.All = true
	}
	return v
}

// AllowsDossier reports whether d is visible under a visibility built by DossierVisibilityOf.
func (v Visibility) AllowsDossier(d *Dossier) bool {
	return v.All || (v.CreatedBy != "" && d.CreatedBy == v.CreatedBy) || slices.Contains(v.Offices, d.Office)
}
