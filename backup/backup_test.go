package backup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/backup"
	"github.com/sportello/sportello/storage/blob"
)

// catalog is a database's list of referenced digests, as storage.DB gives it.
type catalog []string

func (c catalog) FixityDigests(_ context.Context, after string, limit int) ([]string, error) {
	var out []string
	for _, d := range c {
		if d > after && len(out) < limit {
			out = append(out, d)
		}
	}
	return out, nil
}

func (c catalog) CountFixityDigests(context.Context) (int64, error) { return int64(len(c)), nil }

// counter counts what a backup reports.
type counter struct{ total, seen, copied, bytes int64 }

func (c *counter) Total(n int64) { c.total = n }
func (c *counter) Blob(_ string, size int64, copied bool) {
	c.seen++
	if copied {
		c.copied++
		c.bytes += size
	}
}

// store makes a file blob store in dir holding n blobs of size bytes and returns it with their
// digests.
func store(t testing.TB, dir string, n, size int) (*blob.FS, catalog) {
	t.Helper()
	s, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	var digests catalog
	for i := range n {
		content := bytes.Repeat([]byte(fmt.Sprintf("%08d", i)), size/8)
		d, _, err := s.Put(t.Context(), bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d)
	}
	slices.Sort(digests)
	return s, digests
}

// take writes one snapshot of the blobs cat references, with a file, and commits it.
func take(t testing.TB, dest string, s *blob.FS, cat catalog, p backup.Progress) (backup.Manifest, error) {
	t.Helper()
	w, err := backup.Begin(dest, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.CopyBlobs(t.Context(), cat, s, true, p); err != nil {
		return backup.Manifest{}, errorsJoin(err, w.Abort())
	}
	if err := w.WriteFile("keys/seal/sealing.key", []byte("key")); err != nil {
		t.Fatal(err)
	}
	return w.Commit(backup.Manifest{Engine: "sqlite", SnapshotAt: time.Now(), Registrations: int64(len(cat))})
}

func errorsJoin(a, b error) error {
	if b != nil {
		return fmt.Errorf("%w; %v", a, b)
	}
	return a
}

// TestIncremental: a second backup into the same directory copies only the blobs the first
// lacks; both snapshots are kept and LATEST names the second; a restore puts every blob into
// an empty store under its digest.
func TestIncremental(t *testing.T) {
	s, cat := store(t, t.TempDir(), 20, 1024)
	dest := t.TempDir()
	var first counter
	m1, err := take(t, dest, s, cat[:15], &first)
	if err != nil || first.copied != 15 || len(m1.Blobs) != 15 {
		t.Fatalf("first backup: %+v %v", first, err)
	}
	var second counter
	m2, err := take(t, dest, s, cat, &second)
	if err != nil || second.copied != 5 || second.seen != 20 || len(m2.Blobs) != 20 {
		t.Fatalf("second backup: %+v %v", second, err)
	}
	b, err := backup.Open(dest)
	if err != nil || b.Manifest.Registrations != 20 {
		t.Fatalf("LATEST: %+v %v", b, err)
	}
	if snaps, _ := os.ReadDir(filepath.Join(dest, backup.SnapshotsDir)); len(snaps) != 2 {
		t.Fatalf("snapshots %v", snaps)
	}
	into, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.RestoreBlobs(t.Context(), into, &counter{}); err != nil {
		t.Fatal(err)
	}
	for _, d := range cat {
		if ok, err := into.Exists(t.Context(), d); !ok || err != nil {
			t.Fatalf("blob %s not restored: %v", d, err)
		}
	}
}

// TestAlteredStoreFailsTheBackup: a blob of the store whose bytes no longer match its digest is
// not copied and fails the backup, naming it; the failed snapshot is removed and LATEST still
// names the previous one.
func TestAlteredStoreFailsTheBackup(t *testing.T) {
	dir := t.TempDir()
	s, cat := store(t, dir, 3, 64)
	dest := t.TempDir()
	m1, err := take(t, dest, s, cat[:2], &counter{})
	if err != nil {
		t.Fatal(err)
	}
	victim := cat[2]
	path := filepath.Join(dir, victim[:2], victim)
	if err := os.WriteFile(path, []byte("altered"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = take(t, dest, s, cat, &counter{})
	if err == nil || !strings.Contains(err.Error(), victim) {
		t.Fatalf("backup of an altered store: %v", err)
	}
	b, err := backup.Open(dest)
	if err != nil || !b.Manifest.SnapshotAt.Equal(m1.SnapshotAt) {
		t.Fatalf("LATEST after a failed backup: %+v %v", b, err)
	}
	if snaps, _ := os.ReadDir(filepath.Join(dest, backup.SnapshotsDir)); len(snaps) != 1 {
		t.Fatalf("snapshots after a failed backup: %v", snaps)
	}
}

// TestOpenRefusesUnsafeManifest: a manifest naming a file outside its snapshot, or a blob by
// something other than a SHA-256, is refused before anything is read or written.
func TestOpenRefusesUnsafeManifest(t *testing.T) {
	for name, m := range map[string]backup.Manifest{
		"ErrParentPath":   {Format: backup.Format, Files: []backup.File{{Path: "../../etc/passwd"}}},
		"ErrAbsolutePath": {Format: backup.Format, Files: []backup.File{{Path: "/etc/passwd"}}},
		"ErrBlobName":     {Format: backup.Format, Blobs: []backup.Blob{{SHA256: "../x"}}},
		"ErrFormat":       {Format: "sportello-backup/0"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			b, _ := json.Marshal(m)
			if err := os.WriteFile(filepath.Join(dir, backup.ManifestFile), b, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := backup.Open(dir); err == nil {
				t.Fatal("opened")
			}
		})
	}
}

// BenchmarkBackup copies 1 000 blobs of 64 KiB into an empty backup directory (full), then
// into one that holds them all (incremental: each checked by the size the last snapshot
// recorded).
func BenchmarkBackup(b *testing.B) {
	s, cat := store(b, b.TempDir(), 1000, 64<<10)
	b.Run("Full", func(b *testing.B) {
		b.SetBytes(int64(len(cat)) * 64 << 10)
		for b.Loop() {
			if _, err := take(b, b.TempDir(), s, cat, &counter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Incremental", func(b *testing.B) {
		dest := b.TempDir()
		if _, err := take(b, dest, s, cat, &counter{}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := take(b, dest, s, cat, &counter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
