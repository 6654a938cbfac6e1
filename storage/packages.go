package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/jobs"
)

var _ domain.PackageStore = (*DB)(nil)

const packageColumns = `id, kind, state, request, items, files, size, sha256, index_sha256, reason, created_by, created_at, built_at,
	schedule_key, sent_at, destination, settled_at, outcome_reason, report_sha256, report_type, report_size`

// CreatePackage stores p, building, with w and enqueues its build job in one transaction.
func (db *DB) CreatePackage(ctx context.Context, p *domain.ArchivePackage, w domain.Write) error {
	req, err := json.Marshal(p.Request)
	if err != nil {
		return fmt.Errorf("store package %s: %w", p.ID, err)
	}
	p.CreatedAt = utcMicro(p.CreatedAt)
	err = db.write(ctx, func(tx *gorm.DB) error {
		var key any
		if p.ScheduleKey != "" {
			key = p.ScheduleKey
		}
		if err := tx.Exec(`INSERT INTO archive_packages (`+packageColumns+`)
			VALUES (?, ?, ?, ?, ?, 0, 0, NULL, NULL, '', ?, ?, NULL, ?, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
			p.ID, p.Kind, domain.PackageBuilding, string(req), p.Items, p.CreatedBy, db.ts(p.CreatedAt), key).Error; err != nil {
			if isUnique(err, "archive_packages") {
				return domain.Errorf(domain.ECConflict, "scheduled item %s has a package already", p.ScheduleKey)
			}
			return err
		}
		if err := db.runAll(tx, nil, db.writeStmts(w)...); err != nil {
			return idempotencyConflict(err, w)
		}
		return db.enqueueMany(tx, []river.InsertManyParams{{Args: jobs.BuildPackage{PackageID: p.ID}}})
	})
	if err != nil {
		return fmt.Errorf("store package %s: %w", p.ID, err)
	}
	return nil
}

// ArchivePackage returns one package (ECNotFound).
func (db *DB) ArchivePackage(ctx context.Context, id string) (*domain.ArchivePackage, error) {
	p, err := scanPackage(db.read(ctx).Raw(`SELECT `+packageColumns+` FROM archive_packages WHERE id = ?`, id).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ECNotFound, "archive package %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("archive package %s: %w", id, err)
	}
	return p, nil
}

// FinishPackage records the result of a build, with a package.built change event when ready
// and, for an archival package, the job that sends it to conservation.
func (db *DB) FinishPackage(ctx context.Context, id string, r domain.PackageResult) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		var state, kind string
		if err := tx.Raw(`SELECT state, kind FROM archive_packages WHERE id = ?`, id).Row().Scan(&state, &kind); errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.ECNotFound, "archive package %s not found", id)
		} else if err != nil {
			return err
		}
		if state != domain.PackageBuilding {
			return domain.Errorf(domain.ECConflict, "archive package %s is %s, not building", id, state)
		}
		var sum, index any
		if r.State == domain.PackageReady {
			sum, index = r.SHA256, r.IndexSHA256
		}
		if err := tx.Exec(`UPDATE archive_packages SET state = ?, items = ?, files = ?, size = ?, sha256 = ?, index_sha256 = ?,
			reason = ?, built_at = ? WHERE id = ?`, r.State, r.Items, r.Files, r.Size, sum, index, r.Reason, db.ts(r.At), id).Error; err != nil {
			return err
		}
		if r.State != domain.PackageReady {
			return nil
		}
		c := db.changeStmt(domain.EventPackageBuilt, domain.KindPackage, id)
		var pos int64
		if err := tx.Raw(c.sql, c.args...).Row().Scan(&pos); err != nil {
			return err
		}
		if kind != domain.PackageAIP {
			return nil
		}
		return db.enqueueSends(tx, []string{id})
	})
	if err != nil {
		return fmt.Errorf("finish package %s: %w", id, err)
	}
	return nil
}

func scanPackage(row rowScanner) (*domain.ArchivePackage, error) {
	var (
		p                          domain.ArchivePackage
		req                        string
		sum, index, key, dest      sql.NullString
		reason, report, reportType sql.NullString
		reportSize                 sql.NullInt64
		built, sent, settled       time.Time
		isBuilt, isSent, isSettled bool
	)
	if err := row.Scan(&p.ID, &p.Kind, &p.State, &req, &p.Items, &p.Files, &p.Size, &sum, &index, &p.Reason, &p.CreatedBy,
		timeCol{T: &p.CreatedAt}, timeCol{T: &built, Valid: &isBuilt},
		&key, timeCol{T: &sent, Valid: &isSent}, &dest, timeCol{T: &settled, Valid: &isSettled}, &reason, &report, &reportType,
		&reportSize); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(req), &p.Request); err != nil {
		return nil, fmt.Errorf("request of package %s: %w", p.ID, err)
	}
	p.SHA256, p.IndexSHA256 = sum.String, index.String
	p.ScheduleKey, p.Destination, p.OutcomeReason = key.String, dest.String, reason.String
	if isBuilt {
		p.BuiltAt = &built
	}
	if isSent {
		p.SentAt = &sent
	}
	if isSettled {
		p.SettledAt = &settled
	}
	if report.Valid {
		p.Report = &domain.PackageReport{SHA256: report.String, MediaType: reportType.String, Size: reportSize.Int64}
	}
	return &p, nil
}
