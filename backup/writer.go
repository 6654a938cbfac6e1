package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// Catalog is what a backup reads of a database: the blobs it references. On SQLite it is the
// snapshot itself, opened as a database, so that the blobs copied are exactly those the
// snapshot needs; on PostgreSQL it is the live database.
type Catalog interface {
	// FixityDigests lists up to limit distinct referenced digests after the given one, in order.
	FixityDigests(ctx context.Context, after string, limit int) ([]string, error)
	// CountFixityDigests counts the distinct referenced digests.
	CountFixityDigests(ctx context.Context) (int64, error)
}

// Progress hears of each blob as the backup or the restore passes it: copied (or read) with
// its size, or already in the backup and skipped. Total comes first.
type Progress interface {
	Total(blobs int64)
	Blob(digest string, size int64, copied bool)
}

// Writer writes one snapshot into a backup directory. Begin, then write the database into
// Dir() and record it with AddFile, add the other files, copy the blobs, and Commit (and
// Prune); Abort removes what a failed backup wrote of its snapshot (never blobs: they may
// serve others). Close releases the directory's lock, whatever happened.
type Writer struct {
	dest, name, dir string
	manifest        Manifest
	previous        map[string]int64 // blobs the LATEST snapshot recorded as copied, with sizes
	lock            *flock.Flock
}

// Begin starts a snapshot in dest, creating dest if needed, under dest's lock (LockFile): a
// directory another running backup holds is refused with ErrLocked, before anything is
// written. It then removes what a killed backup left there. The snapshot is named by now.
func Begin(dest string, now time.Time) (_ *Writer, err error) {
	if err := os.MkdirAll(dest, 0o750); err != nil {
		return nil, fmt.Errorf("backup to %s: %w", dest, err)
	}
	l, err := lock(dest, now)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Close())
		}
	}()
	for _, d := range []string{filepath.Join(dest, BlobsDir), filepath.Join(dest, BlobsDir, "tmp"), filepath.Join(dest, SnapshotsDir)} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("backup to %s: %w", dest, err)
		}
	}
	if err := sweep(dest); err != nil {
		return nil, fmt.Errorf("backup to %s: remove what an interrupted backup left: %w", dest, err)
	}
	name := now.UTC().Format("20060102T150405.000000000Z")
	dir := filepath.Join(dest, SnapshotsDir, tmpPrefix+name)
	if err := os.Mkdir(dir, 0o750); err != nil {
		return nil, fmt.Errorf("backup to %s: %w", dest, err)
	}
	w := &Writer{dest: dest, name: name, dir: dir, manifest: Manifest{Format: Format}, previous: map[string]int64{}, lock: l}
	if prev, err := Open(dest); err == nil && prev.Manifest.BlobsCopied {
		for _, b := range prev.Manifest.Blobs {
			w.previous[b.SHA256] = b.Size
		}
	}
	return w, nil
}

// Dir is the directory of the snapshot being written.
func (w *Writer) Dir() string { return w.dir }

// AddFile records the file rel (slashes), already written under Dir, with its digest and size.
func (w *Writer) AddFile(rel string) error {
	if !localPath(rel) {
		return fmt.Errorf("backup file %q: not inside the snapshot", rel)
	}
	digest, size, err := hashFile(filepath.Join(w.dir, filepath.FromSlash(rel)))
	if err != nil {
		return fmt.Errorf("backup file %s: %w", rel, err)
	}
	w.manifest.Files = append(w.manifest.Files, File{Path: rel, SHA256: digest, Size: size})
	return nil
}

// CopyFile copies the file src into the snapshot as rel, private (0600), and records it.
func (w *Writer) CopyFile(rel, src string) error {
	dst := filepath.Join(w.dir, filepath.FromSlash(rel))
	if err := copyFile(dst, src); err != nil {
		return fmt.Errorf("backup %s: %w", src, err)
	}
	return w.AddFile(rel)
}

// CopyTree copies every regular file under the directory src into the snapshot under rel.
// A src that does not exist adds nothing.
func (w *Writer) CopyTree(rel, src string) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		sub, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		return w.CopyFile(rel+"/"+filepath.ToSlash(sub), p)
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// WriteFile writes data into the snapshot as rel, private (0600), and records it.
func (w *Writer) WriteFile(rel string, data []byte) error {
	dst := filepath.Join(w.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return err
	}
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		return fmt.Errorf("backup %s: %w", rel, err)
	}
	return w.AddFile(rel)
}

// Commit finishes the snapshot: the manifest with the facts given (m's Version, Engine,
// SnapshotAt, Registrations, LogSize), written and synced, the snapshot renamed to its name,
// then LATEST pointed at it. It returns the manifest written.
func (w *Writer) Commit(m Manifest) (Manifest, error) {
	w.manifest.Version, w.manifest.Engine, w.manifest.SnapshotAt = m.Version, m.Engine, m.SnapshotAt.UTC()
	w.manifest.Registrations, w.manifest.LogSize = m.Registrations, m.LogSize
	if w.manifest.Blobs == nil {
		w.manifest.Blobs = []Blob{}
	}
	b, err := json.MarshalIndent(w.manifest, "", "  ")
	if err != nil {
		return w.manifest, err
	}
	if err := writeSynced(filepath.Join(w.dir, ManifestFile), append(b, '\n')); err != nil {
		return w.manifest, fmt.Errorf("backup manifest: %w", err)
	}
	if err := syncTree(w.dir); err != nil {
		return w.manifest, fmt.Errorf("backup: %w", err)
	}
	final := filepath.Join(w.dest, SnapshotsDir, w.name)
	if err := os.Rename(w.dir, final); err != nil {
		return w.manifest, fmt.Errorf("backup: %w", err)
	}
	w.dir = final
	if err := syncDir(filepath.Join(w.dest, SnapshotsDir)); err != nil {
		return w.manifest, err
	}
	tmp := filepath.Join(w.dest, LatestFile+".tmp")
	if err := writeSynced(tmp, []byte(w.name+"\n")); err != nil {
		return w.manifest, err
	}
	if err := os.Rename(tmp, filepath.Join(w.dest, LatestFile)); err != nil {
		return w.manifest, err
	}
	return w.manifest, syncDir(w.dest)
}

// Name is the snapshot's name, under DEST/snapshots once committed.
func (w *Writer) Name() string { return w.name }

// Abort removes the snapshot being written.
func (w *Writer) Abort() error {
	if strings.HasPrefix(filepath.Base(w.dir), tmpPrefix) {
		return os.RemoveAll(w.dir)
	}
	return nil
}

// Close releases the backup directory's lock; the lock file stays. Closing twice is harmless.
func (w *Writer) Close() error {
	if w.lock == nil {
		return nil
	}
	err := w.lock.Close()
	w.lock = nil
	return err
}
