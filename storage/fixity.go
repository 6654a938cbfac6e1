package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// fixityRunColumns are read by scanFixityRun.
const fixityRunColumns = `id, started_by, state, started_at, finished_at, last_digest, blobs, bytes, failures`

func scanFixityRun(row rowScanner) (*domain.FixityRun, error) {
	var (
		r        domain.FixityRun
		finished time.Time
		ok       bool
	)
	err := row.Scan(&r.ID, &r.StartedBy, &r.State, timeCol{T: &r.StartedAt}, timeCol{T: &finished, Valid: &ok},
		&r.Cursor, &r.Blobs, &r.Bytes, &r.Failures)
	if ok {
		r.FinishedAt = &finished
	}
	return &r, err
}

// ClaimFixityRun returns the run c.Holder is to work on (see domain.FixityStore). On
// PostgreSQL the running run's row is locked while its lease is looked at; a new run is
// inserted with ON CONFLICT DO NOTHING against the index that allows one running run, so
// that of two replicas starting a run at once one gets nil.
func (db *DB) ClaimFixityRun(ctx context.Context, c domain.FixityClaim) (*domain.FixityRun, error) {
	var out *domain.FixityRun
	err := db.write(ctx, func(tx *gorm.DB) error {
		lock := ""
		if db.engine == Postgres {
			lock = ` FOR UPDATE`
		}
		var (
			holder string
			until  time.Time
		)
		row := tx.Raw(`SELECT ` + fixityRunColumns + `, holder, lease_until FROM fixity_runs WHERE state = 'running'` + lock).Row()
		run, err := scanFixityRunWith(row, &holder, &until)
		switch {
		case err == nil:
			if holder != c.Holder && until.After(c.Now) {
				return nil // another process holds it
			}
			if err := tx.Exec(`UPDATE fixity_runs SET holder = ?, lease_until = ? WHERE id = ?`,
				c.Holder, db.ts(c.LeaseUntil), run.ID).Error; err != nil {
				return fmt.Errorf("take over: %w", err)
			}
			out = run
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("read the running run: %w", err)
		}
		var (
			latest time.Time
			found  bool
		)
		if err := tx.Raw(`SELECT max(started_at) FROM fixity_runs`).Row().Scan(timeCol{T: &latest, Valid: &found}); err != nil {
			return fmt.Errorf("read the latest run: %w", err)
		}
		if found && latest.After(c.DueAt) {
			return nil // not due
		}
		res := tx.Exec(`INSERT INTO fixity_runs (id, started_by, state, started_at, last_digest, blobs, bytes, failures,
			holder, lease_until) VALUES (?, ?, 'running', ?, '', 0, 0, 0, ?, ?) ON CONFLICT DO NOTHING`,
			c.NewID, c.StartedBy, db.ts(c.Now), c.Holder, db.ts(c.LeaseUntil))
		if res.Error != nil {
			return fmt.Errorf("start: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			out = &domain.FixityRun{ID: c.NewID, StartedBy: c.StartedBy, State: domain.FixityRunning, StartedAt: utcMicro(c.Now)}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim fixity run: %w", err)
	}
	return out, nil
}

// scanFixityRunWith scans fixityRunColumns followed by holder and lease_until.
func scanFixityRunWith(row *sql.Row, holder *string, until *time.Time) (*domain.FixityRun, error) {
	var (
		r        domain.FixityRun
		finished time.Time
		ok       bool
	)
	err := row.Scan(&r.ID, &r.StartedBy, &r.State, timeCol{T: &r.StartedAt}, timeCol{T: &finished, Valid: &ok},
		&r.Cursor, &r.Blobs, &r.Bytes, &r.Failures, holder, timeCol{T: until})
	if ok {
		r.FinishedAt = &finished
	}
	return &r, err
}

// AdvanceFixityRun stores the run's cursor and counts and renews the lease.
func (db *DB) AdvanceFixityRun(ctx context.Context, run *domain.FixityRun, holder string, leaseUntil time.Time) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		return db.updateFixityRun(tx, run, holder, `lease_until = ?`, db.ts(leaseUntil))
	})
	if err != nil {
		return fmt.Errorf("fixity run %s: commit the cursor: %w", run.ID, err)
	}
	return nil
}

