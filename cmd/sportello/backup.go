package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/backup"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/storage"
)

const backupUsage = "usage: sportello backup DEST [--no-blobs] [--keep N] [configuration flags] | sportello backup --check DEST [configuration flags]"

// backupCmd runs `sportello backup DEST` (beside a running server) or `sportello backup --check
// DEST`.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	check, args := boolFlag(args, "check")
	noBlobs, args := boolFlag(args, "no-blobs")
	keep, args, err := intFlag(args, "keep")
	if err != nil {
		return fmt.Errorf("%w\n%s", err, backupUsage)
	}
	dest, args := positional(args, 1)
	if len(dest) != 1 || (check && keep != 0) {
		return errors.New(backupUsage)
	}
	cfg, err := app.Load(args, getenv)
	if err != nil {
		return err
	}
	if check {
		return checkBackup(ctx, cfg, dest[0], stdout)
	}
	return takeBackup(ctx, cfg, dest[0], !noBlobs, keep, stdout)
}

// takeBackup writes a snapshot of the installation cfg names into dest (package backup). On
// SQLite the database is copied first, through SQLite's online backup API, and the blobs
// copied are those the copy references, read from the copy: a blob is immutable and written
// before any row refers to it, so every one is in the store, and blobs stored after the copy
// was taken are not needed by it. On PostgreSQL the database is left to its own tools
// (docs/operations.md) and the manifest lists the blobs the database references now. The keys
// of <data>/keys, the admin key file, the files the configuration names (sealing identity,
// trust anchors) and the configuration itself, secrets left out, complete the snapshot.
//
// The backup holds dest's lock from before its first write to after its prune: a second backup
// into dest refuses at once (backup.ErrLocked). With keep > 0 the snapshots older than the keep
// newest are removed once the new one is committed, with the blobs no kept snapshot references
// (backup.Writer.Prune).
func takeBackup(ctx context.Context, cfg app.Config, dest string, copyBlobs bool, keep int, stdout io.Writer) (err error) {
	m := app.New(cfg, cfg.Logger())
	defer m.Close()
	if err := m.OpenExisting(ctx); err != nil {
		return err
	}
	if copyBlobs {
		if err := m.OpenBlobs(); err != nil {
			return err
		}
	}
	w, err := backup.Begin(dest, time.Now())
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, w.Abort())
		}
		err = errors.Join(err, w.Close())
	}()
	facts, at, snap, err := snapshotDatabase(ctx, m.DB, w)
	if err != nil {
		return err
	}
	catalog := m.DB
	if snap != nil {
		catalog = snap
	}
	fmt.Fprintf(stdout, "database %s at %s: %d registrations, %d log leaves\n", m.DB.Engine(), at.UTC().Format(time.RFC3339), facts.Registrations, facts.LogSize)
	bar := newBlobProgress(stdout, "backup")
	err = w.CopyBlobs(ctx, catalog, m.Blobs(), copyBlobs, bar)
	bar.finish()
	if snap != nil {
		err = errors.Join(err, closeSnapshot(snap, w))
	}
	if err != nil {
		return err
	}
	if err := addKeysAndConfig(w, cfg); err != nil {
		return err
	}
	man, err := w.Commit(backup.Manifest{Version: app.Version(), Engine: m.DB.Engine(), SnapshotAt: at,
		Registrations: facts.Registrations, LogSize: facts.LogSize})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup %s written to %s: %d files, %d blobs referenced (%d copied, %s)\n",
		w.Name(), dest, len(man.Files), len(man.Blobs), bar.copied, byteCount(bar.copiedBytes))
	if !copyBlobs {
		fmt.Fprintln(stdout, "     blobs not copied (--no-blobs): the manifest lists the digests the blob store must hold; `sportello backup --check DEST` checks them")
	}
	if m.DB.Engine() == storage.Postgres {
		fmt.Fprintln(stdout, "     the PostgreSQL database is not in this backup: back it up with pg_basebackup and WAL archiving (docs/operations.md)")
	}
	if keep > 0 {
		p, err := w.Prune(keep)
		if err != nil {
			return fmt.Errorf("backup %s is written, but pruning the older ones failed: %w", w.Name(), err)
		}
		fmt.Fprintf(stdout, "pruned %d older snapshots (--keep %d) and %d blobs no kept snapshot references (%s)\n",
			len(p.Snapshots), keep, p.Blobs, byteCount(p.Bytes))
	}
	return nil
}

// snapshotDatabase copies a SQLite database into the snapshot and opens the copy, whose facts
// and references the backup then reads; on PostgreSQL it reads the facts of the live database
// and returns no copy.
func snapshotDatabase(ctx context.Context, db *storage.DB, w *backup.Writer) (storage.BackupFacts, time.Time, *storage.DB, error) {
	if db.Engine() != storage.SQLite {
		at := time.Now()
		facts, err := db.BackupFacts(ctx)
		return facts, at, nil, err
	}
	at := time.Now()
	path := filepath.Join(w.Dir(), backup.DatabaseFile)
	if err := db.Snapshot(ctx, path); err != nil {
		return storage.BackupFacts{}, at, nil, err
	}
	snap, err := storage.Open(ctx, "sqlite:"+path, storage.Options{})
	if err != nil {
		return storage.BackupFacts{}, at, nil, err
	}
	facts, err := snap.BackupFacts(ctx)
	if err != nil {
		return facts, at, nil, errors.Join(err, snap.Close())
	}
	return facts, at, snap, nil
}

