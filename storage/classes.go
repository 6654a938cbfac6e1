package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

const classColumns = `code, parent, level, title, description, retention_years, valid_from, valid_to,
	replaced_by, created_at, retention_permanent`

// Classes lists the classes selected by f, in byte order of their codes.
func (db *DB) Classes(ctx context.Context, f domain.ClassFilter) ([]domain.Class, error) {
	classes, err := db.classes(db.read(ctx), f)
	if err != nil {
		return nil, fmt.Errorf("list classes: %w", err)
	}
	return classes, nil
}

func (db *DB) classes(tx *gorm.DB, f domain.ClassFilter) ([]domain.Class, error) {
	var (
		where []string
		args  []any
	)
	if f.Under != "" {
		// The class and its descendants: codes starting with "VI." sort in ["VI.", "VI/").
		where = append(where, `(code = ? OR (code >= ? AND code < ?))`)
		args = append(args, f.Under, f.Under+".", f.Under+"/")
	}
	if f.On != "" {
		where = append(where, `valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?)`)
		args = append(args, f.On, f.On)
	}
	q := `SELECT ` + classColumns + ` FROM classes`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	rows, err := tx.Raw(q+` ORDER BY code`, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Class{}
	for rows.Next() {
		c, err := scanClass(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Class returns one class, whatever its validity (ECNotFound).
func (db *DB) Class(ctx context.Context, code string) (domain.Class, error) {
	c, err := db.class(db.read(ctx), code, false)
	if err != nil {
		return domain.Class{}, fmt.Errorf("class %s: %w", code, err)
	}
	return c, nil
}

func (db *DB) class(tx *gorm.DB, code string, lock bool) (domain.Class, error) {
	q := `SELECT ` + classColumns + ` FROM classes WHERE code = ?`
	if lock && db.engine == Postgres {
		q += ` FOR UPDATE`
	}
	c, err := scanClass(tx.Raw(q, code).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Class{}, domain.Errorf(domain.ECNotFound, "class %s not found", code)
	}
	return c, err
}

// scanClass reads one row of classColumns.
func scanClass(row interface{ Scan(...any) error }) (domain.Class, error) {
	var (
		c                         domain.Class
		parent, validTo, replaced sql.NullString
		retention                 sql.NullInt64
	)
	if err := row.Scan(&c.Code, &parent, &c.Level, &c.Title, &c.Description, &retention, &c.ValidFrom,
		&validTo, &replaced, timeCol{T: &c.CreatedAt}, &c.RetentionPermanent); err != nil {
		return domain.Class{}, err
	}
	c.Parent, c.ValidTo, c.ReplacedBy = parent.String, validTo.String, replaced.String
	if retention.Valid {
		n := int(retention.Int64)
		c.RetentionYears = &n
	}
	return c, nil
}

// lockClasses serialises writes to the scheme, so that check and insert see the same tree. On
// SQLite the write transaction is already exclusive.
func (db *DB) lockClasses(tx *gorm.DB) error {
	if db.engine != Postgres {
		return nil
	}
	return tx.Exec(`LOCK TABLE classes IN SHARE ROW EXCLUSIVE MODE`).Error
}

// CreateClasses stores cs, parents first, with w, after check has accepted them against every
// stored class; all in one transaction. Returns ECConflict if a code exists.
func (db *DB) CreateClasses(ctx context.Context, cs []domain.Class, check func(existing []domain.Class) error, w domain.Write) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		if err := db.lockClasses(tx); err != nil {
			return err
		}
		existing, err := db.classes(tx, domain.ClassFilter{})
		if err != nil {
			return fmt.Errorf("load scheme: %w", err)
		}
		if err := check(existing); err != nil {
			return err
		}
		if err := db.insertClasses(tx, cs); err != nil {
			return err
		}
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return fmt.Errorf("create classes: %w", err)
	}
	return nil
}

// classBatch is how many classes one INSERT carries (11 parameters each, well under both
// engines' limits).
const classBatch = 200

// insertClasses inserts cs level by level, so that every parent row exists before its children.
func (db *DB) insertClasses(tx *gorm.DB, cs []domain.Class) error {
	sorted := slices.Clone(cs)
	slices.SortStableFunc(sorted, func(a, b domain.Class) int { return a.Level - b.Level })
	for start := 0; start < len(sorted); start += classBatch {
		chunk := sorted[start:min(start+classBatch, len(sorted))]
		var q strings.Builder
		q.WriteString(`INSERT INTO classes (` + classColumns + `) VALUES `)
		args := make([]any, 0, 11*len(chunk))
		for i, c := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, c.Code, nullString(c.Parent), c.Level, c.Title, c.Description, retentionArg(c.RetentionYears),
				c.ValidFrom, nullString(c.ValidTo), nullString(c.ReplacedBy), db.ts(c.CreatedAt), c.RetentionPermanent)
		}
		err := tx.Exec(q.String(), args...).Error
		if kind, _, _ := classify(err); kind == uniqueViolation || kind == guardViolation {
			return conflict(err, "a class of the batch already exists")
		}
		if isForeignKey(err) {
			return &domain.Error{Code: domain.ECValidation, Message: "a parent or replacement class does not exist", Err: err}
		}
		if err != nil {
			return fmt.Errorf("insert classes: %w", err)
		}
	}
	return nil
}

