package storage

import (
	"database/sql"
	"reflect"
	"strings"

	"github.com/sportello/sportello/domain"
)

// registrationTable is the one list of a registration's columns, in order. The inserts of both
// engines (counter.go), the select list and scan (regrow.go) and the check that a change leaves
// the fixed columns alone (immutableChange) are generated from it: a new column of a
// registration is one entry here and a migration.
var registrationTable = []regColumn{
	{name: "id", value: func(_ *DB, r *domain.Registration, _ encoded) any { return r.ID },
		dest: func(s *regScan) any { return &s.r.ID }},
	{name: "register_code", value: func(_ *DB, r *domain.Registration, _ encoded) any { return r.Register },
		dest: func(s *regScan) any { return &s.r.Register }},
	{name: "year", cast: "integer", value: func(_ *DB, r *domain.Registration, _ encoded) any { return r.Year },
		dest: func(s *regScan) any { return &s.r.Year }},
	{name: colNumber, value: func(_ *DB, r *domain.Registration, _ encoded) any { return r.Number },
		dest: func(s *regScan) any { return &s.r.Number }},
	{name: colIdentifier, value: func(_ *DB, r *domain.Registration, _ encoded) any { return r.Identifier },
		dest: func(s *regScan) any { return &s.r.Identifier }},
	{name: "registered_at", cast: "timestamptz", value: func(db *DB, r *domain.Registration, _ encoded) any { return db.ts(r.RegisteredAt) },
		dest: func(s *regScan) any { return timeCol{T: &s.r.RegisteredAt} }},
	{name: "reg_date", value: func(_ *DB, r *domain.Registration, _ encoded) any { return r.Date },
		dest: func(s *regScan) any { return &s.r.Date }},
	{name: "received_on", value: func(_ *DB, r *domain.Registration, _ encoded) any { return nullIfEmpty(r.ReceivedOn) },
		dest: func(s *regScan) any { return nullText{&s.r.ReceivedOn} }},
	{name: "emergency_outage", value: emergencyValue(func(e *domain.Emergency) any { return e.Register }),
		dest: func(s *regScan) any { return &s.emergencyOutage }},
	{name: "emergency_number", cast: "bigint", value: emergencyValue(func(e *domain.Emergency) any { return e.Number }),
		dest: func(s *regScan) any { return &s.emergencyNumber }},
	{name: "emergency_date", value: emergencyValue(func(e *domain.Emergency) any { return e.Date }),
		dest: func(s *regScan) any { return &s.emergencyDate }},
	{name: "image_copy", value: func(_ *DB, _ *domain.Registration, e encoded) any { return e.imageCopy },
		dest: func(s *regScan) any { return &s.imageCopy }},
	{name: "direction", value: func(_ *DB, r *domain.Registration, _ encoded) any { return string(r.Direction) },
		dest: func(s *regScan) any { return &s.r.Direction }},
	{name: "channel", value: func(_ *DB, r *domain.Registration, _ encoded) any { return string(r.Channel) },
		dest: func(s *regScan) any { return &s.r.Channel }},
	{name: "subject", value: func(_ *DB, r *domain.Registration, _ encoded) any { return r.Subject },
		dest: func(s *regScan) any { return &s.r.Subject }},
	{name: "correspondents", value: func(_ *DB, _ *domain.Registration, e encoded) any { return e.correspondents },
		dest: func(s *regScan) any { return &s.correspondents }},
	{name: "sender_reference", value: func(_ *DB, _ *domain.Registration, e encoded) any { return e.senderRef },
		dest: func(s *regScan) any { return &s.senderRef }},
	{name: "in_reply_to", value: func(_ *DB, r *domain.Registration, _ encoded) any { return nullIfEmpty(r.InReplyTo) },
		dest: func(s *regScan) any { return nullText{&s.r.InReplyTo} }},
	{name: "document", value: func(_ *DB, _ *domain.Registration, e encoded) any { return e.document },
		dest: func(s *regScan) any { return &s.document }},
	{name: "attachments", value: func(_ *DB, _ *domain.Registration, e encoded) any { return e.attachments },
		dest: func(s *regScan) any { return &s.attachments }},
	{name: "class", use: changed, value: func(_ *DB, r *domain.Registration, _ encoded) any { return r.Class },
		dest: func(s *regScan) any { return &s.r.Class }},
	// The dossiers column keeps what was written at registration; dossier_items is the record
	// of filing, and the select list reads the dossiers from there.
	{name: "dossiers", use: aside, value: func(_ *DB, _ *domain.Registration, e encoded) any { return e.dossiers },
		dest: func(s *regScan) any { return &s.dossiers }},
	{name: "confidential", cast: "boolean", use: changed, value: func(_ *DB, r *domain.Registration, _ encoded) any { return r.Confidential },
		dest: func(s *regScan) any { return &s.r.Confidential }},
	{name: "status", use: changed, value: func(_ *DB, r *domain.Registration, _ encoded) any { return string(r.Status) },
		dest: func(s *regScan) any { return &s.r.Status }},
	{name: "annulled_at", cast: "timestamptz", use: changed, value: func(db *DB, r *domain.Registration, _ encoded) any {
		if r.Annulment == nil {
			return nil
		}
		return db.ts(r.Annulment.At)
	}, dest: func(s *regScan) any { return timeCol{T: &s.annulment.At, Valid: &s.annulled} }},
	{name: "annulled_by", use: changed, value: annulmentValue(func(a *domain.Annulment) string { return a.By }),
		dest: func(s *regScan) any { return &s.annulledBy }},
	{name: "annulled_by_name", use: changed, value: annulmentValue(func(a *domain.Annulment) string { return a.ByName }),
		dest: func(s *regScan) any { return &s.annulledByName }},
	{name: "annulment_reason", use: changed, value: annulmentValue(func(a *domain.Annulment) string { return a.Reason }),
		dest: func(s *regScan) any { return &s.reason }},
	{name: "annulment_authorization", use: changed, value: annulmentValue(func(a *domain.Annulment) string { return a.Authorization }),
		dest: func(s *regScan) any { return &s.authorization }},
	{name: "created_by", value: func(_ *DB, r *domain.Registration, _ encoded) any { return r.CreatedBy },
		dest: func(s *regScan) any { return &s.r.CreatedBy }},
	{name: "position", cast: "bigint", use: changed, value: func(_ *DB, r *domain.Registration, _ encoded) any { return r.Position },
		dest: func(s *regScan) any { return &s.r.Position }},
}

