package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sportello/sportello/backup"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// TestBackupCheckAndRestore, on both engines: a backup holds the keys and the configuration
// without its secrets, and on SQLite the database; `backup --check` passes on it and names a
// file or blob altered afterwards, which restore then refuses, leaving the data directory
// empty; restore refuses a directory that is not empty. On PostgreSQL the database is not in
// the backup: restore takes it from --database-url (restored by its own tools), and the
// instance passes verify --data. With --no-blobs the manifest lists the blobs and --check reads
// them from the blob store, naming one missing.
func TestBackupCheckAndRestore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := apptest.Start(t, url, fastCheckpoints)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		registered(t, s, op, "prima")
		registered(t, s, op, "seconda")
		dest := t.TempDir()
		if out, err := runCmd(s.DataDir, url, "backup", dest); err != nil {
			t.Fatalf("backup: %v\n%s", err, out)
		}
		b, err := backup.Open(dest)
		if err != nil {
			t.Fatal(err)
		}
		engine := strings.SplitN(url, ":", 2)[0]
		if engine == "postgresql" {
			engine = "postgres"
		}
		files := map[string]bool{}
		for _, f := range b.Manifest.Files {
			files[f.Path] = true
		}
		if b.Manifest.Engine != engine || b.Manifest.Registrations != 2 || len(b.Manifest.Blobs) != 4 || !b.Manifest.BlobsCopied ||
			!files["keys/seal/sealing.key"] || !files["config.env"] || !files["admin.key"] || files[backup.DatabaseFile] != (engine == "sqlite") {
			t.Fatalf("manifest %+v", b.Manifest)
		}
		env, err := os.ReadFile(filepath.Join(b.Dir, "config.env"))
		if err != nil || strings.Contains(string(env), url) || !strings.Contains(string(env), "# SPORTELLO_DATABASE_URL is set (secret, not written)") {
			t.Fatalf("config.env (%v):\n%s", err, env)
		}
		check := func() (string, error) { return runCmd(s.DataDir, url, "backup", "--check", dest) }
		if out, err := check(); err != nil || !strings.Contains(out, "ok   every blob matches its digest") {
			t.Fatalf("backup --check: %v\n%s", err, out)
		}
		restoreArgs := func(into string) []string {
			args := []string{"restore", dest, into}
			if engine == "postgres" {
				args = append(args, "--database-url", url)
			}
			return args
		}

		t.Run("ErrRestoreIntoNonEmptyDirectory", func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "x", []byte("x"))
			envURL := "" // the data directory from SPORTELLO_DATA, the database under it or named
			if engine == "postgres" {
				envURL = url
			}
			out, err := runCmd(dir, envURL, "restore", dest)
			if err == nil || !strings.Contains(err.Error(), "not empty") {
				t.Fatalf("restore into a directory that is not empty: %v\n%s", err, out)
			}
		})

		alter := func(t *testing.T, path, what string) {
			t.Helper()
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append([]byte("x"), orig[1:]...), 0o600); err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(path, orig, 0o600)
			out, err := check()
			if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, "FAIL "+what+": altered") {
				t.Fatalf("--check after altering %s: %v\n%s", what, err, out)
			}
			into := filepath.Join(t.TempDir(), "data")
			if out, err := runCmd("", "", restoreArgs(into)...); err == nil {
				t.Fatalf("restore of an altered backup: %s", out)
			}
			if entries, _ := os.ReadDir(into); len(entries) > 0 {
				t.Fatalf("a failed restore left %v", entries)
			}
		}
		t.Run("ErrAlteredFile", func(t *testing.T) {
			alter(t, filepath.Join(b.Dir, "keys", "seal", "sealing.key"), "file keys/seal/sealing.key")
		})
		t.Run("ErrAlteredBlob", func(t *testing.T) {
			d := b.Manifest.Blobs[0].SHA256
			alter(t, filepath.Join(dest, backup.BlobsDir, d[:2], d), "blob "+d)
		})

		t.Run("Restored", func(t *testing.T) {
			into := filepath.Join(t.TempDir(), "data")
			if out, err := runCmd("", "", restoreArgs(into)...); err != nil {
				t.Fatalf("restore: %v\n%s", err, out)
			}
			dbURL := url
			if engine == "sqlite" {
				dbURL = "sqlite:" + filepath.Join(into, backup.DatabaseFile)
			}
			if out, err := runVerifyData(into, dbURL); err != nil {
				t.Fatalf("verify --data on the restored instance: %v\n%s", err, out)
			}
			for _, f := range []string{"keys/seal/sealing.key", "admin.key", "search"} {
				if _, err := os.Stat(filepath.Join(into, f)); err != nil {
					t.Error(err)
				}
			}
		})

		t.Run("NoBlobsListsThemForTheStore", func(t *testing.T) {
			dest := t.TempDir()
			if out, err := runCmd(s.DataDir, url, "backup", dest, "--no-blobs"); err != nil {
				t.Fatalf("backup --no-blobs: %v\n%s", err, out)
			}
			nb, err := backup.Open(dest)
			if err != nil {
				t.Fatal(err)
			}
			if nb.Manifest.BlobsCopied || len(nb.Manifest.Blobs) != 4 {
				t.Fatalf("manifest %+v", nb.Manifest)
			}
			if out, err := runCmd(s.DataDir, url, "backup", "--check", dest); err != nil || !strings.Contains(out, "reading them from") {
				t.Fatalf("backup --check: %v\n%s", err, out)
			}
			d := nb.Manifest.Blobs[1].SHA256
			if err := os.Remove(filepath.Join(s.DataDir, "blobs", d[:2], d)); err != nil {
				t.Fatal(err)
			}
			out, err := runCmd(s.DataDir, url, "backup", "--check", dest)
			if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, "FAIL blob "+d+": missing from the blob store") {
				t.Fatalf("backup --check with a blob gone from the store: %v\n%s", err, out)
			}
		})
	})
}
