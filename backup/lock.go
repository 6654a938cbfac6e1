package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// LockFile is the file of a backup directory a backup holds an exclusive flock(2) on while it
// writes: a second backup into the same directory refuses instead of mixing its snapshot and
// its blobs with the first's. The kernel releases the lock when the process ends, however it
// ends, so a lock left by a killed backup is no lock at all: the next backup takes it and
// removes what the killed one left (a snapshot under its temporary name, blobs half copied).
// The file's text says who holds it, for the refusal's message; the text alone locks nothing.
const LockFile = "LOCK"

// ErrLocked is the error of a backup into a directory another running backup is writing.
var ErrLocked = errors.New("another backup is writing into this directory")

// lock takes the lock of dest, which exists, and writes who holds it into the file.
func lock(dest string, now time.Time) (*flock.Flock, error) {
	path := filepath.Join(dest, LockFile)
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("backup to %s: lock %s: %w", dest, path, err)
	}
	if !ok {
		holder, _ := os.ReadFile(path)
		msg := strings.TrimSpace(string(holder))
		if msg == "" {
			msg = "a running process"
		}
		return nil, fmt.Errorf("backup to %s: %w (%s holds %s); nothing was written: wait for it to end, or back up elsewhere",
			dest, ErrLocked, msg, path)
	}
	host, _ := os.Hostname()
	who := fmt.Sprintf("process %d on %s, since %s\n", os.Getpid(), host, now.UTC().Format(time.RFC3339))
	if err := os.WriteFile(path, []byte(who), 0o600); err != nil {
		return nil, errors.Join(fmt.Errorf("backup to %s: %w", dest, err), l.Close())
	}
	return l, nil
}

// sweep removes what a backup killed in this directory left: snapshots under their temporary
// name, snapshots a prune had begun to remove, and blob copies never renamed into place. It
// runs under the lock, so no running backup owns any of them.
func sweep(dest string) error {
	snaps := filepath.Join(dest, SnapshotsDir)
	entries, err := os.ReadDir(snaps)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) || strings.HasPrefix(e.Name(), delPrefix) {
			if err := os.RemoveAll(filepath.Join(snaps, e.Name())); err != nil {
				return err
			}
		}
	}
	tmp := filepath.Join(dest, BlobsDir, "tmp")
	entries, err = os.ReadDir(tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(tmp, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// Prefixes of the snapshot directories that are no snapshot (yet, or any more).
const (
	tmpPrefix = ".tmp-"
	delPrefix = ".del-"
)
