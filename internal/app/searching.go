package app

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/search"
	"github.com/sportello/sportello/storage"
)

// projectionTick is how often the search projection looks for new change events when idle.
const projectionTick = time.Second

// searching is the process's own search index (under <data>/search) and the projection that
// keeps it equal to the database. It serves api.SearchIndex.
type searching struct {
	index      *search.Index
	projection *search.Projection
	db         *storage.DB

	stop func()
	done sync.WaitGroup
}

func (m *Main) openSearch() error {
	index, err := search.Open(filepath.Join(m.Config.Data, "search"))
	if err != nil {
		return err
	}
	p, err := search.NewProjection(index, m.DB, m.DB, m.Logger)
	if err != nil {
		index.Close()
		return err
	}
	m.search = &searching{index: index, projection: p, db: m.DB}
	return nil
}

// start runs the projection in the background until close.
func (s *searching) start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.done.Go(func() { s.projection.Run(ctx, projectionTick) })
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
	return s.index.Close()
}

func (s *searching) Search(ctx context.Context, q search.Query) (search.Result, error) {
	return s.index.Search(ctx, q)
}

// WaitForPosition waits until the projection has passed the write at position, in feed order.
func (s *searching) WaitForPosition(ctx context.Context, position int64) error {
	c, err := s.db.FeedCursorOf(ctx, position)
	if domain.IsCode(err, domain.ECNotFound) {
		return &domain.Error{Code: domain.ECValidation, Message: fmt.Sprintf("min_position %d names no write", position),
			Fields: []domain.FieldError{{Field: "min_position", Message: "names no write"}}}
	}
	if err != nil {
		return err
	}
	return s.projection.WaitFor(ctx, c)
}
