package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// numberAndInsert takes the next number of r's (register, year) counter, gives it to r with
// r.AssignNumber, and inserts r. The counter row stays locked until the transaction ends.
//
// On PostgreSQL this is one statement, so that the row is locked for one round trip and the
// commit rather than two round trips: with many concurrent registrations in one register, that
// lock is the bottleneck. SQL formats the identifier there, from the prefix domain.Identifier
// gives number 0, and the result is checked against r.AssignNumber's: should they ever differ,
// the registration fails rather than store an identifier the domain would not have made.
// The counter is moved with a plain UPDATE, and created with INSERT … ON CONFLICT only when
// the UPDATE finds no row (the first registration of a year): waiters on an UPDATE queue on
// the row lock and then read its latest version, while an upsert retries its insertion after
// every commit it waited for (measured on 2 cores, 32 callers: ~800 against ~1,100 a second).
//
// With last set the statement is the transaction's last, and the transaction commits with it
// (the caller's Commit then ends an empty one).
//
// On PostgreSQL a last statement travels together with COMMIT in one simple-protocol round
// trip ("…; COMMIT; BEGIN"), so the counter row is locked for the statement and the commit's
// WAL flush only, not also for the wait until the client reads the answer and sends COMMIT:
// sampling pg_stat_activity under 16 concurrent HTTP clients showed most backends waiting on
// the counter's lock while its holder sat idle in transaction, waiting for the client. The
// trailing BEGIN leaves the connection in a transaction, so that the driver's own COMMIT ends
// an empty one instead of warning that none is in progress. Should the statement fail, PostgreSQL
// skips the COMMIT and the caller rolls back as usual. This path is taken only once the
// counter row is known to exist: a missing row would make the statement insert nothing and
// still commit; the statement is also written to fail outright, rather than insert nothing,
// should the row be missing all the same. On this path the comparison of the identifier SQL
// formatted with the domain's comes after the commit: a difference — a bug in one of the two
// formatters, never seen — is still reported, but the row is stored by then.
//
// tail holds the statements runAllChainLast left to the end of the transaction: the last
// statement sends them with the numbering, so that the audit chain's head stays locked for that
// round trip and the commit only; otherwise they run right after it.
func (db *DB) numberAndInsert(tx *gorm.DB, aoo domain.AOO, r *domain.Registration, enc encoded, last bool, tail []stmt) error {
	if db.engine != Postgres {
		if len(tail) > 0 {
			return errors.New("number a registration: audit statements left to the end on SQLite")
		}
		n, err := db.nextNumberSQLite(tx, r.Register, r.Year)
		if err != nil {
			return err
		}
		r.AssignNumber(aoo, n)
		if err := registrationError(tx.Exec(registrationInsertValues, db.registrationArgs(r, enc)...).Error, r); err != nil {
			return err
		}
		return db.moveCounterSQLite(tx, r.Register, r.Year, n)
	}
	prefix := strings.TrimSuffix(domain.Identifier(aoo, r.Register, r.Year, 0), domain.FormatNumber(0))
	selected, args := numberedSelect("last_number", registrationTable, func(c regColumn) (string, []any) {
		return c.param(), []any{c.value(db, r, enc)}
	}, prefix)
	var (
		n     int64
		ident string
	)
	statement := func(counter string, guard bool, tail string) string {
		from := `FROM counter`
		if guard {
			// One row even when the counter yields none: its NULL number then violates NOT NULL,
			// so that a missing counter row fails the statement instead of inserting nothing.
			from = `FROM counter RIGHT JOIN (SELECT 1) AS one ON true`
		}
		return `WITH counter AS (` + counter + `)` + tail + `
			` + registrationInsert + `
			SELECT ` + selected + `
			` + from + `
			RETURNING number, identifier`
	}
	const update = `UPDATE register_counters SET last_number = last_number + 1
		WHERE register_code = ? AND year = ? RETURNING last_number`
	var err error
	if _, known := db.counters.Load(counterKey{r.Register, r.Year}); known && last {
		ctes, tailArgs := tailCTEs(tail)
		err = commitWith(tx, statement(update, true, ctes),
			append(append([]any{r.Register, r.Year}, tailArgs...), args...), &n, &ident)
	} else {
		err = tx.Raw(statement(update, false, ""), append([]any{r.Register, r.Year}, args...)...).Row().Scan(&n, &ident)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.Raw(statement(`INSERT INTO register_counters (register_code, year, last_number) VALUES (?, ?, 1)
				ON CONFLICT (register_code, year) DO UPDATE SET last_number = register_counters.last_number + 1
				RETURNING last_number`, false, ""), append([]any{r.Register, r.Year}, args...)...).Row().Scan(&n, &ident)
		}
		if err == nil && len(tail) > 0 {
			err = db.runAll(tx, nil, tail...)
		}
	}
	if err != nil {
		return registrationError(err, r)
	}
	r.AssignNumber(aoo, n)
	if r.Identifier != ident {
		return fmt.Errorf("registration %s: the database formatted identifier %q, the domain %q", r.ID, ident, r.Identifier)
	}
	return nil
}

