package storage

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// stmt is one SQL statement, written with ? placeholders, and its arguments.
type stmt struct {
	sql  string
	args []any
}

// runAll executes independent INSERT statements in tx, in order. If into is not nil, the first
// statement must return one value (RETURNING …), which is scanned into it.
//
// On PostgreSQL the statements are sent as one statement of data-modifying CTEs: one round trip
// instead of one each, which is most of the cost of a registration. On SQLite, in-process, they
// simply run one after the other. Statements must not depend on each other's effects.
func (db *DB) runAll(tx *gorm.DB, into any, stmts ...stmt) error {
	if len(stmts) == 0 {
		return nil
	}
	if db.engine != Postgres || len(stmts) == 1 {
		for i, s := range stmts {
			var err error
			if i == 0 && into != nil {
				err = tx.Raw(s.sql, s.args...).Row().Scan(into)
			} else {
				err = tx.Exec(s.sql, s.args...).Error
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	var (
		q    strings.Builder
		args []any
	)
	q.WriteString("WITH ")
	for i, s := range stmts {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "s%d AS (%s)", i, s.sql)
		args = append(args, s.args...)
	}
	if into == nil {
		q.WriteString(" SELECT 1")
		return tx.Exec(q.String(), args...).Error
	}
	q.WriteString(" SELECT * FROM s0")
	return tx.Raw(q.String(), args...).Row().Scan(into)
}
