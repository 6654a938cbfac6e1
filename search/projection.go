package search

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/sportello/sportello/domain"
)

// projectionBatch is how many change events one step reads by default. Large batches index
// far cheaper: bleve makes one segment per batch, and merging many small segments costs more
// than indexing them (BenchmarkIndex, docs/benchmarks.md: 5,000 documents per batch take about
// two thirds of the CPU time per document that batches of 1,000 take).
const projectionBatch = 5000

// putBudget bounds the bytes of text one Put indexes, so that a batch of registrations with
// long extracted texts does not build one huge segment in memory.
const putBudget = 32 << 20

// cursorFile holds the projection's change-feed cursor beside the shards.
const cursorFile = "cursor.json"

// Source loads what the change feed names, a batch at a time (an unknown id is absent from
// each map); storage.DB is one.
type Source interface {
	RegistrationsByID(ctx context.Context, ids []string) (map[string]*domain.Registration, error)
	DossiersByID(ctx context.Context, ids []string) (map[string]*domain.Dossier, error)
	DocumentsByID(ctx context.Context, ids []string) (map[string]*domain.Document, error)
}

// Texts loads the extracted texts of registrations by id (those without text are left out);
// storage.DB is one.
type Texts interface {
	RegistrationTexts(ctx context.Context, ids []string) (map[string]string, error)
}

// Projection keeps an Index equal to the database: it follows the change feed and indexes the
// current state of every registration, dossier and document an event names. The cursor lives
// beside the index, not in the database, because each process keeps an index of its own; it is
// saved after the documents, so a crash in between only makes the next step index them again
// (Put is idempotent), and an index deleted with its cursor is rebuilt from the start of the
// feed.
type Projection struct {
	Index  *Index
	Feed   domain.ChangeFeed
	Source Source
	// Location is where the dates of dossiers and documents are reckoned (Europe/Rome), as
	// protocol dates are.
	Location *time.Location
	// Texts, when set, fills in each registration's extracted text. NewProjection sets it when
	// Source also implements Texts.
	Texts  Texts
	Logger *slog.Logger
	// Batch is how many change events a step reads; NewProjection sets projectionBatch.
	Batch int

	mu       sync.Mutex
	cursor   domain.FeedCursor
	advanced chan struct{} // closed and replaced each time the cursor moves
	wake     chan struct{} // WaitFor asks Run not to wait for its next tick
}

// NewProjection returns a projection resuming from the cursor saved in index's directory; loc is
// where the dates of dossiers and documents are reckoned.
func NewProjection(index *Index, feed domain.ChangeFeed, src Source, loc *time.Location, logger *slog.Logger) (*Projection, error) {
	p := &Projection{Index: index, Feed: feed, Source: src, Location: loc, Logger: logger,
		Batch: projectionBatch, advanced: make(chan struct{}), wake: make(chan struct{}, 1)}
	p.Texts, _ = src.(Texts)
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
	events, err := p.Feed.Changes(ctx, from, p.Batch)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	docs, err := p.load(ctx, events)
	if err != nil {
		return 0, err
	}
	if err := p.put(ctx, docs); err != nil {
		return 0, err
	}
	if err := p.save(events[len(events)-1].Cursor()); err != nil {
		return 0, err
	}
	return len(events), nil
}

// put indexes docs in Puts of at most putBudget bytes of text, in the order of their positions,
// so that the index's own position (Index.WaitFor) never passes a document not yet indexed.
func (p *Projection) put(ctx context.Context, docs []Document) error {
	slices.SortFunc(docs, func(a, b Document) int { return cmp.Compare(a.Position, b.Position) })
	for _, group := range budgetGroups(docs, putBudget) {
		if err := p.Index.Put(ctx, group...); err != nil {
			return err
		}
	}
	return nil
}

