package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/search"
	"github.com/sportello/sportello/storage"
)

// projectionTick is how often the search projection looks for new change events when idle,
// and how often the server looks for a generation published by `sportello reindex`.
const projectionTick = time.Second

// searching is the process's own search index (a generation under <data>/search) and the
// projection that keeps it equal to the database. It serves api.SearchIndex. When a reindex
// publishes a new generation, it catches that up and swaps it in (see swap).
type searching struct {
	dir    string
	db     *storage.DB
	loc    *time.Location // where the dates of dossiers and documents are reckoned
	logger *slog.Logger

	// mu guards gen and swapped. Searches hold it shared for their whole duration, so the old
	// generation closes only once the queries in flight on it have finished.
	mu      sync.RWMutex
	gen     *generation
	swapped chan struct{} // closed and replaced at each swap: wakes WaitForPosition

	stop func()
	done sync.WaitGroup
}

// generation is one open generation of the index and its projection.
type generation struct {
	dir        string
	index      *search.Index
	projection *search.Projection
}

func (m *Main) openSearch() error {
	dir := filepath.Join(m.Config.Data, "search")
	current, replaced, err := search.CurrentGeneration(dir)
	if err != nil {
		return err
	}
	if replaced {
		m.Logger.Warn("the search index was of an older layout: it is rebuilt from the database, and searches find only what it holds so far",
			"dir", current)
	}
	if err := search.RemoveOlderGenerations(dir, current); err != nil {
		m.Logger.Warn("could not remove old search index generations", "err", err)
	}
	m.search = &searching{dir: dir, db: m.DB, loc: m.Config.Location(), swapped: make(chan struct{}), logger: m.Logger}
	if m.search.gen, err = m.search.open(current); err != nil {
		return err
	}
	return nil
}

// open opens the generation in dir.
func (s *searching) open(dir string) (*generation, error) {
	index, err := search.Open(dir)
	if err != nil {
		return nil, err
	}
	p, err := search.NewProjection(index, s.db, s.db, s.loc, s.logger)
	if err != nil {
		index.Close()
		return nil, err
	}
	return &generation{dir: dir, index: index, projection: p}, nil
}

// current returns the generation in use.
func (s *searching) current() (*generation, chan struct{}) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen, s.swapped
}

// start runs the projection in the background until close.
func (s *searching) start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.done.Go(func() { s.run(ctx) })
}

// run runs the current generation's projection and, every tick, looks for a newly published
// generation to swap in.
func (s *searching) run(ctx context.Context) {
	for ctx.Err() == nil {
		g, _ := s.current()
		pctx, cancel := context.WithCancel(ctx)
		var running sync.WaitGroup
		running.Go(func() { g.projection.Run(pctx, projectionTick) })
		next := s.awaitPublished(ctx, g)
		// The new generation catches up while the old one keeps serving and following the feed.
		var ng *generation
		if next != "" {
			ng = s.prepare(ctx, next)
		}
		cancel()
		running.Wait()
		if ng != nil {
			s.swap(ng)
		}
	}
}

// awaitPublished returns the directory of a generation published in place of g's, or "" when
// ctx ends.
func (s *searching) awaitPublished(ctx context.Context, g *generation) string {
	t := time.NewTicker(projectionTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-t.C:
		}
		published, err := search.PublishedGeneration(s.dir)
		if err != nil {
			s.logger.Error("read the published search index generation", "err", err)
			continue
		}
		if published != g.dir {
			return published
		}
	}
}

// prepare opens a published generation and lets it catch up with the feed; nil if it cannot.
func (s *searching) prepare(ctx context.Context, dir string) *generation {
	ng, err := s.open(dir)
	if err != nil {
		s.logger.Error("open the new search index generation", "dir", dir, "err", err)
		return nil
	}
	if _, err := ng.projection.CatchUp(ctx); err != nil {
		s.logger.Error("catch up the new search index generation", "dir", dir, "err", err)
		ng.index.Close()
		return nil
	}
	return ng
}

// swap puts ng in service, waits for the searches in flight on the old generation, closes it
// and removes its directory. ng's projection runs on from its own cursor, so events that came
// after its catch-up are indexed at its first step.
func (s *searching) swap(ng *generation) {
	s.mu.Lock()
	old := s.gen
	s.gen = ng
	close(s.swapped)
	s.swapped = make(chan struct{})
	s.mu.Unlock()
	if err := errors.Join(old.index.Close(), os.RemoveAll(old.dir)); err != nil {
		s.logger.Error("remove the old search index generation", "dir", old.dir, "err", err)
	}
	s.logger.Info("search index generation swapped in", "dir", ng.dir)
}

// close stops the projection, waits for its step, and closes the index.
func (s *searching) close() error {
	if s == nil {
		return nil
	}
	if s.stop != nil {
		s.stop()
		s.done.Wait()
	}
	g, _ := s.current()
	return g.index.Close()
}

func (s *searching) Search(ctx context.Context, q search.Query) (search.Result, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen.index.Search(ctx, q)
}

// WaitForPosition waits until the projection has passed the write at position, in feed order.
// A swap of generations during the wait moves the wait to the new generation.
func (s *searching) WaitForPosition(ctx context.Context, position int64) error {
	c, err := s.db.FeedCursorOf(ctx, position)
	if domain.IsCode(err, domain.ECNotFound) {
		return &domain.Error{Code: domain.ECValidation, Message: fmt.Sprintf("min_position %d names no write", position),
			Fields: []domain.FieldError{{Field: "min_position", Message: "names no write"}}}
	}
	if err != nil {
		return err
	}
	for {
		g, swapped := s.current()
		wctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-swapped:
				cancel()
			case <-wctx.Done():
			}
		}()
		err := g.projection.WaitFor(wctx, c)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
	}
}