// CloseClass locks the class, lets change close it, and stores valid_to and replaced_by with
// the Write change returns. Returns ECNotFound; change's error unchanged.
func (db *DB) CloseClass(ctx context.Context, code string,
	change func(c *domain.Class, children []domain.Class) (domain.Write, error)) (domain.Class, error) {
	var out domain.Class
	err := db.write(ctx, func(tx *gorm.DB) error {
		if err := db.lockClasses(tx); err != nil {
			return err
		}
		c, err := db.class(tx, code, true)
		if err != nil {
			return err
		}
		sub, err := db.classes(tx, domain.ClassFilter{Under: code})
		if err != nil {
			return fmt.Errorf("load children: %w", err)
		}
		children := slices.DeleteFunc(sub, func(ch domain.Class) bool { return ch.Parent != code })
		w, err := change(&c, children)
		if err != nil {
			return err
		}
		err = tx.Exec(`UPDATE classes SET valid_to = ?, replaced_by = ? WHERE code = ?`,
			nullString(c.ValidTo), nullString(c.ReplacedBy), code).Error
		if err != nil {
			return guarded(err)
		}
		out = c
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return domain.Class{}, fmt.Errorf("close class %s: %w", code, err)
	}
	return out, nil
}

// SetClassRetention locks the scheme, calls change with the classes of codes (in the order
// given; ECNotFound names an unknown code) and stores the retention change leaves them with,
// and w, in one transaction.
func (db *DB) SetClassRetention(ctx context.Context, codes []string, change func(cs []domain.Class) ([]domain.Class, domain.Write, error)) ([]domain.Class, error) {
	var out []domain.Class
	err := db.write(ctx, func(tx *gorm.DB) error {
		if err := db.lockClasses(tx); err != nil {
			return err
		}
		cs := make([]domain.Class, len(codes))
		for i, code := range codes {
			c, err := db.class(tx, code, true)
			if err != nil {
				return err
			}
			cs[i] = c
		}
		changed, w, err := change(cs)
		if err != nil {
			return err
		}
		for _, c := range changed {
			err := tx.Exec(`UPDATE classes SET retention_years = ?, retention_permanent = ? WHERE code = ?`,
				retentionArg(c.RetentionYears), c.RetentionPermanent, c.Code).Error
			if err != nil {
				return guarded(err)
			}
		}
		out = changed
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return nil, fmt.Errorf("set retention of classes: %w", err)
	}
	return out, nil
}

// nullString binds "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func retentionArg(n *int) any {
	if n == nil {
		return nil
	}
	return *n
}