// budgetGroups cuts docs, in order, into runs of at most budget bytes of text each; a document
// larger than budget makes a run of its own.
func budgetGroups(docs []Document, budget int) [][]Document {
	var groups [][]Document
	start, size := 0, 0
	for i, d := range docs {
		n := len(d.Text) + len(d.Subject) + len(d.Description)
		if i > start && size+n > budget {
			groups = append(groups, docs[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(docs) {
		groups = append(groups, docs[start:])
	}
	return groups
}

// load returns the current state of every registration, dossier and document events name, each
// once, with one query per kind. Other kinds (cases, journals) are not indexed.
func (p *Projection) load(ctx context.Context, events []domain.ChangeEvent) ([]Document, error) {
	ids := map[string][]string{}
	seen := map[string]bool{}
	for _, e := range events {
		switch e.EntityKind {
		case domain.KindRegistration, domain.KindDossier, domain.KindDocument:
		default:
			continue
		}
		if key := e.EntityKind + "/" + e.EntityID; !seen[key] {
			seen[key] = true
			ids[e.EntityKind] = append(ids[e.EntityKind], e.EntityID)
		}
	}
	docs := make([]Document, 0, len(seen))
	err := errors.Join(
		loadEach(ctx, p.Source.RegistrationsByID, ids[domain.KindRegistration], "registration", &docs, FromRegistration),
		loadEach(ctx, p.Source.DossiersByID, ids[domain.KindDossier], "dossier", &docs,
			func(d *domain.Dossier) Document { return FromDossier(d, p.Location) }),
		loadEach(ctx, p.Source.DocumentsByID, ids[domain.KindDocument], "document", &docs,
			func(d *domain.Document) Document { return FromDocument(d, p.Location) }))
	if err != nil {
		return nil, err
	}
	return docs, p.addTexts(ctx, docs)
}

// loadEach loads the things with ids in one batch read and appends their projections to docs.
// Every id must be found: the feed names only things that exist, and nothing is ever deleted.
func loadEach[T any](ctx context.Context, byID func(context.Context, []string) (map[string]T, error),
	ids []string, what string, docs *[]Document, project func(T) Document) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := byID(ctx, ids)
	if err != nil {
		return fmt.Errorf("index %ss: %w", what, err)
	}
	for _, id := range ids {
		v, ok := found[id]
		if !ok {
			return fmt.Errorf("index %s %s: not found", what, id)
		}
		*docs = append(*docs, project(v))
	}
	return nil
}

// addTexts fills in the extracted text of the registrations among docs, in one query per step.
func (p *Projection) addTexts(ctx context.Context, docs []Document) error {
	var ids []string
	for _, d := range docs {
		if d.Kind == KindRegistration {
			ids = append(ids, d.ID)
		}
	}
	if p.Texts == nil || len(ids) == 0 {
		return nil
	}
	texts, err := p.Texts.RegistrationTexts(ctx, ids)
	if err != nil {
		return fmt.Errorf("index registrations: %w", err)
	}
	for i := range docs {
		if docs[i].Kind == KindRegistration {
			docs[i].Text = texts[docs[i].ID]
		}
	}
	return nil
}

// CatchUp reads every change event committed so far, and returns how many it read. It reads and
// loads the next batch while the current one is indexed: loading is the database's work and
// indexing bleve's, and a rebuild of millions of documents is bound by the two together, not
// by either (docs/benchmarks.md, "Scale"). Each batch's cursor is saved after its documents, as
// Step does, so an error or a crash leaves the cursor at the last batch indexed.
func (p *Projection) CatchUp(ctx context.Context) (int, error) {
	type batch struct {
		docs   []Document
		last   domain.FeedCursor
		events int
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 1)
	var readErr error // set before batches is closed
	go func() {
		defer close(batches)
		from := p.Cursor()
		for {
			events, err := p.Feed.Changes(ctx, from, p.Batch)
			if err != nil || len(events) == 0 {
				readErr = err
				return
			}
			docs, err := p.load(ctx, events)
			if err != nil {
				readErr = err
				return
			}
			from = events[len(events)-1].Cursor()
			select {
			case batches <- batch{docs: docs, last: from, events: len(events)}:
			case <-ctx.Done():
				readErr = ctx.Err()
				return
			}
		}
	}()
	total := 0
	for b := range batches {
		err := p.put(ctx, b.docs)
		if err == nil {
			err = p.save(b.last)
		}
		if err != nil {
			cancel()
			for range batches { // the reader stops at its next send or read
			}
			return total, err
		}
		total += b.events
	}
	return total, readErr
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
		if n == p.Batch && err == nil {
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
