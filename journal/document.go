// Package journal produces the daily journal (registro giornaliero di protocollo, docs/compliance.md
// D1): for every register and every protocol date with registrations, once the day is over, the
// ordered list of that day's registrations as canonical JSON and as a PDF sealed PAdES B-T,
// both stored immutably in the blob store, recorded in the journals table and logged in the
// transparency log (a leaf of kind journal, see docs/transparency-log.md).
//
// A journal is what the register was that day. Its content depends only on the registrations
// of the day and on the annulments made before the day ended, never on when it is produced, so
// a journal back-filled after days of downtime has the same JSON as one produced a minute
// after midnight, and annulments made later are not written into it: they are facts of their
// own day, logged as annulment leaves.
package journal

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing"
	"github.com/sportello/sportello/signing/tlog"
)

// Version is the version of the journal's JSON document, written in it as "v" (see Build).
// Journals written before version 5 keep the version they were written in: they are stored
// immutably and checked by their digests, never rebuilt.
const Version = 5

// Confidential is what a journal shows instead of a confidential registration's subject.
const Confidential = "riservato"

// timeFormat writes instants as the log's leaves do: RFC 3339 UTC, six fractional digits.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// Document is a journal built from a day's registrations: its canonical JSON, that JSON's
// digest, and what the PDF shows.
type Document struct {
	JSON       []byte
	JSONSHA256 string
	Content    signing.JournalContent
}

