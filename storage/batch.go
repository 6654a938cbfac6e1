package storage

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// stmt is one SQL statement, written with ? placeholders, and its arguments.
type stmt struct {
	sql  string
	args []any
	// read marks a query of one row, run for its effect (taking locks): runAll's statement
	// reads its row, since PostgreSQL runs a query in WITH only when it is read.
	read bool
	// into, if not nil, receives the one value the statement returns (RETURNING …).
	into any
	// scan, if not empty, receives the values of the one row the statement returns, in place
	// of into.
	scan []any
	// audit, if not empty, makes this an INSERT of these audit events, chained by runAll
	// (chainAudit) when it runs them.
	audit []domain.AuditEvent
}

// dests returns where s's row goes: scan, or into alone, or nil.
func (s stmt) dests() []any {
	if len(s.scan) > 0 {
		return s.scan
	}
	if s.into != nil {
		return []any{s.into}
	}
	return nil
}

// runAll executes independent INSERT statements in tx, in order. If into is not nil, the first
// statement must return one value (RETURNING …), which is scanned into it; so is the value of
// every statement with its own into.
//
// On PostgreSQL the statements are sent as one statement of data-modifying CTEs: one round trip
// instead of one each, which is most of the cost of a registration. On SQLite, in-process, they
// simply run one after the other. Statements must not depend on each other's effects.
func (db *DB) runAll(tx *gorm.DB, into any, stmts ...stmt) error {
	if len(stmts) == 0 {
		return nil
	}
	stmts, err := db.chainAudit(tx, stmts)
	if err != nil {
		return err
	}
	if into != nil {
		stmts = slices.Clone(stmts)
		stmts[0].into = into
	}
	if db.engine != Postgres || len(stmts) == 1 {
		for _, s := range stmts {
			var err error
			if dests := s.dests(); dests != nil {
				err = tx.Raw(s.sql, s.args...).Row().Scan(dests...)
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
		reads []string // the statements whose row is read: CROSS JOINed
		cols  []string // the columns selected
		dests []any
	)
	q.WriteString("WITH ")
	for i, s := range stmts {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "s%d AS (%s)", i, s.sql)
		args = append(args, s.args...)
		if s.read || s.dests() != nil {
			reads = append(reads, fmt.Sprintf("s%d", i))
		}
		if d := s.dests(); d != nil {
			cols = append(cols, fmt.Sprintf("s%d.*", i))
			dests = append(dests, d...)
		}
	}
	if len(dests) == 0 {
		q.WriteString(" SELECT 1")
		if len(reads) > 0 {
			q.WriteString(" FROM " + strings.Join(reads, " CROSS JOIN "))
		}
		return tx.Exec(q.String(), args...).Error
	}
	q.WriteString(" SELECT " + strings.Join(cols, ", ") + " FROM " + strings.Join(reads, " CROSS JOIN "))
	return tx.Raw(q.String(), args...).Row().Scan(dests...)
}

// insertBatches inserts rows (one value per column each) into table, per rows to a statement,
// so that a long list stays within PostgreSQL's 65,535 parameters a statement.
func insertBatches(table string, columns []string, rows [][]any, per int) []stmt {
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
	var out []stmt
	for start := 0; start < len(rows); start += per {
		batch := rows[start:min(start+per, len(rows))]
		s := stmt{sql: "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES " +
			strings.TrimSuffix(strings.Repeat(tuple+", ", len(batch)), ", ")}
		for _, r := range batch {
			s.args = append(s.args, r...)
		}
		out = append(out, s)
	}
	return out
}

// valuesOnly matches what follows VALUES in a plain multi-row INSERT: placeholder tuples only,
// no ON CONFLICT, no RETURNING.
var valuesOnly = regexp.MustCompile(`^\(\?(, \?)*\)(, \(\?(, \?)*\))*$`)

// mergeInserts returns stmts with the plain INSERTs into one table and columns merged into
// one multi-row INSERT, in the place of the first, their rows in order: a group commit's
// registrations each bring an INSERT of content references, of offices and of an idempotency
// key, and PostgreSQL plans and starts each statement of a WITH on its own. Only statements
// whose result nobody reads (no into, scan or read) and whose SQL is INSERT … VALUES with
// placeholders alone are merged; a merged statement fails where one of its parts would have,
// as the WITH of runAll is one statement either way.
func mergeInserts(stmts []stmt) []stmt {
	out := make([]stmt, 0, len(stmts))
	at := map[string]int{} // INSERT … VALUES prefix → its statement in out
	for _, s := range stmts {
		head, values, ok := strings.Cut(s.sql, " VALUES ")
		plain := ok && s.into == nil && len(s.scan) == 0 && !s.read && len(s.audit) == 0 &&
			strings.HasPrefix(strings.TrimSpace(head), "INSERT INTO ") && valuesOnly.MatchString(values)
		if !plain {
			out = append(out, s)
			continue
		}
		if i, seen := at[head]; seen {
			out[i].sql += ", " + values
			out[i].args = append(out[i].args, s.args...)
			continue
		}
		at[head] = len(out)
		s.args = slices.Clone(s.args)
		out = append(out, s)
	}
	return out
}