// updateFixityRun stores run's cursor and counts, and set with its arguments, if holder holds
// the running run.
func (db *DB) updateFixityRun(tx *gorm.DB, run *domain.FixityRun, holder, set string, args ...any) error {
	res := tx.Exec(`UPDATE fixity_runs SET last_digest = ?, blobs = ?, bytes = ?, failures = ?, `+set+
		` WHERE id = ? AND holder = ? AND state = 'running'`,
		append(append([]any{run.Cursor, run.Blobs, run.Bytes, run.Failures}, args...), run.ID, holder)...)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return domain.Errorf(domain.ECConflict, "fixity run %s is no longer held by %s: another process took it over", run.ID, holder)
	}
	return nil
}

// FinishFixityRun marks the run done and resolves the failures it did not find again.
func (db *DB) FinishFixityRun(ctx context.Context, run *domain.FixityRun, holder string, at time.Time) error {
	at = utcMicro(at)
	err := db.write(ctx, func(tx *gorm.DB) error {
		if err := db.updateFixityRun(tx, run, holder, `state = 'done', finished_at = ?`, db.ts(at)); err != nil {
			return err
		}
		return tx.Exec(`UPDATE fixity_failures SET resolved_at = ?, resolved_run = ? WHERE resolved_at IS NULL AND last_run <> ?`,
			db.ts(at), run.ID, run.ID).Error
	})
	if err != nil {
		return fmt.Errorf("fixity run %s: finish: %w", run.ID, err)
	}
	run.State, run.FinishedAt = domain.FixityDone, &at
	return nil
}

// keptContent is the condition on content_refs c that its owner is kept: a registration or a
// document not disposed of.
const keptContent = `((c.owner_kind = 'registration' AND EXISTS (SELECT 1 FROM registrations r WHERE r.id = c.owner_id AND r.disposal_id IS NULL))
	OR (c.owner_kind = 'document' AND EXISTS (SELECT 1 FROM documents d WHERE d.id = c.owner_id AND d.disposal_id IS NULL)))`

// notDestroyed is the condition that a disposal did not destroy the content x: received
// messages, segnature and receipts have no disposal of their own, but a disposal may have
// destroyed the same bytes as a registration's file.
func notDestroyed(x string) string {
	return `NOT EXISTS (SELECT 1 FROM disposal_content dc WHERE dc.sha256 = ` + x + ` AND dc.deleted_at IS NOT NULL)`
}

// fixitySources are the columns that reference blobs, each with the condition that what holds
// it is kept: every content the blob store holds for the database.
func (db *DB) fixitySources() []struct{ table, col, where string } {
	return []struct{ table, col, where string }{
		{`content_refs c`, `c.sha256`, keptContent},
		{`journals j`, `j.json_sha256`, `1 = 1`},
		{`journals j`, `j.pdf_sha256`, `1 = 1`},
		{`intake_messages m`, `m.sha256`, notDestroyed(`m.sha256`)},
		{`dispatches p`, `p.segnatura`, `p.segnatura IS NOT NULL AND ` + notDestroyed(`p.segnatura`)},
		{`dispatch_receipts x`, `x.sha256`, notDestroyed(`x.sha256`)},
		{`imports i`, `i.sha256`, notDestroyed(`i.sha256`)},
		{`archive_packages k`, `k.sha256`, `k.sha256 IS NOT NULL`},
		{`archive_packages k`, `k.report_sha256`, `k.report_sha256 IS NOT NULL`},
	}
}

// collateC compares col bytewise: on PostgreSQL the digest columns have different collations,
// which a UNION cannot order together, and the indexes the runs read are on COLLATE "C".
func (db *DB) collateC(col string) string {
	if db.engine == Postgres {
		return col + ` COLLATE "C"`
	}
	return col
}

