package storage

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/jobs"
)

var _ domain.ImportStore = (*DB)(nil)

// CreateImport stores im, w and the import's job in one transaction (see domain.ImportStore).
func (db *DB) CreateImport(ctx context.Context, im *domain.Import, w domain.Write) error {
	im.CreatedAt = utcMicro(im.CreatedAt)
	err := db.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO imports (id, state, filename, sha256, size, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, im.ID, im.State, im.Filename, im.SHA256, im.Size, im.CreatedBy,
			db.ts(im.CreatedAt)).Error; err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if err := db.runAll(tx, nil, db.writeStmts(w)...); err != nil {
			return fmt.Errorf("store audit and idempotency key: %w", idempotencyConflict(err, w))
		}
		return db.enqueueMany(tx, []river.InsertManyParams{{Args: jobs.RunImport{ImportID: im.ID}}})
	})
	if err != nil {
		return fmt.Errorf("create import %s: %w", im.ID, err)
	}
	return nil
}

const importColumns = `i.id, i.state, i.filename, i.sha256, i.size, i.rows_total, i.error, i.created_by, i.created_at,
	i.started_at, i.finished_at,
	(SELECT count(*) FROM import_rows r WHERE r.import_id = i.id AND r.state = 'done'),
	(SELECT count(*) FROM import_rows r WHERE r.import_id = i.id AND r.state = 'failed')`

// Import returns one import with its rows counted (ECNotFound).
func (db *DB) Import(ctx context.Context, id string) (*domain.Import, error) {
	out, err := db.imports(ctx, db.read(ctx), `WHERE i.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, domain.Errorf(domain.ECNotFound, "import %s not found", id)
	}
	return &out[0], nil
}

// ImportState returns the state of an import (ECNotFound).
func (db *DB) ImportState(ctx context.Context, id string) (string, error) {
	var state string
	err := db.read(ctx).Raw(`SELECT state FROM imports WHERE id = ?`, id).Row().Scan(&state)
	if err == sql.ErrNoRows {
		return "", domain.Errorf(domain.ECNotFound, "import %s not found", id)
	}
	if err != nil {
		return "", fmt.Errorf("read import %s: %w", id, err)
	}
	return state, nil
}

// Imports lists the imports of createdBy (all when empty), newest first.
func (db *DB) Imports(ctx context.Context, createdBy string, limit int) ([]domain.Import, error) {
	if createdBy == "" {
		return db.imports(ctx, db.read(ctx), `ORDER BY i.seq DESC LIMIT ?`, limit)
	}
	return db.imports(ctx, db.read(ctx), `WHERE i.created_by = ? ORDER BY i.seq DESC LIMIT ?`, createdBy, limit)
}

func (db *DB) imports(ctx context.Context, q *gorm.DB, rest string, args ...any) ([]domain.Import, error) {
	rows, err := q.WithContext(ctx).Raw(`SELECT `+importColumns+` FROM imports i `+rest, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("read imports: %w", err)
	}
	defer rows.Close()
	out := []domain.Import{}
	for rows.Next() {
		var im domain.Import
		var total sql.NullInt64
		var started, finished time.Time
		var hasStarted, hasFinished bool
		if err := rows.Scan(&im.ID, &im.State, &im.Filename, &im.SHA256, &im.Size, &total, &im.Error, &im.CreatedBy,
			timeCol{T: &im.CreatedAt}, timeCol{T: &started, Valid: &hasStarted}, timeCol{T: &finished, Valid: &hasFinished},
			&im.RowsDone, &im.RowsFailed); err != nil {
			return nil, fmt.Errorf("read imports: %w", err)
		}
		if total.Valid {
			n := int(total.Int64)
			im.RowsTotal = &n
		}
		if hasStarted {
			im.StartedAt = &started
		}
		if hasFinished {
			im.FinishedAt = &finished
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// ImportRows returns up to limit rows of an import in state (any when empty) after the row
// after, in order.
func (db *DB) ImportRows(ctx context.Context, id, state string, after, limit int) ([]domain.ImportRow, error) {
	q, args := `SELECT n, line, state, coalesce(registration_id, ''), reason FROM import_rows
		WHERE import_id = ? AND n > ?`, []any{id, after}
	if state != "" {
		q += ` AND state = ?`
		args = append(args, state)
	}
	rows, err := db.read(ctx).Raw(q+` ORDER BY n LIMIT ?`, append(args, limit)...).Rows()
	if err != nil {
		return nil, fmt.Errorf("rows of import %s: %w", id, err)
	}
	defer rows.Close()
	out := []domain.ImportRow{}
	for rows.Next() {
		var r domain.ImportRow
		if err := rows.Scan(&r.N, &r.Line, &r.State, &r.RegistrationID, &r.Reason); err != nil {
			return nil, fmt.Errorf("rows of import %s: %w", id, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// importRowBatch is how many rows one INSERT stores (6 values each, within both engines'
// limits on bound values).
const importRowBatch = 500

// StartImport stores the rows and marks the import running, once (see domain.ImportStore). The
// rows are inserted importRowBatch at a time as the sequence gives them.
func (db *DB) StartImport(ctx context.Context, id string, rows iter.Seq2[domain.ImportRow, error], at time.Time) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		var state string
		var total sql.NullInt64
		if err := tx.Raw(`SELECT state, rows_total FROM imports WHERE id = ?`, id).Row().Scan(&state, &total); err != nil {
			if err == sql.ErrNoRows {
				return domain.Errorf(domain.ECNotFound, "import %s not found", id)
			}
			return err
		}
		switch {
		case state != domain.ImportQueued && state != domain.ImportRunning:
			return domain.Errorf(domain.ECConflict, "import %s is %s", id, state)
		case total.Valid:
			return nil
		}
		count := 0
		batch := make([]domain.ImportRow, 0, importRowBatch)
		for r, err := range rows {
			if err != nil {
				return err
			}
			if batch = append(batch, r); len(batch) == importRowBatch {
				if err := insertImportRows(tx, id, batch); err != nil {
					return err
				}
				count, batch = count+len(batch), batch[:0]
			}
		}
		if err := insertImportRows(tx, id, batch); err != nil {
			return err
		}
		count += len(batch)
		return tx.Exec(`UPDATE imports SET state = ?, rows_total = ?, started_at = ? WHERE id = ?`,
			domain.ImportRunning, count, db.ts(at), id).Error
	})
	if err != nil {
		return fmt.Errorf("start import %s: %w", id, err)
	}
	return nil
}

// insertImportRows stores rows of an import in one INSERT.
func insertImportRows(tx *gorm.DB, id string, batch []domain.ImportRow) error {
	if len(batch) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO import_rows (import_id, n, line, state, registration_id, reason) VALUES `)
	args := make([]any, 0, 6*len(batch))
	for i, r := range batch {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?)")
		args = append(args, id, r.N, r.Line, r.State, nullString(r.RegistrationID), r.Reason)
	}
	if err := tx.Exec(q.String(), args...).Error; err != nil {
		return fmt.Errorf("insert rows: %w", err)
	}
	return nil
}

