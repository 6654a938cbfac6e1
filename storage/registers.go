package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// AOO returns the AOO (ECNotFound before Bootstrap). Its codes never change, so it is cached.
func (db *DB) AOO(ctx context.Context) (domain.AOO, error) {
	return db.loadAOO(db.read(ctx))
}

// loadAOO returns the cached AOO, or reads it through tx and caches it.
func (db *DB) loadAOO(tx *gorm.DB) (domain.AOO, error) {
	if a := db.aoo.Load(); a != nil {
		return *a, nil
	}
	var a domain.AOO
	err := tx.Raw(`SELECT code, ipa_code, name, created_at FROM aoos`).
		Row().Scan(&a.Code, &a.IPACode, &a.Name, timeCol{T: &a.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return domain.AOO{}, domain.Errorf(domain.ECNotFound, "no AOO: the installation is not bootstrapped")
	}
	if err != nil {
		return domain.AOO{}, fmt.Errorf("load AOO: %w", err)
	}
	db.aoo.Store(&a)
	return a, nil
}

// Bootstrap creates the AOO and the register if no AOO exists yet, and reports whether it did.
// An existing AOO with the same codes is left as it is; one with other codes is a conflict.
func (db *DB) Bootstrap(ctx context.Context, aoo domain.AOO, reg domain.Register) (bool, error) {
	created := false
	err := db.write(ctx, func(tx *gorm.DB) error {
		if db.engine == Postgres {
			// Two processes starting at once: the second waits and then finds the AOO.
			if err := tx.Exec(`LOCK TABLE aoos IN SHARE ROW EXCLUSIVE MODE`).Error; err != nil {
				return err
			}
		}
		db.aoo.Store(nil)
		existing, err := db.loadAOO(tx)
		if err == nil {
			if existing.IPACode != aoo.IPACode || existing.Code != aoo.Code {
				return domain.Errorf(domain.ECConflict, "the installation belongs to AOO %s of %s, not %s of %s",
					existing.Code, existing.IPACode, aoo.Code, aoo.IPACode)
			}
			return nil
		}
		if !domain.IsCode(err, domain.ECNotFound) {
			return err
		}
		if err := tx.Exec(`INSERT INTO aoos (code, ipa_code, name, created_at) VALUES (?, ?, ?, ?)`,
			aoo.Code, aoo.IPACode, aoo.Name, db.ts(aoo.CreatedAt)).Error; err != nil {
			return fmt.Errorf("create AOO: %w", err)
		}
		if err := db.insertRegister(tx, reg); err != nil {
			return err
		}
		created = true
		return nil
	})
	db.aoo.Store(nil) // read again, committed, on next use
	if err != nil {
		return false, fmt.Errorf("store AOO %s: %w", aoo.Code, err)
	}
	return created, nil
}

// Registers lists the registers by code.
func (db *DB) Registers(ctx context.Context) ([]domain.Register, error) {
	rows, err := db.read(ctx).Raw(`SELECT code, name, created_at, allow_unclassified FROM registers ORDER BY code`).Rows()
	if err != nil {
		return nil, fmt.Errorf("list registers: %w", err)
	}
	defer rows.Close()
	regs := []domain.Register{}
	for rows.Next() {
		var r domain.Register
		if err := rows.Scan(&r.Code, &r.Name, timeCol{T: &r.CreatedAt}, &r.AllowUnclassified); err != nil {
			return nil, fmt.Errorf("list registers: %w", err)
		}
		regs = append(regs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list registers: %w", err)
	}
	return regs, nil
}

// Register returns one register (ECNotFound).
func (db *DB) Register(ctx context.Context, code string) (domain.Register, error) {
	r := domain.Register{Code: code}
	err := db.read(ctx).Raw(`SELECT name, created_at, allow_unclassified FROM registers WHERE code = ?`, code).
		Row().Scan(&r.Name, timeCol{T: &r.CreatedAt}, &r.AllowUnclassified)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Register{}, domain.Errorf(domain.ECNotFound, "register %s not found", code)
	}
	if err != nil {
		return domain.Register{}, fmt.Errorf("register %s: %w", code, err)
	}
	return r, nil
}

// CreateRegister stores a new register with w. Returns ECConflict if the code exists.
func (db *DB) CreateRegister(ctx context.Context, r domain.Register, w domain.Write) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		if err := db.insertRegister(tx, r); err != nil {
			return err
		}
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return fmt.Errorf("create register %s: %w", r.Code, err)
	}
	return nil
}

func (db *DB) insertRegister(tx *gorm.DB, r domain.Register) error {
	err := tx.Exec(`INSERT INTO registers (code, name, created_at, allow_unclassified) VALUES (?, ?, ?, ?)`,
		r.Code, r.Name, db.ts(r.CreatedAt), r.AllowUnclassified).Error
	if isUnique(err, "registers") {
		return conflict(err, "register %s already exists", r.Code)
	}
	if err != nil {
		return fmt.Errorf("insert register %s: %w", r.Code, err)
	}
	return nil
}

// Offices lists the offices by code.
func (db *DB) Offices(ctx context.Context) ([]domain.Office, error) {
	rows, err := db.read(ctx).Raw(`SELECT code, name, created_at FROM offices ORDER BY code`).Rows()
	if err != nil {
		return nil, fmt.Errorf("list offices: %w", err)
	}
	defer rows.Close()
	offices := []domain.Office{}
	for rows.Next() {
		var o domain.Office
		if err := rows.Scan(&o.Code, &o.Name, timeCol{T: &o.CreatedAt}); err != nil {
			return nil, fmt.Errorf("list offices: %w", err)
		}
		offices = append(offices, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list offices: %w", err)
	}
	return offices, nil
}

// CreateOffice stores a new office with w. Returns ECConflict if the code exists.
func (db *DB) CreateOffice(ctx context.Context, o domain.Office, w domain.Write) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		err := tx.Exec(`INSERT INTO offices (code, name, created_at) VALUES (?, ?, ?)`,
			o.Code, o.Name, db.ts(o.CreatedAt)).Error
		if isUnique(err, "offices") {
			return conflict(err, "office %s already exists", o.Code)
		}
		if err != nil {
			return err
		}
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return fmt.Errorf("create office %s: %w", o.Code, err)
	}
	return nil
}
