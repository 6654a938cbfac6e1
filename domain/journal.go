package domain

import (
	"context"
	"time"
)

// The daily journal (registro giornaliero di protocollo, docs/compliance.md D1) is the list of one
// register's registrations of one protocol date, produced once after that day is over, signed,
// time-stamped, stored immutably and logged in the transparency log. Package journal builds and
// seals it; JournalStore keeps its record.

// KindJournal is the entity kind of a journal in the change feed and the transparency log.
const KindJournal = "journal"

// EventJournalCreated is the change-feed event appended in the same transaction as a journal,
// from which the log sequencer takes the journal's leaf.
const EventJournalCreated = "journal.created"

// Journal is the stored record of one daily journal. Its JSON and PDF bytes are in the blob
// store under their SHA-256; the row, like the bytes, never changes.
type Journal struct {
	Register      string    `json:"register"`
	Date          string    `json:"date"`
	Registrations int       `json:"registrations"`
	JSONSHA256    string    `json:"json_sha256"`
	PDFSHA256     string    `json:"pdf_sha256"`
	CreatedAt     time.Time `json:"created_at"`
}

// EntityID is the journal's id in the change feed and the log: "<register>/<date>", unique
// because there is one journal per register and day.
func (j Journal) EntityID() string { return JournalEntityID(j.Register, j.Date) }

// JournalEntityID is Journal.EntityID without a Journal.
func JournalEntityID(register, date string) string { return register + "/" + date }

// JournalDay is a register's protocol date that has registrations.
type JournalDay struct {
	Register string
	Date     string
}

// JournalStore is the persistence port of daily journals.
type JournalStore interface {
	// MissingJournalDays lists, oldest first, the (register, date) pairs with at least one
	// registration, a date before before ("YYYY-MM-DD"), and no journal yet.
	MissingJournalDays(ctx context.Context, before string) ([]JournalDay, error)
	// DayRegistrations returns a register's registrations of one protocol date by number.
	DayRegistrations(ctx context.Context, register, date string) ([]*Registration, error)
	// Audit returns an entity's audit events in the order they were recorded; the journal
	// takes from a registration's the class and offices it had when its day ended.
	Audit(ctx context.Context, entityKind, entityID string) ([]AuditEvent, error)
	// CreateJournal stores j and a journal.created change event in one transaction. Returns
	// ECConflict if the register already has a journal of that date.
	CreateJournal(ctx context.Context, j Journal) error
	// Journal returns one journal (ECNotFound).
	Journal(ctx context.Context, register, date string) (Journal, error)
	// JournalByEntityID returns the journal with this EntityID (ECNotFound).
	JournalByEntityID(ctx context.Context, id string) (Journal, error)
	// Journals lists a register's journals with from <= date <= to, oldest first; empty bounds
	// do not limit.
	Journals(ctx context.Context, register, from, to string) ([]Journal, error)
}
