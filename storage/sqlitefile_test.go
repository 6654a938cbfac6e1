package storage_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sportello/sportello/storage/storagetest"
)

// TestDatabaseFilesPrivate checks that the SQLite database and its companion files are created
// readable by the owner alone, whatever the umask (here none, under which the driver would
// create them 0666).
func TestDatabaseFilesPrivate(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
	file := filepath.Join(t.TempDir(), "data", "sportello.db")
	storagetest.Open(t, "sqlite:"+file)
	for _, p := range []string{file, file + "-wal", file + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(p), mode)
		}
	}
}
