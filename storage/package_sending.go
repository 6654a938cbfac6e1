package storage

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/jobs"
)

// ArchivePackages lists packages newest first, by keyset on (created_at, id): a page never
// repeats or skips a package while new ones arrive.
func (db *DB) ArchivePackages(ctx context.Context, f domain.PackageFilter) (domain.Page[*domain.ArchivePackage], error) {
	page := domain.Page[*domain.ArchivePackage]{Items: []*domain.ArchivePackage{}}
	var (
		where []string
		args  []any
	)
	if f.State != "" {
		where, args = append(where, `state = ?`), append(args, f.State)
	}
	if f.Kind != "" {
		where, args = append(where, `kind = ?`), append(args, f.Kind)
	}
	if f.Cursor != "" {
		at, id, err := decodePackageCursor(f.Cursor)
		if err != nil {
			return page, err
		}
		where = append(where, `(created_at < ? OR (created_at = ? AND id < ?))`)
		args = append(args, db.ts(at), db.ts(at), id)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = domain.DefaultLimit
	}
	q := `SELECT ` + packageColumns + ` FROM archive_packages`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	rows, err := db.read(ctx).Raw(q+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit+1)...).Rows()
	if err != nil {
		return page, fmt.Errorf("list packages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if len(page.Items) == limit {
			last := page.Items[limit-1]
			page.NextCursor = encodePackageCursor(last.CreatedAt, last.ID)
			break
		}
		p, err := scanPackage(rows)
		if err != nil {
			return page, fmt.Errorf("list packages: %w", err)
		}
		page.Items = append(page.Items, p)
	}
	return page, rows.Err()
}

func encodePackageCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(utcMicro(at).UnixMicro(), 10) + "/" + id))
}

// decodePackageCursor accepts only what encodePackageCursor writes.
func decodePackageCursor(c string) (time.Time, string, error) {
	if b, err := base64.RawURLEncoding.DecodeString(c); err == nil {
		micro, id, ok := strings.Cut(string(b), "/")
		if n, err := strconv.ParseInt(micro, 10, 64); ok && err == nil && id != "" {
			at := time.UnixMicro(n).UTC()
			if encodePackageCursor(at, id) == c {
				return at, id, nil
			}
		}
	}
	return time.Time{}, "", domain.Errorf(domain.ECValidation, "cursor %q is not valid", c)
}

// UpdatePackage locks the package (FOR UPDATE on PostgreSQL; SQLite writes one at a time),
// calls change, and stores its state, sending and outcome with change's Write. The database's
// guards refuse a state that moves backwards and a recorded sending or outcome that changes.
func (db *DB) UpdatePackage(ctx context.Context, id string, change func(*domain.ArchivePackage) (domain.Write, error)) (*domain.ArchivePackage, error) {
	var out *domain.ArchivePackage
	err := db.write(ctx, func(tx *gorm.DB) error {
		p, err := scanPackage(tx.Raw(`SELECT `+packageColumns+` FROM archive_packages k WHERE id = ?`+db.forUpdate("k"), id).Row())
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.ECNotFound, "archive package %s not found", id)
		}
		if err != nil {
			return err
		}
		w, err := change(p)
		if err != nil {
			return err
		}
		var dest, reason, report, reportType, reportSize any
		if p.Destination != "" {
			dest = p.Destination
		}
		if p.OutcomeReason != "" {
			reason = p.OutcomeReason
		}
		if r := p.Report; r != nil {
			report, reportType, reportSize = r.SHA256, r.MediaType, r.Size
		}
		if err := tx.Exec(`UPDATE archive_packages SET state = ?, sent_at = ?, destination = ?, settled_at = ?, outcome_reason = ?,
			report_sha256 = ?, report_type = ?, report_size = ? WHERE id = ?`, p.State, db.tsOrNil(p.SentAt), dest,
			db.tsOrNil(p.SettledAt), reason, report, reportType, reportSize, id).Error; err != nil {
			return guarded(err)
		}
		if err := db.runAll(tx, nil, db.writeStmts(w)...); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update package %s: %w", id, err)
	}
	return out, nil
}

