package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sportello/sportello/backup"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/storage"
)

const restoreUsage = "usage: sportello restore SRC [DATADIR] [configuration flags]"

// restoreCmd runs `sportello restore SRC [DATADIR]`: the backup at SRC (a backup directory,
// whose latest snapshot is restored, or one snapshot's directory) into DATADIR, or the
// configured data directory (SPORTELLO_DATA, --data) without one, which must be empty or not
// exist. Every file is checked against the manifest before anything is written, and every
// blob as the blob store takes it; then the search index is rebuilt from the database (the
// backup holds none). On a failure what was written is removed: DATADIR is left as it was.
func restoreCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	pos, args := positional(args, 2)
	if len(pos) == 0 {
		return errors.New(restoreUsage)
	}
	if len(pos) == 2 {
		args = append([]string{"--data", pos[1]}, args...)
	}
	cfg, err := app.Load(args, getenv)
	if err != nil {
		return err
	}
	src, dataDir := pos[0], cfg.Data
	b, err := backup.OpenShared(src)
	if err != nil {
		return err
	}
	defer b.Close()
	dbFile, err := restoredDatabase(cfg, b.Manifest.Engine)
	if err != nil {
		return err
	}
	if err := emptyDir(dataDir); err != nil {
		return err
	}
	err = restoreInto(ctx, cfg, b, dbFile, stdout)
	if err != nil {
		return errors.Join(err, undoRestore(dataDir, dbFile))
	}
	return nil
}

// restoredDatabase is the SQLite file a backup's database goes to ("" on PostgreSQL), which
// must not exist; a backup and a configuration of different engines are refused.
func restoredDatabase(cfg app.Config, engine string) (string, error) {
	file, isSQLite, err := storage.SQLiteFile(cfg.DatabaseURL)
	if err != nil {
		return "", err
	}
	switch {
	case engine == storage.SQLite && !isSQLite:
		return "", errors.New("restore: the backup holds a SQLite database and the configuration names PostgreSQL")
	case engine == storage.Postgres && isSQLite:
		return "", errors.New("restore: the backup is of an instance on PostgreSQL: restore the database with its own tools " +
			"(docs/operations.md), then run restore with --database-url naming it")
	case engine != storage.SQLite && engine != storage.Postgres:
		return "", fmt.Errorf("restore: the backup's engine %q is unknown", engine)
	}
	if isSQLite {
		if _, err := os.Lstat(file); !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("restore: the database file %s exists", file)
		}
	}
	return file, nil
}

// emptyDir refuses a data directory that holds anything.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore into %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("restore into %s: the directory is not empty; restore only into an empty data directory", dir)
	}
	return nil
}

// restoreInto writes the files and blobs, checks the database against the manifest and rebuilds
// the search index.
func restoreInto(ctx context.Context, cfg app.Config, b *backup.Backup, dbFile string, stdout io.Writer) error {
	man := b.Manifest
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return err
	}
	if err := b.RestoreFiles(cfg.Data, dbFile); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok   %d files restored, each matching the manifest\n", len(man.Files))
	store, err := app.OpenBlobStore(ctx, cfg)
	if err != nil {
		return err
	}
	bar := newBlobProgress(stdout, "restore")
	if man.BlobsCopied {
		err = b.RestoreBlobs(ctx, store, bar)
	} else {
		var problems []backup.Problem
		if problems, err = b.CheckBlobs(ctx, store, bar); err == nil && len(problems) > 0 {
			err = fmt.Errorf("restore: %d blobs the backup lists are not right in the blob store %s: %v", len(problems), cfg.Blobs, problems)
		}
	}
	bar.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok   %d blobs in the blob store, each matching its digest\n", len(man.Blobs))
	if err := checkRestoredFacts(ctx, cfg, man, stdout); err != nil {
		return err
	}
	n, err := app.Reindex(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok   search index rebuilt: %d documents\nrestored %s into %s; check it with `sportello verify --data --data %s`\n",
		n, b.Dir, cfg.Data, cfg.Data)
	return nil
}

// checkRestoredFacts compares the restored database with the manifest: on SQLite the same
// registrations and log leaves; on PostgreSQL, restored to a point in time by its own tools,
// at least as many.
func checkRestoredFacts(ctx context.Context, cfg app.Config, man backup.Manifest, stdout io.Writer) error {
	db, err := storage.Open(ctx, cfg.DatabaseURL, storage.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return fmt.Errorf("restored database schema: %w", err)
	}
	f, err := db.BackupFacts(ctx)
	if err != nil {
		return err
	}
	exact := man.Engine == storage.SQLite
	if (exact && (f.Registrations != man.Registrations || f.LogSize != man.LogSize)) ||
		f.Registrations < man.Registrations || f.LogSize < man.LogSize {
		return fmt.Errorf("restore: the database holds %d registrations and %d log leaves, the backup's manifest says %d and %d",
			f.Registrations, f.LogSize, man.Registrations, man.LogSize)
	}
	fmt.Fprintf(stdout, "ok   database: %d registrations, %d log leaves (manifest: %d, %d)\n", f.Registrations, f.LogSize, man.Registrations, man.LogSize)
	return nil
}

// undoRestore removes what a failed restore wrote: everything in the data directory (which was
// empty) and the database file.
func undoRestore(dataDir, dbFile string) error {
	var errs []error
	if dbFile != "" {
		for _, p := range []string{dbFile, dbFile + "-wal", dbFile + "-shm"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	entries, err := os.ReadDir(dataDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(filepath.Join(dataDir, e.Name())))
	}
	return errors.Join(errs...)
}
