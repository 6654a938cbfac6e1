package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage/storagetest"
)

// runVerifyData runs `sportello verify --data args…` on a data directory and database.
func runVerifyData(dataDir, url string, args ...string) (string, error) {
	env := func(k string) string {
		return map[string]string{"SPORTELLO_DATA": dataDir, "SPORTELLO_DATABASE_URL": url}[k]
	}
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"verify", "--data"}, args...), env, &out)
	return out.String(), err
}

// waitForLog waits until a checkpoint covers size leaves.
func waitForLog(t *testing.T, s *apptest.Server, token string, size float64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var cp map[string]any
		if err := json.Unmarshal(fetch(t, s, token, "/v1/log/checkpoint", "application/json"), &cp); err != nil {
			t.Fatal(err)
		}
		if cp["size"].(float64) >= size {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log has %v leaves, want %v", cp["size"], size)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestVerifyData is the audit of docs/verification.md on the command line, on both
// engines: an untouched database passes; a registration row altered with its guard trigger
// disabled is reported by identifier; a registration or annulment whose leaf was deleted is
// pending within the lag and never logged past it, naming its register, year and number. Any
// of them exits 1.
func TestVerifyData(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := apptest.Start(t, url, fastCheckpoints)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		officer := s.NewClient(t, "officer", []string{"records_officer"})
		var refs, ids []string
		for _, subject := range []string{"prima", "seconda", "terza", "quarta"} {
			p, id := registered(t, s, op, subject)
			refs, ids = append(refs, strings.TrimPrefix(p, "/v1/registrations/")), append(ids, id)
		}
		fetch(t, s, op, "/v1/registrations/"+refs[3]+"/receipt", "application/json") // a first checkpoint
		annul, _ := json.Marshal(map[string]string{"reason": "Doppia registrazione", "authorization": "Determina n. 12"})
		s.Do(t, "POST", "/v1/registrations/"+refs[3]+"/annulment", officer, "application/json", bytes.NewReader(annul), http.StatusOK, nil)
		waitForLog(t, s, op, 5) // four registrations and an annulment, logged and checkpointed
		// Another data directory on the same database: the audit needs only the database, and the
		// running server holds the lock of the search index under its own directory.
		auditDir := t.TempDir()
		blobs := "--blobs=file://" + filepath.Join(s.DataDir, "blobs") // the fixity checks read the server's blobs
		runVerifyData := func(dataDir, url string, args ...string) (string, error) {
			return runVerifyData(dataDir, url, append([]string{blobs}, args...)...)
		}

		if out, err := runVerifyData(auditDir, url); err != nil || !strings.Contains(out, "ok   every registration and annulment older than 5m0s is logged") {
			t.Fatalf("untouched database: %v\n%s", err, out)
		}

		testdb.Tamper(t, url, []string{`DROP TRIGGER registrations_immutable`, `UPDATE registrations SET subject = 'alterato' WHERE identifier = ?`},
			[]string{`ALTER TABLE registrations DISABLE TRIGGER ALL`, `UPDATE registrations SET subject = 'alterato' WHERE identifier = $1`}, ids[1])
		t.Run("ErrAlteredRow", func(t *testing.T) {
			out, err := runVerifyData(auditDir, url)
			if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, "FAIL leaf 1 registration "+ids[1]) || strings.Contains(out, ids[0]) {
				t.Fatalf("altered %s: %v\n%s", ids[1], err, out)
			}
		})

		// The guard of the log stays off once disabled: the second deletion needs only the DELETE.
		deleteLeaf := `DELETE FROM tlog_leaves WHERE kind = ? AND entity_id IN (SELECT id FROM registrations WHERE identifier = ?)`
		pgDeleteLeaf := `DELETE FROM tlog_leaves WHERE kind = $1 AND entity_id IN (SELECT id FROM registrations WHERE identifier = $2)`
		testdb.Tamper(t, url, []string{`DROP TRIGGER tlog_leaves_no_delete`, deleteLeaf},
			[]string{`ALTER TABLE tlog_leaves DISABLE TRIGGER tlog_leaves_guard`, pgDeleteLeaf}, "annulment", ids[3])
		testdb.Tamper(t, url, []string{deleteLeaf}, []string{pgDeleteLeaf}, "registration", ids[2])
		t.Run("DeletedLeavesWithinTheLagArePending", func(t *testing.T) {
			out, err := runVerifyData(auditDir, url)
			for _, want := range []string{
				"registration pending: " + refs[2] + " (" + ids[2] + ")",
				"annulment pending: " + refs[3] + " (" + ids[3] + ")",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("no %q in\n%s", want, out)
				}
			}
			if strings.Contains(out, "never logged") || !errors.Is(err, errVerifyFailed) { // the altered row and the gap fail it
				t.Fatalf("%v\n%s", err, out)
			}
		})
		t.Run("ErrDeletedLeavesPastTheLagWereNeverLogged", func(t *testing.T) {
			out, err := runVerifyData(auditDir, url, "--lag", "0s")
			for _, want := range []string{
				"FAIL registration never logged: " + refs[2] + " (" + ids[2] + ")",
				"FAIL annulment never logged: " + refs[3] + " (" + ids[3] + ")",
				"FAIL leaf 2: leaf 2 is missing from the log",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("no %q in\n%s", want, out)
				}
			}
			if !errors.Is(err, errVerifyFailed) || strings.Contains(out, refs[0]) {
				t.Fatalf("%v\n%s", err, out)
			}
			t.Log("\n" + out)
		})
		t.Run("ErrBadLag", func(t *testing.T) {
			if _, err := runVerifyData(auditDir, url, "--lag=-1m"); err == nil || !strings.Contains(err.Error(), "--lag") {
				t.Fatalf("negative lag: %v", err)
			}
		})
	})
}