// closeSnapshot closes the copy of the database, removes the companion files its opening made
// (SQLite folds the write-ahead log into the file when the last connection closes) and records
// the file in the manifest.
func closeSnapshot(snap *storage.DB, w *backup.Writer) error {
	if err := snap.Close(); err != nil {
		return err
	}
	path := filepath.Join(w.Dir(), backup.DatabaseFile)
	for _, p := range []string{path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err == nil && fi.Size() > 0 && strings.HasSuffix(p, "-wal") {
			return fmt.Errorf("snapshot: %s was not folded into the database", p)
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return w.AddFile(backup.DatabaseFile)
}

// addKeysAndConfig adds <data>/keys, the admin key file, the files the configuration names and
// the configuration itself.
func addKeysAndConfig(w *backup.Writer, cfg app.Config) error {
	if err := w.CopyTree("keys", cfg.KeysDir()); err != nil {
		return err
	}
	if p := filepath.Join(cfg.Data, app.AdminKeyFile); fileExists(p) {
		if err := w.CopyFile(app.AdminKeyFile, p); err != nil {
			return err
		}
	}
	files := cfg.ConfigFiles()
	names := make([]string, 0, len(files))
	for env := range files {
		names = append(names, env)
	}
	sort.Strings(names)
	for _, env := range names {
		if err := w.CopyFile("config/"+env+"/"+filepath.Base(files[env]), files[env]); err != nil {
			return err
		}
	}
	return w.WriteFile("config.env", []byte(cfg.Environment()))
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// checkBackup reads every file and blob of the backup at dest again and compares them with
// its manifest; when the blobs were not copied (--no-blobs) it reads them from the blob store
// the configuration names.
func checkBackup(ctx context.Context, cfg app.Config, dest string, stdout io.Writer) error {
	b, err := backup.OpenShared(dest)
	if err != nil {
		return err
	}
	defer b.Close()
	man := b.Manifest
	fmt.Fprintf(stdout, "backup %s: %s database at %s, %d registrations, %d log leaves, %d files, %d blobs\n",
		b.Dir, man.Engine, man.SnapshotAt.Format(time.RFC3339), man.Registrations, man.LogSize, len(man.Files), len(man.Blobs))
	problems := b.CheckFiles()
	if len(problems) == 0 {
		fmt.Fprintln(stdout, "ok   every file matches the manifest")
	}
	m := app.New(cfg, cfg.Logger())
	defer m.Close()
	if !man.BlobsCopied {
		if err := m.OpenExisting(ctx); err != nil {
			return err
		}
		if err := m.OpenBlobs(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "     the blobs are not in the backup: reading them from %s\n", cfg.Blobs)
	}
	bar := newBlobProgress(stdout, "check")
	blobProblems, err := b.CheckBlobs(ctx, m.Blobs(), bar)
	bar.finish()
	if err != nil {
		return err
	}
	if len(blobProblems) == 0 {
		fmt.Fprintln(stdout, "ok   every blob matches its digest")
	}
	problems = append(problems, blobProblems...)
	for _, p := range problems {
		fmt.Fprintf(stdout, "FAIL %s\n", p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %d files or blobs of the backup missing or altered", errVerifyFailed, len(problems))
	}
	return nil
}

// boolFlag takes --name (or -name) out of args.
func boolFlag(args []string, name string) (bool, []string) {
	var rest []string
	set := false
	for _, a := range args {
		if a == "--"+name || a == "-"+name {
			set = true
			continue
		}
		rest = append(rest, a)
	}
	return set, rest
}

// intFlag takes --name N (or --name=N) out of args: 0 when absent, an error unless N is a
// positive integer.
func intFlag(args []string, name string) (int, []string, error) {
	var rest []string
	n := 0
	for i := 0; i < len(args); i++ {
		a := args[i]
		v, ok := "", false
		switch {
		case a == "--"+name || a == "-"+name:
			if i+1 == len(args) {
				return 0, nil, fmt.Errorf("--%s needs a number", name)
			}
			v, ok = args[i+1], true
			i++
		case strings.HasPrefix(a, "--"+name+"="):
			v, ok = strings.TrimPrefix(a, "--"+name+"="), true
		}
		if !ok {
			rest = append(rest, a)
			continue
		}
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 {
			return 0, nil, fmt.Errorf("--%s %q: want a whole number of snapshots, at least 1", name, v)
		}
		n = k
	}
	return n, rest, nil
}

// positional takes up to n leading arguments that are not flags out of args (the configuration
// flags follow them).
func positional(args []string, n int) ([]string, []string) {
	var out []string
	for len(args) > 0 && len(out) < n && !strings.HasPrefix(args[0], "-") {
		out, args = append(out, args[0]), args[1:]
	}
	return out, args
}