// Build returns the journal of register's registrations rs of protocol date, reckoned in loc;
// rs must be that day's registrations in number order. The JSON is canonical (the leaf rules
// of docs/transparency-log.md) and holds
//
//	{"count": len(rs), "date": date, "kind": "journal", "register": register,
//	 "registrations": [{"annulment": null or {"at","authorization","reason"},
//	   "correspondents": [names, in order], "direction", "document": sha256 hex,
//	   "identifier", "number", "registered_at": RFC 3339 UTC, "status": "active" or "annulled",
//	   "subject"}, …],
//	 "timezone": loc's name, "v": 1}
//
// Version 2 adds "received_on" to a registration that has one (the date a paper document
// reached the office); a day without any is written as version 1. Version 3 adds "emergency":
// {"date","number","register"} to a registration loaded from the emergency register (art. 63:
// its emergency date and number and the outage), whether or not the day has a received_on.
// Version 4 adds "image_copy": {"attested_by","attested_on"} ("" when not stated) to a
// registration whose document is an image copy of a paper original, whatever else the day has.
// Up to version 4, a day was written in the highest version one of its registrations needed.
//
// Version 5, in which every journal is now written, lists for every registration what it was
// registered with and filed under: "sender_reference" (null or {"date","number"}, the sender's
// own protocol reference as given), "attachments" ([{"filename","sha256"}, …] in order, [] for
// none: their count and each digest), "class" (the voce di titolario, "" for none) and
// "offices" (the UOR codes, [] for none). Class and offices are those the registration had
// when the day ended (AsAtEndOfDay): later reclassifications are facts of their own day, in
// the registration's history.
//
// The subject of a registration that is confidential when the journal is written is
// Confidential ("riservato"), never the subject itself, in the JSON and in the PDF alike: the
// journal is a public record of the register, and confidentiality can be set after the day
// (ChangeConfidentiality), so Build masks by the registration's value when it runs rather than
// rewinding it to the end of the day, which would publish a subject protected since.
//
// A registration counts as annulled only if it was annulled before the day ended in loc.
func Build(aoo, register, date string, loc *time.Location, rs []*domain.Registration) (Document, error) {
	day, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return Document{}, fmt.Errorf("journal of %s: date %q: %w", register, date, err)
	}
	end := day.AddDate(0, 0, 1) // midnight in loc, whatever daylight saving does that day
	items := make([]any, 0, len(rs))
	version := Version // every journal is written in the current version
	entries := make([]signing.JournalEntry, 0, len(rs))
	for _, r := range rs {
		if r.Register != register || r.Date != date {
			return Document{}, fmt.Errorf("journal of %s on %s: registration %s is of %s on %s",
				register, date, r.Identifier, r.Register, r.Date)
		}
		names := make([]any, len(r.Correspondents))
		shown := make([]string, len(r.Correspondents))
		for i, c := range r.Correspondents {
			names[i], shown[i] = c.Name, c.Name
		}
		status, annulment := string(domain.StatusActive), any(nil)
		subject := r.Subject
		if r.Confidential {
			subject = Confidential
		}
		e := signing.JournalEntry{Identifier: r.Identifier, Number: domain.FormatNumber(r.Number),
			RegisteredAt: r.RegisteredAt, Direction: string(r.Direction), Subject: subject,
			Correspondents: shown, DocumentSHA256: r.Document.SHA256}
		if a := r.Annulment; a != nil && a.At.Before(end) {
			status = string(domain.StatusAnnulled)
			annulment = map[string]any{"at": a.At.UTC().Format(timeFormat), "authorization": a.Authorization, "reason": a.Reason}
			e.Annulment = &signing.JournalAnnulment{At: a.At, Authorization: a.Authorization, Reason: a.Reason}
		}
		attachments := make([]any, len(r.Attachments))
		for i, a := range r.Attachments {
			attachments[i] = map[string]any{"filename": a.Filename, "sha256": a.SHA256}
			e.Attachments = append(e.Attachments, signing.ReceiptFile{Filename: a.Filename, SHA256: a.SHA256})
		}
		offices := make([]any, len(r.Offices))
		for i, o := range r.Offices {
			offices[i] = o
		}
		e.Class, e.Offices = r.Class, r.Offices
		sender := any(nil)
		if ref := r.SenderReference; ref != nil {
			sender = map[string]any{"date": ref.Date, "number": ref.Number}
			e.SenderNumber, e.SenderDate = ref.Number, ref.Date
		}
		item := map[string]any{
			"annulment": annulment, "attachments": attachments, "class": r.Class, "correspondents": names,
			"direction": string(r.Direction), "document": r.Document.SHA256, "identifier": r.Identifier,
			"number": r.Number, "offices": offices, "registered_at": r.RegisteredAt.UTC().Format(timeFormat),
			"sender_reference": sender, "status": status, "subject": subject,
		}
		if r.ReceivedOn != "" {
			item["received_on"] = r.ReceivedOn
		}
		if em := r.Emergency; em != nil {
			item["emergency"] = map[string]any{"date": em.Date, "number": em.Number, "register": em.Register}
			e.Emergency = fmt.Sprintf("%d del %s", em.Number, em.Date)
		}
		if ic := r.ImageCopy; ic != nil {
			item["image_copy"] = map[string]any{"attested_by": ic.AttestedBy, "attested_on": ic.AttestedOn}
			switch {
			case ic.AttestedBy == "":
				e.ImageCopy = "non attestata"
			case ic.AttestedOn == "":
				e.ImageCopy = "attestata da " + ic.AttestedBy
			default:
				e.ImageCopy = fmt.Sprintf("attestata da %s il %s", ic.AttestedBy, ic.AttestedOn)
			}
		}
		items = append(items, item)
		entries = append(entries, e)
	}
	js, err := tlog.CanonicalJSON(map[string]any{
		"count": len(rs), "date": date, "kind": domain.KindJournal, "register": register,
		"registrations": items, "timezone": loc.String(), "v": version,
	})
	if err != nil {
		return Document{}, fmt.Errorf("journal of %s on %s: %w", register, date, err)
	}
	sum := sha256.Sum256(js)
	digest := hex.EncodeToString(sum[:])
	return Document{JSON: js, JSONSHA256: digest, Content: signing.JournalContent{
		AOO: aoo, Register: register, Date: date, Location: loc, Entries: entries, JSON: js, JSONSHA256: digest,
	}}, nil
}
