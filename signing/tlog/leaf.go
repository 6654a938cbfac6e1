// Package tlog is Sportello's transparency log: an RFC 6962 Merkle tree in which every legal
// fact of the register — a registration, an annulment, later a daily journal or an archive
// package — is one leaf, appended in commit order by a single Sequencer that follows the change
// feed. Signed, time-stamped checkpoints commit to the tree's size and root; inclusion proofs
// show that a registration is in the tree, consistency proofs that a later tree extends an
// earlier one, so nobody — the administration included — can rewrite the register unseen.
//
// The leaf and checkpoint formats are specified in docs/transparency-log.md; the verification
// functions (VerifyInclusion, VerifyConsistency, VerifyCheckpoint) need no database.
package tlog

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/sportello/sportello/domain"
)

// Leaf kinds. Each is a distinct fact, logged at most once per entity.
const (
	KindRegistration = "registration"
	KindAnnulment    = "annulment"
	// KindJournal is the daily register journal (JournalLeaf: the digests of its JSON and
	// signed PDF); KindPackage an archive package (PackageLeaf: the digests of its zip and index).
	KindJournal = "journal"
	KindPackage = "package"
)

// LeafVersion is the version of the leaf encoding, written in every leaf as "v". A change of
// fields or rules takes a new version; leaves already logged keep theirs forever. A registration
// with a received_on has a version 2 leaf, one with a correspondent's IPA codes or digital address
// a version 3 leaf, one loaded from the emergency register a version 4 leaf (see RegistrationLeaf).
const LeafVersion = 1

// timeFormat is how leaves write instants: RFC 3339 in UTC with exactly six fractional digits,
// the precision the database keeps, so that a time read back encodes to the same bytes.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// RegistrationLeaf returns the canonical leaf of a registration (version 1): canonical JSON
// (see canonicalJSON) of the object
//
//	{"attachments":   [sha256 hex of each attachment, in order],
//	 "channel":       channel,
//	 "correspondents":[{"address","email","name","role","tax_code","type"}, in order; "" when absent],
//	 "created_by":    principal id,
//	 "date":          "YYYY-MM-DD",
//	 "direction":     direction,
//	 "document":      sha256 hex of the primary document,
//	 "identifier":    identifier,
//	 "kind":          "registration",
//	 "number":        number,
//	 "register":      register code,
//	 "registered_at": RFC 3339 UTC with six fractional digits,
//	 "sender_reference": {"date","number"} or null,
//	 "subject_sha256": sha256 hex of the subject's UTF-8 bytes,
//	 "v":             1,
//	 "year":          year}
//
// Version 2 adds "received_on" (YYYY-MM-DD), the date a paper document reached the office; it is
// written only for a registration that has one, so that every other registration's leaf stays
// the version 1 leaf, byte for byte, and the leaves logged before version 2 still verify.
//
// Version 3 adds to a correspondent the keys "aoo_code", "digital_address", "ipa_code" and
// "uo_code", each only when set, for a registration with at least one of them; such a leaf is
// version 3 whether or not it has a received_on. Every other leaf stays as it was.
//
// Version 4 adds "emergency": {"date","number","register"} — the emergency date, the emergency
// number and the outage (emergency register) of a registration loaded from the emergency
// register (art. 63); only for such a registration, whatever else it has. Every other leaf stays
// as it was.
//
// Version 5 adds "in_reply_to": the identifier of the incoming registration an outgoing one
// answers; only for such a registration, whatever else it has. Every other leaf stays as it
// was.
//
// Version 6 adds "image_copy": {"attested_by","attested_on"} ("" when not stated) for a
// registration whose document is an image copy of a paper original; only for such a
// registration, whatever else it has. Every other leaf stays as it was.
//
// It holds exactly the immutable facts (docs/compliance.md M1): class, offices and dossiers change
// legitimately and are left out, status is the annulment leaf's business. The subject enters
// as a digest so that a published leaf does not disclose it, yet any change to it shows. The
// signatures found on the files (Registration.Signatures) are left out too: they are a check
// of the content made after the registration, which other trust anchors may revise, not a fact
// of it; the files' digests, which are in the leaf, fix what was checked.
func RegistrationLeaf(r *domain.Registration) ([]byte, error) {
	atts := make([]any, len(r.Attachments))
	for i, a := range r.Attachments {
		atts[i] = a.SHA256
	}
	cs := make([]any, len(r.Correspondents))
	administrationCodes := false
	for i, c := range r.Correspondents {
		m := map[string]any{"address": c.Address, "email": c.Email, "name": c.Name, "role": c.Role,
			"tax_code": c.TaxCode, "type": c.Type}
		for key, value := range map[string]string{"aoo_code": c.AOOCode, "digital_address": c.DigitalAddress,
			"ipa_code": c.IPACode, "uo_code": c.UOCode} {
			if value != "" {
				m[key], administrationCodes = value, true
			}
		}
		cs[i] = m
	}
	var ref any
	if r.SenderReference != nil {
		ref = map[string]any{"date": r.SenderReference.Date, "number": r.SenderReference.Number}
	}
	subject := sha256.Sum256([]byte(r.Subject))
	leaf := map[string]any{
		"attachments": atts, "channel": string(r.Channel), "correspondents": cs, "created_by": r.CreatedBy,
		"date": r.Date, "direction": string(r.Direction), "document": r.Document.SHA256,
		"identifier": r.Identifier, "kind": KindRegistration, "number": r.Number, "register": r.Register,
		"registered_at": r.RegisteredAt.UTC().Format(timeFormat), "sender_reference": ref,
		"subject_sha256": hex.EncodeToString(subject[:]), "v": LeafVersion, "year": r.Year,
	}
	if r.ReceivedOn != "" {
		leaf["received_on"], leaf["v"] = r.ReceivedOn, 2
	}
	if administrationCodes {
		leaf["v"] = 3
	}
	if e := r.Emergency; e != nil {
		leaf["emergency"] = map[string]any{"date": e.Date, "number": e.Number, "register": e.Register}
		leaf["v"] = 4
	}
	if r.InReplyTo != "" {
		leaf["in_reply_to"], leaf["v"] = r.InReplyTo, 5
	}
	if ic := r.ImageCopy; ic != nil {
		leaf["image_copy"] = map[string]any{"attested_by": ic.AttestedBy, "attested_on": ic.AttestedOn}
		leaf["v"] = 6
	}
	b, err := canonicalJSON(leaf)
	if err != nil {
		return nil, fmt.Errorf("registration leaf of %s: %w", r.Identifier, err)
	}
	return b, nil
}

