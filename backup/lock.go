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
// The file's text says which backup took it last, for the refusal's message; the text alone
// locks nothing. A check or a restore (OpenShared) holds a shared lock on the same file while it
// reads, so that no backup's prune removes the snapshot under it.
const LockFile = "LOCK"

// ErrLocked is the error of a backup into a directory another running backup is writing, or a
// check or restore is reading; and of a check or restore of a directory a backup is writing.
var ErrLocked = errors.New("the backup directory is in use by another backup, check or restore")

// lock takes the lock of dest, which exists, and writes who holds it into the file.
func lock(dest string, now time.Time) (*flock.Flock, error) {
	path := filepath.Join(dest, LockFile)
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("backup to %s: lock %s: %w", dest, path, err)
	}
	if !ok {
		return nil, fmt.Errorf("backup to %s: %w (%s is held%s); nothing was written: wait for it to end, or back up elsewhere",
			dest, ErrLocked, path, lastHolder(path))
	}
	host, _ := os.Hostname()
	who := fmt.Sprintf("process %d on %s, since %s\n", os.Getpid(), host, now.UTC().Format(time.RFC3339))
	if err := os.WriteFile(path, []byte(who), 0o600); err != nil {
		return nil, errors.Join(fmt.Errorf("backup to %s: %w", dest, err), l.Close())
	}
	return l, nil
}

// lastHolder is what the lock file says of the backup that took it last.
func lastHolder(path string) string {
	b, _ := os.ReadFile(path)
	if who := strings.TrimSpace(string(b)); who != "" {
		return "; the last backup to take it: " + who
	}
	return ""
}

// OpenShared opens the backup at src as Open does, holding a shared lock on its backup
// directory's LockFile until Close, for `backup --check` and `restore`: a backup into that
// directory (whose --keep could remove the snapshot being read) is refused while it is held, and
// while a backup runs OpenShared is refused (ErrLocked). The lock is taken before LATEST is read.
// A directory without a LockFile (written before it existed, or a snapshot copied elsewhere)
// is opened without a lock: no backup is writing there. The file is opened read-only, so a
// backup on read-only media can be checked and restored.
func OpenShared(src string) (*Backup, error) {
	dest := src
	if _, err := os.Stat(filepath.Join(src, ManifestFile)); err == nil {
		dest = filepath.Join(src, "..", "..") // a snapshot's directory: DEST/snapshots/<name>
	}
	path := filepath.Join(dest, LockFile)
	var l *flock.Flock
	if _, err := os.Stat(path); err == nil {
		l = flock.New(path, flock.SetFlag(os.O_RDONLY))
		ok, err := l.TryRLock()
		if err != nil {
			return nil, fmt.Errorf("backup %s: lock %s: %w", src, path, err)
		}
		if !ok {
			return nil, fmt.Errorf("backup %s: %w (%s is held by a running backup%s): wait for it to end", src, ErrLocked, path, lastHolder(path))
		}
	}
	b, err := Open(src)
	if err != nil {
		if l != nil {
			err = errors.Join(err, l.Close())
		}
		return nil, err
	}
	b.lock = l
	return b, nil
}

// Close releases the shared lock OpenShared took; closing twice, or a Backup from Open, is
// harmless.
func (b *Backup) Close() error {
	if b.lock == nil {
		return nil
	}
	err := b.lock.Close()
	b.lock = nil
	return err
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
