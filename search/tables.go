package search

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Facet counts are computed here rather than by bleve. bleve reads every hit's doc values for
// each facet field, decoding compressed chunks, and over a million documents that was more than
// half of a query's time. A segment never changes once written, so the first query that needs a
// facet field of a segment reads the field's terms and postings once into a table of each
// document's term ordinals (facetTable); counting a hit is then a few array reads. The counts
// are the same as bleve's: the facet fields are keywords, whose terms are their doc values.

// facetTable holds one keyword field of one segment: the ordinals of document d's terms are
// ords[start[d]:start[d+1]], indexes into terms. When no document has more than one term and
// there are fewer than 65,535 terms, as for most facet fields, one[d] holds the ordinal plus
// one (0 for none) instead, two bytes a document: a query reads one small array per hit
// rather than three large ones, which was most of the time spent counting.
type facetTable struct {
	terms []string
	one   []uint16
	start []uint32
	ords  []uint32
}

// count adds document d's terms to counts.
func (t *facetTable) count(d uint64, counts []int) {
	if t.one != nil {
		if o := t.one[d]; o != 0 {
			counts[o-1]++
		}
		return
	}
	for _, o := range t.ords[t.start[d]:t.start[d+1]] {
		counts[o]++
	}
}

// buildFacetTable reads field's terms and postings in seg. Deleted documents are read too;
// they are never hits, so their entries are never counted.
func buildFacetTable(seg segment.Segment, field string) (*facetTable, error) {
	n := seg.Count()
	dict, err := seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	t := &facetTable{start: make([]uint32, n+1)}
	var postings [][]uint32 // per term, its documents
	it := dict.AutomatonIterator(matchAll{}, nil, nil)
	for {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		pl, err := dict.PostingsList([]byte(e.Term), nil, nil)
		if err != nil {
			return nil, err
		}
		docs := make([]uint32, 0, pl.Count())
		pi := pl.Iterator(false, false, false, nil)
		for {
			p, err := pi.Next()
			if err != nil {
				return nil, err
			}
			if p == nil {
				break
			}
			docs = append(docs, uint32(p.Number()))
			t.start[p.Number()+1]++
		}
		t.terms = append(t.terms, e.Term)
		postings = append(postings, docs)
	}
	single := len(t.terms) < 0xffff
	for d := range n {
		single = single && t.start[d+1] <= 1
	}
	if single {
		t.one, t.start = make([]uint16, n), nil
		for ord, docs := range postings {
			for _, d := range docs {
				t.one[d] = uint16(ord + 1)
			}
		}
		return t, nil
	}
	for d := range n {
		t.start[d+1] += t.start[d]
	}
	t.ords = make([]uint32, t.start[n])
	next := append([]uint32(nil), t.start[:n]...)
	for ord, docs := range postings {
		for _, d := range docs {
			t.ords[next[d]] = uint32(ord)
			next[d]++
		}
	}
	return t, nil
}

// matchAll is the automaton that accepts every term of a dictionary.
type matchAll struct{}

func (matchAll) Start() int                { return 0 }
func (matchAll) IsMatch(int) bool          { return true }
func (matchAll) CanMatch(int) bool         { return true }
func (matchAll) WillAlwaysMatch(int) bool  { return true }
func (matchAll) Accept(int, byte) int      { return 0 }
func (matchAll) MatchAndDistance(int) bool { return true }

// segmentTables caches the tables of the segments being searched, facet tables and sort keys
// alike. Segments that merges replace are no longer asked for; their tables are dropped once
// unused for tableIdle.
type segmentTables struct {
	mu        sync.Mutex
	tables    map[tableKey]*tableEntry
	lastSweep time.Time
	// The shards (month keys) and facet fields queries asked for, and when last: Warm builds
	// their tables ahead of the queries.
	months map[int]time.Time
	fields map[string]time.Time
}

// asked records that a query searched the shards of months and counted fields.
func (c *segmentTables) asked(months []int, fields []string) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.months == nil {
		c.months, c.fields = map[int]time.Time{}, map[string]time.Time{}
	}
	for _, k := range months {
		c.months[k] = now
	}
	for _, f := range fields {
		c.fields[f] = now
	}
}