// The columns PostgreSQL's numbering statements compute rather than bind (counter.go).
const (
	colNumber     = "number"
	colIdentifier = "identifier"
)

// columnUse says what happens to a column after the insert.
type columnUse int

const (
	fixed   columnUse = iota // never changes: the guard triggers refuse an UPDATE
	changed                  // written again by every stored change (storeChange)
	aside                    // written once and no longer read (see dossiers)
)

// regColumn is one column of the registrations table.
type regColumn struct {
	name string
	// cast is the PostgreSQL type of the column's parameter where an insert binds it in a
	// SELECT or VALUES list, whose parameters have no type of their own; "" is text.
	cast  string
	use   columnUse
	value func(db *DB, r *domain.Registration, e encoded) any // the value bound for r
	dest  func(s *regScan) any                                // where a read scans it
}

// param is the column's placeholder in a PostgreSQL SELECT or VALUES list.
func (c regColumn) param() string {
	if c.cast == "" {
		return "?"
	}
	return "?::" + c.cast
}

// regScan holds a registration row as it is scanned, before its JSON and nullable columns are
// decoded into r.
type regScan struct {
	r                                                        domain.Registration
	seq                                                      int64
	correspondents, document, attachments, dossiers, parties string
	senderRef, offices, textStatus, signatures, interop      sql.NullString
	imageCopy                                                sql.NullString
	annulledBy, annulledByName, reason, authorization        sql.NullString
	annulment                                                domain.Annulment
	annulled                                                 bool
	disposal                                                 domain.DisposalRef
	disposalID, disposalAuth                                 sql.NullString
	disposed                                                 bool
	emergencyOutage, emergencyDate                           sql.NullString
	emergencyNumber                                          sql.NullInt64
}

// columnNames lists the names of cols, comma-separated, each after prefix.
func columnNames(cols []regColumn, prefix string) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = prefix + c.name
	}
	return strings.Join(names, ", ")
}

// registrationInsert is the INSERT INTO … (columns) of a registration, in registrationTable's
// order.
var registrationInsert = `INSERT INTO registrations (` + columnNames(registrationTable, "") + `)`

// registrationInsertValues inserts one registration, binding every column (SQLite's insert).
var registrationInsertValues = registrationInsert + ` VALUES (` +
	strings.Repeat("?, ", len(registrationTable)-1) + `?)`

// boundColumns are registrationTable's columns without number and identifier, which
// PostgreSQL's numbering statements compute from the counter (counter.go).
var boundColumns = columnsWhere(func(c regColumn) bool { return c.name != colNumber && c.name != colIdentifier })

// changedColumns are the columns storeChange writes.
var changedColumns = columnsWhere(func(c regColumn) bool { return c.use == changed })

// columnsWhere returns registrationTable's columns that keep says to keep, in order.
func columnsWhere(keep func(regColumn) bool) []regColumn {
	var out []regColumn
	for _, c := range registrationTable {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// registrationArgs returns r's column values in registrationTable's order.
func (db *DB) registrationArgs(r *domain.Registration, enc encoded) []any {
	args := make([]any, len(registrationTable))
	for i, c := range registrationTable {
		args[i] = c.value(db, r, enc)
	}
	return args
}

// immutableChange names the first fixed column whose value change altered, or returns "". Such
// a change would otherwise be dropped silently; changed columns are written and checked by the
// database.
func (db *DB) immutableChange(before, after *domain.Registration) (string, error) {
	b, err := encode(before)
	if err != nil {
		return "", err
	}
	a, err := encode(after)
	if err != nil {
		return "", err
	}
	for _, c := range registrationTable {
		if c.use == fixed && !reflect.DeepEqual(c.value(db, before, b), c.value(db, after, a)) {
			return c.name, nil
		}
	}
	return "", nil
}

func annulmentValue(field func(*domain.Annulment) string) func(*DB, *domain.Registration, encoded) any {
	return func(_ *DB, r *domain.Registration, _ encoded) any {
		if r.Annulment == nil {
			return nil
		}
		return field(r.Annulment)
	}
}

// emergencyValue binds a field of a registration's emergency entry, NULL for a registration
// that is not one.
func emergencyValue(field func(*domain.Emergency) any) func(*DB, *domain.Registration, encoded) any {
	return func(_ *DB, r *domain.Registration, _ encoded) any {
		if r.Emergency == nil {
			return nil
		}
		return field(r.Emergency)
	}
}

// nullText scans an optional text column, NULL as "".
type nullText struct{ s *string }

func (n nullText) Scan(src any) error {
	var v sql.NullString
	err := v.Scan(src)
	*n.s = v.String
	return err
}

// nullIfEmpty binds "" as NULL, for optional text columns.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