// FixityDigests lists up to limit distinct referenced digests after the given one, in order.
// Each source gives its own first limit digests from its index; their union is cut again.
func (db *DB) FixityDigests(ctx context.Context, after string, limit int) ([]string, error) {
	var parts []string
	var args []any
	for i, s := range db.fixitySources() {
		col := db.collateC(s.col)
		parts = append(parts, fmt.Sprintf(`SELECT d FROM (SELECT %s AS d FROM %s WHERE %s > ? AND %s ORDER BY %s LIMIT ?) s%d`,
			col, s.table, col, s.where, col, i))
		args = append(args, after, limit)
	}
	q := `SELECT DISTINCT d FROM (` + strings.Join(parts, ` UNION ALL `) + `) u ORDER BY d LIMIT ?`
	out := []string{}
	if err := db.read(ctx).Raw(q, append(args, limit)...).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("fixity digests after %q: %w", after, err)
	}
	return out, nil
}

// CountFixityDigests counts the distinct referenced digests.
func (db *DB) CountFixityDigests(ctx context.Context) (int64, error) {
	var parts []string
	for _, s := range db.fixitySources() {
		parts = append(parts, fmt.Sprintf(`SELECT %s AS d FROM %s WHERE %s`, db.collateC(s.col), s.table, s.where))
	}
	var n int64
	if err := db.read(ctx).Raw(`SELECT count(DISTINCT d) FROM (` + strings.Join(parts, ` UNION ALL `) + `) u`).Row().Scan(&n); err != nil {
		return 0, fmt.Errorf("count fixity digests: %w", err)
	}
	return n, nil
}

