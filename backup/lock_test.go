package backup_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/backup"
	"github.com/sportello/sportello/storage/blob"
)

// snapshots lists the entries of DEST/snapshots, temporary ones included.
func snapshots(t *testing.T, dest string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dest, backup.SnapshotsDir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestSecondBackupRefused: while a backup writes into a directory, a second one into it is
// refused with ErrLocked, naming the process that holds it, and writes nothing; the first
// commits whole, and once it is closed the next backup proceeds.
func TestSecondBackupRefused(t *testing.T) {
	s, cat := store(t, t.TempDir(), 4, 256)
	dest := t.TempDir()
	w, err := backup.Begin(dest, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	before := snapshots(t, dest)
	_, err = backup.Begin(dest, time.Now())
	if !errors.Is(err, backup.ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) {
		t.Fatalf("second backup: %v; want ErrLocked naming process %d", err, os.Getpid())
	}
	if got := snapshots(t, dest); strings.Join(got, ",") != strings.Join(before, ",") {
		t.Fatalf("the refused backup changed the snapshots: %v, was %v", got, before)
	}
	if err := w.CopyBlobs(t.Context(), cat, s, true, &counter{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(backup.Manifest{Engine: "sqlite", SnapshotAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := take(t, dest, s, cat, &counter{}); err != nil {
		t.Fatalf("backup after the first ended: %v", err)
	}
	b, err := backup.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	if problems, err := b.CheckBlobs(t.Context(), nil, &counter{}); err != nil || len(problems) != 0 || len(b.CheckFiles()) != 0 {
		t.Fatalf("check: %v %v %v", problems, b.CheckFiles(), err)
	}
}

// lockHelperEnv makes the test binary a backup that takes the lock, starts a snapshot and a
// blob copy, says "locked" and waits to be killed (TestKilledBackupLeavesNoLock).
const lockHelperEnv = "SPORTELLO_TEST_BACKUP_LOCK_HELPER"

func TestMain(m *testing.M) {
	if dest := os.Getenv(lockHelperEnv); dest != "" {
		w, err := backup.Begin(dest, time.Now())
		if err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
		_ = w.WriteFile("keys/half", []byte("a snapshot never committed"))
		_ = os.WriteFile(filepath.Join(dest, backup.BlobsDir, "tmp", "half-copied"), []byte("x"), 0o600)
		fmt.Println("locked")
		time.Sleep(time.Minute)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// TestKilledBackupLeavesNoLock: a backup killed with SIGKILL holds the lock no more (the kernel
// released it with the process): the next backup proceeds, removes the killed one's unfinished
// snapshot and blob copy, and leaves the snapshot committed before whole.
func TestKilledBackupLeavesNoLock(t *testing.T) {
	s, cat := store(t, t.TempDir(), 4, 256)
	dest := t.TempDir()
	if _, err := take(t, dest, s, cat[:2], &counter{}); err != nil {
		t.Fatal(err)
	}
	committed := snapshots(t, dest)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+dest)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("helper: %q", line)
	}
	if _, err := backup.Begin(dest, time.Now()); !errors.Is(err, backup.ErrLocked) {
		t.Fatalf("backup while the helper runs: %v; want ErrLocked", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(snapshots(t, dest)) != len(committed)+1 {
		t.Fatalf("the killed backup left %v; want its unfinished snapshot beside %v", snapshots(t, dest), committed)
	}
	if _, err := take(t, dest, s, cat, &counter{}); err != nil {
		t.Fatalf("backup after the holder was killed: %v", err)
	}
	for _, name := range snapshots(t, dest) {
		if strings.HasPrefix(name, ".") {
			t.Fatalf("the killed backup's %s is still there", name)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(dest, backup.BlobsDir, "tmp")); len(left) != 0 {
		t.Fatalf("blob copies left in tmp: %v", left)
	}
	old, err := backup.Open(filepath.Join(dest, backup.SnapshotsDir, committed[0]))
	if err != nil || len(old.CheckFiles()) != 0 {
		t.Fatalf("the snapshot committed before: %v %v", err, old.CheckFiles())
	}
}

// takeKeep takes a snapshot of the blobs cat references and, when keep > 0, prunes to keep.
func takeKeep(t *testing.T, dest string, s *blob.FS, cat catalog, keep int) backup.Pruned {
	t.Helper()
	w, err := backup.Begin(dest, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.CopyBlobs(t.Context(), cat, s, true, &counter{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(backup.Manifest{Engine: "sqlite", SnapshotAt: time.Now(), Registrations: int64(len(cat))}); err != nil {
		t.Fatal(err)
	}
	if keep == 0 {
		return backup.Pruned{}
	}
	p, err := w.Prune(keep)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkAll checks every file and blob of every snapshot in dest.
func checkAll(t *testing.T, dest string) {
	t.Helper()
	for _, name := range snapshots(t, dest) {
		b, err := backup.Open(filepath.Join(dest, backup.SnapshotsDir, name))
		if err != nil {
			t.Fatal(err)
		}
		problems, err := b.CheckBlobs(t.Context(), nil, &counter{})
		if err != nil || len(problems) != 0 || len(b.CheckFiles()) != 0 {
			t.Fatalf("snapshot %s: %v %v %v", name, problems, b.CheckFiles(), err)
		}
	}
}

// blobCount counts the blobs in dest/blobs.
func blobCount(t *testing.T, dest string) int {
	t.Helper()
	n := 0
	shards, _ := os.ReadDir(filepath.Join(dest, backup.BlobsDir))
	for _, sh := range shards {
		if sh.Name() == "tmp" {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(dest, backup.BlobsDir, sh.Name()))
		n += len(files)
	}
	return n
}

// TestPruneKeep: --keep N removes the snapshots older than the N newest and the blobs only
// they referenced; a blob a kept snapshot shares with a removed one stays, every kept snapshot
// checks whole, and the snapshot just written is kept even with keep 1. A snapshot whose
// manifest cannot be read is kept, and then no blob is removed.
func TestPruneKeep(t *testing.T) {
	s, cat := store(t, t.TempDir(), 20, 512)
	dest := t.TempDir()
	takeKeep(t, dest, s, cat[0:10], 0)
	takeKeep(t, dest, s, cat[5:15], 0)
	p := takeKeep(t, dest, s, cat[10:20], 2)
	if len(p.Snapshots) != 1 || p.Blobs != 5 || p.Bytes != 5*512 {
		t.Fatalf("keep 2 of 3: pruned %+v; want the first snapshot and its 5 blobs no other references", p)
	}
	if n := blobCount(t, dest); n != 15 || len(snapshots(t, dest)) != 2 {
		t.Fatalf("after keep 2: %d blobs, snapshots %v", n, snapshots(t, dest))
	}
	checkAll(t, dest)

	p = takeKeep(t, dest, s, cat[15:20], 1)
	if len(p.Snapshots) != 2 || p.Blobs != 10 || blobCount(t, dest) != 5 {
		t.Fatalf("keep 1: pruned %+v, %d blobs left; want the 2 older snapshots gone and 5 blobs left", p, blobCount(t, dest))
	}
	b, err := backup.Open(dest)
	if err != nil || b.Manifest.Registrations != 5 {
		t.Fatalf("LATEST after keep 1: %+v %v", b, err)
	}
	checkAll(t, dest)

	// An unreadable manifest: that snapshot is kept, and no blob is removed.
	takeKeep(t, dest, s, cat[0:3], 0)
	names := snapshots(t, dest)
	if err := os.WriteFile(filepath.Join(dest, backup.SnapshotsDir, names[0], backup.ManifestFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := blobCount(t, dest)
	p = takeKeep(t, dest, s, cat[3:4], 1)
	if p.Blobs != 0 || blobCount(t, dest) != before+1 {
		t.Fatalf("with an unreadable manifest: pruned %+v, %d blobs (had %d); want no blob removed", p, blobCount(t, dest), before)
	}
	if got := snapshots(t, dest); len(got) != 2 || got[0] != names[0] {
		t.Fatalf("snapshots %v; want the unreadable %s kept beside the new one", got, names[0])
	}
}

// TestCheckAndRestoreShareTheLock: a check or restore (OpenShared) and a backup exclude each
// other in one directory, so that no prune removes a snapshot being read; checks share it, and a
// snapshot's own directory is locked through its backup directory.
func TestCheckAndRestoreShareTheLock(t *testing.T) {
	s, cat := store(t, t.TempDir(), 3, 256)
	dest := t.TempDir()
	if _, err := take(t, dest, s, cat, &counter{}); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dest, backup.SnapshotsDir, snapshots(t, dest)[0])
	r1, err := backup.OpenShared(dest)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := backup.OpenShared(snap)
	if err != nil {
		t.Fatalf("a second reader: %v", err)
	}
	if _, err := backup.Begin(dest, time.Now()); !errors.Is(err, backup.ErrLocked) {
		t.Fatalf("backup while two readers hold the directory: %v; want ErrLocked", err)
	}
	if err := errors.Join(r1.Close(), r2.Close(), r1.Close()); err != nil {
		t.Fatal(err)
	}
	w, err := backup.Begin(dest, time.Now())
	if err != nil {
		t.Fatalf("backup once the readers are done: %v", err)
	}
	for _, src := range []string{dest, snap} {
		if _, err := backup.OpenShared(src); !errors.Is(err, backup.ErrLocked) || !strings.Contains(err.Error(), "process") {
			t.Fatalf("open %s while a backup writes: %v; want ErrLocked naming the backup's process", src, err)
		}
	}
	if err := errors.Join(w.Abort(), w.Close()); err != nil {
		t.Fatal(err)
	}
	r, err := backup.OpenShared(snap)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.CheckFiles()) != 0 {
		t.Fatal(r.CheckFiles())
	}
	r.Close()
}
