package domain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// The services in this file use the port AuditTrailStore (ports.go).

// AuditChainVersion names the canonical encoding AuditChainHash hashes (docs/audit.md).
const AuditChainVersion = "sportello-audit-v1"

// AuditChainHash returns the lowercase hex SHA-256 that chains e to the event before it: the
// hash of AuditChainVersion and then, each as a netstring (`<length in bytes, decimal>:<bytes>,`),
// e.Seq in decimal, e.PrevHash, e.At in RFC 3339 UTC with six fractional digits, Actor, Person,
// ActorName, Action, EntityKind, EntityID, Field, Old, New (the JSON as stored, empty when
// absent), Detail, RequestID and ClientAddress. A netstring names its length, so no two events
// encode alike; e.ID, assigned by the database, is not hashed: Seq is the event's place.
func AuditChainHash(e AuditEvent) string {
	h := sha256.New()
	h.Write([]byte(AuditChainVersion))
	for _, f := range []string{
		strconv.FormatInt(e.Seq, 10), e.PrevHash, AuditTime(e.At), e.Actor, e.Person, e.ActorName,
		e.Action, e.EntityKind, e.EntityID, e.Field, string(e.Old), string(e.New), e.Detail,
		e.RequestID, e.ClientAddress,
	} {
		fmt.Fprintf(h, "%d:%s,", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditTime is how an event's time is hashed: RFC 3339 in UTC, six fractional digits, the
// precision both databases keep.
func AuditTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
}

// AuditHead is the chain's head: the last event's Seq and Hash. Events before ChainedFrom were
// written before the chain existed (schema version 35) and carry no hash.
type AuditHead struct {
	Seq         int64  `json:"seq"`
	Hash        string `json:"hash"`
	ChainedFrom int64  `json:"chained_from"`
}

// AuditChecker checks a chain read in seq order, one event at a time, and names the first
// event that breaks it. The zero value expects the chain to begin at seq 1 with chained events.
type AuditChecker struct {
	// ChainedFrom is the first seq that carries a hash (AuditHead.ChainedFrom); 0 means 1.
	ChainedFrom int64
	// Checked counts the events checked; Legacy those before ChainedFrom, not chained.
	Checked, Legacy int64

	next int64
	prev string
}

// Add checks the next event: that its seq follows the previous one's (a missing seq is a
// deleted event), that its prev_hash is the previous event's hash, and that its hash is
// AuditChainHash of its fields. The error names the event.
func (c *AuditChecker) Add(e AuditEvent) error {
	if c.next == 0 {
		c.next = 1
	}
	from := max(c.ChainedFrom, 1)
	switch {
	case e.Seq > c.next:
		return fmt.Errorf("audit event seq %d missing (deleted?): the next event present is seq %d (id %d)", c.next, e.Seq, e.ID)
	case e.Seq < c.next:
		return fmt.Errorf("audit event seq %d (id %d) is out of order or repeated: expected seq %d", e.Seq, e.ID, c.next)
	}
	c.next++
	c.Checked++
	if e.Seq < from {
		c.Legacy++
		return nil
	}
	if e.PrevHash != c.prev {
		return fmt.Errorf("audit event seq %d (id %d): prev_hash %q is not the hash of seq %d (%q): an event before it was altered or removed",
			e.Seq, e.ID, e.PrevHash, e.Seq-1, c.prev)
	}
	if got := AuditChainHash(e); got != e.Hash {
		return fmt.Errorf("audit event seq %d (id %d) altered: its fields hash to %s, it records %s", e.Seq, e.ID, got, e.Hash)
	}
	c.prev = e.Hash
	return nil
}

// Head is the seq and hash of the last event checked.
func (c *AuditChecker) Head() (int64, string) { return c.next - 1, c.prev }

// AuditFilter selects audit events. Zero fields do not filter; From and To are inclusive.
// Events come in seq order, a page after Cursor.
type AuditFilter struct {
	Actor, Person, Action string
	EntityKind, EntityID  string
	From, To              *time.Time
	Cursor                string
	Limit                 int
}

// LeafKindAuditHead is the kind of the transparency-log leaf that logs a head of the audit
// chain at a checkpoint (signing/tlog.AuditHeadLeaf); its entity id is the head's seq.
const LeafKindAuditHead = "audit_head"

// AuditAnchors returns the leaves that logged the chain's heads, for a records officer.
// Returns forbidden.
func (s *Service) AuditAnchors(ctx context.Context, p Principal) ([]TLogLeaf, error) {
	if err := p.require("reading the audit trail", RoleRecordsOfficer); err != nil {
		return nil, err
	}
	return s.Store.AuditAnchors(ctx)
}

// AuditTrail lists audit events for a records officer. Returns forbidden, validation_failed.
func (s *Service) AuditTrail(ctx context.Context, p Principal, f AuditFilter) (Page[AuditEvent], error) {
	if err := p.require("reading the audit trail", RoleRecordsOfficer); err != nil {
		return Page[AuditEvent]{}, err
	}
	var v Validation
	if f.Limit < 0 || f.Limit > MaxLimit {
		v.Add("limit", "must be between 1 and %d", MaxLimit)
	}
	if f.EntityID != "" && f.EntityKind == "" {
		v.Add("object_id", "needs object_kind")
	}
	if f.From != nil && f.To != nil && f.To.Before(*f.From) {
		v.Add("to", "is before from")
	}
	if err := v.Err(); err != nil {
		return Page[AuditEvent]{}, err
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	return s.Store.AuditTrail(ctx, f)
}

// AuditExport calls fn with every event f selects, in seq order, page by page, for a records
// officer; f.Cursor and f.Limit are ignored. Returns forbidden, validation_failed, or fn's error.
func (s *Service) AuditExport(ctx context.Context, p Principal, f AuditFilter, fn func(AuditEvent) error) error {
	f.Cursor, f.Limit = "", MaxLimit
	for {
		page, err := s.AuditTrail(ctx, p, f)
		if err != nil {
			return err
		}
		for _, e := range page.Items {
			if err := fn(e); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		f.Cursor = page.NextCursor
	}
}

// AuditChainHead returns the chain's head, for a records officer. Returns forbidden.
func (s *Service) AuditChainHead(ctx context.Context, p Principal) (AuditHead, error) {
	if err := p.require("reading the audit trail", RoleRecordsOfficer); err != nil {
		return AuditHead{}, err
	}
	return s.Store.AuditChainHead(ctx)
}

// AuditRecorder takes the audit events that no write carries — reads of confidential records,
// downloads, refused requests — and makes them durable soon (AuditBuffer: within a second).
type AuditRecorder interface {
	Record(e AuditEvent)
}

// Audit actions of events that no write carries.
const (
	ActionRead       = "read"
	ActionDownload   = "download"
	ActionRefused401 = "refused.unauthorized"
	ActionRefused403 = "refused.forbidden"
)

// recordAccess records that p read (ActionRead) or downloaded (ActionDownload) an entity.
func (s *Service) recordAccess(p Principal, action, kind, id, detail string) {
	if s.Reads == nil {
		return
	}
	e := audit(p, s.now(), kind+"."+action, kind, id)
	e.Detail = detail
	s.Reads.Record(e)
}

// RecordRefusal records a request refused for want of authentication (401) or authorisation
// (403): forbidden tells which. route is the method and path asked for.
func (s *Service) RecordRefusal(p Principal, forbidden bool, route, reason string) {
	if s.Reads == nil {
		return
	}
	action := ActionRefused401
	if forbidden {
		action = ActionRefused403
	}
	e := audit(p, s.now(), action, "request", route)
	e.Detail = reason
	s.Reads.Record(e)
}

// ReadRegistration is Registration for a caller who reads it through the API: the read of a
// confidential registration is an audit event. Returns not_found.
func (s *Service) ReadRegistration(ctx context.Context, p Principal, ref Ref) (*Registration, error) {
	r, err := s.Registration(ctx, p, ref)
	if err == nil && r.Confidential {
		s.recordAccess(p, ActionRead, KindRegistration, r.ID, r.Identifier)
	}
	return r, err
}

// Shown is a record a list, a search, a history or a dossier showed: Kind KindRegistration or
// KindDocument, its id, and the identifier an audit event's detail names it by.
type Shown struct {
	Kind, ID, Identifier string
	Confidential         bool
}

// How a confidential record was shown, in the detail of its read event after its identifier.
const (
	ShownInList    = "in a list"
	ShownInSearch  = "in search results"
	ShownInHistory = "its history"
)

// RecordShown records a read (ActionRead) of each confidential record among shown, which p was
// shown as how says (ShownInList, ShownInSearch, ShownInHistory, "in dossier …"): one event per
// record, whose object is the record, so that GET /v1/audit?object= finds it like the read of
// the record alone. Nothing is recorded for records that are not confidential: a page without
// any costs nothing but the loop.
func (s *Service) RecordShown(p Principal, how string, shown ...Shown) {
	if s.Reads == nil {
		return
	}
	for _, r := range shown {
		if r.Confidential {
			s.recordAccess(p, ActionRead, r.Kind, r.ID, r.Identifier+" ("+how+")")
		}
	}
}

// recordRegistrationsShown is RecordShown for registrations.
func (s *Service) recordRegistrationsShown(p Principal, how string, rs ...*Registration) {
	for _, r := range rs {
		if r != nil && r.Confidential {
			s.RecordShown(p, how, Shown{Kind: KindRegistration, ID: r.ID, Identifier: r.Identifier, Confidential: true})
		}
	}
}

// ViewDossier is d.View for p, the dossier as a caller is shown it: the confidential
// registrations and documents in its index are reads (RecordShown, "in dossier <identifier>").
func (s *Service) ViewDossier(p Principal, d *Dossier) DossierView {
	v := d.View(p, s.location())
	how := "in dossier " + d.Identifier
	for _, it := range v.Index {
		switch {
		case it.Document != nil && it.Document.Confidential:
			s.RecordShown(p, how, Shown{Kind: KindDocument, ID: it.Document.ID, Identifier: it.Document.ID, Confidential: true})
		case it.Registration != nil:
			s.recordRegistrationsShown(p, how, it.Registration)
		}
	}
	return v
}
