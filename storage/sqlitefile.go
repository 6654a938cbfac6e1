package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// privateMode is the mode of the SQLite database and its companion files: they hold every
// registration, personal data included, so only the service's own user may read them.
const privateMode fs.FileMode = 0o600

// createPrivate creates the database file at path and its shared-memory file, each that is
// missing, with privateMode before the driver opens them: the driver would create them 0666
// less the process's umask, commonly world-readable. The mode is set again after creation so
// that no umask changes it. SQLite removes the shared-memory file when the last connection
// closes, so this runs at every open; the write-ahead log, which SQLite also removes when it
// finds one beside a database not yet in WAL mode, takes the database file's mode from the
// driver (modeof in openSQLite). Files that exist keep their mode: an administrator may have
// chosen it.
func createPrivate(path string) error {
	for _, p := range []string{path, path + "-shm"} {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, privateMode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("create database file: %w", err)
		}
		err = f.Chmod(privateMode)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("create database file: %w", err)
		}
	}
	return nil
}
