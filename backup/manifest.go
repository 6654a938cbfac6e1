// Package backup writes and reads Sportello's backups: a directory holding the blobs once per
// digest, shared by every backup taken into it, and one snapshot directory per backup with the
// database (SQLite), the keys, the configuration and a manifest of every file's SHA-256.
//
//	DEST/LATEST                         name of the last complete snapshot
//	DEST/blobs/ab/<sha256>              each blob once, ab its digest's first byte
//	DEST/snapshots/<name>/manifest.json this snapshot: facts, files, blobs referenced
//	DEST/snapshots/<name>/sportello.db  the SQLite database (absent on PostgreSQL)
//	DEST/snapshots/<name>/keys/…        the sealing and TSA keys of <data>/keys
//
// A snapshot is written under a temporary name and renamed when complete, and LATEST written
// last: a backup interrupted at any point leaves the previous one whole. The package knows no
// database or blob store: it reads the database's references through Catalog and the blobs
// through domain.BlobStore, so the same code copies from the file store or an object store.
package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// Format names the layout of a backup and its manifest; a reader refuses another.
const Format = "sportello-backup/1"

// Names inside a backup directory and a snapshot.
const (
	LatestFile   = "LATEST"
	BlobsDir     = "blobs"
	SnapshotsDir = "snapshots"
	ManifestFile = "manifest.json"
	DatabaseFile = "sportello.db"
)

// Manifest describes one snapshot. Files are relative to the snapshot's directory, with
// slashes; Blobs are every blob the snapshot's database references, in digest order.
type Manifest struct {
	Format  string `json:"format"`
	Version string `json:"version"` // of the sportello binary that wrote it
	Engine  string `json:"engine"`  // sqlite or postgres
	// SnapshotAt is when the database's snapshot was taken (SQLite), or when its references
	// were read (PostgreSQL, whose database is backed up by its own tools).
	SnapshotAt time.Time `json:"snapshot_at"`
	// Registrations and LogSize are what the database held: registrations, transparency-log
	// leaves. A restored instance answers with the same.
	Registrations int64  `json:"registrations"`
	LogSize       uint64 `json:"log_size"`
	Files         []File `json:"files"`
	Blobs         []Blob `json:"blobs"`
	// BlobsCopied says whether the blobs are in DEST/blobs; when false the manifest lists the
	// digests the blob store must hold (an object store backed up by its own means).
	BlobsCopied bool `json:"blobs_copied"`
}

// File is one file of a snapshot.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Blob is one blob the snapshot references. Size is 0 when the blobs were not copied.
type Blob struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size,omitempty"`
}

// Backup is an opened backup: a snapshot, its manifest, and where its blobs are.
type Backup struct {
	Dir      string // the snapshot's directory
	BlobsDir string
	Manifest Manifest
	lock     *flock.Flock // OpenShared's
}

// Open opens the backup at src: a backup directory (its LATEST snapshot) or one snapshot's
// directory. It reads the manifest and checks its format, not the files (Check does).
func Open(src string) (*Backup, error) {
	dir := src
	if _, err := os.Stat(filepath.Join(src, ManifestFile)); errors.Is(err, os.ErrNotExist) {
		name, err := os.ReadFile(filepath.Join(src, LatestFile))
		if err != nil {
			return nil, fmt.Errorf("backup %s: no %s and no %s: %w", src, ManifestFile, LatestFile, err)
		}
		dir = filepath.Join(src, SnapshotsDir, strings.TrimSpace(string(name)))
	}
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	// A snapshot's blobs are two levels up: DEST/snapshots/<name>.
	return &Backup{Dir: dir, BlobsDir: filepath.Join(dir, "..", "..", BlobsDir), Manifest: m}, nil
}

func readManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return m, fmt.Errorf("backup manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("backup manifest %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.Format != Format {
		return m, fmt.Errorf("backup manifest %s: format %q, want %q", filepath.Join(dir, ManifestFile), m.Format, Format)
	}
	for _, f := range m.Files {
		if !localPath(f.Path) {
			return m, fmt.Errorf("backup manifest %s: file %q is not inside the snapshot", filepath.Join(dir, ManifestFile), f.Path)
		}
	}
	for _, b := range m.Blobs {
		if !isDigest(b.SHA256) {
			return m, fmt.Errorf("backup manifest %s: %q is not a SHA-256", filepath.Join(dir, ManifestFile), b.SHA256)
		}
	}
	return m, nil
}

// localPath reports whether a manifest's path stays inside its snapshot: relative, clean, no "..".
func localPath(p string) bool {
	return p != "" && filepath.IsLocal(filepath.FromSlash(p)) && filepath.ToSlash(filepath.Clean(filepath.FromSlash(p))) == p
}

// isDigest reports whether s is a lower-case hex SHA-256.
func isDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// blobPath is where a blob is kept in a backup's blob directory.
func blobPath(blobsDir, digest string) string {
	return filepath.Join(blobsDir, digest[:2], digest)
}
