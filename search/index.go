package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
)

// Index is the search index: one bleve index (shard) per calendar month of the documents' dates
// under one directory, so that a shard stays small enough to answer quickly even at millions of
// registrations a year, and a date-filtered query searches only the months it needs. Shards are
// keyed by year*100+month (202603); an undated document goes to month 0 of its year (202600).
// bleve allows one writer per shard, so one process owns an Index; Put and Delete are
// serialised, searches run concurrently with them.
type Index struct {
	dir string

	mu     sync.RWMutex        // guards shards, position, advanced, closed
	shards map[int]bleve.Index // by month key (monthKey)
	// position is the highest change-feed position indexed; advanced is closed and replaced
	// each time it grows, waking WaitFor.
	position int64
	advanced chan struct{}
	closed   bool

	write sync.Mutex // serialises Put and Delete

	tables segmentTables // facet tables and sort keys of the segments searched (tables.go)
	// stopWarm ends the warmer (Warm, every warmEvery), which warming waits for.
	stopWarm chan struct{}
	warming  sync.WaitGroup

	// shardsSearched counts shard searches, so tests can see that date filters prune months
	// and broad queries stop early.
	shardsSearched atomic.Int64
	// stopAfter is stopAfterMatches; tests lower it.
	stopAfter uint64
}

// positionKey is the internal key under which each shard records the highest position written
// to it in the same batch as the documents, so the two never disagree after a crash.
var positionKey = []byte("sportello.position")

// shardMonthKey is the internal key under which each shard records its month key, for the
// segment tables, which see a shard's snapshot only (tables.go).
var shardMonthKey = []byte("sportello.month")

// layoutKey is the internal key under which each shard records the layout it belongs to
// (shardLayout). Shards of the earlier layout, one per year, have none: Open refuses them
// rather than read a year as a month, and CurrentGeneration replaces a generation of another
// layout by an empty one that the projection rebuilds from the database.
var layoutKey = []byte("sportello.layout")

// shardLayout names the layout of this index: a shard per month of the protocol date.
const shardLayout = "month"

// ErrLayout is the error of Open on an index directory laid out otherwise (a shard per year,
// as before month shards): it cannot be read, only rebuilt.
var ErrLayout = errors.New("search index of another layout")

// monthStart returns the first day of the month of key, at midnight UTC; for month 0, the
// first day of the year.
func monthStart(key int) time.Time {
	return time.Date(key/100, time.Month(max(key%100, 1)), 1, 0, 0, 0, 0, time.UTC)
}

// monthKey returns the key of the shard of a year's month: 202603. Month 0 holds the year's
// undated documents.
func monthKey(year int, month time.Month) int { return year*100 + int(month) }

const shardSuffix = ".bleve"

// openConfig makes opening a shard that another process holds fail after a while instead of
// waiting forever: one process owns an index directory.
var openConfig = map[string]interface{}{"bolt_timeout": "5s"}

// Open opens the index under dir, creating dir if needed, and every month's shard found there.
// Shards for new months are created by Put. It returns an error wrapping ErrLayout when a shard
// is not of this layout.
func Open(dir string) (*Index, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open search index %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open search index %s: %w", dir, err)
	}
	x := &Index{dir: dir, shards: map[int]bleve.Index{}, advanced: make(chan struct{}), stopWarm: make(chan struct{}),
		stopAfter: stopAfterMatches}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), shardSuffix)
		key, err := strconv.Atoi(name)
		if !ok || !e.IsDir() || err != nil {
			continue
		}
		shard, err := bleve.OpenUsing(filepath.Join(dir, e.Name()), openConfig)
		if err != nil {
			x.Close()
			return nil, fmt.Errorf("open search shard %s: %w", name, err)
		}
		x.shards[key] = shard
		if err := checkLayout(shard, key); err != nil {
			x.Close()
			return nil, fmt.Errorf("open search index %s: shard %s: %w", dir, name, err)
		}
		pos, err := shardPosition(shard)
		if err != nil {
			x.Close()
			return nil, fmt.Errorf("open search shard %s: %w", name, err)
		}
		x.position = max(x.position, pos)
	}
	x.warming.Go(x.warm)
	return x, nil
}

