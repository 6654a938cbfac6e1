// Package search is Sportello's full-text index: a projection of registrations, dossiers and
// documents into bleve, one index per month, queried with the caller's visibility inside the
// query so that hits, totals, facet counts and highlights never reveal what the caller may not
// see. It is the only package that imports bleve; the index can always be dropped and rebuilt
// from the database.
package search

import (
	"cmp"
	"strings"
	"time"

	"github.com/sportello/sportello/domain"
)

// Kinds of indexed things.
const (
	KindRegistration = "registration"
	KindDossier      = "dossier"
	KindDocument     = "document"
)

// Document is one indexed thing. It is flat on purpose: every field is either a keyword the
// filters and facets match exactly, a date, or free text analysed for Italian.
type Document struct {
	Kind         string
	ID           string
	Identifier   string // c_h501-A1B2C3D-PG-2026-0000042; a dossier's 2026-VI.3-000012; a document's id
	Ref          string // PG/2026/0000042
	Register     string
	Year         int
	Number       int64
	Date         time.Time // protocol date: the calendar day, at midnight UTC
	RegisteredAt time.Time
	// Created is when a dossier was opened or a document created: it orders them within their
	// day as RegisteredAt orders registrations.
	Created      time.Time
	Direction    string
	Channel      string
	Class        string
	Offices      []string
	Status       string
	Type         string // a dossier's tipologia (domain.DossierType)
	Confidential bool
	CreatedBy    string
	Parties      []string // domain.Party of the cases sharing it with their applicant
	Subject      string
	Description  string // a document's description
	// Registration holds, for a document a registration took, that registration's id and
	// identifier, so `registration:` finds the document from its registration.
	Registration   []string
	Correspondents []string // names
	TaxCodes       []string
	Text           string // extracted text of the document and its attachments
	// Position is the change-feed position this version of the document comes from; the index
	// remembers the highest one it has seen so a consumer can resume and a reader can wait.
	Position int64
}

// FromRegistration projects a registration into the index. Extracted text is not part of a
// registration: the extraction job fills Text before calling Put.
func FromRegistration(r *domain.Registration) Document {
	d := Document{
		Kind:         KindRegistration,
		ID:           r.ID,
		Identifier:   r.Identifier,
		Ref:          r.Ref().String(),
		Register:     r.Register,
		Year:         r.Year,
		Number:       r.Number,
		RegisteredAt: r.RegisteredAt,
		Direction:    string(r.Direction),
		Channel:      string(r.Channel),
		Class:        r.Class,
		Offices:      r.Offices,
		Status:       string(r.Status),
		Confidential: r.Confidential,
		CreatedBy:    r.CreatedBy,
		Parties:      r.Parties,
		Subject:      r.Subject,
		Position:     r.Position,
	}
	if t, err := time.Parse(time.DateOnly, r.Date); err == nil {
		d.Date = t
	}
	for _, c := range r.Correspondents {
		d.Correspondents = append(d.Correspondents, c.Name)
		if c.TaxCode != "" {
			d.TaxCodes = append(d.TaxCodes, strings.ToUpper(c.TaxCode))
		}
	}
	return d
}

// FromDossier projects a dossier's own metadata into the index (not its items, which are
// indexed as themselves). Its date is the day it was opened in loc, as the dossier metadata
// (DataApertura) show it; a disposed dossier keeps its metadata, like a disposed registration.
func FromDossier(d *domain.Dossier, loc *time.Location) Document {
	return Document{
		Kind:       KindDossier,
		ID:         d.ID,
		Identifier: d.Identifier,
		Year:       d.Year,
		Date:       calendarDay(d.OpenedAt, loc),
		Created:    d.OpenedAt,
		Class:      d.Class,
		Offices:    []string{d.Office},
		Status:     string(d.Status),
		Type:       string(d.Type),
		CreatedBy:  d.CreatedBy,
		Subject:    d.Subject,
		Position:   d.Position,
	}
}