// TestVerifyDataRefusesNoInstallation: `verify --data` pointed at a data directory or database
// that holds no Sportello installation refuses, exits non-zero, and creates nothing — no
// directory, no database file, no schema, no AOO, no keys — on both engines.
func TestVerifyDataRefusesNoInstallation(t *testing.T) {
	refused := func(t *testing.T, dir, url, why string) {
		t.Helper()
		out, err := runVerifyData(dir, url)
		if !errors.Is(err, app.ErrNoInstallation) || !strings.Contains(err.Error(), why) || strings.Contains(out, "ok") {
			t.Fatalf("verify --data on %s: %v, want %q\n%s", dir, err, why, out)
		}
	}
	empty := func(t *testing.T, dir string, keep ...string) {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), "sportello.db") || len(keep) == 0 {
				t.Errorf("%s holds %s", dir, e.Name())
			}
		}
	}
	tables := func(t *testing.T, url string) int {
		t.Helper()
		q := `SELECT count(*) FROM sqlite_master WHERE type = 'table'`
		if testdb.IsPostgres(url) {
			q = `SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()`
		}
		var n int
		if err := testdb.RawDB(t, url).QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("ErrMissingDirectory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "absent")
		refused(t, dir, "", "no Sportello installation at "+dir)
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: %v, want it still absent", dir, err)
		}
	})
	t.Run("ErrEmptyDirectory", func(t *testing.T) {
		dir := t.TempDir()
		refused(t, dir, "", "no Sportello installation at "+dir)
		empty(t, dir)
	})
	t.Run("ErrEmptySQLiteFile", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, "sportello.db")
		if err := os.WriteFile(db, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		refused(t, dir, "", "has no schema")
		empty(t, dir, "sportello.db")
		if n := tables(t, "sqlite:"+db); n != 0 {
			t.Fatalf("%d tables created", n)
		}
	})
	testdb.Each(t, func(t *testing.T, url string) {
		if !testdb.IsPostgres(url) {
			if err := os.WriteFile(strings.TrimPrefix(url, "sqlite:"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		dir := t.TempDir()
		t.Run("ErrEmptyDatabase", func(t *testing.T) {
			refused(t, dir, url, "has no schema")
			empty(t, dir)
			if n := tables(t, url); n != 0 {
				t.Fatalf("%d tables created", n)
			}
		})
		t.Run("ErrDatabaseWithoutAOO", func(t *testing.T) {
			storagetest.Open(t, url) // migrated, never bootstrapped
			refused(t, dir, url, "has no AOO")
			empty(t, dir)
			var n int
			if err := testdb.RawDB(t, url).QueryRow(`SELECT count(*) FROM aoos`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("%d AOOs (%v), want none", n, err)
			}
		})
	})
}

// TestVerifyDataFixity: `verify --data` reads every stored blob again after the log audit: a
// blob altered on disk fails the command, named by digest and by the registration that
// references it, and nothing else is named; --no-fixity skips the blobs; once the blob is
// restored it passes. Both engines.
func TestVerifyDataFixity(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := apptest.Start(t, url, apptest.WithConfig(func(c *app.Config) { c.FixityEvery = 0 }))
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		path, _ := registered(t, s, op, "prima")
		registered(t, s, op, "seconda")
		var reg struct {
			Document struct {
				SHA256 string `json:"sha256"`
			} `json:"document"`
		}
		if err := json.Unmarshal(fetch(t, s, op, path, "application/json"), &reg); err != nil {
			t.Fatal(err)
		}
		ref := strings.TrimPrefix(path, "/v1/registrations/")
		digest := reg.Document.SHA256
		file := filepath.Join(s.DataDir, "blobs", digest[:2], digest)
		original, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if out, err := runVerifyData(s.DataDir, url, "--lag", "1h"); err != nil || !strings.Contains(out, "ok   every stored blob matches its digest") {
			t.Fatalf("untouched store: %v\n%s", err, out)
		}

		altered := bytes.Clone(original)
		altered[0] ^= 0xff
		if err := os.WriteFile(file, altered, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := runVerifyData(s.DataDir, url, "--lag", "1h")
		want := "FAIL blob " + digest + " mismatch: registration " + ref + " document"
		if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, want) || strings.Count(out, "FAIL") != 1 {
			t.Fatalf("altered blob: %v, want one line %q in\n%s", err, want, out)
		}
		t.Log("\n" + out)
		if out, err := runVerifyData(s.DataDir, url, "--lag", "1h", "--no-fixity"); err != nil || strings.Contains(out, "blob") {
			t.Fatalf("--no-fixity: %v\n%s", err, out)
		}

		if err := os.WriteFile(file, original, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := runVerifyData(s.DataDir, url, "--lag", "1h"); err != nil || !strings.Contains(out, "ok   every stored blob matches its digest") {
			t.Fatalf("restored store: %v\n%s", err, out)
		}
	})
}
