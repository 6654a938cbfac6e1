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

// The services in this file use the ports ImportStore, ClientStore, IdempotencyStore and RegistrationStore (ports.go).

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
	if im.Failures, err = s.Store.ImportRows(ctx, id, RowFailed, -1, MaxImportFailures); err != nil {
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
	r, replayed, err := s.Register(ctx, p, in, importIdempotency(key))
	if IsCode(err, ECIdempotencyMismatch) {
		rec, rerr := s.Store.Idempotency(ctx, p.ID, key)
		if rerr == nil && rec.Kind == KindRegistration {
			r, err = s.Store.RegistrationByID(ctx, rec.ResourceID)
			return r, err == nil, err
		}
	}
	return r, replayed, err
}

// importIdempotency is the idempotency of an import row: its key, and a hash derived from the
// key alone, so that the same row always hashes alike.
func importIdempotency(key string) Idempotency {
	sum := sha256.Sum256([]byte("import-row;" + key))
	return Idempotency{Key: key, Hash: hex.EncodeToString(sum[:])}
}

// ImportRowRegistration is one row of a batch: the registration it asks for and its key.
type ImportRowRegistration struct {
	In  NewRegistration
	Key string
}

// ImportRowResult is what became of one row of a batch: its registration, or the error
// Register would have returned for it.
type ImportRowResult struct {
	Registration *Registration
	Err          error
}

// MaxImportBatch is the most rows RegisterImportRows numbers in one transaction.
const MaxImportBatch = 32

// RegisterImportRows registers rows of one register in order, as RegisterImportRow registers
// each, but the new ones in one transaction that numbers them consecutively in the order given
// (the store's CreateRegistrationBatch): one commit for up to MaxImportBatch rows. A row
// registered already (by its key) is answered; a row the checks refuse fails alone. If the
// batch cannot be written whole (one row's conflict found only by the database), its rows are
// registered again one at a time, in order. The error is for the whole batch (forbidden).
func (s *Service) RegisterImportRows(ctx context.Context, p Principal, rows []ImportRowRegistration) ([]ImportRowResult, error) {
	if err := MayRegister(p); err != nil {
		return nil, err
	}
	out := make([]ImportRowResult, len(rows))
	if len(rows) > MaxImportBatch {
		return nil, Errorf(ECValidation, "a batch holds at most %d rows", MaxImportBatch)
	}
	var fresh []int // rows to register now, in order
	var rs []*Registration
	var ws []Write
	now := s.now()
	alone := len(rows) // the rows from here on are registered one at a time
	for i, row := range rows {
		if s.uploadedMessage(row.In) || row.In.Emergency != nil || row.In.DocumentID != "" ||
			row.In.ImageCopy != nil || row.In.InReplyTo != "" ||
			(len(rs) > 0 && row.In.Register != rs[0].Register) {
			alone = i // not a plain import row of the batch's register: after the batch
			break
		}
		r, w, replay, err := s.importRowRegistration(ctx, p, row, now)
		switch {
		case err != nil && !RowFault(err):
			return nil, err // the system's failure: no row of the batch is registered
		case err != nil:
			out[i].Err = err
		case replay != nil:
			out[i].Registration = replay
		default:
			fresh, rs, ws = append(fresh, i), append(rs, r), append(ws, w)
		}
	}
	if len(rs) > 0 {
		err := s.Store.CreateRegistrationBatch(ctx, rs, ws)
		switch {
		case err == nil:
			for j, i := range fresh {
				out[i].Registration = rs[j]
			}
		case RowFault(err):
			// One row's fault the database found fails the batch: each goes alone, in order.
			var stop error
			for _, i := range fresh {
				stop = s.registerAlone(ctx, p, rows, out, i, stop)
			}
			if stop != nil {
				return nil, stop
			}
		default:
			return nil, err
		}
	}
	var stop error
	for i := alone; i < len(rows); i++ {
		stop = s.registerAlone(ctx, p, rows, out, i, stop)
	}
	return out, nil
}

// registerAlone registers rows[i] by itself into out[i], unless an earlier row stopped on a
// failure of the system (stop), which then is row i's error too: no row is registered after a
// row that could not be, so numbers keep the rows' order. It returns the stop for the next.
func (s *Service) registerAlone(ctx context.Context, p Principal, rows []ImportRowRegistration, out []ImportRowResult, i int, stop error) error {
	if stop != nil {
		out[i].Err = stop
		return stop
	}
	out[i].Registration, _, out[i].Err = s.RegisterImportRow(ctx, p, rows[i].In, rows[i].Key)
	if out[i].Err != nil && !RowFault(out[i].Err) {
		return out[i].Err
	}
	return nil
}

// importRowRegistration checks one plain row of a batch (no uploaded message, emergency entry,
// stored document, image copy or answered registration: those go through Register alone) as
// Register does, and returns the
// registration and write to store, or the registration its key answers, or the row's error.
func (s *Service) importRowRegistration(ctx context.Context, p Principal, row ImportRowRegistration, now time.Time) (*Registration, Write, *Registration, error) {
	in, idem := row.In, importIdempotency(row.Key)
	if err := mayRegisterDirection(p, in); err != nil {
		return nil, Write{}, nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, Write{}, nil, err
	}
	id, err := s.replay(ctx, p, idem, KindRegistration)
	if IsCode(err, ECIdempotencyMismatch) {
		// The import tool's request with the same key (its hash is the API's fingerprint).
		if rec, rerr := s.Store.Idempotency(ctx, p.ID, row.Key); rerr == nil && rec.Kind == KindRegistration {
			id, err = rec.ResourceID, nil
		}
	}
	if err != nil {
		return nil, Write{}, nil, err
	}
	if id != "" {
		r, err := s.Store.RegistrationByID(ctx, id)
		return nil, Write{}, r, err
	}
	if err := s.checkOffices(ctx, in.Offices); err != nil {
		return nil, Write{}, nil, err
	}
	if err := s.checkContent(ctx, append([]File{*in.Document}, in.Attachments...)); err != nil {
		return nil, Write{}, nil, err
	}
	if err := s.checkUnclassified(ctx, in); err != nil {
		return nil, Write{}, nil, err
	}
	if in.Class != "" {
		if err := s.checkClass(ctx, "class", in.Class, now.In(s.Location).Format(time.DateOnly)); err != nil {
			return nil, Write{}, nil, err
		}
	}
	r := newRegistration(p, in, now, s.Location)
	if err := s.nameAnswer(ctx, r); err != nil {
		return nil, Write{}, nil, err
	}
	if r.ReceivedOn > r.Date {
		return nil, Write{}, nil, Invalid("received_on", "is after the protocol date %s", r.Date)
	}
	w := Write{
		Audit:       []AuditEvent{audit(p, now, "registration.created", KindRegistration, r.ID)},
		Idempotency: idem.record(p, KindRegistration, r.ID, now),
		Verify: func(ctx context.Context) error {
			return s.checkContent(ctx, append([]File{r.Document}, r.Attachments...))
		},
	}
	return r, w, nil, nil
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