// FromDocument projects an unregistered document into the index. Its date is the day it was
// created in loc, as a dossier's index shows it; its identifier is its id, as there too. A
// disposed document keeps its metadata, like a disposed registration.
func FromDocument(d *domain.Document, loc *time.Location) Document {
	date := calendarDay(d.CreatedAt, loc)
	doc := Document{
		Kind:         KindDocument,
		ID:           d.ID,
		Identifier:   d.ID,
		Year:         date.Year(),
		Date:         date,
		Created:      d.CreatedAt,
		Class:        d.Class,
		Offices:      d.Offices,
		Confidential: d.Confidential,
		CreatedBy:    d.CreatedBy,
		Subject:      d.Subject,
		Description:  d.Description,
		Position:     d.Position,
	}
	if r := d.Registration; r != nil {
		doc.Registration = []string{r.ID, r.Identifier}
	}
	return doc
}

// calendarDay returns the calendar day of t in loc, at midnight UTC, as protocol dates are indexed.
func calendarDay(t time.Time, loc *time.Location) time.Time {
	y, m, dd := t.In(loc).Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
}

// shardMonth is the key (monthKey) of the month whose shard holds d. The protocol date decides
// when there is one, so that a date range always finds a document in the shard of its date's
// month; Year (equal to the date's for registrations, whose date never changes) is the
// fallback for undated things, which go to month 0 of their year.
func (d Document) shardMonth() int {
	if !d.Date.IsZero() {
		t := d.Date.UTC()
		return monthKey(t.Year(), t.Month())
	}
	return monthKey(d.Year, 0)
}

// sortDate orders documents by protocol date, then by time of registration (or of opening or
// creation) within the day, so by number within a register, then by id, as a string that
// sorts lexicographically: one key, different for every document, makes the order total.
func (d Document) sortDate() string {
	key := ""
	if !d.Date.IsZero() {
		key = d.Date.UTC().Format(time.DateOnly)
	}
	if at := cmp.Or(d.RegisteredAt, d.Created); !at.IsZero() {
		key += "|" + at.UTC().Format("2006-01-02T15:04:05.000000000Z")
	}
	return key + "|" + d.ID
}

// classPath returns a class code and all its ancestors (`VI.3.2` → VI, VI.3, VI.3.2), so a
// filter on a title or class matches everything filed below it with one term.
func classPath(code string) []string {
	if code == "" {
		return nil
	}
	parts := strings.Split(code, ".")
	path := make([]string, len(parts))
	for i := range parts {
		path[i] = strings.Join(parts[:i+1], ".")
	}
	return path
}

// fields is the document as bleve indexes it, keyed by the field names of the mapping.
func (d Document) fields() map[string]any {
	f := map[string]any{
		fKind:           d.Kind,
		fIdentifier:     d.Identifier,
		fRef:            d.Ref,
		fRegister:       d.Register,
		fDirection:      d.Direction,
		fChannel:        d.Channel,
		fClass:          d.Class,
		fClassPath:      classPath(d.Class),
		fOffices:        d.Offices,
		fStatus:         d.Status,
		fType:           d.Type,
		fConfidential:   d.Confidential,
		fCreatedBy:      d.CreatedBy,
		fParties:        d.Parties,
		fSubject:        d.Subject,
		fDescription:    d.Description,
		fRegistration:   d.Registration,
		fCorrespondents: d.Correspondents,
		fText:           d.Text,
	}
	if d.Year != 0 {
		f[fYear] = yearTerm(d.Year)
	}
	if !d.Date.IsZero() {
		f[fDate] = d.Date.UTC()
	}
	if !d.RegisteredAt.IsZero() {
		f[fRegisteredAt] = d.RegisteredAt.UTC()
	}
	f[fSortDate] = d.sortDate()
	codes := make([]string, len(d.TaxCodes))
	for i, c := range d.TaxCodes {
		codes[i] = strings.ToUpper(c)
	}
	f[fTaxCodes] = codes
	return f
}