// RecordImportRows records pending rows' outcomes in one transaction (see domain.ImportStore).
func (db *DB) RecordImportRows(ctx context.Context, id string, rows []domain.ImportRow) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		for _, row := range rows {
			if err := tx.Exec(`UPDATE import_rows SET state = ?, registration_id = ?, reason = ?
				WHERE import_id = ? AND n = ? AND state = 'pending'`,
				row.State, nullString(row.RegistrationID), row.Reason, id, row.N).Error; err != nil {
				return fmt.Errorf("row %d: %w", row.N, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d rows of import %s: %w", len(rows), id, err)
	}
	return nil
}

// EndImport ends an import that has not ended (see domain.ImportStore).
func (db *DB) EndImport(ctx context.Context, id, state, cause string, at time.Time, w domain.Write) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE imports SET state = ?, error = ?, finished_at = ?
			WHERE id = ? AND state IN ('queued', 'running')`, state, cause, db.ts(at), id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			var cur string
			if err := tx.Raw(`SELECT state FROM imports WHERE id = ?`, id).Row().Scan(&cur); err != nil {
				return domain.Errorf(domain.ECNotFound, "import %s not found", id)
			}
			return domain.Errorf(domain.ECConflict, "import %s has ended already: it is %s", id, cur)
		}
		return db.runAll(tx, nil, db.writeStmts(w)...)
	})
	if err != nil {
		return fmt.Errorf("end import %s: %w", id, err)
	}
	return nil
}

// CreateRegistrationBatch numbers and stores rs in order in one transaction, each with its own
// write (see domain.ImportStore), as CreateRegistrations does with one write for all.
func (db *DB) CreateRegistrationBatch(ctx context.Context, rs []*domain.Registration, ws []domain.Write) error {
	return db.insertRegistrations(ctx, rs, ws, nil)
}
