package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// Change-feed event kinds of dossiers.
const (
	changeDossierCreated  = "dossier.created"
	changeDossierUpdated  = "dossier.updated"
	changeDossierClosed   = "dossier.closed"
	changeDossierReopened = "dossier.reopened"
)

// CreateDossier numbers and stores d with w and one change-feed event (C3).
//
// As for registrations, everything that does not need the number is written first and the
// (class, year) counter row is taken last, so that concurrent openings in one class wait on
// each other only for the insert and the commit. If anything fails the transaction rolls back,
// the counter with it: no number is consumed, and d keeps no number.
func (db *DB) CreateDossier(ctx context.Context, d *domain.Dossier, w domain.Write) error {
	d.OpenedAt = utcMicro(d.OpenedAt)
	number, identifier, position := d.Number, d.Identifier, d.Position
	err := db.write(ctx, func(tx *gorm.DB) error { return db.insertDossier(tx, d, w) })
	if err != nil {
		d.Number, d.Identifier, d.Position = number, identifier, position
		return fmt.Errorf("create dossier %s: %w", d.ID, err)
	}
	return nil
}

// insertDossier numbers and stores d with w and one change-feed event in tx: the body of
// CreateDossier, shared with the transactions that open a dossier among other writes
// (CreateCase). The caller restores d's number if tx rolls back.
func (db *DB) insertDossier(tx *gorm.DB, d *domain.Dossier, w domain.Write) error {
	stmts := append([]stmt{db.changeStmt(changeDossierCreated, domain.KindDossier, d.ID)}, db.writeStmts(w)...)
	if err := db.runAll(tx, &d.Position, stmts...); err != nil {
		return idempotencyConflict(err, w)
	}
	n, err := db.nextDossierNumber(tx, d.Class, d.Year)
	if err != nil {
		return err
	}
	d.AssignNumber(n)
	err = tx.Exec(`INSERT INTO dossiers (id, identifier, year, class, number, subject, type, office, parent_id,
			status, opened_at, closed_at, created_by, position, responsible) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.Identifier, d.Year, d.Class, d.Number, d.Subject, string(d.Type), d.Office, nullString(d.Parent),
		string(d.Status), db.ts(d.OpenedAt), db.tsOrNil(d.ClosedAt), d.CreatedBy, d.Position, d.Responsible).Error
	return dossierError(err, d)
}

// nextDossierNumber takes the next number of the (class, year) counter, creating it at 1. The
// row stays locked until the transaction ends. On PostgreSQL the first dossiers of a year may
// race to create the counter: the upsert makes the loser take the next number instead. SQLite,
// with one writer, needs no upsert, and its guard refuses any INSERT over an existing counter.
func (db *DB) nextDossierNumber(tx *gorm.DB, class string, year int) (int64, error) {
	var n int64
	err := tx.Raw(`UPDATE dossier_counters SET last_number = last_number + 1
		WHERE class = ? AND year = ? RETURNING last_number`, class, year).Row().Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		q := `INSERT INTO dossier_counters (class, year, last_number) VALUES (?, ?, 1)`
		if db.engine == Postgres {
			q += ` ON CONFLICT (class, year) DO UPDATE SET last_number = dossier_counters.last_number + 1`
		}
		err = tx.Raw(q+` RETURNING last_number`, class, year).Row().Scan(&n)
	}
	if isForeignKey(err) {
		return 0, domain.Errorf(domain.ECValidation, "class: unknown class %s", class)
	}
	if err != nil {
		return 0, fmt.Errorf("next number of dossiers %s/%d: %w", class, year, err)
	}
	return n, nil
}

// dossierError maps the errors of inserting d.
func dossierError(err error, d *domain.Dossier) error {
	kind, _, _ := classify(err)
	switch {
	case err == nil:
		return nil
	case kind == foreignKeyViolation:
		return &domain.Error{Code: domain.ECValidation,
			Message: fmt.Sprintf("unknown class %s, office %s or parent %q", d.Class, d.Office, d.Parent), Err: err}
	case kind == uniqueViolation || kind == guardViolation:
		return conflict(err, "dossier %s already exists", d.ID)
	}
	return fmt.Errorf("insert dossier: %w", err)
}

// UpdateDossier locks the dossier, lets change modify it, and stores its status and closed_at
// with the Write change returns and one change-feed event. An error from change is returned as
// it is, and nothing is written. Returns ECNotFound, and ECImmutable when change altered
// anything else.
func (db *DB) UpdateDossier(ctx context.Context, id string, change func(*domain.Dossier) (domain.Write, error)) (*domain.Dossier, error) {
	return updateLocked(ctx, db, lockedUpdate[domain.Dossier, domain.Write]{
		what: "dossier", id: id,
		load: func(tx *gorm.DB) (*domain.Dossier, error) {
			d, _, err := scanDossier(tx.Raw(selectDossiers+` WHERE d.id = ?`+db.forUpdate("d"), id).Row())
			return d, err
		},
		copy: func(d *domain.Dossier) *domain.Dossier { c := *d; return &c },
		write: func(tx *gorm.DB, before, d *domain.Dossier, w domain.Write) error {
			if d.ID != before.ID || d.Identifier != before.Identifier || d.Year != before.Year || d.Class != before.Class ||
				d.Number != before.Number || !d.OpenedAt.Equal(before.OpenedAt) || d.Subject != before.Subject ||
				d.Type != before.Type || d.Office != before.Office || d.Parent != before.Parent || d.CreatedBy != before.CreatedBy {
				return domain.Errorf(domain.ECImmutable, "dossier %s: only status, closed_at and responsible can change", id)
			}
			if d.Responsible != before.Responsible {
				if err := tx.Exec(`UPDATE dossiers SET responsible = ? WHERE id = ?`, d.Responsible, d.ID).Error; err != nil {
					return fmt.Errorf("store responsible: %w", err)
				}
			}
			if d.Status != before.Status {
				kind := changeDossierClosed
				if d.Status == domain.DossierOpen {
					kind = changeDossierReopened
				}
				if d.ClosedAt != nil {
					t := utcMicro(*d.ClosedAt)
					d.ClosedAt = &t
				}
				if err := db.runAll(tx, &d.Position, db.changeStmt(kind, domain.KindDossier, d.ID)); err != nil {
					return fmt.Errorf("append change event: %w", err)
				}
				if err := tx.Exec(`UPDATE dossiers SET status = ?, closed_at = ?, position = ? WHERE id = ?`,
					string(d.Status), db.tsOrNil(d.ClosedAt), d.Position, d.ID).Error; err != nil {
					return fmt.Errorf("store status: %w", err)
				}
			}
			if err := db.storeWrite(tx, w); err != nil {
				return err
			}
			items, err := db.dossierItems(tx, []string{d.ID})
			if err != nil {
				return err
			}
			d.Items = items[d.ID]
			return nil
		},
	}, change)
}
