package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Pruned is what Prune removed.
type Pruned struct {
	Snapshots []string // names, oldest first
	Blobs     int
	Bytes     int64
}

// Snapshots lists the names of the committed snapshots of the backup directory dest, oldest
// first; snapshots being written or removed are left out.
func Snapshots(dest string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(dest, SnapshotsDir))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// Prune keeps the keep newest snapshots of the backup directory (by name, which is the time
// the snapshot was begun) and removes the older ones, then the blobs of DEST/blobs that no kept
// snapshot references. It runs after Commit, under the lock, and never removes the snapshot
// just written nor the one LATEST names, whatever keep says (keep below 1 counts as 1).
//
// It removes nothing it cannot account for: a snapshot directory whose manifest cannot be read
// is kept, and then no blob is removed at all, since that snapshot may reference any of them.
// A snapshot is first renamed out of the snapshots' names (.del-…) and only then deleted, and
// blobs are deleted after the snapshots: a prune interrupted at any point leaves every kept
// snapshot whole, and the next backup finishes the removal (sweep, then its own Prune).
func (w *Writer) Prune(keep int) (Pruned, error) {
	var out Pruned
	if strings.HasPrefix(filepath.Base(w.dir), tmpPrefix) {
		return out, errors.New("backup: prune before the snapshot is committed")
	}
	keep = max(keep, 1)
	snaps := filepath.Join(w.dest, SnapshotsDir)
	names, err := Snapshots(w.dest)
	if err != nil {
		return out, err
	}
	latest, err := os.ReadFile(filepath.Join(w.dest, LatestFile))
	if err != nil {
		return out, fmt.Errorf("backup prune: %w", err)
	}
	referenced := map[string]bool{}
	unreadable := false
	for i, name := range names {
		m, err := readManifest(filepath.Join(snaps, name))
		old := i < len(names)-keep && name != w.name && name != strings.TrimSpace(string(latest))
		switch {
		case err != nil:
			unreadable = true // kept, and no blob is removed
		case old:
			if err := os.Rename(filepath.Join(snaps, name), filepath.Join(snaps, delPrefix+name)); err != nil {
				return out, fmt.Errorf("backup prune %s: %w", name, err)
			}
			out.Snapshots = append(out.Snapshots, name)
		default:
			if m.BlobsCopied {
				for _, b := range m.Blobs {
					referenced[b.SHA256] = true
				}
			}
		}
	}
	if err := syncDir(snaps); err != nil {
		return out, err
	}
	for _, name := range out.Snapshots {
		if err := os.RemoveAll(filepath.Join(snaps, delPrefix+name)); err != nil {
			return out, fmt.Errorf("backup prune %s: %w", name, err)
		}
	}
	if unreadable {
		return out, nil
	}
	blobs := filepath.Join(w.dest, BlobsDir)
	shards, err := os.ReadDir(blobs)
	if err != nil {
		return out, err
	}
	for _, shard := range shards {
		if !shard.IsDir() || len(shard.Name()) != 2 {
			continue // tmp, or not ours
		}
		files, err := os.ReadDir(filepath.Join(blobs, shard.Name()))
		if err != nil {
			return out, err
		}
		removed := false
		for _, f := range files {
			d := f.Name()
			if !isDigest(d) || !strings.HasPrefix(d, shard.Name()) || referenced[d] {
				continue
			}
			p := filepath.Join(blobs, shard.Name(), d)
			fi, err := os.Lstat(p)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return out, fmt.Errorf("backup prune blob %s: %w", d, err)
			}
			out.Blobs++
			out.Bytes += fi.Size()
			removed = true
		}
		if removed {
			if err := syncDir(filepath.Join(blobs, shard.Name())); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}
