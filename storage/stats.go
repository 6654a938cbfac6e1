package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sportello/sportello/domain"
)

// CaseTimes returns the cases submitted or closed in [from, to), and those open, each with the
// legal days of the version it was submitted under (see domain.ProcedureStats).
func (db *DB) CaseTimes(ctx context.Context, from, to time.Time) ([]domain.CaseTime, error) {
	rows, err := db.read(ctx).Raw(`SELECT c.procedure_code, c.office, c.status, c.submitted_at, c.closed_at, c.due_date,
			c.paused_on, v.deadline_days
		FROM cases c JOIN procedure_versions v ON v.procedure_code = c.procedure_code AND v.version = c.procedure_version
		WHERE (c.submitted_at >= ? AND c.submitted_at < ?) OR (c.closed_at >= ? AND c.closed_at < ?) OR c.closed_at IS NULL`,
		db.ts(from), db.ts(to), db.ts(from), db.ts(to)).Rows()
	if err != nil {
		return nil, fmt.Errorf("case times: %w", err)
	}
	defer rows.Close()
	var out []domain.CaseTime
	for rows.Next() {
		var (
			c        domain.CaseTime
			closedAt time.Time
			closed   bool
			pausedOn sql.NullString
		)
		if err := rows.Scan(&c.Procedure, &c.Office, &c.Status, timeCol{T: &c.SubmittedAt}, timeCol{T: &closedAt, Valid: &closed},
			&c.DueDate, &pausedOn, &c.DeadlineDays); err != nil {
			return nil, fmt.Errorf("case times: %w", err)
		}
		if closed {
			c.ClosedAt = &closedAt
		}
		c.PausedOn = pausedOn.String
		out = append(out, c)
	}
	return out, rows.Err()
}

// RegistrationCounts counts the registrations dated from..to (both included) per day,
// register, direction, channel and first office ("" for none). The order is the caller's.
func (db *DB) RegistrationCounts(ctx context.Context, from, to string) ([]domain.RegistrationCount, error) {
	rows, err := db.read(ctx).Raw(`SELECT r.reg_date, r.register_code, r.direction, r.channel, COALESCE(o.office_code, ''), count(*)
		FROM registrations r LEFT JOIN registration_offices o ON o.registration_id = r.id AND o.ordinal = 0
		WHERE r.reg_date >= ? AND r.reg_date <= ?
		GROUP BY r.reg_date, r.register_code, r.direction, r.channel, COALESCE(o.office_code, '')`, from, to).Rows()
	if err != nil {
		return nil, fmt.Errorf("registration counts: %w", err)
	}
	defer rows.Close()
	out := []domain.RegistrationCount{}
	for rows.Next() {
		var c domain.RegistrationCount
		if err := rows.Scan(&c.Date, &c.Register, &c.Direction, &c.Channel, &c.Office, &c.Count); err != nil {
			return nil, fmt.Errorf("registration counts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