// numberAndInsertAll does what numberAndInsert does with last set, for registrations rs of one
// register and year (encoded as encs, in order), whose counter row is known to exist: they take
// the counter's next len(rs) numbers, in order, and the transaction commits.
//
// On PostgreSQL this is one statement that moves the counter by len(rs) and inserts every row,
// sent with COMMIT as numberAndInsert sends one. The counter's guard lets it move by more than
// one only because a constraint trigger, at commit, checks that registrations hold every number
// it moved past (migration 0013). SQLite's guard allows one step per update: there each
// registration is numbered by its own statement, which costs no round trip in process.
// tail is sent with the statement, as numberAndInsert sends it.
func (db *DB) numberAndInsertAll(tx *gorm.DB, aoo domain.AOO, rs []*domain.Registration, encs []encoded, tail []stmt) error {
	if db.engine != Postgres {
		if len(tail) > 0 {
			return errors.New("number registrations: audit statements left to the end on SQLite")
		}
		for i, r := range rs {
			if err := db.numberAndInsert(tx, aoo, r, encs[i], false, nil); err != nil {
				return err
			}
		}
		return nil
	}
	register, year := rs[0].Register, rs[0].Year
	prefix := strings.TrimSuffix(domain.Identifier(aoo, register, year, 0), domain.FormatNumber(0))
	k := len(rs)
	var q strings.Builder
	selected, args := numberedSelect("n.number", registrationTable, func(c regColumn) (string, []any) {
		return "v." + c.name, nil
	}, prefix)
	ctes, tailArgs := tailCTEs(tail)
	args = append(append([]any{register, year}, tailArgs...), args...)
	fmt.Fprintf(&q, `WITH counter AS (UPDATE register_counters SET last_number = last_number + %d
			WHERE register_code = ? AND year = ? RETURNING last_number)%s
		%s
		SELECT %s
		FROM counter RIGHT JOIN (VALUES `, k, ctes, registrationInsert, selected)
	params := make([]string, len(boundColumns))
	for i, c := range boundColumns {
		params[i] = c.param()
	}
	row := `(?::integer, ` + strings.Join(params, ", ") + `)`
	for i, r := range rs {
		if i > 0 {
			q.WriteString(", ")
		}
		// One row per registration, its ordinal first; number and identifier come from SQL.
		q.WriteString(row)
		args = append(args, i+1)
		for _, c := range boundColumns {
			args = append(args, c.value(db, r, encs[i]))
		}
	}
	// A missing counter row leaves every number NULL, which NOT NULL refuses: the statement
	// fails rather than insert nothing and commit.
	fmt.Fprintf(&q, `) AS v(ord, %s) ON true
		CROSS JOIN LATERAL (SELECT counter.last_number - %d + v.ord AS number) AS n
		RETURNING id, number, identifier`, columnNames(boundColumns, ""), k)
	numbers := make(map[string]numbered, k)
	err := commitWithRows(tx, q.String(), args, func(scan func(...any) error) error {
		var (
			id string
			n  numbered
		)
		if err := scan(&id, &n.number, &n.identifier); err != nil {
			return err
		}
		numbers[id] = n
		return nil
	})
	if err != nil {
		return registrationError(err, rs[0])
	}
	for _, r := range rs {
		n, ok := numbers[r.ID]
		if !ok {
			return fmt.Errorf("registration %s: the database returned no number", r.ID)
		}
		r.AssignNumber(aoo, n.number)
		if r.Identifier != n.identifier {
			return fmt.Errorf("registration %s: the database formatted identifier %q, the domain %q", r.ID, n.identifier, r.Identifier)
		}
	}
	return nil
}

// tailCTEs returns tail as further common table expressions of a numbering statement (", t0 AS
// (…), …"), and their arguments. PostgreSQL runs a data-modifying statement in WITH to
// completion whether or not its rows are read; none of tail's results are.
func tailCTEs(tail []stmt) (string, []any) {
	var (
		q    strings.Builder
		args []any
	)
	for i, s := range tail {
		fmt.Fprintf(&q, ", t%d AS (%s)", i, s.sql)
		args = append(args, s.args...)
	}
	return q.String(), args
}

// numbered is a registration's number and identifier as the database gave them.
type numbered struct {
	number     int64
	identifier string
}

// counterKey names one counter row: register and year. A key enters DB.counters once a
// registration using the row has committed — before, the row may be another transaction's
// uncommitted insert, which an UPDATE does not see — and stays: counter rows are never deleted.
type counterKey struct {
	register string
	year     int
}

