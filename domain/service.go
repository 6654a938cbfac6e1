package domain

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
)

// The services in this file use the port IdempotencyStore (ports.go).

// Service carries out every use case: it authorises the principal, applies the rules and runs
// one unit of work through the Store. Handlers call exactly one Service method per request.
type Service struct {
	Store Store
	Blobs BlobStore
	// Now is the clock; tests inject one to cross midnight in Rome.
	Now func() time.Time
	// Location is where the protocol date and the numbering year are reckoned (Europe/Rome).
	Location *time.Location
	// SignPDF seals the final acts of cases; without it, approving or rejecting a case is
	// unavailable.
	SignPDF PDFSigner
	// RenderAct lays out the final acts an office does not upload; without it one must be.
	RenderAct ActRenderer
	// SealSegnatura seals the segnatura of registrations; without it none is produced.
	SealSegnatura SegnaturaSealer
	// WebhookAllow lists the origins webhooks may reach beside public https endpoints.
	WebhookAllow WebhookAllowList
	// Mail are the pieces that read received messages (intake_mail.go).
	Mail MailIntake
	// MailOut sends the dispatches of outgoing registrations; without it none is made.
	MailOut *MailOut
	// Identities checks the bearer tokens of the administration's identity provider (OIDC),
	// which sign staff users in (signin.go); without it only API keys are accepted.
	Identities IdentityVerifier

	// ProcedureApproval says who approves the publication of procedure versions.
	ProcedureApproval ProcedureApproval
	// Catalogue answers word searches of the procedures (GET /v1/procedures?q=); without it
	// such a search is unavailable.
	Catalogue CatalogueIndex

	// Reads records the audit events no write carries (audit.go); nil records none.
	Reads AuditRecorder

	// PackageLimits bound archive packages (packages.go); zero is no bound.
	PackageLimits PackageLimits

	auth      authCache
	registers sync.Map   // code → Register; registers never change once created
	catalogue sync.Mutex // held while Catalogue is checked and rebuilt
}

// NewService returns a Service on the real clock, reckoning dates in loc.
func NewService(store Store, blobs BlobStore, loc *time.Location) *Service {
	return &Service{Store: store, Blobs: blobs, Now: time.Now, Location: loc}
}

// now reads the clock at the precision both databases store (microseconds), so that what a
// write returns is exactly what a later read (or an idempotent replay) returns.
func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// Idempotency identifies a retried request: Key is the client's Idempotency-Key header, Hash a
// fingerprint of the request body. The zero value means no key was sent.
type Idempotency struct {
	Key  string
	Hash string
}

// MaxIdempotencyKey is the longest Idempotency-Key accepted.
const MaxIdempotencyKey = 255

// record returns the record to store with a write, or nil without a key.
func (i Idempotency) record(p Principal, kind, id string, now time.Time) *IdempotencyRecord {
	if i.Key == "" {
		return nil
	}
	return &IdempotencyRecord{PrincipalID: p.ID, Key: i.Key, RequestHash: i.Hash, Kind: kind, ResourceID: id, CreatedAt: now}
}

// replay looks up an earlier request with the same key. It returns the id of the resource it
// produced, "" if there was none, or idempotency_mismatch if the key came with another request.
func (s *Service) replay(ctx context.Context, p Principal, i Idempotency, kind string) (string, error) {
	if i.Key == "" {
		return "", nil
	}
	if len(i.Key) > MaxIdempotencyKey {
		return "", Errorf(ECValidation, "Idempotency-Key is longer than %d characters", MaxIdempotencyKey)
	}
	rec, err := s.Store.Idempotency(ctx, p.ID, i.Key)
	if IsCode(err, ECNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if rec.RequestHash != i.Hash || rec.Kind != kind {
		return "", Errorf(ECIdempotencyMismatch, "Idempotency-Key %q was already used for a different request", i.Key)
	}
	return rec.ResourceID, nil
}

// idempotent runs create unless an earlier request with the same key already did, in which case
// it loads and returns that result with replayed=true. If a concurrent request with the same key
// commits first, create fails with a conflict and the winner's result is returned instead.
func idempotent[T any](ctx context.Context, s *Service, p Principal, i Idempotency, kind string,
	load func(ctx context.Context, id string) (T, error), create func() (T, error)) (result T, replayed bool, err error) {
	id, err := s.replay(ctx, p, i, kind)
	if err != nil || id != "" {
		if err == nil {
			result, err = load(ctx, id)
		}
		return result, err == nil, err
	}
	result, err = create()
	if IsCode(err, ECConflict) && i.Key != "" {
		if id, rerr := s.replay(ctx, p, i, kind); rerr != nil || id != "" {
			if rerr != nil {
				return result, false, rerr
			}
			result, err = load(ctx, id)
			return result, err == nil, err
		}
	}
	return result, false, err
}

// audit builds an audit event by p at now.
func audit(p Principal, now time.Time, action, kind, id string) AuditEvent {
	return AuditEvent{At: now.UTC(), Actor: p.ID, ActorName: p.Name, Person: p.Person, Action: action,
		EntityKind: kind, EntityID: id, RequestID: p.RequestID, ClientAddress: p.Address}
}

// change builds an audit event recording that field went from old to new.
func change(p Principal, now time.Time, kind, id, field string, old, new any) (AuditEvent, error) {
	e := audit(p, now, kind+".changed", kind, id)
	e.Field = field
	var err error
	if e.Old, err = json.Marshal(old); err != nil {
		return e, err
	}
	e.New, err = json.Marshal(new)
	return e, err
}

// NewID returns a new time-ordered unique id (UUIDv7).
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// NewSecret returns n random bytes; it panics only if the system's random source fails.
func NewSecret(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(errors.Join(errors.New("crypto/rand failed"), err))
	}
	return b
}
