package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// Change-feed event kinds of disposal.
const (
	changeDossierDisposed      = "dossier.disposed"
	changeRegistrationDisposed = "registration.disposed"
)

// DisposalCandidates lists the closed dossiers not disposed of (without their items) and the
// classified registrations in no dossier and not disposed of that due makes due, filtered in
// the database by a CASE on their class's retention period.
func (db *DB) DisposalCandidates(ctx context.Context, due domain.DueCutoffs) ([]*domain.Dossier, []*domain.Registration, error) {
	var (
		dossiers []*domain.Dossier
		regs     []*domain.Registration
	)
	if len(due) == 0 {
		return dossiers, regs, nil
	}
	years := make([]int, 0, len(due))
	for y := range due {
		years = append(years, y)
	}
	slices.Sort(years)
	closedCase, datedCase := `CASE c.retention_years`, `CASE c.retention_years`
	var closedArgs, datedArgs []any
	for _, y := range years {
		closedCase += ` WHEN ? THEN ` + db.castTime("?")
		closedArgs = append(closedArgs, y, db.ts(due[y].ClosedBefore))
		datedCase += ` WHEN ? THEN ?`
		datedArgs = append(datedArgs, y, due[y].DatedBy)
	}
	closedCase += ` END`
	datedCase += ` END`
	err := db.r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rows, err := tx.Raw(selectDossiers+` JOIN classes c ON c.code = d.class
			WHERE d.status = 'closed' AND d.disposal_id IS NULL AND d.closed_at < `+closedCase+` ORDER BY d.seq`, closedArgs...).Rows()
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
		rows, err = tx.Raw(db.selectRegistrations()+` JOIN classes c ON c.code = r.class
			WHERE r.disposal_id IS NULL AND NOT EXISTS (SELECT 1 FROM dossier_items i WHERE i.registration_id = r.id)
			AND r.reg_date <= `+datedCase+` ORDER BY r.seq`, datedArgs...).Rows()
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

// castTime casts a placeholder to a timestamp on PostgreSQL, where a parameter inside a CASE
// would otherwise be taken for text; SQLite compares the fixed-width text as it is.
func (db *DB) castTime(placeholder string) string {
	if db.engine == Postgres {
		return `CAST(` + placeholder + ` AS timestamptz)`
	}
	return placeholder
}

// CreateDisposal stores d, marks t's dossiers, registrations and documents disposed of by it,
// records t.Content as pending deletion and stores w, in one transaction. It first locks t's
// dossiers and classes, which CreateHold locks too (PostgreSQL; SQLite's single writer already
// serialises the two), and re-checks the holds active under those locks with t.CheckHolds: a
// hold placed while the disposal was being planned either committed before (and is seen) or
// waits for the disposal. A row already disposed of (or a dossier reopened) meanwhile makes
// the whole disposal a conflict.
func (db *DB) CreateDisposal(ctx context.Context, d *domain.Disposal, t domain.DisposalTargets, w domain.Write) error {
	d.At = utcMicro(d.At)
	items, err := json.Marshal(d.Items)
	if err != nil {
		return fmt.Errorf("encode disposal %s: %w", d.ID, err)
	}
	var checkErr error
	err = db.write(ctx, func(tx *gorm.DB) error {
		if err := db.lockForDisposal(tx, t.LockDossiers, t.LockClasses); err != nil {
			return err
		}
		if t.CheckHolds != nil {
			holds, err := activeHolds(tx)
			if err != nil {
				return err
			}
			if checkErr = t.CheckHolds(holds); checkErr != nil {
				return checkErr
			}
		}
		if err := tx.Exec(`INSERT INTO disposals (id, authorization_ref, disposal_date, disposed_by, disposed_by_name, created_at, items)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, d.ID, d.Authorization, d.Date, d.By, d.ByName, db.ts(d.At), string(items)).Error; err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		for _, mark := range []struct {
			change, kind, table, set, where string
			ids                             []string
		}{
			{changeDossierDisposed, domain.KindDossier, "dossiers", "", ` AND status = 'closed'`, t.Dossiers},
			{changeRegistrationDisposed, domain.KindRegistration, "registrations", `, disposed_at = ?`, ``, t.Registrations},
			{changeDocumentDisposed, domain.KindDocument, "documents", `, disposed_at = ?`, ``, t.Documents},
		} {
			for _, id := range mark.ids {
				var pos int64
				if err := db.runAll(tx, &pos, db.changeStmt(mark.change, mark.kind, id)); err != nil {
					return fmt.Errorf("append change event: %w", err)
				}
				args := []any{d.ID}
				if mark.set != "" {
					args = append(args, db.ts(d.At))
				}
				res := tx.Exec(`UPDATE `+mark.table+` SET disposal_id = ?`+mark.set+`, position = ? WHERE id = ?`+mark.where+
					` AND disposal_id IS NULL`, append(args, pos, id)...)
				if res.Error != nil {
					return fmt.Errorf("mark %s %s: %w", mark.kind, id, res.Error)
				}
				if res.RowsAffected != 1 {
					return domain.Errorf(domain.ECConflict, "%s %s was changed or disposed of meanwhile", mark.kind, id)
				}
				if mark.kind == domain.KindRegistration {
					if err := db.disposeText(tx, id); err != nil { // the extracted text goes with the content
						return err
					}
				}
			}
		}
		for _, sha := range t.Content {
			if err := tx.Exec(`INSERT INTO disposal_content (disposal_id, sha256) VALUES (?, ?)`, d.ID, sha).Error; err != nil {
				return fmt.Errorf("pending content %s: %w", sha, err)
			}
		}
		return db.storeWrite(tx, w)
	})
	if checkErr != nil {
		return checkErr
	}
	if err != nil {
		return fmt.Errorf("create disposal %s: %w", d.ID, guarded(err))
	}
	return nil
}

// lockForDisposal locks, on PostgreSQL, the dossiers and classes whose holds decide a disposal,
// in a fixed order. FOR NO KEY UPDATE conflicts with the FOR SHARE that CreateHold takes, not
// with the key-share locks of foreign-key checks, so registrations in those classes go on.
func (db *DB) lockForDisposal(tx *gorm.DB, dossiers, classes []string) error {
	if db.engine != Postgres {
		return nil
	}
	if len(dossiers) > 0 {
		if err := tx.Exec(`SELECT id FROM dossiers WHERE id IN ? ORDER BY id FOR NO KEY UPDATE`, dossiers).Error; err != nil {
			return fmt.Errorf("lock dossiers: %w", err)
		}
	}
	if len(classes) > 0 {
		if err := tx.Exec(`SELECT code FROM classes WHERE code IN ? ORDER BY code FOR NO KEY UPDATE`, classes).Error; err != nil {
			return fmt.Errorf("lock classes: %w", err)
		}
	}
	return nil
}

// PendingContent lists the digests of committed disposals whose deletion is not done.
func (db *DB) PendingContent(ctx context.Context) ([]string, error) {
	out := []string{}
	err := db.read(ctx).Raw(`SELECT DISTINCT sha256 FROM disposal_content WHERE deleted_at IS NULL ORDER BY sha256`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("pending disposal content: %w", err)
	}
	return out, nil
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

// ContentInUse reports whether something kept references the digest: a registration not
// disposed of, an unregistered document not disposed of (a registered one hands its content
// over to its registration), or a daily journal (kept forever). content_refs makes it an
// index lookup.
func (db *DB) ContentInUse(ctx context.Context, sha256 string) (bool, error) {
	return contentInUse(db.read(ctx), sha256)
}

func contentInUse(q *gorm.DB, sha256 string) (bool, error) {
	var n int64
	err := q.Raw(`SELECT count(*) FROM content_refs c WHERE c.sha256 = ? AND (
		(c.owner_kind = 'registration' AND EXISTS (SELECT 1 FROM registrations r WHERE r.id = c.owner_id AND r.disposal_id IS NULL))
		OR (c.owner_kind = 'document' AND EXISTS (SELECT 1 FROM documents d WHERE d.id = c.owner_id
			AND d.disposal_id IS NULL AND d.registration_id IS NULL)))`, sha256).Row().Scan(&n)
	if err == nil && n == 0 {
		err = q.Raw(`SELECT count(*) FROM journals WHERE json_sha256 = ? OR pdf_sha256 = ?`,
			sha256, sha256).Row().Scan(&n)
	}
	if err != nil {
		return false, fmt.Errorf("content %s in use: %w", sha256, err)
	}
	return n > 0, nil
}
