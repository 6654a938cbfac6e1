package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sportello/sportello/search"
	"github.com/sportello/sportello/storage"
)

// Reindex rebuilds the search index of the data directory from the database, from scratch, in
// a new generation beside the one in use, and publishes it. A server running on the same data
// directory keeps answering from its generation meanwhile, then catches the new one up with
// the change feed and swaps to it; without a server, the next start opens it. It returns the
// number of indexed documents. Run one reindex at a time per data directory.
func Reindex(ctx context.Context, cfg Config) (uint64, error) {
	db, err := storage.Open(ctx, cfg.DatabaseURL, storage.Options{})
	if err != nil {
		return 0, err // storage.Open names the operation and the database
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return 0, fmt.Errorf("database schema: %w", err)
	}
	dir := filepath.Join(cfg.Data, "search")
	gen, err := search.NewGeneration(dir)
	if err != nil {
		return 0, err
	}
	n, err := build(ctx, db, gen, cfg.Location())
	if err == nil {
		err = search.PublishGeneration(dir, gen)
	}
	if err != nil {
		return 0, errors.Join(fmt.Errorf("reindex: %w", err), os.RemoveAll(gen))
	}
	return n, nil
}

// build indexes the whole change feed into the generation in dir, reckoning dates in loc, and
// closes it.
func build(ctx context.Context, db *storage.DB, dir string, loc *time.Location) (uint64, error) {
	index, err := search.Open(dir)
	if err != nil {
		return 0, err
	}
	p, err := search.NewProjection(index, db, db, loc, nil)
	if err == nil {
		_, err = p.CatchUp(ctx)
	}
	var n uint64
	if err == nil {
		n, err = index.Count()
	}
	return n, errors.Join(err, index.Close())
}