// checkLayout returns an error wrapping ErrLayout unless shard is the month shard of key.
func checkLayout(shard bleve.Index, key int) error {
	layout, err := shard.GetInternal(layoutKey)
	if err != nil {
		return err
	}
	month, err := shard.GetInternal(shardMonthKey)
	if err != nil {
		return err
	}
	if string(layout) != shardLayout || string(month) != strconv.Itoa(key) {
		return fmt.Errorf("%w: layout %q, month %q, want %q and %d", ErrLayout, layout, month, shardLayout, key)
	}
	return nil
}

func shardPosition(shard bleve.Index) (int64, error) {
	v, err := shard.GetInternal(positionKey)
	if err != nil || v == nil {
		return 0, err
	}
	pos, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read position %q: %w", v, err)
	}
	return pos, nil
}

// shard returns the shard of the month key, creating it when create is set and it does not
// exist yet.
func (x *Index) shard(key int, create bool) (bleve.Index, error) {
	x.mu.RLock()
	s, ok := x.shards[key]
	closed := x.closed
	x.mu.RUnlock()
	if closed {
		return nil, errClosed
	}
	if ok || !create {
		return s, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if s, ok := x.shards[key]; ok {
		return s, nil
	}
	path := filepath.Join(x.dir, fmt.Sprintf("%06d%s", key, shardSuffix))
	s, err := bleve.New(path, newMapping())
	if err == nil {
		// Layout and month in one batch: a shard has both or neither.
		b := s.NewBatch()
		b.SetInternal(layoutKey, []byte(shardLayout))
		b.SetInternal(shardMonthKey, []byte(strconv.Itoa(key)))
		if err = s.Batch(b); err != nil {
			s.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("create search shard %06d: %w", key, err)
	}
	x.shards[key] = s
	return s, nil
}

// months returns the month keys that have a shard, in ascending order.
func (x *Index) months() []int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	keys := make([]int, 0, len(x.shards))
	for k := range x.shards {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var errClosed = errors.New("search index closed")

// Count returns the number of indexed documents.
func (x *Index) Count() (uint64, error) {
	var n uint64
	for _, k := range x.months() {
		s, err := x.shard(k, false)
		if err != nil {
			return 0, fmt.Errorf("count search documents: %w", err)
		}
		c, err := s.DocCount()
		if err != nil {
			return 0, fmt.Errorf("count search documents of %06d: %w", k, err)
		}
		n += c
	}
	return n, nil
}

// Position returns the highest change-feed position indexed so far.
func (x *Index) Position() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.position
}

// advance records that every position up to pos is indexed and wakes the waiters.
func (x *Index) advance(pos int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if pos <= x.position {
		return
	}
	x.position = pos
	close(x.advanced)
	x.advanced = make(chan struct{})
}

// WaitFor returns when the index has reached position, for read-your-writes: a client that
// just wrote passes the position of its write as min_position. It returns ctx's error, wrapped,
// when ctx ends first; the caller bounds the wait with a deadline.
func (x *Index) WaitFor(ctx context.Context, position int64) error {
	for {
		x.mu.RLock()
		cur, advanced, closed := x.position, x.advanced, x.closed
		x.mu.RUnlock()
		switch {
		case cur >= position:
			return nil
		case closed:
			return fmt.Errorf("wait for search position %d: %w", position, errClosed)
		}
		select {
		case <-advanced:
		case <-ctx.Done():
			return fmt.Errorf("wait for search position %d (at %d): %w", position, cur, ctx.Err())
		}
	}
}

// Close closes every shard and wakes the waiters.
func (x *Index) Close() error {
	x.mu.Lock()
	select {
	case <-x.stopWarm:
	default:
		close(x.stopWarm)
	}
	x.mu.Unlock()
	x.warming.Wait()
	x.write.Lock()
	defer x.write.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	close(x.advanced)
	var errs []error
	for k, s := range x.shards {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close search shard %06d: %w", k, err))
		}
	}
	return errors.Join(errs...)
}
