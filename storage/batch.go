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
	// read marks a query of one row, run for its effect (taking locks): runAll's statement
	// reads its row, since PostgreSQL runs a query in WITH only when it is read.
	read bool
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
		q     strings.Builder
		args  []any
		reads []string
	)
	q.WriteString("WITH ")
	for i, s := range stmts {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "s%d AS (%s)", i, s.sql)
		args = append(args, s.args...)
		if s.read {
			reads = append(reads, fmt.Sprintf("s%d", i))
		}
	}
	if into == nil {
		q.WriteString(" SELECT 1")
		if len(reads) > 0 {
			q.WriteString(" FROM " + strings.Join(reads, " CROSS JOIN "))
		}
		return tx.Exec(q.String(), args...).Error
	}
	q.WriteString(" SELECT s0.* FROM " + strings.Join(append([]string{"s0"}, reads...), " CROSS JOIN "))
	return tx.Raw(q.String(), args...).Row().Scan(into)
}