// demand returns the months and fields asked for in the last tableIdle.
func (c *segmentTables) demand() (months []int, fields []string) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, at := range c.months {
		if now.Sub(at) < tableIdle {
			months = append(months, k)
		}
	}
	for f, at := range c.fields {
		if now.Sub(at) < tableIdle {
			fields = append(fields, f)
		}
	}
	slices.Sort(months)
	slices.Sort(fields)
	return months, fields
}

// tableKey names a table: a segment by its shard's month key and its id in the shard, which its
// persisted copy keeps (bleve replaces a new segment by the copy it writes to disk), and a
// field.
type tableKey struct {
	shard int
	seg   uint64
	field string
	sort  bool // sortKeys rather than a facetTable
}

type tableEntry struct {
	once  sync.Once
	table any // *facetTable or *sortKeys
	err   error
	built atomic.Bool  // table is set
	used  atomic.Int64 // unix seconds
}

const tableIdle = 10 * time.Minute

// has reports whether the table of key is built.
func (c *segmentTables) has(key tableKey) bool {
	c.mu.Lock()
	e, ok := c.tables[key]
	c.mu.Unlock()
	return ok && e.built.Load()
}

// get returns the table of key, building it from seg on first use.
func (c *segmentTables) get(key tableKey, seg segment.Segment) (any, error) {
	now := time.Now()
	c.mu.Lock()
	if c.tables == nil {
		c.tables = map[tableKey]*tableEntry{}
	}
	if now.Sub(c.lastSweep) > time.Minute {
		c.lastSweep = now
		for k, e := range c.tables {
			if now.Unix()-e.used.Load() > int64(tableIdle/time.Second) {
				delete(c.tables, k)
			}
		}
	}
	e, ok := c.tables[key]
	if !ok {
		e = &tableEntry{}
		c.tables[key] = e
	}
	c.mu.Unlock()
	e.used.Store(now.Unix())
	e.once.Do(func() {
		if key.sort {
			e.table, e.err = buildSortKeys(seg, key.field)
		} else {
			e.table, e.err = buildFacetTable(seg, key.field)
		}
		e.built.Store(e.err == nil)
	})
	if e.err != nil {
		c.mu.Lock()
		delete(c.tables, key) // let a later query try again
		c.mu.Unlock()
		return nil, fmt.Errorf("search tables: %s: %w", key.field, e.err)
	}
	return e.table, nil
}

// sortKeys holds one single-valued keyword field of one segment: document d's value is
// data[end[d-1]:end[d]] (from 0 for the first), empty when it has none.
type sortKeys struct {
	data []byte
	end  []uint32
}

// buildSortKeys reads field's doc values in seg, in document order, so each compressed chunk
// is decoded once.
func buildSortKeys(seg segment.Segment, field string) (*sortKeys, error) {
	dv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return nil, fmt.Errorf("segment %T has no doc values", seg)
	}
	n := seg.Count()
	k := &sortKeys{end: make([]uint32, n)}
	fields := []string{field}
	var state segment.DocVisitState
	for d := range n {
		var err error
		first := true
		state, err = dv.VisitDocValues(d, fields, func(_ string, term []byte) {
			if first { // sort_date has one value; bleve's default mode sorts by the first
				k.data = append(k.data, term...)
				first = false
			}
		}, state)
		if err != nil {
			return nil, err
		}
		if len(k.data) > math.MaxUint32 {
			return nil, fmt.Errorf("more than 4 GiB of %s in one segment", field)
		}
		k.end[d] = uint32(len(k.data))
	}
	return k, nil
}

// key returns document d's value, or missing when it has none. The string shares k's memory,
// which is never written again.
func (k *sortKeys) key(d uint64, missing string) string {
	var from uint32
	if d > 0 {
		from = k.end[d-1]
	}
	if from == k.end[d] {
		return missing
	}
	return unsafe.String(&k.data[from], k.end[d]-from)
}

// tableSort orders hits by a single-valued keyword field, like bleve's SortField, but reads
// the field from sortKeys instead of bleve's doc values: bleve only keeps its place in the
// sort order, and hitTables' handler writes the value there before the hit is ranked.
type tableSort struct {
	field string
	desc  bool
}

// missing is the value of a document without the field: last in either order, as bleve's
// SortFieldMissingLast.
func (s *tableSort) missing() string {
	if s.desc {
		return bsearch.LowTerm
	}
	return bsearch.HighTerm
}

