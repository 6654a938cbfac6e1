package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// Change-feed event kinds of disposal.
const (
	changeDossierDisposed      = "dossier.disposed"
	changeRegistrationDisposed = "registration.disposed"
)

// DisposalCandidates lists the closed dossiers not disposed of (without their items) and the
// classified registrations in no dossier and not disposed of: what retention may make due.
func (db *DB) DisposalCandidates(ctx context.Context) ([]*domain.Dossier, []*domain.Registration, error) {
	var (
		dossiers []*domain.Dossier
		regs     []*domain.Registration
	)
	err := db.r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rows, err := tx.Raw(selectDossiers + ` WHERE d.status = 'closed' AND d.disposal_id IS NULL ORDER BY d.seq`).Rows()
		if err != nil {
			return err
		}
		for rows.Next() {
			d, _, err := scanDossier(rows)
			if err != nil {
				rows.Close()
				return err
			}
			dossiers = append(dossiers, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Raw(db.selectRegistrations() + ` WHERE r.disposal_id IS NULL AND r.class <> ''
			AND NOT EXISTS (SELECT 1 FROM dossier_items i WHERE i.registration_id = r.id) ORDER BY r.seq`).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, _, err := scanRegistration(rows)
			if err != nil {
				return err
			}
			regs = append(regs, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("disposal candidates: %w", err)
	}
	return dossiers, regs, nil
}

// CreateDisposal stores d, marks the dossiers and registrations disposed of by it, and stores
// w, in one transaction. A row already disposed of (or a dossier reopened) meanwhile makes the
// whole disposal a conflict.
func (db *DB) CreateDisposal(ctx context.Context, d *domain.Disposal, dossierIDs, registrationIDs []string, w domain.Write) error {
	d.At = utcMicro(d.At)
	items, err := json.Marshal(d.Items)
	if err != nil {
		return fmt.Errorf("encode disposal %s: %w", d.ID, err)
	}
	err = db.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO disposals (id, authorization_ref, disposal_date, disposed_by, disposed_by_name, created_at, items)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, d.ID, d.Authorization, d.Date, d.By, d.ByName, db.ts(d.At), string(items)).Error; err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		for _, id := range dossierIDs {
			var pos int64
			if err := db.runAll(tx, &pos, db.changeStmt(changeDossierDisposed, domain.KindDossier, id)); err != nil {
				return fmt.Errorf("append change event: %w", err)
			}
			res := tx.Exec(`UPDATE dossiers SET disposal_id = ?, position = ? WHERE id = ? AND status = 'closed' AND disposal_id IS NULL`,
				d.ID, pos, id)
			if res.Error != nil {
				return fmt.Errorf("mark dossier %s: %w", id, res.Error)
			}
			if res.RowsAffected != 1 {
				return domain.Errorf(domain.ECConflict, "dossier %s was reopened or disposed of meanwhile", id)
			}
		}
		for _, id := range registrationIDs {
			var pos int64
			if err := db.runAll(tx, &pos, db.changeStmt(changeRegistrationDisposed, domain.KindRegistration, id)); err != nil {
				return fmt.Errorf("append change event: %w", err)
			}
			res := tx.Exec(`UPDATE registrations SET disposal_id = ?, disposed_at = ?, position = ? WHERE id = ? AND disposal_id IS NULL`,
				d.ID, db.ts(d.At), pos, id)
			if res.Error != nil {
				return fmt.Errorf("mark registration %s: %w", id, res.Error)
			}
			if res.RowsAffected != 1 {
				return domain.Errorf(domain.ECConflict, "registration %s was disposed of meanwhile", id)
			}
			if err := db.disposeText(tx, id); err != nil {
				return err
			}
		}
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return fmt.Errorf("create disposal %s: %w", d.ID, guarded(err))
	}
	return nil
}

// Disposal returns one disposal record (ECNotFound).
func (db *DB) Disposal(ctx context.Context, id string) (*domain.Disposal, error) {
	var (
		d     domain.Disposal
		items string
	)
	err := db.read(ctx).Raw(`SELECT id, authorization_ref, disposal_date, disposed_by, disposed_by_name, created_at, items
		FROM disposals WHERE id = ?`, id).Row().Scan(&d.ID, &d.Authorization, &d.Date, &d.By, &d.ByName, timeCol{T: &d.At}, &items)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ECNotFound, "disposal %s not found", id)
	}
	if err == nil {
		err = json.Unmarshal([]byte(items), &d.Items)
	}
	if err != nil {
		return nil, fmt.Errorf("disposal %s: %w", id, err)
	}
	return &d, nil
}

// ContentInUse reports whether a registration not disposed of references the digest, as its
// document or an attachment, or a daily journal is stored under it (journals are kept forever,
// and the same bytes may have been registered as a document). The JSON columns hold the hex
// digest verbatim, and a 64-digit hex string occurs in them only as a digest.
func (db *DB) ContentInUse(ctx context.Context, sha256 string) (bool, error) {
	return contentInUse(db.read(ctx), sha256)
}

func contentInUse(q *gorm.DB, sha256 string) (bool, error) {
	var n int64
	pattern := "%" + sha256 + "%"
	err := q.Raw(`SELECT count(*) FROM registrations WHERE disposal_id IS NULL
		AND (document LIKE ? OR attachments LIKE ?)`, pattern, pattern).Row().Scan(&n)
	if err == nil && n == 0 {
		err = q.Raw(`SELECT count(*) FROM journals WHERE json_sha256 = ? OR pdf_sha256 = ?`,
			sha256, sha256).Row().Scan(&n)
	}
	if err != nil {
		return false, fmt.Errorf("content %s in use: %w", sha256, err)
	}
	return n > 0, nil
}
