// Command sportello is the one Sportello binary: `sportello` or `sportello serve` runs the API,
// `sportello migrate` applies database migrations, `sportello reindex` rebuilds the search
// index, `sportello keys create|list|revoke` issues, lists and revokes API keys, `sportello
// verify` checks receipts and checkpoints offline or audits the database, `sportello import`
// registers a folder or zip of documents listed in a manifest through a server's API,
// `sportello backup` and `sportello restore` back an installation up and restore it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sportello/sportello/internal/app"
)

const usage = `usage: sportello [command] [flags]

commands:
  serve           run the API server (default)
  migrate         apply database migrations and exit
  reindex         rebuild the search index from the database; a running server
                  keeps answering from the old index, then swaps to the new one
  keys create     create an API client and print its key once
                  (--name NAME --role ROLE [--role ROLE…] [--office CODE…]
                  [--expires-at RFC3339])
  keys list       list the API clients and their keys: ids, states, dates; never
                  a secret
  keys revoke ID  revoke an API key: every server refuses it within a second
  verify FILE     check a receipt.pdf, receipt.json, checkpoint.json or archive
                  package .zip offline (--fingerprint HEX --tsa-fingerprint HEX
                  to require the sealing and TSA certificates; --certificate FILE
                  for a checkpoint; --schema XSD to validate a package's index;
                  --json for a machine-readable report)
  verify --data   audit the configured database against the transparency log,
                  then read every stored blob again and compare its digest
                  (--data first; --lag DURATION, --no-fixity to skip the blobs,
                  configuration flags after it)
  import SOURCE   register the documents of a folder or .zip with manifest.csv
                  through a server's API, resumably (--server URL --token-file
                  FILE [--concurrency N] [--check] [--report FILE]; docs/import.md)
  backup DEST     copy the installation into the backup directory DEST while
                  the server runs: the SQLite database through its online backup
                  API, the blobs it references (only those DEST lacks), the keys
                  and the configuration, with a manifest of SHA-256 digests
                  (--no-blobs to list the blobs without copying them; --keep N
                  to remove all but the N newest snapshots and the blobs only
                  they referenced; one backup at a time per DEST; on
                  PostgreSQL the database is left to pg_basebackup;
                  docs/operations.md)
  backup --check DEST
                  read every file and blob of the latest backup in DEST again
                  and compare it with the manifest
  restore SRC [DATADIR]
                  restore the backup SRC into the empty data directory DATADIR
                  (default --data), checking every digest, and rebuild the search
                  index
  version         print the version

Every flag can also be set as an environment variable: --database-url is
SPORTELLO_DATABASE_URL. Run "sportello serve -h" for the list.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		code := 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "sportello:", err)
		}
		os.Exit(code)
	}
}

// exitError is an error that sets the exit status of the process (1 for any other error).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv)
	case "migrate":
		return migrate(ctx, args, getenv, stdout)
	case "reindex":
		return reindex(ctx, args, getenv, stdout)
	case "keys":
		return keys(ctx, args, getenv, stdout)
	case "verify":
		return verifyCmd(ctx, args, getenv, stdout)
	case "import":
		return importCmd(ctx, args, stdout)
	case "backup":
		return backupCmd(ctx, args, getenv, stdout)
	case "restore":
		return restoreCmd(ctx, args, getenv, stdout)
	case "version":
		_, err := fmt.Fprintln(stdout, app.Version())
		return err
	case "help":
		_, err := fmt.Fprint(stdout, usage)
		return err
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}

// serve runs the server until ctx is cancelled (SIGINT, SIGTERM), then shuts down in order.
func serve(ctx context.Context, args []string, getenv func(string) string) error {
	cfg, err := app.Load(args, getenv)
	if err != nil {
		return err
	}
	m := app.New(cfg, cfg.Logger())
	if err := m.Run(ctx); err != nil {
		return errors.Join(err, m.Close())
	}
	<-ctx.Done()
	m.Logger.Info("shutting down")
	return m.Close()
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := app.Load(args, getenv)
	if err != nil {
		return err
	}
	cfg.AutoMigrate = true
	m := app.New(cfg, cfg.Logger())
	defer m.Close()
	if err := m.Open(ctx); err != nil {
		return err
	}
	cur, _, err := m.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "database schema at version %d\n", cur)
	return err
}
