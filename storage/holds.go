package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// selectHolds is the SELECT … FROM of every hold read, with the held dossier's identifier.
const selectHolds = `SELECT h.id, coalesce(h.dossier_id, ''), coalesce(d.identifier, ''), coalesce(h.class, ''),
	h.reason, h.reference, h.created_at, h.created_by, h.released_at, coalesce(h.released_by, ''),
	coalesce(h.release_reason, '') FROM holds h LEFT JOIN dossiers d ON d.id = h.dossier_id`

func scanHold(row rowScanner) (domain.Hold, error) {
	var (
		h        domain.Hold
		released time.Time
		ok       bool
	)
	err := row.Scan(&h.ID, &h.Dossier, &h.DossierIdentifier, &h.Class, &h.Reason, &h.Reference,
		timeCol{T: &h.CreatedAt}, &h.CreatedBy, timeCol{T: &released, Valid: &ok}, &h.ReleasedBy, &h.ReleaseReason)
	if ok {
		h.ReleasedAt = &released
	}
	return h, err
}

// CreateHold stores h with w. On PostgreSQL it first locks the held dossier or class row
// (FOR SHARE), which a disposal deciding on it holds FOR NO KEY UPDATE (see lockForDisposal):
// the hold and the disposal are serialised, so the disposal sees the hold or the hold waits.
// Returns ECValidation for an unknown dossier or class.
func (db *DB) CreateHold(ctx context.Context, h domain.Hold, w domain.Write) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		lock := ""
		if db.engine == Postgres {
			lock = ` FOR SHARE`
		}
		if h.Dossier != "" {
			// A disposal that committed first leaves nothing to hold: refuse rather than record
			// a hold that protects nothing.
			var disposed bool
			err := tx.Raw(`SELECT disposal_id IS NOT NULL FROM dossiers WHERE id = ?`+lock, h.Dossier).Row().Scan(&disposed)
			if errors.Is(err, sql.ErrNoRows) {
				return &domain.Error{Code: domain.ECValidation, Message: "unknown dossier or class", Err: err}
			}
			if err != nil {
				return fmt.Errorf("lock held row: %w", err)
			}
			if disposed {
				return domain.Errorf(domain.ECConflict, "dossier %s was disposed of: there is nothing left to hold", h.Dossier)
			}
		} else if lock != "" {
			if err := tx.Exec(`SELECT code FROM classes WHERE code = ?`+lock, h.Class).Error; err != nil {
				return fmt.Errorf("lock held row: %w", err)
			}
		}
		err := tx.Exec(`INSERT INTO holds (id, dossier_id, class, reason, reference, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, h.ID, nullString(h.Dossier), nullString(h.Class), h.Reason, h.Reference,
			db.ts(h.CreatedAt), h.CreatedBy).Error
		if isForeignKey(err) {
			return &domain.Error{Code: domain.ECValidation, Message: "unknown dossier or class", Err: err}
		}
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return fmt.Errorf("create hold %s: %w", h.ID, err)
	}
	return nil
}

// Hold returns one hold (ECNotFound).
func (db *DB) Hold(ctx context.Context, id string) (domain.Hold, error) {
	h, err := scanHold(db.read(ctx).Raw(selectHolds+` WHERE h.id = ?`, id).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Hold{}, domain.Errorf(domain.ECNotFound, "hold %s not found", id)
	}
	if err != nil {
		return domain.Hold{}, fmt.Errorf("hold %s: %w", id, err)
	}
	return h, nil
}

// Holds lists the holds that match f, newest first; pages are cut by keyset on seq.
func (db *DB) Holds(ctx context.Context, f domain.HoldFilter) (domain.Page[domain.Hold], error) {
	page := domain.Page[domain.Hold]{Items: []domain.Hold{}}
	var (
		where []string
		args  []any
	)
	if f.Active != nil {
		where = append(where, map[bool]string{true: `h.released_at IS NULL`, false: `h.released_at IS NOT NULL`}[*f.Active])
	}
	if f.Cursor != "" {
		seq, err := decodeCursor(f.Cursor)
		if err != nil {
			return page, err
		}
		where, args = append(where, `h.seq < ?`), append(args, seq)
	}
	limit := min(max(f.Limit, 1), domain.MaxLimit)
	q := strings.Replace(selectHolds, "SELECT ", "SELECT h.seq, ", 1)
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	rows, err := db.read(ctx).Raw(q+` ORDER BY h.seq DESC LIMIT ?`, append(args, limit+1)...).Rows()
	if err != nil {
		return page, fmt.Errorf("list holds: %w", err)
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		if len(page.Items) == limit {
			page.NextCursor = encodeCursor(last)
			break
		}
		var seq int64
		h, err := scanHold(prefixScanner{rows, []any{&seq}})
		if err != nil {
			return page, fmt.Errorf("list holds: %w", err)
		}
		page.Items, last = append(page.Items, h), seq
	}
	return page, rows.Err()
}

// ActiveHolds lists the holds not released, oldest first.
func (db *DB) ActiveHolds(ctx context.Context) ([]domain.Hold, error) {
	return activeHolds(db.read(ctx))
}

func activeHolds(q *gorm.DB) ([]domain.Hold, error) {
	rows, err := q.Raw(selectHolds + ` WHERE h.released_at IS NULL ORDER BY h.seq`).Rows()
	if err != nil {
		return nil, fmt.Errorf("active holds: %w", err)
	}
	defer rows.Close()
	out := []domain.Hold{}
	for rows.Next() {
		h, err := scanHold(rows)
		if err != nil {
			return nil, fmt.Errorf("active holds: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// ReleaseHold locks the hold, lets change release it and stores the release with the Write
// change returns. An error from change is returned as it is. Returns ECNotFound.
func (db *DB) ReleaseHold(ctx context.Context, id string, change func(*domain.Hold) (domain.Write, error)) (domain.Hold, error) {
	h, err := updateLocked(ctx, db, lockedUpdate[domain.Hold, domain.Write]{
		what: "hold", id: id,
		load: func(tx *gorm.DB) (*domain.Hold, error) {
			h, err := scanHold(tx.Raw(selectHolds+` WHERE h.id = ?`+db.forUpdate("h"), id).Row())
			return &h, err
		},
		copy: func(h *domain.Hold) *domain.Hold { c := *h; return &c },
		write: func(tx *gorm.DB, _, h *domain.Hold, w domain.Write) error {
			if h.ReleasedAt != nil {
				t := utcMicro(*h.ReleasedAt)
				h.ReleasedAt = &t
			}
			if err := tx.Exec(`UPDATE holds SET released_at = ?, released_by = ?, release_reason = ? WHERE id = ?`,
				db.tsOrNil(h.ReleasedAt), nullString(h.ReleasedBy), nullString(h.ReleaseReason), h.ID).Error; err != nil {
				return fmt.Errorf("store release: %w", err)
			}
			return db.storeWrite(tx, w)
		},
	}, change)
	if err != nil {
		return domain.Hold{}, err
	}
	return *h, nil
}
