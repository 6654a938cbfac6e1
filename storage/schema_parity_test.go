package storage_test

import (
	"database/sql"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage/storagetest"
)

// The two schemas are written by hand, one per engine; this test reads back from each engine's
// catalog what it enforces declaratively — per table, the NOT NULL columns, the columns each
// CHECK constraint reads, the UNIQUE keys and primary keys, and the foreign keys — and requires
// the same sets, so that the same row is accepted or refused alike. Triggers are left out: they
// differ in form by nature (PL/pgSQL functions, SELECT RAISE), and storage/guards_test.go checks
// what they refuse on both engines.

// parityExceptions lists the differences that are justified, each with why; anything else that
// differs fails the test.
var parityExceptions = map[string]string{
	"sqlite only: documents: check on confidential":       "PostgreSQL's boolean admits only true and false; SQLite stores 0 or 1 and checks it",
	"sqlite only: registrations: check on confidential":   "PostgreSQL's boolean admits only true and false; SQLite stores 0 or 1 and checks it",
	"sqlite only: registers: check on allow_unclassified": "PostgreSQL's boolean admits only true and false; SQLite stores 0 or 1 and checks it",
	"sqlite only: classes: check on retention_permanent":  "PostgreSQL's boolean admits only true and false; SQLite stores 0 or 1 and checks it",
	"postgres only: classes: check on retention_permanent, retention_years": "added by version 32, after the table: SQLite " +
		"enforces it in triggers classes_retention_one_insert and _update, as a CHECK cannot be added to an existing SQLite " +
		"table without rebuilding it",
	"sqlite only: documents: check on sha256": "SQLite checks the length here and the hexadecimal digits in trigger documents_sha256_hex " +
		"(sqlite/0014): a CHECK cannot be added to an existing SQLite table without rebuilding it",
	"postgres only: documents: check on sha256 with '^[0-9a-f]{64}$'": "the same check as SQLite's length check and trigger documents_sha256_hex",
	"postgres only: registrations: check on disposal_id, disposed_at": "added by version 5, after the table: SQLite enforces it in " +
		"trigger registrations_disposal, as a CHECK cannot be added to an existing SQLite table without rebuilding it",
	"postgres only: registrations: check on emergency_date, emergency_number, emergency_outage": "added by version 25, after " +
		"the table: SQLite enforces it in trigger registrations_emergency_whole, as a CHECK cannot be added to an existing " +
		"SQLite table without rebuilding it",
	"postgres only: cases: foreign key (procedure_code, procedure_version) references procedure_versions (procedure_code, version) on delete no action": "added " +
		"by version 36, after the table: SQLite cannot add a foreign key to an existing table, and checks the reference in " +
		"trigger cases_procedure_version (procedure versions are never deleted)",
	"postgres only: change_events: not null txid": "only PostgreSQL has concurrent writers whose positions commit out of order, " +
		"and a transaction id to read the feed in commit order (storage/changes.go); SQLite has one writer and no such column",
}

// globAsRegexp rewrites the GLOB patterns of SQLite's checks as the regular expressions of the
// same checks on PostgreSQL, so that their literals compare.
var globAsRegexp = strings.NewReplacer(
	"'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'", "'^[0-9]{4}-[0-9]{2}-[0-9]{2}$'",
	"'*[^0-9a-f]*'", "'^[0-9a-f]{64}$'", // beside length(x) = 64
	"'http://*' 'https://*'", "'^https?://'",
)

// comparedTable leaves out River's job tables (river_*): River's own migrations write them, per
// engine.
func comparedTable(name string) bool { return !strings.HasPrefix(name, "river_") }