// AnnulmentLeaf returns the canonical leaf of a registration's annulment (version 1):
// canonical JSON of
//
//	{"annulled_at": RFC 3339 UTC with six fractional digits, "annulled_by": principal id,
//	 "authorization": the authorising act, "identifier": the registration's identifier,
//	 "kind": "annulment", "reason": reason, "v": 1}
//
// Returns an error if r is not annulled.
func AnnulmentLeaf(r *domain.Registration) ([]byte, error) {
	a := r.Annulment
	if a == nil {
		return nil, fmt.Errorf("annulment leaf of %s: the registration is not annulled", r.Identifier)
	}
	b, err := canonicalJSON(map[string]any{
		"annulled_at": a.At.UTC().Format(timeFormat), "annulled_by": a.By, "authorization": a.Authorization,
		"identifier": r.Identifier, "kind": KindAnnulment, "reason": a.Reason, "v": LeafVersion,
	})
	if err != nil {
		return nil, fmt.Errorf("annulment leaf of %s: %w", r.Identifier, err)
	}
	return b, nil
}

// LeafFromJSON recomputes the leaf of kind (KindRegistration or KindAnnulment) from a
// registration as the API returns it: what a citizen or an auditor does to check a receipt.
func LeafFromJSON(kind string, registrationJSON []byte) ([]byte, error) {
	var r domain.Registration
	if err := json.Unmarshal(registrationJSON, &r); err != nil {
		return nil, fmt.Errorf("leaf from JSON: %w", err)
	}
	return leafOf(kind, &r)
}

func leafOf(kind string, r *domain.Registration) ([]byte, error) {
	switch kind {
	case KindRegistration:
		return RegistrationLeaf(r)
	case KindAnnulment:
		return AnnulmentLeaf(r)
	}
	return nil, fmt.Errorf("leaf of kind %q: not a registration fact", kind)
}

// LeafHash is the RFC 6962 leaf hash, SHA-256(0x00 || leaf).
func LeafHash(leaf []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(leaf) }

// formatTime is timeFormat applied, for checkpoints.
func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }
