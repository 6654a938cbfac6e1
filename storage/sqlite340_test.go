package storage_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/testdb"
)

// oldestSQLite is the oldest SQLite whose shell must read Sportello's database: Debian 12's
// sqlite3, which operators reach for first.
const oldestSQLite = "3.40"

// TestSchemaReadableByOldestSQLite opens a migrated database holding a registration with the
// sqlite3 shell of the oldest supported SQLite: the whole schema must parse (it did not while
// guard triggers built their RAISE messages with expressions), and the guards must still refuse.
func TestSchemaReadableByOldestSQLite(t *testing.T) {
	shell, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skipf("no sqlite3 shell on PATH, so the schema cannot be checked against SQLite %s: install Debian's sqlite3 (.ci/run does)", oldestSQLite)
	}
	version, err := exec.Command(shell, "--version").Output()
	if err != nil {
		t.Fatalf("sqlite3 --version: %v", err)
	}
	if !strings.HasPrefix(string(version), oldestSQLite+".") {
		t.Fatalf("sqlite3 on PATH is %s; the oldest supported SQLite is %s, the one to check against", strings.Fields(string(version))[0], oldestSQLite)
	}
	url := testdb.SQLiteURL(t)
	f := newFixture(t, url)
	r := f.register(t, newRegistration())
	file := strings.TrimPrefix(url, "sqlite:")

	sqlite := func(sql string) (string, error) {
		out, err := exec.Command(shell, "-bail", file, sql).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	out, err := sqlite(`PRAGMA integrity_check; SELECT count(*) > 50 FROM sqlite_master; SELECT identifier FROM registrations WHERE id = '` + r.ID + `';`)
	if err != nil {
		t.Fatalf("sqlite3 %s cannot read the database: %v\n%s", oldestSQLite, err, out)
	}
	if want := "ok\n1\n" + r.Identifier; out != want {
		t.Errorf("sqlite3 answered %q, want %q", out, want)
	}
	out, err = sqlite(`DELETE FROM registrations;`)
	if err == nil || !strings.Contains(out, "registration: delete refused") {
		t.Errorf("deleting registrations with sqlite3 %s: %v %q, want the guard's refusal", oldestSQLite, err, out)
	}
}
