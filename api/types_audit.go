package api

import (
	"time"

	"github.com/sportello/sportello/domain"
)

// AuditEvent is one event of the audit trail. `old` and `new` are the JSON values of a field
// change as stored, byte for byte, so that the event's hash recomputes (docs/audit.md).
type AuditEvent struct {
	// Kind is "audit_event" on the lines of an NDJSON export, absent otherwise.
	Kind          string    `json:"kind,omitempty"`
	Seq           int64     `json:"seq" example:"42"`
	ID            int64     `json:"id"`
	At            time.Time `json:"at" format:"date-time"`
	Actor         string    `json:"actor"`
	Person        string    `json:"person"`
	ActorName     string    `json:"actor_name"`
	Action        string    `json:"action" example:"registration.read"`
	ObjectKind    string    `json:"object_kind" example:"registration"`
	ObjectID      string    `json:"object_id"`
	Field         string    `json:"field"`
	Old           string    `json:"old"`
	New           string    `json:"new"`
	Detail        string    `json:"detail"`
	RequestID     string    `json:"request_id"`
	ClientAddress string    `json:"client_address"`
	PrevHash      string    `json:"prev_hash"`
	Hash          string    `json:"hash"`
}

// AuditPage is a page of the audit trail.
type AuditPage struct {
	Items      []AuditEvent `json:"items"`
	NextCursor string       `json:"next_cursor"`
}

// AuditHead is the head of the audit chain: the last event's seq and hash; events before
// chained_from were written before the chain began and carry no hash.
type AuditHead struct {
	Seq         int64  `json:"seq"`
	Hash        string `json:"hash"`
	ChainedFrom int64  `json:"chained_from"`
}

// AuditAnchor is a transparency-log leaf that logged a head of the audit chain (kind
// audit_head), with its inclusion proof in the tree of the checkpoint.
type AuditAnchor struct {
	Seq        int64      `json:"seq"`
	Hash       string     `json:"hash"`
	Index      uint64     `json:"index"`
	Leaf       string     `json:"leaf"` // the leaf's canonical JSON
	Proof      [][]byte   `json:"proof" swaggertype:"array,string" format:"byte"`
	Checkpoint Checkpoint `json:"checkpoint"`
}

// AuditExportHeader is the first line of an NDJSON export of the audit chain.
type AuditExportHeader struct {
	Kind    string        `json:"kind" example:"audit_export"`
	V       int           `json:"v"`
	Head    AuditHead     `json:"head"`
	Anchors []AuditAnchor `json:"anchors"`
}

func toAuditEvent(e domain.AuditEvent) AuditEvent {
	return AuditEvent{Seq: e.Seq, ID: e.ID, At: utc(e.At), Actor: e.Actor, Person: e.Person, ActorName: e.ActorName,
		Action: e.Action, ObjectKind: e.EntityKind, ObjectID: e.EntityID, Field: e.Field, Old: string(e.Old),
		New: string(e.New), Detail: e.Detail, RequestID: e.RequestID, ClientAddress: e.ClientAddress,
		PrevHash: e.PrevHash, Hash: e.Hash}
}
