package domain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Server-side imports (POST /v1/imports, docs/import.md): an importer uploads a zip holding a
// manifest and the files it names; a job on the queue registers its rows in manifest order,
// each under the import's creator and with the idempotency key the import tool would give it,
// recording every row's outcome as it goes, so that the job survives restarts.

// The services in this file use the ports ImportStore, ClientStore and IdempotencyStore
// (ports.go).

// KindImport names imports in audit events and idempotency records.
const KindImport = "import"

// States of an import.
const (
	ImportQueued    = "queued"
	ImportRunning   = "running"
	ImportDone      = "done"
	ImportFailed    = "failed"
	ImportCancelled = "cancelled"
)

// States of an import's row.
const (
	RowPending = "pending"
	RowDone    = "done"
	RowFailed  = "failed"
)

// MaxImportFailures is how many failed rows an import lists; RowsFailed counts them all.
const MaxImportFailures = 1000

// Import is one server-side import: the uploaded archive (in the blob store), its state, and
// the count of its rows by state. RowsTotal is known once the job has read the manifest.
type Import struct {
	ID         string
	State      string
	Filename   string
	SHA256     string
	Size       int64
	RowsTotal  *int
	RowsDone   int
	RowsFailed int
	// Error says why the import failed as a whole (an archive the job could not read).
	Error      string
	CreatedBy  string
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
	// Failures are the first MaxImportFailures failed rows, in manifest order (filled by
	// Service.Import).
	Failures []ImportRow
}

// RowsPending is how many rows are neither done nor failed (0 before the manifest is read).
func (im *Import) RowsPending() int {
	if im.RowsTotal == nil {
		return 0
	}
	return *im.RowsTotal - im.RowsDone - im.RowsFailed
}

// Finished reports whether the import has ended (done, failed or cancelled).
func (im *Import) Finished() bool {
	return im.State == ImportDone || im.State == ImportFailed || im.State == ImportCancelled
}

// ImportRow is one row of an import's manifest: its index N (0-based, manifest order), its line
// in the manifest, its state, and its registration (done) or the reason it failed.
type ImportRow struct {
	N              int
	Line           int
	State          string
	RegistrationID string
	Reason         string
}

// NewImport is an uploaded archive, already in the blob store and checked by the caller.
type NewImport struct {
	Filename string
	SHA256   string
	Size     int64
}

// importing lists the roles that may import: those who register directly.
var importing = registering

// MayImport returns forbidden unless p may start an import, so that an upload is refused
// before it is read.
func MayImport(p Principal) error { return p.require("importing", importing...) }

// CreateImport records an import of the archive in and queues its job, in one transaction. A
// retry with the same idempotency key returns the first import. Returns forbidden.
func (s *Service) CreateImport(ctx context.Context, p Principal, in NewImport, idem Idempotency) (*Import, bool, error) {
	if err := MayImport(p); err != nil {
		return nil, false, err
	}
	return idempotent(ctx, s, p, idem, KindImport, s.Store.Import, func() (*Import, error) {
		now := s.now()
		im := &Import{ID: NewID(), State: ImportQueued, Filename: in.Filename, SHA256: in.SHA256, Size: in.Size,
			CreatedBy: p.ID, CreatedAt: now.UTC()}
		w := Write{
			Audit:       []AuditEvent{audit(p, now, "import.created", KindImport, im.ID)},
			Idempotency: idem.record(p, KindImport, im.ID, now),
		}
		if err := s.Store.CreateImport(ctx, im, w); err != nil {
			return nil, err
		}
		return im, nil
	})
}

// mayAccessImport returns not_found unless p created the import or is an admin.
func mayAccessImport(p Principal, im *Import) error {
	if im.CreatedBy != p.ID && !p.Has(RoleAdmin) {
		return Errorf(ECNotFound, "import %s not found", im.ID)
	}
	return nil
}

// Import returns an import its creator or an admin may see, with its first failed rows.
// Returns not_found.
func (s *Service) Import(ctx context.Context, p Principal, id string) (*Import, error) {
	im, err := s.Store.Import(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := mayAccessImport(p, im); err != nil {
		return nil, err
	}
	if im.Failures, err = s.Store.ImportRows(ctx, id, RowFailed, MaxImportFailures); err != nil {
		return nil, err
	}
	return im, nil
}

// Imports lists the imports p created, newest first, or every import for an admin.
func (s *Service) Imports(ctx context.Context, p Principal, limit int) ([]Import, error) {
	if err := p.require("listing imports", append([]Role{RoleAdmin}, importing...)...); err != nil {
		return nil, err
	}
	by := p.ID
	if p.Has(RoleAdmin) {
		by = ""
	}
	return s.Store.Imports(ctx, by, limit)
}

// CancelImport stops an import: its job stops after the row in progress. Rows already
// registered stay registered. Returns not_found, conflict (the import has ended).
func (s *Service) CancelImport(ctx context.Context, p Principal, id string) (*Import, error) {
	im, err := s.Store.Import(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := mayAccessImport(p, im); err != nil {
		return nil, err
	}
	now := s.now()
	if err := s.Store.EndImport(ctx, id, ImportCancelled, "", now, Write{
		Audit: []AuditEvent{audit(p, now, "import.cancelled", KindImport, id)},
	}); err != nil {
		return nil, err
	}
	return s.Import(ctx, p, id)
}

// ImportPrincipal is the principal an import's rows are registered under: its creator as
// stored now (a client whose roles were taken away registers nothing more).
func (s *Service) ImportPrincipal(ctx context.Context, im *Import) (Principal, error) {
	c, err := s.Store.Client(ctx, im.CreatedBy)
	if err != nil {
		return Principal{}, fmt.Errorf("the creator of import %s: %w", im.ID, err)
	}
	return c.Principal(), nil
}

// RegisterImportRow registers one row of an import under p with the row's key (the import
// tool's, importer.Key), so that a row run again after a crash answers the first registration.
// The request hash is derived from the key alone: the same row always hashes alike. A key the
// import tool used already (its hash is the API's fingerprint of the request) is the same row
// too: its registration is answered. Returns what Register returns.
func (s *Service) RegisterImportRow(ctx context.Context, p Principal, in NewRegistration, key string) (*Registration, bool, error) {
	sum := sha256.Sum256([]byte("import-row;" + key))
	r, replayed, err := s.Register(ctx, p, in, Idempotency{Key: key, Hash: hex.EncodeToString(sum[:])})
	if IsCode(err, ECIdempotencyMismatch) {
		rec, rerr := s.Store.Idempotency(ctx, p.ID, key)
		if rerr == nil && rec.Kind == KindRegistration {
			r, err = s.Store.RegistrationByID(ctx, rec.ResourceID)
			return r, err == nil, err
		}
	}
	return r, replayed, err
}

// RowFault reports whether err is the row's own fault — what the domain refuses in its input
// (validation, forbidden, not found, conflict, too large) — rather than the system's (the
// database down), which is worth retrying.
func RowFault(err error) bool {
	switch CodeOf(err) {
	case ECValidation, ECForbidden, ECNotFound, ECConflict, ECImmutable, ECPayloadTooLarge,
		ECUnsupportedMedia, ECIdempotencyMismatch, ECGone:
		return true
	}
	return false
}
