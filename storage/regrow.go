package storage

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/sportello/sportello/domain"
)

// registrationColumns are the columns of a registration row, in scanRegistration's order;
// the offices follow as a JSON array built by a correlated subquery, so that a registration is
// read whole, in one statement and one snapshot.
const registrationColumns = `r.seq, r.id, r.register_code, r.year, r.number, r.identifier, r.registered_at,
	r.reg_date, r.direction, r.channel, r.subject, r.correspondents, r.sender_reference, r.document,
	r.attachments, r.class, r.dossiers, r.confidential, r.status, r.annulled_at, r.annulled_by,
	r.annulled_by_name, r.annulment_reason, r.annulment_authorization, r.created_by, r.position,
	r.disposal_id, r.disposed_at, (SELECT s.authorization_ref FROM disposals s WHERE s.id = r.disposal_id)`

// selectRegistrations is the SELECT … FROM of every registration read; callers add WHERE.
func (db *DB) selectRegistrations() string {
	return `SELECT ` + db.registrationSelectList() + ` FROM registrations r`
}

// registrationSelectList is the select list of a registration row (alias r), in
// scanRegistration's order. The dossiers come from dossier_items, the one record of filing (the
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
	return strings.Replace(registrationColumns, "r.dossiers", dossiers, 1) + `,
		(SELECT ` + offices + ` FROM registration_offices o WHERE o.registration_id = r.id),
		(SELECT t.status FROM registration_texts t WHERE t.registration_id = r.id),
		` + parties
}

type rowScanner interface{ Scan(dest ...any) error }

// scanRegistration reads one row of selectRegistrations and returns it with its seq.
func scanRegistration(row rowScanner) (*domain.Registration, int64, error) {
	var (
		r                                  domain.Registration
		seq                                int64
		correspondents, document           string
		attachments, dossiers, parties     string
		senderRef, offices, textStatus     sql.NullString
		annulledBy, annulledByName, reason sql.NullString
		authorization                      sql.NullString
		ann                                = new(domain.Annulment)
		annulled                           bool
		disposal                           = new(domain.DisposalRef)
		disposalID, disposalAuth           sql.NullString
		disposed                           bool
	)
	err := row.Scan(&seq, &r.ID, &r.Register, &r.Year, &r.Number, &r.Identifier, timeCol{T: &r.RegisteredAt},
		&r.Date, &r.Direction, &r.Channel, &r.Subject, &correspondents, &senderRef, &document,
		&attachments, &r.Class, &dossiers, &r.Confidential, &r.Status,
		timeCol{T: &ann.At, Valid: &annulled}, &annulledBy, &annulledByName, &reason, &authorization,
		&r.CreatedBy, &r.Position, &disposalID, timeCol{T: &disposal.At, Valid: &disposed}, &disposalAuth, &offices, &textStatus, &parties)
	if err != nil {
		return nil, 0, err
	}
	if annulled {
		ann.By, ann.ByName = annulledBy.String, annulledByName.String
		ann.Reason, ann.Authorization = reason.String, authorization.String
		r.Annulment = ann
	}
	if disposalID.Valid {
		disposal.ID, disposal.Authorization = disposalID.String, disposalAuth.String
		r.Disposal = disposal
	}
	decode := func(field, text string, v any) {
		if err == nil {
			if e := json.Unmarshal([]byte(text), v); e != nil {
				err = fmt.Errorf("registration %s: decode %s: %w", r.ID, field, e)
			}
		}
	}
	decode("correspondents", correspondents, &r.Correspondents)
	decode("document", document, &r.Document)
	decode("attachments", attachments, &r.Attachments)
	decode("dossiers", dossiers, &r.Dossiers)
	if parties != "[]" {
		decode("parties", parties, &r.Parties)
	}
	if senderRef.Valid {
		decode("sender_reference", senderRef.String, &r.SenderReference)
	}
	if offices.Valid {
		decode("offices", offices.String, &r.Offices)
	}
	// No text row yet: the text dispatcher has not reached the registration (DispatchTexts).
	r.TextStatus = domain.TextPending
	if textStatus.Valid {
		r.TextStatus = textStatus.String
	}
	r.Offices = orEmpty(r.Offices)
	r.Attachments = orEmpty(r.Attachments)
	r.Dossiers = orEmpty(r.Dossiers)
	return &r, seq, err
}

// encoded holds a registration's JSON columns, encoded once before its transaction starts.
type encoded struct {
	correspondents, document, attachments, dossiers string
	senderRef                                       any // string or nil
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
	return e, err
}

// annulmentArgs returns the values of the five annulment columns.
func (db *DB) annulmentArgs(a *domain.Annulment) []any {
	if a == nil {
		return []any{nil, nil, nil, nil, nil}
	}
	return []any{db.ts(a.At), a.By, a.ByName, a.Reason, a.Authorization}
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
	if r.Disposal != nil {
		d := *r.Disposal
		c.Disposal = &d
	}
	return &c
}

// immutableChange names the first field that change altered but storage does not write, or
// returns "". Such a change would otherwise be dropped silently; status and annulment are
// written and checked by the database.
func immutableChange(before, after *domain.Registration) string {
	fields := []struct {
		name string
		a, b any
	}{
		{"id", before.ID, after.ID},
		{"register", before.Register, after.Register},
		{"year", before.Year, after.Year},
		{"number", before.Number, after.Number},
		{"identifier", before.Identifier, after.Identifier},
		{"registered_at", before.RegisteredAt, after.RegisteredAt},
		{"date", before.Date, after.Date},
		{"direction", before.Direction, after.Direction},
		{"channel", before.Channel, after.Channel},
		{"subject", before.Subject, after.Subject},
		{"correspondents", before.Correspondents, after.Correspondents},
		{"sender_reference", before.SenderReference, after.SenderReference},
		{"document", before.Document, after.Document},
		{"attachments", before.Attachments, after.Attachments},
		{"confidential", before.Confidential, after.Confidential},
		{"created_by", before.CreatedBy, after.CreatedBy},
	}
	for _, f := range fields {
		if !reflect.DeepEqual(f.a, f.b) {
			return f.name
		}
	}
	return ""
}
