package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/tlog"
	"github.com/sportello/sportello/storage"
)

// ErrNoInstallation is returned by OpenExisting when the configuration points at no Sportello
// installation: no data directory, no database file, or a database without schema or AOO.
var ErrNoInstallation = errors.New("no Sportello installation")

// OpenExisting opens the database of an existing installation for reading it, as `sportello
// verify --data` does: unlike Open it creates no directory, file, key or AOO and migrates
// nothing, so that an audit pointed at the wrong place refuses rather than audits a fresh,
// empty — and so perfectly consistent — installation of its own making.
func (m *Main) OpenExisting(ctx context.Context) error {
	cfg := m.Config
	if fi, err := os.Stat(cfg.Data); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w at %s: the data directory does not exist", ErrNoInstallation, cfg.Data)
	}
	file, isSQLite, err := storage.SQLiteFile(cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("database %s: %w", storage.Redacted(cfg.DatabaseURL), err)
	}
	if isSQLite {
		if fi, err := os.Stat(file); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("%w at %s: the database %s does not exist", ErrNoInstallation, cfg.Data, file)
		}
	}
	db, err := storage.Open(ctx, cfg.DatabaseURL, storage.Options{Logger: m.Logger})
	if err != nil {
		return err // storage.Open names the operation and the database
	}
	m.DB = db
	where := storage.Redacted(cfg.DatabaseURL)
	if current, _, err := db.SchemaVersion(ctx); err != nil {
		return fmt.Errorf("database %s: %w", where, err)
	} else if current == 0 {
		return fmt.Errorf("%w in %s: the database has no schema", ErrNoInstallation, where)
	}
	if err := db.CheckSchema(ctx); err != nil {
		return fmt.Errorf("database schema: %w", err)
	}
	if _, err := db.AOO(ctx); domain.IsCode(err, domain.ECNotFound) {
		return fmt.Errorf("%w in %s: the database has no AOO", ErrNoInstallation, where)
	} else if err != nil {
		return fmt.Errorf("database %s: %w", where, err)
	}
	return nil
}

// Audit checks the database against the transparency log (tlog.Log.Audit). `sportello verify
// --data` runs it on a Main opened with OpenExisting; the server runs it periodically on the
// recent leaves (selfAudit).
func (m *Main) Audit(ctx context.Context, opts tlog.AuditOptions) (tlog.AuditReport, error) {
	if m.DB == nil {
		return tlog.AuditReport{}, errors.New("audit: open the database first")
	}
	rep, err := m.auditLog().Audit(ctx, opts)
	if err != nil {
		return rep, fmt.Errorf("audit: %w", err)
	}
	return rep, nil
}

// auditLog reads the log of m.DB, with what Audit needs to recompute leaves and find facts
// never logged.
func (m *Main) auditLog() *tlog.Log {
	return &tlog.Log{Store: m.DB, Registrations: m.DB, Facts: m.DB}
}

// OpenBlobs opens the blob store of an existing installation, after OpenExisting, and the
// service on it, for the fixity checks of `sportello verify --data`. Like OpenExisting it
// creates nothing: a blob store directory that does not exist is refused.
func (m *Main) OpenBlobs() error {
	if m.DB == nil {
		return errors.New("blobs: open the database first")
	}
	blobs, err := m.openBlobStore(context.Background(), true)
	if err != nil {
		return err
	}
	m.Service = domain.NewService(m.DB, blobs, m.Config.Location())
	if m.Now != nil {
		m.Service.Now = m.Now
	}
	return nil
}
