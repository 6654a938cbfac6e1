package storage

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sportello/sportello/domain"
)

// selectRegistrations is the SELECT … FROM of every registration read; callers add WHERE.
func (db *DB) selectRegistrations() string {
	return `SELECT ` + db.registrationSelectList() + ` FROM registrations r`
}

// registrationSelectList is the select list of a registration row (alias r), in
// scanRegistration's order: seq, registrationTable's columns, then what is derived from other
// tables. The dossiers come from dossier_items, the one record of filing (the
// dossiers column of version 1 is no longer read), by the order they were filed in.
func (db *DB) registrationSelectList() string {
	offices := `json_agg(o.office_code ORDER BY o.ordinal)::text`
	parties := `coalesce((SELECT json_agg(c.portal_id || '/' || c.applicant ORDER BY c.seq)::text
		FROM case_documents cd JOIN cases c ON c.id = cd.case_id WHERE cd.registration_id = r.id), '[]')`
	dossiers := `coalesce((SELECT json_agg(dd.identifier ORDER BY di.added_at, dd.identifier)::text
		FROM dossier_items di JOIN dossiers dd ON dd.id = di.dossier_id WHERE di.registration_id = r.id), '[]')`
	if db.engine == SQLite {
		offices = `json_group_array(o.office_code ORDER BY o.ordinal)`
		parties = `(SELECT json_group_array(c.portal_id || '/' || c.applicant ORDER BY c.seq)
		FROM case_documents cd JOIN cases c ON c.id = cd.case_id WHERE cd.registration_id = r.id)`
		dossiers = `(SELECT json_group_array(dd.identifier ORDER BY di.added_at, dd.identifier)
		FROM dossier_items di JOIN dossiers dd ON dd.id = di.dossier_id WHERE di.registration_id = r.id)`
	}
	cols := make([]string, 0, len(registrationTable)+8)
	cols = append(cols, "r.seq")
	for _, c := range registrationTable {
		if c.name == "dossiers" {
			cols = append(cols, dossiers)
			continue
		}
		cols = append(cols, "r."+c.name)
	}
	return strings.Join(append(cols, "r.disposal_id", "r.disposed_at",
		`(SELECT s.authorization_ref FROM disposals s WHERE s.id = r.disposal_id)`,
		`(SELECT `+offices+` FROM registration_offices o WHERE o.registration_id = r.id)`,
		`(SELECT t.status FROM registration_texts t WHERE t.registration_id = r.id)`,
		`(SELECT t.signatures FROM registration_texts t WHERE t.registration_id = r.id)`,
		db.interopSelect(), parties), ",\n\t\t")
}

type rowScanner interface{ Scan(dest ...any) error }

// scanRegistration reads one row of selectRegistrations and returns it with its seq.
func scanRegistration(row rowScanner) (*domain.Registration, int64, error) {
	var s regScan
	dest := make([]any, 0, len(registrationTable)+8)
	dest = append(dest, &s.seq)
	for _, c := range registrationTable {
		dest = append(dest, c.dest(&s))
	}
	dest = append(dest, &s.disposalID, timeCol{T: &s.disposal.At, Valid: &s.disposed}, &s.disposalAuth,
		&s.offices, &s.textStatus, &s.signatures, &s.interop, &s.parties)
	if err := row.Scan(dest...); err != nil {
		return nil, 0, err
	}
	r, err := s.registration()
	return r, s.seq, err
}

// registration decodes the scanned row's JSON and nullable columns into the registration.
func (s *regScan) registration() (*domain.Registration, error) {
	r := &s.r
	if s.annulled {
		a := s.annulment
		a.By, a.ByName = s.annulledBy.String, s.annulledByName.String
		a.Reason, a.Authorization = s.reason.String, s.authorization.String
		r.Annulment = &a
	}
	if s.emergencyOutage.Valid {
		r.Emergency = &domain.Emergency{Register: s.emergencyOutage.String, Number: s.emergencyNumber.Int64,
			Date: s.emergencyDate.String}
	}
	if s.disposalID.Valid {
		d := s.disposal
		d.ID, d.Authorization = s.disposalID.String, s.disposalAuth.String
		r.Disposal = &d
	}
	var err error
	decode := func(field, text string, v any) {
		if err == nil {
			if e := json.Unmarshal([]byte(text), v); e != nil {
				err = fmt.Errorf("registration %s: decode %s: %w", r.ID, field, e)
			}
		}
	}
	decode("correspondents", s.correspondents, &r.Correspondents)
	decode("document", s.document, &r.Document)
	decode("attachments", s.attachments, &r.Attachments)
	decode("dossiers", s.dossiers, &r.Dossiers)
	if s.parties != "[]" {
		decode("parties", s.parties, &r.Parties)
	}
	if s.senderRef.Valid {
		decode("sender_reference", s.senderRef.String, &r.SenderReference)
	}
	if s.imageCopy.Valid {
		decode("image_copy", s.imageCopy.String, &r.ImageCopy)
	}
	if s.offices.Valid {
		decode("offices", s.offices.String, &r.Offices)
	}
	if s.signatures.Valid {
		decode("signatures", s.signatures.String, &r.Signatures)
	}
	if s.interop.Valid && err == nil {
		r.Interoperability, err = decodeInterop(s.interop.String)
	}
	// No text row yet: the text dispatcher has not reached the registration (DispatchTexts).
	r.TextStatus = domain.TextPending
	if s.textStatus.Valid {
		r.TextStatus = s.textStatus.String
	}
	r.Offices = orEmpty(r.Offices)
	r.Attachments = orEmpty(r.Attachments)
	r.Dossiers = orEmpty(r.Dossiers)
	return r, err
}

// encoded holds a registration's JSON columns, encoded once before its transaction starts.
type encoded struct {
	correspondents, document, attachments, dossiers string
	senderRef, imageCopy                            any // string or nil
}

func encode(r *domain.Registration) (encoded, error) {
	var (
		e   encoded
		err error
	)
	enc := func(dst *string, v any) {
		if err == nil {
			*dst, err = jsonText(v)
		}
	}
	enc(&e.correspondents, r.Correspondents)
	enc(&e.document, r.Document)
	enc(&e.attachments, orEmpty(r.Attachments))
	enc(&e.dossiers, orEmpty(r.Dossiers))
	if r.SenderReference != nil {
		var s string
		enc(&s, r.SenderReference)
		e.senderRef = s
	}
	if r.ImageCopy != nil {
		var s string
		enc(&s, r.ImageCopy)
		e.imageCopy = s
	}
	return e, err
}

// clone returns a deep copy of r, so that a change function cannot alter the copy it is
// compared with.
func clone(r *domain.Registration) *domain.Registration {
	c := *r
	c.Correspondents = slices.Clone(r.Correspondents)
	c.Attachments = slices.Clone(r.Attachments)
	c.Offices = slices.Clone(r.Offices)
	c.Dossiers = slices.Clone(r.Dossiers)
	c.Parties = slices.Clone(r.Parties)
	if r.SenderReference != nil {
		s := *r.SenderReference
		c.SenderReference = &s
	}
	if r.Annulment != nil {
		a := *r.Annulment
		c.Annulment = &a
	}
	if r.ImageCopy != nil {
		ic := *r.ImageCopy
		c.ImageCopy = &ic
	}
	if r.Disposal != nil {
		d := *r.Disposal
		c.Disposal = &d
	}
	return &c
}