func TestSchemaParity(t *testing.T) {
	if len(testdb.Names()) < 2 {
		t.Skipf("comparing the schemas needs PostgreSQL: set %s", testdb.EnvPostgres)
	}
	lite := testdb.URL(t, testdb.SQLite)
	pg := testdb.URL(t, testdb.Postgres)
	storagetest.Open(t, lite)
	storagetest.Open(t, pg)
	got := map[string][]string{
		testdb.SQLite:   numbered(sqliteConstraints(t, testdb.RawDB(t, lite))),
		testdb.Postgres: numbered(postgresConstraints(t, testdb.RawDB(t, pg))),
	}
	onlyIn := func(engine, other string) []string {
		var out []string
		for _, c := range got[engine] {
			if !slices.Contains(got[other], c) {
				out = append(out, c)
			}
		}
		return out
	}
	seen := map[string]bool{}
	for _, pair := range [][2]string{{testdb.SQLite, testdb.Postgres}, {testdb.Postgres, testdb.SQLite}} {
		for _, c := range onlyIn(pair[0], pair[1]) {
			key := pair[0] + " only: " + c
			seen[key] = true
			if _, ok := parityExceptions[key]; !ok {
				t.Errorf("%s", key)
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(parityExceptions)) {
		if !seen[key] {
			t.Errorf("parityExceptions lists %q, which no longer differs: remove it", key)
		}
	}
	if len(got[testdb.SQLite]) < 100 {
		t.Errorf("only %d constraints read from SQLite's catalog: the test reads the wrong thing", len(got[testdb.SQLite]))
	}
}

// numbered marks the repeats of a line in sorted lines ("… (2)"), so that two checks on the
// same columns on one engine do not match one on the other.
func numbered(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l
		if n := i - slices.Index(lines, l); n > 0 {
			out[i] = fmt.Sprintf("%s (%d)", l, n+1)
		}
	}
	return out
}

// sqliteConstraints describes what SQLite enforces, one line per constraint.
func sqliteConstraints(t *testing.T, db *sql.DB) []string {
	var out []string
	for _, table := range queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`) {
		if !comparedTable(table) {
			continue
		}
		prefix := func(lines []string) []string {
			for i, l := range lines {
				lines[i] = table + ": " + l
			}
			return lines
		}
		ddl := queryStrings(t, db, `SELECT sql FROM sqlite_master WHERE name = ?`, table)[0]
		// SQLite lets a primary key column of a rowid table hold NULL unless it is declared NOT
		// NULL, the table is STRICT, or the column is the rowid itself; PostgreSQL never does.
		// (table_info reports the first two as notnull.)
		withoutRowid := regexp.MustCompile(`(?i)\bWITHOUT\s+ROWID\b`).MatchString(ddl)
		out = append(out, prefix(queryStrings(t, db, `SELECT 'not null ' || name FROM pragma_table_info(?1)
			WHERE "notnull" = 1 OR pk > 0 AND (?2 OR type = 'INTEGER' AND (SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1)`,
			table, withoutRowid))...)
		out = append(out, prefix(queryStrings(t, db, `SELECT 'primary key (' || group_concat(name, ', ') || ')'
			FROM (SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk) HAVING count(*) > 0`, table))...)
		columns := queryStrings(t, db, `SELECT name FROM pragma_table_info(?)`, table)
		for _, check := range checkExprs(ddl) {
			out = append(out, table+": check on "+strings.Join(mentioned(check, columns), ", ")+globAsRegexp.Replace(literals(check)))
		}
		out = append(out, prefix(queryStrings(t, db, `SELECT 'unique (' ||
				(SELECT group_concat(coalesce(x.name, '<expression>'), ', ') FROM
					(SELECT name FROM pragma_index_xinfo(i.name) WHERE key = 1 ORDER BY seqno) x) || ')' ||
				CASE WHEN i.partial THEN ' where …' ELSE '' END
			FROM pragma_index_list(?) i WHERE i."unique" = 1 AND i.origin <> 'pk'`, table))...)
		// A foreign key without "to" columns references the primary key.
		out = append(out, prefix(queryStrings(t, db, `SELECT 'foreign key (' || group_concat("from", ', ') || ') references ' ||
				"table" || ' (' || group_concat(coalesce("to", (SELECT p.name FROM pragma_table_info(f."table") p WHERE p.pk = f.seq + 1)), ', ') ||
				') on delete ' || lower(on_delete)
			FROM (SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq) f GROUP BY id`, table))...)
	}
	slices.Sort(out)
	return out
}

// postgresConstraints describes what PostgreSQL enforces, as sqliteConstraints does.
func postgresConstraints(t *testing.T, db *sql.DB) []string {
	var out []string
	keep := func(rows []string) {
		for _, r := range rows {
			if table, _, _ := strings.Cut(r, ":"); comparedTable(table) {
				out = append(out, r)
			}
		}
	}
	keep(queryStrings(t, db, `SELECT table_name || ': not null ' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_nullable = 'NO'`))
	// Key and check columns in key order; a column of an expression index is 0.
	keep(queryStrings(t, db, `SELECT c.relname || ': primary key (' || (SELECT string_agg(a.attname, ', ' ORDER BY k.n)
			FROM unnest(x.conkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = x.conrelid AND a.attnum = k.attnum) || ')'
		FROM pg_constraint x JOIN pg_class c ON c.oid = x.conrelid
		WHERE x.contype = 'p' AND x.connamespace = current_schema()::regnamespace`))
	checks := queryStrings(t, db, `SELECT c.relname || ': check on ' || (SELECT string_agg(a.attname, ', ' ORDER BY a.attname)
			FROM pg_attribute a WHERE a.attrelid = x.conrelid AND a.attnum = ANY (x.conkey)) || chr(1) || pg_get_constraintdef(x.oid)
		FROM pg_constraint x JOIN pg_class c ON c.oid = x.conrelid
		WHERE x.contype = 'c' AND x.connamespace = current_schema()::regnamespace`)
	for i, c := range checks {
		desc, def, _ := strings.Cut(c, "\x01")
		checks[i] = desc + literals(def)
	}
	keep(checks)
	keep(queryStrings(t, db, `SELECT c.relname || ': unique (' || (SELECT string_agg(coalesce(a.attname, '<expression>'), ', ' ORDER BY k.n)
			FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n) LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
			WHERE k.n <= i.indnkeyatts) || ')' || CASE WHEN i.indpred IS NULL THEN '' ELSE ' where …' END
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		WHERE i.indisunique AND NOT i.indisprimary AND c.relnamespace = current_schema()::regnamespace`))
	keep(queryStrings(t, db, `SELECT c.relname || ': foreign key (' ||
			(SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(x.conkey) WITH ORDINALITY k(attnum, n)
				JOIN pg_attribute a ON a.attrelid = x.conrelid AND a.attnum = k.attnum) || ') references ' || r.relname || ' (' ||
			(SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(x.confkey) WITH ORDINALITY k(attnum, n)
				JOIN pg_attribute a ON a.attrelid = x.confrelid AND a.attnum = k.attnum) || ') on delete ' ||
			CASE x.confdeltype WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict' WHEN 'c' THEN 'cascade'
				WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' END
		FROM pg_constraint x JOIN pg_class c ON c.oid = x.conrelid JOIN pg_class r ON r.oid = x.confrelid
		WHERE x.contype = 'f' AND x.connamespace = current_schema()::regnamespace`))
	slices.Sort(out)
	return out
}

// checkExprs returns the expression of each CHECK constraint in a CREATE TABLE statement.
func checkExprs(ddl string) []string {
	var out []string
	re := regexp.MustCompile(`(?i)\bCHECK\s*\(`)
	for i := 0; ; {
		loc := re.FindStringIndex(ddl[i:])
		if loc == nil {
			return out
		}
		start := i + loc[1]
		depth, j, quoted := 1, start, false
		for ; j < len(ddl) && depth > 0; j++ {
			switch c := ddl[j]; {
			case c == '\'':
				quoted = !quoted
			case quoted:
			case c == '(':
				depth++
			case c == ')':
				depth--
			}
		}
		out = append(out, ddl[start:j-1])
		i = j
	}
}

// mentioned returns the columns of names that expr reads, sorted; string literals are skipped.
func mentioned(expr string, names []string) []string {
	expr = regexp.MustCompile(`'[^']*'`).ReplaceAllString(expr, "''")
	var out []string
	for _, n := range names {
		if regexp.MustCompile(`(?i)(^|[^A-Za-z0-9_.])"?` + regexp.QuoteMeta(n) + `"?($|[^A-Za-z0-9_(])`).MatchString(expr) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// literals lists the distinct string literals of a CHECK expression, which both engines keep
// as written ("status IN ('open', 'closed')" and "status = ANY (ARRAY['open'::text, …])").
func literals(expr string) string {
	var out []string
	for _, m := range regexp.MustCompile(`'((?:[^']|'')*)'`).FindAllString(expr, -1) {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return ""
	}
	slices.Sort(out)
	return " with " + strings.Join(out, " ")
}

func queryStrings(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s.String)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDocumentDigestChecked: a document whose digest is not 64 lowercase hexadecimal digits is
// refused by the database on both engines (SQLite checked only the length).
func TestDocumentDigestChecked(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withClasses(t)
		for _, digest := range []string{strings.Repeat("3C", 32), strings.Repeat("zz", 32)} {
			d := newDocument(func(d *domain.Document) { d.File.SHA256 = digest })
			if err := f.db.CreateDocument(t.Context(), d, documentWrite(d)); err == nil {
				t.Errorf("digest %s: stored", digest)
			}
		}
		if n := f.queryInt(t, `SELECT count(*) FROM documents`); n != 0 {
			t.Errorf("%d documents stored, want none", n)
		}
		d := newDocument()
		if err := f.db.CreateDocument(t.Context(), d, documentWrite(d)); err != nil {
			t.Fatalf("a valid digest: %v", err)
		}
	})
}