// commitWith runs query — gorm's ? placeholders, PostgreSQL only — scanning its one row into
// dest, and commits the transaction in the same round trip (see numberAndInsert).
func commitWith(tx *gorm.DB, query string, args []any, dest ...any) error {
	rows := 0
	err := commitWithRows(tx, query, args, func(scan func(...any) error) error {
		rows++
		return scan(dest...)
	})
	if err == nil && rows != 1 {
		err = fmt.Errorf("commit with a statement: %d rows, want 1", rows)
	}
	return err
}

// commitWithRows runs query as commitWith does, calling each for each row it returns. The
// transaction has committed only if it returns nil: an error of the COMMIT itself (a deferred
// constraint) is reported on closing the rows.
func commitWithRows(tx *gorm.DB, query string, args []any, each func(scan func(...any) error) error) error {
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return fmt.Errorf("commit with a statement: not in a database/sql transaction (%T)", tx.Statement.ConnPool)
	}
	rows, err := sqlTx.QueryContext(tx.Statement.Context, dollarPlaceholders(query)+`; COMMIT; BEGIN`,
		append([]any{pgx.QueryExecModeSimpleProtocol}, args...)...)
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			_ = rows.Close()
			return err
		}
	}
	if err := rows.Err(); err != nil {
		_ = rows.Close()
		return err
	}
	return rows.Close()
}

// dollarPlaceholders numbers the ? placeholders of query as PostgreSQL's $1, $2, …; query must
// hold no other question mark (no string literal or jsonb operator with one).
func dollarPlaceholders(query string) string {
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// numberedSelect returns the select list of PostgreSQL's numbering INSERT … SELECT and its
// arguments: number is the SQL of the number taken from the counter, the identifier is prefix
// followed by the number zero-padded as domain.FormatNumber pads it, and every other column is
// what other returns for it.
func numberedSelect(number string, cols []regColumn, other func(regColumn) (string, []any), prefix string) (string, []any) {
	var (
		list []string
		args []any
	)
	for _, c := range cols {
		switch c.name {
		case colNumber:
			list = append(list, number)
		case colIdentifier:
			list = append(list, `?::text || lpad(`+number+`::text, greatest(?::integer, length(`+number+`::text)), '0')`)
			args = append(args, prefix, domain.NumberDigits)
		default:
			sql, a := other(c)
			list = append(list, sql)
			args = append(args, a...)
		}
	}
	return strings.Join(list, ", "), args
}

// registrationError maps the errors of numbering and inserting r.
func registrationError(err error, r *domain.Registration) error {
	kind, table, msg := classify(err)
	switch {
	case err == nil:
		return nil
	case kind == uniqueViolation && strings.Contains(msg, "emergency_number") && r.Emergency != nil:
		return conflict(err, "emergency number %d of outage %s is already loaded", r.Emergency.Number, r.Emergency.Register)
	case kind == foreignKeyViolation && (table == "register_counters" || table == ""):
		return domain.Errorf(domain.ECNotFound, "register %s not found", r.Register)
	case kind == uniqueViolation || kind == guardViolation:
		// SQLite's guard refuses an insert that would replace an existing registration.
		return conflict(err, "registration %s already exists", r.ID)
	}
	return fmt.Errorf("number and insert registration: %w", err)
}

// nextNumberSQLite returns the next number of the (register, year) counter, 1 for a counter not
// yet created. The caller inserts the registration with it, then moves the counter with
// moveCounterSQLite: SQLite's guards refuse a counter moved to a number no registration holds
// (migration 0013), and its single writer makes read-then-update safe.
func (db *DB) nextNumberSQLite(tx *gorm.DB, register string, year int) (int64, error) {
	var n int64
	err := tx.Raw(`SELECT coalesce((SELECT last_number FROM register_counters
		WHERE register_code = ? AND year = ?), 0) + 1`, register, year).Row().Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("next number of %s/%d: %w", register, year, err)
	}
	return n, nil
}

// moveCounterSQLite moves the (register, year) counter to n, its next number, creating it at 1.
// SQLite refuses any INSERT over an existing counter, an upsert included, so that INSERT OR
// REPLACE cannot reset it.
func (db *DB) moveCounterSQLite(tx *gorm.DB, register string, year int, n int64) error {
	var err error
	if n == 1 {
		err = tx.Exec(`INSERT INTO register_counters (register_code, year, last_number) VALUES (?, ?, 1)`, register, year).Error
	} else {
		err = tx.Exec(`UPDATE register_counters SET last_number = ? WHERE register_code = ? AND year = ?`, n, register, year).Error
	}
	if isForeignKey(err) {
		return domain.Errorf(domain.ECNotFound, "register %s not found", register)
	}
	if err != nil {
		return fmt.Errorf("move the counter of %s/%d to %d: %w", register, year, n, err)
	}
	return nil
}
