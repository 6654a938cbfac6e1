package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sportello/sportello/domain"
)

// projectionBatch is how many change events one step reads.
const projectionBatch = 500

// cursorFile holds the projection's change-feed cursor beside the shards.
const cursorFile = "cursor.json"

// Registrations loads registrations by id, a batch at a time (an unknown id is absent from
// the map); storage.DB is one.
type Registrations interface {
	RegistrationsByID(ctx context.Context, ids []string) (map[string]*domain.Registration, error)
}

// Texts loads the extracted texts of registrations by id (those without text are left out);
// storage.DB is one.
type Texts interface {
	RegistrationTexts(ctx context.Context, ids []string) (map[string]string, error)
}

// Projection keeps an Index equal to the database: it follows the change feed and indexes the
// current state of every registration an event names. The cursor lives beside the index, not
// in the database, because each process keeps an index of its own; it is saved after the
// documents, so a crash in between only makes the next step index them again (Put is
// idempotent), and an index deleted with its cursor is rebuilt from the start of the feed.
type Projection struct {
	Index         *Index
	Feed          domain.ChangeFeed
	Registrations Registrations
	// Texts, when set, fills in each document's extracted text. NewProjection sets it when
	// Registrations also implements Texts.
	Texts  Texts
	Logger *slog.Logger

	mu       sync.Mutex
	cursor   domain.FeedCursor
	advanced chan struct{} // closed and replaced each time the cursor moves
	wake     chan struct{} // WaitFor asks Run not to wait for its next tick
}

// NewProjection returns a projection resuming from the cursor saved in index's directory.
func NewProjection(index *Index, feed domain.ChangeFeed, regs Registrations, logger *slog.Logger) (*Projection, error) {
	p := &Projection{Index: index, Feed: feed, Registrations: regs, Logger: logger,
		advanced: make(chan struct{}), wake: make(chan struct{}, 1)}
	p.Texts, _ = regs.(Texts)
	raw, err := os.ReadFile(filepath.Join(index.dir, cursorFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("search projection cursor: %w", err)
	default:
		if err := json.Unmarshal(raw, &p.cursor); err != nil {
			return nil, fmt.Errorf("search projection cursor: %w", err)
		}
	}
	return p, nil
}

// Cursor is how far the index has followed the feed.
func (p *Projection) Cursor() domain.FeedCursor {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cursor
}

// Step indexes the next batch of change events and reports how many it read.
func (p *Projection) Step(ctx context.Context) (int, error) {
	from := p.Cursor()
	events, err := p.Feed.Changes(ctx, from, projectionBatch)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	seen := map[string]bool{}
	var ids []string
	for _, e := range events {
		if e.EntityKind == domain.KindRegistration && !seen[e.EntityID] {
			seen[e.EntityID] = true
			ids = append(ids, e.EntityID)
		}
	}
	regs, err := p.Registrations.RegistrationsByID(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("index registrations: %w", err)
	}
	docs := make([]Document, 0, len(ids))
	for _, id := range ids {
		r, ok := regs[id]
		if !ok {
			return 0, fmt.Errorf("index registration %s: not found", id)
		}
		docs = append(docs, FromRegistration(r))
	}
	if err := p.addTexts(ctx, docs); err != nil {
		return 0, err
	}
	if err := p.Index.Put(ctx, docs...); err != nil {
		return 0, err
	}
	if err := p.save(events[len(events)-1].Cursor()); err != nil {
		return 0, err
	}
	return len(events), nil
}

// addTexts fills in the extracted text of docs, in one query per step.
func (p *Projection) addTexts(ctx context.Context, docs []Document) error {
	if p.Texts == nil || len(docs) == 0 {
		return nil
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	texts, err := p.Texts.RegistrationTexts(ctx, ids)
	if err != nil {
		return fmt.Errorf("index registrations: %w", err)
	}
	for i := range docs {
		docs[i].Text = texts[docs[i].ID]
	}
	return nil
}

// CatchUp steps until it has read every change event committed so far, and returns how many
// it read.
func (p *Projection) CatchUp(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := p.Step(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// save writes the cursor atomically, then wakes WaitFor.
func (p *Projection) save(c domain.FeedCursor) error {
	raw, _ := json.Marshal(c)
	path := filepath.Join(p.Index.dir, cursorFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o640); err != nil {
		return fmt.Errorf("save search cursor: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save search cursor: %w", err)
	}
	p.mu.Lock()
	p.cursor = c
	close(p.advanced)
	p.advanced = make(chan struct{})
	p.mu.Unlock()
	return nil
}

// Run steps until ctx is done, catching up without pause and then looking for new events every
// interval, or at once when WaitFor asks. Errors are logged and retried: the index only falls behind, it never skips.
func (p *Projection) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := p.Step(ctx)
		if err != nil && ctx.Err() == nil && p.Logger != nil {
			p.Logger.ErrorContext(ctx, "search projection step failed", "err", err)
		}
		// Catch up without pause only while batches come full. Otherwise wait for the tick (or
		// a WaitFor): indexing a trickle of one or two documents per step makes many tiny bleve
		// segments, and merging them costs more than the indexing itself.
		if n == projectionBatch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.wake:
		}
	}
}

// WaitFor returns once the index has followed the feed past c (read-your-writes), or with ctx's
// error. It wakes Run, so that a search right after a write waits for one step, not a tick.
func (p *Projection) WaitFor(ctx context.Context, c domain.FeedCursor) error {
	for {
		p.mu.Lock()
		reached, advanced := !p.cursor.Before(c), p.advanced
		p.mu.Unlock()
		if reached {
			return nil
		}
		select {
		case p.wake <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for search index to reach %+v: %w", c, ctx.Err())
		case <-advanced:
		}
	}
}