// DueJournals lists the journals before before without their scheduled package.
func (db *DB) DueJournals(ctx context.Context, before string, limit int) ([]domain.JournalDay, error) {
	rows, err := db.read(ctx).Raw(`SELECT j.register_code, j.journal_date FROM journals j
		WHERE j.journal_date < ? AND NOT EXISTS (SELECT 1 FROM archive_packages k
			WHERE k.schedule_key = 'journal/' || j.register_code || '/' || j.journal_date)
		ORDER BY j.journal_date, j.register_code LIMIT ?`, before, limit).Rows()
	if err != nil {
		return nil, fmt.Errorf("journals due for conservation: %w", err)
	}
	defer rows.Close()
	out := []domain.JournalDay{}
	for rows.Next() {
		var d domain.JournalDay
		if err := rows.Scan(&d.Register, &d.Date); err != nil {
			return nil, fmt.Errorf("journals due for conservation: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DueDossiers lists the closed, undisposed dossiers holding a registration without a scheduled
// package created since since. A dossier's scheduled keys are dossier/<id>/<year>.
func (db *DB) DueDossiers(ctx context.Context, since time.Time, limit int) ([]string, error) {
	out := []string{}
	err := db.read(ctx).Raw(`SELECT d.id FROM dossiers d
		WHERE d.status = 'closed' AND d.disposal_id IS NULL
			AND EXISTS (SELECT 1 FROM dossier_items i WHERE i.dossier_id = d.id)
			AND NOT EXISTS (SELECT 1 FROM archive_packages k
				WHERE k.schedule_key LIKE 'dossier/' || d.id || '/%' AND k.created_at >= ?)
		ORDER BY d.closed_at, d.id LIMIT ?`, db.ts(since), limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("dossiers due for conservation: %w", err)
	}
	return out, nil
}

// sendUnique keeps one sending job per package waiting or running; a finished one (completed,
// or discarded after its last attempt) does not stop the next.
var sendUnique = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{rivertype.JobStateAvailable,
	rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}}

// EnqueuePackageSends enqueues the sending of the oldest ready archival packages.
func (db *DB) EnqueuePackageSends(ctx context.Context, limit int) (int, error) {
	var ids []string
	err := db.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT id FROM archive_packages WHERE state = ? AND kind = ? ORDER BY built_at, id LIMIT ?`,
			domain.PackageReady, domain.PackageAIP, limit).Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		return db.enqueueSends(tx, ids)
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue package sends: %w", err)
	}
	return len(ids), nil
}

// enqueueSends enqueues in tx the sending job of each package, unless one is waiting or
// running already (sendUnique): River's InsertMany skips a duplicate where the fast insert
// would fail.
func (db *DB) enqueueSends(tx *gorm.DB, ids []string) error {
	inserter, err := db.jobInserter()
	if err != nil {
		return err
	}
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return fmt.Errorf("enqueue: not in a database/sql transaction (%T)", tx.Statement.ConnPool)
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		opts := jobs.SendPackage{}.InsertOpts()
		opts.UniqueOpts = sendUnique
		params[i] = river.InsertManyParams{Args: jobs.SendPackage{PackageID: id}, InsertOpts: &opts}
	}
	if _, err := inserter.InsertManyTx(tx.Statement.Context, sqlTx, params); err != nil {
		return fmt.Errorf("enqueue %d sends: %w", len(ids), err)
	}
	return nil
}

// ConservationStatus counts packages by state and finds the oldest journal not sent.
func (db *DB) ConservationStatus(ctx context.Context) (domain.ConservationStatus, error) {
	st := domain.ConservationStatus{States: map[string]int{}}
	rows, err := db.read(ctx).Raw(`SELECT state, count(*) FROM archive_packages GROUP BY state`).Rows()
	if err != nil {
		return st, fmt.Errorf("packages by state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			state string
			n     int
		)
		if err := rows.Scan(&state, &n); err != nil {
			return st, fmt.Errorf("packages by state: %w", err)
		}
		st.States[state] = n
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("packages by state: %w", err)
	}
	var oldest sql.NullString
	if err := db.read(ctx).Raw(`SELECT min(j.journal_date) FROM journals j WHERE NOT EXISTS (SELECT 1 FROM archive_packages k
		WHERE k.schedule_key = 'journal/' || j.register_code || '/' || j.journal_date AND k.state IN (?, ?))`,
		domain.PackageSent, domain.PackageAcknowledged).Row().Scan(&oldest); err != nil {
		return st, fmt.Errorf("oldest unsent journal: %w", err)
	}
	st.OldestUnsentJournal = oldest.String
	return st, nil
}
