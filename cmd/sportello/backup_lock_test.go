package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/backup"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// TestBackupLockAndKeep, on both engines: `sportello backup DEST` into a directory another
// backup holds fails (a non-zero exit) saying so, and changes nothing there; once it is free,
// `--keep 1` leaves the newest snapshot only, which `backup --check` finds whole.
func TestBackupLockAndKeep(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := apptest.Start(t, url)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		registered(t, s, op, "prima del backup")
		dest := t.TempDir()
		if out, err := runCmd(s.DataDir, url, "backup", dest); err != nil {
			t.Fatalf("backup: %v\n%s", err, out)
		}
		snaps := func() []string {
			names, err := backup.Snapshots(dest)
			if err != nil {
				t.Fatal(err)
			}
			return names
		}
		first := snaps()
		latest, _ := os.ReadFile(filepath.Join(dest, backup.LatestFile))

		held, err := backup.Begin(dest, time.Now()) // another backup, still running
		if err != nil {
			t.Fatal(err)
		}
		out, err := runCmd(s.DataDir, url, "backup", dest, "--keep", "1")
		if !errors.Is(err, backup.ErrLocked) || !strings.Contains(err.Error(), "in use by another backup, check or restore") {
			t.Fatalf("backup into a held directory: %v\n%s", err, out)
		}
		if now, _ := os.ReadFile(filepath.Join(dest, backup.LatestFile)); string(now) != string(latest) || !slices.Equal(snaps(), first) {
			t.Fatalf("the refused backup changed DEST: LATEST %q (was %q), snapshots %v (were %v)", now, latest, snaps(), first)
		}
		if out, err := runCmd(s.DataDir, url, "backup", "--check", dest); !errors.Is(err, backup.ErrLocked) {
			t.Fatalf("backup --check while a backup writes: %v\n%s", err, out)
		}
		if err := errors.Join(held.Abort(), held.Close()); err != nil {
			t.Fatal(err)
		}

		registered(t, s, op, "dopo il primo backup")
		out, err = runCmd(s.DataDir, url, "backup", dest, "--keep", "1")
		if err != nil || !strings.Contains(out, "pruned 1 older snapshots (--keep 1)") {
			t.Fatalf("backup --keep 1: %v\n%s", err, out)
		}
		if got := snaps(); len(got) != 1 || got[0] == first[0] {
			t.Fatalf("snapshots after --keep 1: %v; want the new one only (the first was %v)", got, first)
		}
		if out, err := runCmd(s.DataDir, url, "backup", "--check", dest); err != nil || !strings.Contains(out, "ok   every blob matches its digest") {
			t.Fatalf("backup --check after the prune: %v\n%s", err, out)
		}
		if _, err := runCmd(s.DataDir, url, "backup", dest, "--keep", "0"); err == nil || !strings.Contains(err.Error(), "at least 1") {
			t.Fatalf("--keep 0: %v; want a usage error", err)
		}
	})
}
