package storage

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

var _ domain.EmergencyStore = (*DB)(nil)

// outageLockClass is the first key of the PostgreSQL advisory lock that serialises the outages
// of one register, so that the overlap check and the insert see the same rows. SQLite's single
// writer serialises them already.
const outageLockClass = 0x53504f55 // "SPOU"

const outageColumns = `o.id, o.register_code, o.cause, o.starts_at, o.ends_at, o.authorizing_act, o.created_by,
	o.created_at, (SELECT count(*) FROM registrations r WHERE r.emergency_outage = o.id)`

// CreateOutage stores o and w in one transaction, refusing an outage that overlaps another of
// the same register (see domain.EmergencyStore).
func (db *DB) CreateOutage(ctx context.Context, o *domain.Outage, w domain.Write) error {
	o.Start, o.End, o.CreatedAt = utcMicro(o.Start), utcMicro(o.End), utcMicro(o.CreatedAt)
	err := db.write(ctx, func(tx *gorm.DB) error {
		if db.engine == Postgres {
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(CAST(? AS integer), hashtext(?))`, outageLockClass, o.Register).Error; err != nil {
				return err
			}
		}
		var other string
		err := tx.Raw(`SELECT coalesce(min(id), '') FROM emergency_outages
			WHERE register_code = ? AND starts_at < ? AND ends_at > ?`, o.Register, db.ts(o.End), db.ts(o.Start)).Row().Scan(&other)
		if err != nil {
			return err
		}
		if other != "" {
			return domain.Errorf(domain.ECConflict, "the outage overlaps outage %s of register %s", other, o.Register)
		}
		err = tx.Exec(`INSERT INTO emergency_outages (id, register_code, cause, starts_at, ends_at, authorizing_act,
			created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, o.ID, o.Register, o.Cause, db.ts(o.Start), db.ts(o.End),
			o.Authorization, o.CreatedBy, db.ts(o.CreatedAt)).Error
		if isForeignKey(err) {
			return domain.Errorf(domain.ECNotFound, "register %s not found", o.Register)
		}
		if err != nil {
			return err
		}
		return idempotencyConflict(db.runAll(tx, nil, db.writeStmts(w)...), w)
	})
	if err != nil {
		return fmt.Errorf("create outage of %s: %w", o.Register, err)
	}
	return nil
}

// Outage returns one outage with its entry count (ECNotFound).
func (db *DB) Outage(ctx context.Context, id string) (*domain.Outage, error) {
	os, err := db.outages(ctx, `o.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(os) == 0 {
		return nil, domain.Errorf(domain.ECNotFound, "outage %s not found", id)
	}
	return &os[0], nil
}

// Outages returns the outages of register, oldest first.
func (db *DB) Outages(ctx context.Context, register string) ([]domain.Outage, error) {
	return db.outages(ctx, `o.register_code = ?`, register)
}

// outages reads the outages where says, by start.
func (db *DB) outages(ctx context.Context, where string, arg any) ([]domain.Outage, error) {
	rows, err := db.read(ctx).Raw(`SELECT `+outageColumns+` FROM emergency_outages o WHERE `+where+
		` ORDER BY o.starts_at, o.id`, arg).Rows()
	if err != nil {
		return nil, fmt.Errorf("read outages: %w", err)
	}
	defer rows.Close()
	out := []domain.Outage{}
	for rows.Next() {
		var o domain.Outage
		if err := rows.Scan(&o.ID, &o.Register, &o.Cause, timeCol{T: &o.Start}, timeCol{T: &o.End}, &o.Authorization,
			&o.CreatedBy, timeCol{T: &o.CreatedAt}, &o.EntryCount); err != nil {
			return nil, fmt.Errorf("read outages: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// EmergencyEntries returns the registrations loaded from outage's entries numbered numbers (all
// when nil), in emergency-number order.
func (db *DB) EmergencyEntries(ctx context.Context, outage string, numbers []int64) ([]*domain.Registration, error) {
	q := db.selectRegistrations() + ` WHERE r.emergency_outage = ?`
	args := []any{outage}
	if numbers != nil {
		if len(numbers) == 0 {
			return []*domain.Registration{}, nil
		}
		q += ` AND r.emergency_number IN (?` + strings.Repeat(", ?", len(numbers)-1) + `)`
		for _, n := range numbers {
			args = append(args, n)
		}
	}
	rows, err := db.read(ctx).Raw(q+` ORDER BY r.emergency_number`, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("entries of outage %s: %w", outage, err)
	}
	defer rows.Close()
	out := []*domain.Registration{}
	for rows.Next() {
		r, _, err := scanRegistration(rows)
		if err != nil {
			return nil, fmt.Errorf("entries of outage %s: %w", outage, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CreateRegistrations numbers and stores rs in one transaction, in order (see
// domain.EmergencyStore): each is inserted as CreateRegistration inserts one, and each holds
// the counter row from its numbering to the commit, so that the numbers are consecutive.
func (db *DB) CreateRegistrations(ctx context.Context, rs []*domain.Registration, w domain.Write) error {
	return db.insertRegistrations(ctx, rs, nil, func(tx *gorm.DB) error {
		return idempotencyConflict(db.runAll(tx, nil, db.writeStmts(w)...), w)
	})
}

// insertRegistrations numbers and stores rs in order in one transaction, after pre, each with
// its write ws[i] (none when ws is nil), as CreateRegistration inserts one; each holds the
// counter row from its numbering to the commit, so that the numbers are consecutive. On failure
// the registrations are left unnumbered.
func (db *DB) insertRegistrations(ctx context.Context, rs []*domain.Registration, ws []domain.Write, pre func(tx *gorm.DB) error) error {
	if len(rs) == 0 {
		return nil
	}
	encs := make([]encoded, len(rs))
	for i, r := range rs {
		enc, err := prepare(r)
		if err != nil {
			return fmt.Errorf("create registration %s: %w", r.ID, err)
		}
		encs[i] = enc
	}
	err := db.write(ctx, func(tx *gorm.DB) error {
		if pre != nil {
			if err := pre(tx); err != nil {
				return err
			}
		}
		for i, r := range rs {
			var w domain.Write
			if ws != nil {
				w = ws[i]
			}
			if err := db.insertRegistration(ctx, tx, r, encs[i], w, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, r := range rs {
			r.Number, r.Identifier, r.Position = 0, "", 0
		}
		return fmt.Errorf("create %d registrations in %s: %w", len(rs), rs[0].Register, err)
	}
	db.counters.Store(counterKey{rs[0].Register, rs[0].Year}, struct{}{})
	return nil
}