func (s *tableSort) UpdateVisitor(string, []byte)        {}
func (s *tableSort) Value(*bsearch.DocumentMatch) string { return "" }
func (s *tableSort) DecodeValue(v string) string         { return v }
func (s *tableSort) Descending() bool                    { return s.desc }
func (s *tableSort) RequiresDocID() bool                 { return false }
func (s *tableSort) RequiresScoring() bool               { return false }
func (s *tableSort) RequiresFields() []string            { return nil }
func (s *tableSort) Reverse()                            { s.desc = !s.desc }
func (s *tableSort) Copy() bsearch.SearchSort            { c := *s; return &c }

// hitTables does, for every hit of one search across its shards, what bleve would do with
// doc values: it writes the hit's value of the table-sorted field into its sort values, and
// counts the terms of the facet fields.
type hitTables struct {
	tables *segmentTables
	fields []string   // facet fields
	sort   *tableSort // nil when no table-sorted field is in the order
	sortAt int        // its place in the order

	mu     sync.Mutex
	counts []map[string]int // per facet field
}

func newHitTables(tables *segmentTables, fields []string, order bsearch.SortOrder) *hitTables {
	h := &hitTables{tables: tables, fields: fields, counts: make([]map[string]int, len(fields))}
	for i := range h.counts {
		h.counts[i] = map[string]int{}
	}
	for i, s := range order {
		if ts, ok := s.(*tableSort); ok {
			h.sort, h.sortAt = ts, i
		}
	}
	return h
}

// context returns ctx with h installed as the document match handler of bleve's collector: h
// handles each hit, then hands it on to the usual top-N handler.
func (h *hitTables) context(ctx context.Context) context.Context {
	return context.WithValue(ctx, bsearch.MakeDocumentMatchHandlerKey, bsearch.MakeDocumentMatchHandler(h.handler))
}

// segmentHits holds the tables and counts of one segment of a shard.
type segmentHits struct {
	shard  int
	id     uint64
	seg    segment.Segment
	ready  bool
	keys   *sortKeys
	facets []*facetTable // per facet field
	counts [][]int       // per facet field, per term ordinal
}

func (h *hitTables) load(sh *segmentHits) error {
	if h.sort != nil {
		t, err := h.tables.get(tableKey{shard: sh.shard, seg: sh.id, field: h.sort.field, sort: true}, sh.seg)
		if err != nil {
			return err
		}
		sh.keys = t.(*sortKeys)
	}
	sh.facets = make([]*facetTable, len(h.fields))
	sh.counts = make([][]int, len(h.fields))
	for i, f := range h.fields {
		t, err := h.tables.get(tableKey{shard: sh.shard, seg: sh.id, field: f}, sh.seg)
		if err != nil {
			return err
		}
		sh.facets[i] = t.(*facetTable)
		sh.counts[i] = make([]int, len(sh.facets[i].terms))
	}
	sh.ready = true
	return nil
}

// handler is called once per shard searched, with that shard's snapshot as the reader.
func (h *hitTables) handler(sc *bsearch.SearchContext) (bsearch.DocumentMatchHandler, bool, error) {
	next, loadID, err := collector.MakeTopNDocumentMatchHandler(sc)
	if err != nil {
		return nil, false, err
	}
	if next == nil { // bleve makes one only for its top-N collector, the one it uses for our requests
		return nil, false, fmt.Errorf("search: bleve's collector %T is not a top-N collector", sc.Collector)
	}
	snap, shard, err := shardSnapshot(sc.IndexReader)
	if err != nil {
		return nil, false, err
	}
	segs := snap.Segments()
	ends := make([]uint64, len(segs)) // ends[i] is one past segment i's last global doc number
	per := make([]segmentHits, len(segs))
	var end uint64
	for i, s := range segs {
		end += s.Segment().Count()
		ends[i] = end
		per[i] = segmentHits{shard: shard, id: s.Id(), seg: s.Segment()}
	}
	var missing string
	if h.sort != nil {
		missing = h.sort.missing()
	}
	cur := 0
	return func(d *bsearch.DocumentMatch) error {
		if d == nil {
			h.merge(per)
			return next(nil)
		}
		num := d.IndexInternalID.Value()
		if cur >= len(ends) || num >= ends[cur] || (cur > 0 && num < ends[cur-1]) {
			cur = sort.Search(len(ends), func(i int) bool { return ends[i] > num })
			if cur == len(ends) {
				return fmt.Errorf("search: document %d beyond the snapshot's %d", num, end)
			}
		}
		local := num
		if cur > 0 {
			local -= ends[cur-1]
		}
		sh := &per[cur]
		if !sh.ready {
			if err := h.load(sh); err != nil {
				return err
			}
		}
		if sh.keys != nil {
			v := sh.keys.key(local, missing)
			d.Sort[h.sortAt], d.DecodedSort[h.sortAt] = v, v
		}
		for i, t := range sh.facets {
			t.count(local, sh.counts[i])
		}
		return next(d)
	}, loadID, nil
}