// FixityReferences lists what references the digest, kept or not: a report names a missing
// blob also by the disposed registration that still lists it. Registrations (and the
// dispatches of one) are named by their reference, PG/2026/0000042.
func (db *DB) FixityReferences(ctx context.Context, sha256 string) ([]domain.FixityReference, error) {
	q := `SELECT kind, ident, role, reg, yr, num FROM (
		SELECT 'registration' AS kind, '' AS ident, CASE WHEN r.document LIKE ? THEN 'document' ELSE 'attachment' END AS role,
			r.register_code AS reg, r.year AS yr, r.number AS num
			FROM content_refs c JOIN registrations r ON c.owner_kind = 'registration' AND r.id = c.owner_id WHERE c.sha256 = ?
		UNION ALL SELECT 'document', d.id, 'document', '', 0, 0 FROM content_refs c JOIN documents d
			ON c.owner_kind = 'document' AND d.id = c.owner_id WHERE c.sha256 = ?
		UNION ALL SELECT 'journal', j.register_code || ' ' || j.journal_date, 'json', '', 0, 0 FROM journals j WHERE j.json_sha256 = ?
		UNION ALL SELECT 'journal', j.register_code || ' ' || j.journal_date, 'pdf', '', 0, 0 FROM journals j WHERE j.pdf_sha256 = ?
		UNION ALL SELECT 'mail', m.id, 'message', '', 0, 0 FROM intake_messages m WHERE m.sha256 = ?
		UNION ALL SELECT 'dispatch', '', 'segnatura', r.register_code, r.year, r.number FROM dispatches p
			JOIN registrations r ON r.id = p.registration_id WHERE p.segnatura = ?
		UNION ALL SELECT 'receipt', x.id, x.kind, '', 0, 0 FROM dispatch_receipts x WHERE x.sha256 = ?
		UNION ALL SELECT 'import', i.id, 'source', '', 0, 0 FROM imports i WHERE i.sha256 = ?
		UNION ALL SELECT 'package', k.id, 'zip', '', 0, 0 FROM archive_packages k WHERE k.sha256 = ?
		UNION ALL SELECT 'package', k.id, 'report', '', 0, 0 FROM archive_packages k WHERE k.report_sha256 = ?
	) u ORDER BY kind, reg, yr, num, ident, role`
	like := `%` + sha256 + `%`
	rows, err := db.read(ctx).Raw(q, like, sha256, sha256, sha256, sha256, sha256, sha256, sha256, sha256, sha256, sha256).Rows()
	if err != nil {
		return nil, fmt.Errorf("fixity references of %s: %w", sha256, err)
	}
	defer rows.Close()
	out := []domain.FixityReference{}
	for rows.Next() {
		var (
			r   domain.FixityReference
			ref domain.Ref
		)
		if err := rows.Scan(&r.Kind, &r.Identifier, &r.Role, &ref.Register, &ref.Year, &ref.Number); err != nil {
			return nil, fmt.Errorf("fixity references of %s: %w", sha256, err)
		}
		if ref.Register != "" {
			r.Identifier = ref.String()
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("fixity references of %s: %w", sha256, err)
	}
	return out, nil
}

// RecordFixityFailure stores f or updates its digest's row (see domain.FixityStore).
func (db *DB) RecordFixityFailure(ctx context.Context, f *domain.FixityFailure) error {
	refs, err := json.Marshal(orEmpty(f.References))
	if err != nil {
		return err
	}
	err = db.write(ctx, func(tx *gorm.DB) error {
		return tx.Exec(`INSERT INTO fixity_failures (sha256, problem, detail, refs, first_seen, last_seen, last_run)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (sha256) DO UPDATE SET problem = excluded.problem, detail = excluded.detail, refs = excluded.refs,
				first_seen = CASE WHEN fixity_failures.resolved_at IS NULL THEN fixity_failures.first_seen ELSE excluded.first_seen END,
				last_seen = excluded.last_seen, last_run = excluded.last_run, resolved_at = NULL, resolved_run = NULL`,
			f.SHA256, string(f.Problem), f.Detail, string(refs), db.ts(f.FirstSeen), db.ts(f.LastSeen), f.LastRun).Error
	})
	if err != nil {
		return fmt.Errorf("record fixity failure %s: %w", f.SHA256, err)
	}
	return nil
}

// FixityRuns lists the latest runs, newest first.
func (db *DB) FixityRuns(ctx context.Context, limit int) ([]*domain.FixityRun, error) {
	rows, err := db.read(ctx).Raw(`SELECT `+fixityRunColumns+` FROM fixity_runs ORDER BY started_at DESC, id DESC LIMIT ?`, limit).Rows()
	if err != nil {
		return nil, fmt.Errorf("fixity runs: %w", err)
	}
	defer rows.Close()
	out := []*domain.FixityRun{}
	for rows.Next() {
		r, err := scanFixityRun(rows)
		if err != nil {
			return nil, fmt.Errorf("fixity runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FixityFailures lists the failures f selects, newest first, with the number of open ones.
func (db *DB) FixityFailures(ctx context.Context, f domain.FixityFailureFilter) ([]*domain.FixityFailure, int64, error) {
	q := db.read(ctx)
	var open int64
	if err := q.Raw(`SELECT count(*) FROM fixity_failures WHERE resolved_at IS NULL`).Row().Scan(&open); err != nil {
		return nil, 0, fmt.Errorf("fixity failures: %w", err)
	}
	where := ` WHERE resolved_at IS NULL`
	if f.Resolved {
		where = ``
	}
	rows, err := q.Raw(`SELECT sha256, problem, detail, refs, first_seen, last_seen, last_run, resolved_at,
		coalesce(resolved_run, '') FROM fixity_failures`+where+` ORDER BY last_seen DESC, sha256 LIMIT ?`, f.Limit).Rows()
	if err != nil {
		return nil, 0, fmt.Errorf("fixity failures: %w", err)
	}
	defer rows.Close()
	out := []*domain.FixityFailure{}
	for rows.Next() {
		var (
			x        domain.FixityFailure
			refs     string
			resolved time.Time
			ok       bool
		)
		if err := rows.Scan(&x.SHA256, &x.Problem, &x.Detail, &refs, timeCol{T: &x.FirstSeen}, timeCol{T: &x.LastSeen},
			&x.LastRun, timeCol{T: &resolved, Valid: &ok}, &x.ResolvedRun); err != nil {
			return nil, 0, fmt.Errorf("fixity failures: %w", err)
		}
		if ok {
			x.ResolvedAt = &resolved
		}
		if err := json.Unmarshal([]byte(refs), &x.References); err != nil {
			return nil, 0, fmt.Errorf("fixity failure %s: references: %w", x.SHA256, err)
		}
		out = append(out, &x)
	}
	return out, open, rows.Err()
}
