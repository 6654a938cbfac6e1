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

	"github.com/blevesearch/bleve/v2"
)

// Index is the search index: one bleve index (shard) per year under one directory, so that an
// index stays small enough to answer quickly and a date-filtered query searches only the years
// it needs. bleve allows one writer per shard, so one process owns an Index; Put and Delete
// are serialised, searches run concurrently with them.
type Index struct {
	dir string

	mu     sync.RWMutex // guards shards, position, advanced, closed
	shards map[int]bleve.Index
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

	// shardsSearched counts shard searches, so tests can see that date filters prune years.
	shardsSearched atomic.Int64
}

// positionKey is the internal key under which each shard records the highest position written
// to it in the same batch as the documents, so the two never disagree after a crash.
var positionKey = []byte("sportello.position")

// shardYearKey is the internal key under which each shard records its year, for the segment
// tables, which see a shard's snapshot only (tables.go).
var shardYearKey = []byte("sportello.year")

// recordYear makes sure shard records year under shardYearKey.
func recordYear(shard bleve.Index, year int) error {
	v, err := shard.GetInternal(shardYearKey)
	if err != nil || string(v) == strconv.Itoa(year) {
		return err
	}
	return shard.SetInternal(shardYearKey, []byte(strconv.Itoa(year)))
}

const shardSuffix = ".bleve"

// openConfig makes opening a shard that another process holds fail after a while instead of
// waiting forever: one process owns an index directory.
var openConfig = map[string]interface{}{"bolt_timeout": "5s"}

// Open opens the index under dir, creating dir if needed, and every year's shard found there.
// Shards for new years are created by Put.
func Open(dir string) (*Index, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open search index %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open search index %s: %w", dir, err)
	}
	x := &Index{dir: dir, shards: map[int]bleve.Index{}, advanced: make(chan struct{}), stopWarm: make(chan struct{})}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), shardSuffix)
		year, err := strconv.Atoi(name)
		if !ok || !e.IsDir() || err != nil {
			continue
		}
		shard, err := bleve.OpenUsing(filepath.Join(dir, e.Name()), openConfig)
		if err != nil {
			x.Close()
			return nil, fmt.Errorf("open search shard %d: %w", year, err)
		}
		x.shards[year] = shard
		if err := recordYear(shard, year); err != nil {
			x.Close()
			return nil, fmt.Errorf("open search shard %d: %w", year, err)
		}
		pos, err := shardPosition(shard)
		if err != nil {
			x.Close()
			return nil, fmt.Errorf("open search shard %d: %w", year, err)
		}
		x.position = max(x.position, pos)
	}
	x.warming.Go(x.warm)
	return x, nil
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

// shard returns the year's shard, creating it when create is set and it does not exist yet.
func (x *Index) shard(year int, create bool) (bleve.Index, error) {
	x.mu.RLock()
	s, ok := x.shards[year]
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
	if s, ok := x.shards[year]; ok {
		return s, nil
	}
	path := filepath.Join(x.dir, fmt.Sprintf("%04d%s", year, shardSuffix))
	s, err := bleve.New(path, newMapping())
	if err == nil {
		if err = recordYear(s, year); err != nil {
			s.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("create search shard %d: %w", year, err)
	}
	x.shards[year] = s
	return s, nil
}

// years returns the years that have a shard, in ascending order.
func (x *Index) years() []int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	years := make([]int, 0, len(x.shards))
	for y := range x.shards {
		years = append(years, y)
	}
	slices.Sort(years)
	return years
}

var errClosed = errors.New("search index closed")

// Count returns the number of indexed documents.
func (x *Index) Count() (uint64, error) {
	var n uint64
	for _, y := range x.years() {
		s, err := x.shard(y, false)
		if err != nil {
			return 0, fmt.Errorf("count search documents: %w", err)
		}
		c, err := s.DocCount()
		if err != nil {
			return 0, fmt.Errorf("count search documents of %d: %w", y, err)
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
	for y, s := range x.shards {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close search shard %d: %w", y, err))
		}
	}
	return errors.Join(errs...)
}