// merge adds one shard's counts to the search's.
func (h *hitTables) merge(per []segmentHits) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, sh := range per {
		for i, t := range sh.facets {
			for o, n := range sh.counts[i] {
				if n > 0 {
					h.counts[i][t.terms[o]] += n
				}
			}
		}
	}
}

// result returns field i's counts, most frequent first and at most size of them.
func (h *hitTables) result(i, size int) []FacetCount {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]FacetCount, 0, len(h.counts[i]))
	for term, n := range h.counts[i] {
		out = append(out, FacetCount{Term: term, Count: n})
	}
	sortFacetCounts(out)
	if len(out) > size {
		out = out[:size]
	}
	return out
}

// warmEvery is how often the warmer looks for segments without their tables.
const warmEvery = 2 * time.Second

// warm runs Warm every warmEvery until the index closes; the first time, for the sort date of
// every shard, so that the first queries after opening do not build them.
func (x *Index) warm() {
	t := time.NewTicker(warmEvery)
	defer t.Stop()
	all := true
	for {
		months, fields := x.tables.demand()
		if all {
			months, fields, all = x.months(), nil, false
		}
		// A table that cannot be built is the error of the query that needs it, which reports
		// it; the warmer only saves queries the time.
		_ = x.warmShards(months, fields)
		select {
		case <-x.stopWarm:
			return
		case <-t.C:
		}
	}
}

// Warm builds, for the segments of the shards searched in the last tableIdle, the tables their
// queries need — the sort date's and those of the facet fields asked for in that time — so that
// the first query after a merge does not wait for them. The index calls it every warmEvery.
func (x *Index) Warm() error {
	months, fields := x.tables.demand()
	return x.warmShards(months, fields)
}

func (x *Index) warmShards(months []int, fields []string) error {
	for _, k := range months {
		s, err := x.shard(k, false)
		if err != nil {
			return err
		}
		if s == nil {
			continue
		}
		if err := x.warmShard(s, k, fields); err != nil {
			return fmt.Errorf("warm search shard %06d: %w", k, err)
		}
	}
	return nil
}

func (x *Index) warmShard(s bleve.Index, month int, fields []string) error {
	adv, err := s.Advanced()
	if err != nil {
		return err
	}
	r, err := adv.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	return x.warmSnapshot(r, month, fields)
}

// warmSnapshot builds the tables of the segments of r, a snapshot of the shard of month.
func (x *Index) warmSnapshot(r index.IndexReader, month int, fields []string) error {
	snap, shard, err := shardSnapshot(r)
	if err != nil {
		return err
	}
	if shard != month {
		return fmt.Errorf("the shard of %06d says it is %06d's", month, shard)
	}
	for _, seg := range snap.Segments() {
		if _, err := x.tables.get(tableKey{shard: shard, seg: seg.Id(), field: fSortDate, sort: true}, seg.Segment()); err != nil {
			return err
		}
		for _, f := range fields {
			if _, err := x.tables.get(tableKey{shard: shard, seg: seg.Id(), field: f}, seg.Segment()); err != nil {
				return err
			}
		}
	}
	return nil
}

// shardSnapshot returns the snapshot r of a shard, and the shard's month key, which every
// shard records (shardMonthKey).
func shardSnapshot(r index.IndexReader) (*scorch.IndexSnapshot, int, error) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, 0, fmt.Errorf("search: %T is not a scorch index", r)
	}
	month, err := strconv.Atoi(string(snap.Internal()[string(shardMonthKey)]))
	if err != nil {
		return nil, 0, fmt.Errorf("search: a shard without its month: %w", err)
	}
	return snap, month, nil
}
