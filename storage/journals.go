package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

var _ domain.JournalStore = (*DB)(nil)

const journalColumns = `register_code, journal_date, registrations, json_sha256, pdf_sha256, created_at`

// MissingJournalDays lists the days before before that have registrations and no journal, by
// date then register: the journal worker's to-do list, back-fill included.
func (db *DB) MissingJournalDays(ctx context.Context, before string) ([]domain.JournalDay, error) {
	rows, err := db.read(ctx).Raw(`SELECT DISTINCT r.register_code, r.reg_date FROM registrations r
		WHERE r.reg_date < ? AND NOT EXISTS (SELECT 1 FROM journals j
			WHERE j.register_code = r.register_code AND j.journal_date = r.reg_date)
		ORDER BY r.reg_date, r.register_code`, before).Rows()
	if err != nil {
		return nil, fmt.Errorf("days without journal before %s: %w", before, err)
	}
	defer rows.Close()
	var out []domain.JournalDay
	for rows.Next() {
		var d domain.JournalDay
		if err := rows.Scan(&d.Register, &d.Date); err != nil {
			return nil, fmt.Errorf("days without journal: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DayRegistrations returns the registrations of one register and protocol date by number, in
// one statement so that they are read from one snapshot.
func (db *DB) DayRegistrations(ctx context.Context, register, date string) ([]*domain.Registration, error) {
	rows, err := db.read(ctx).Raw(db.selectRegistrations()+` WHERE r.register_code = ? AND r.reg_date = ?
		ORDER BY r.year, r.number`, register, date).Rows()
	if err != nil {
		return nil, fmt.Errorf("registrations of %s on %s: %w", register, date, err)
	}
	defer rows.Close()
	var out []*domain.Registration
	for rows.Next() {
		r, _, err := scanRegistration(rows)
		if err != nil {
			return nil, fmt.Errorf("registrations of %s on %s: %w", register, date, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CreateJournal stores j and its journal.created change event in one transaction, so that the
// log sequencer logs every stored journal exactly once. A second journal of the same register
// and day — another worker that lost the race — is a conflict.
func (db *DB) CreateJournal(ctx context.Context, j domain.Journal) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO journals (`+journalColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			j.Register, j.Date, j.Registrations, j.JSONSHA256, j.PDFSHA256, db.ts(j.CreatedAt)).Error; err != nil {
			if isUnique(err, "journals") {
				return conflict(err, "the journal of %s on %s exists already", j.Register, j.Date)
			}
			if isForeignKey(err) {
				return domain.Errorf(domain.ECNotFound, "register %s not found", j.Register)
			}
			return err
		}
		c := db.changeStmt(domain.EventJournalCreated, domain.KindJournal, j.EntityID())
		var pos int64
		return tx.Raw(c.sql, c.args...).Row().Scan(&pos)
	})
	if err != nil {
		return fmt.Errorf("store journal of %s on %s: %w", j.Register, j.Date, err)
	}
	return nil
}

// Journal returns one journal (ECNotFound).
func (db *DB) Journal(ctx context.Context, register, date string) (domain.Journal, error) {
	j, err := scanJournal(db.read(ctx).Raw(`SELECT `+journalColumns+` FROM journals
		WHERE register_code = ? AND journal_date = ?`, register, date).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return j, domain.Errorf(domain.ECNotFound, "no journal of register %s on %s", register, date)
	}
	if err != nil {
		return j, fmt.Errorf("journal of %s on %s: %w", register, date, err)
	}
	return j, nil
}

// JournalByEntityID returns the journal named "<register>/<date>" (ECNotFound).
func (db *DB) JournalByEntityID(ctx context.Context, id string) (domain.Journal, error) {
	i := strings.LastIndexByte(id, '/')
	if i < 0 {
		return domain.Journal{}, domain.Errorf(domain.ECNotFound, "no journal %q", id)
	}
	return db.Journal(ctx, id[:i], id[i+1:])
}

// Journals lists a register's journals between from and to (inclusive, empty: unbounded),
// oldest first.
func (db *DB) Journals(ctx context.Context, register, from, to string) ([]domain.Journal, error) {
	q := `SELECT ` + journalColumns + ` FROM journals WHERE register_code = ?`
	args := []any{register}
	if from != "" {
		q += ` AND journal_date >= ?`
		args = append(args, from)
	}
	if to != "" {
		q += ` AND journal_date <= ?`
		args = append(args, to)
	}
	rows, err := db.read(ctx).Raw(q+` ORDER BY journal_date`, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("journals of %s: %w", register, err)
	}
	defer rows.Close()
	out := []domain.Journal{}
	for rows.Next() {
		j, err := scanJournal(rows)
		if err != nil {
			return nil, fmt.Errorf("journals of %s: %w", register, err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

func scanJournal(row rowScanner) (domain.Journal, error) {
	var j domain.Journal
	err := row.Scan(&j.Register, &j.Date, &j.Registrations, &j.JSONSHA256, &j.PDFSHA256, timeCol{T: &j.CreatedAt})
	return j, err
}
