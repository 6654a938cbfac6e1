package search

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
)

// TestTablesAgreeWithBleve checks the segment tables against bleve's own doc values: over an
// index of many segments, with documents replaced (their old versions deleted in older
// segments) and deleted, every facet count and the whole order of the hits, page after page,
// are what bleve's facets and sort fields give for the same query.
func TestTablesAgreeWithBleve(t *testing.T) {
	x := openEmpty(t)
	ctx := context.Background()
	const n = 1200
	for from := 0; from < n; from += 100 { // one segment per batch at least
		docs := make([]Document, 0, 100)
		for i := from; i < from+100; i++ {
			d := corpusDoc(i)
			if i%7 == 0 {
				d.Offices = append(d.Offices, "URP", "SEG") // several values, some repeated
			}
			docs = append(docs, d)
		}
		if err := x.Put(ctx, docs...); err != nil {
			t.Fatal(err)
		}
	}
	var changed []Document
	for i := 0; i < n; i += 13 {
		d := corpusDoc(i)
		d.Class, d.Offices, d.Status = "II.4", []string{"PM"}, "annulled"
		d.RegisteredAt = d.RegisteredAt.Add(-3 * 24 * 60 * 60 * 1e9) // moves it in date order
		changed = append(changed, d)
	}
	if err := x.Put(ctx, changed...); err != nil {
		t.Fatal(err)
	}
	var gone []string
	for i := 5; i < n; i += 17 {
		gone = append(gone, corpusDoc(i).ID)
	}
	if err := x.Delete(ctx, gone...); err != nil {
		t.Fatal(err)
	}

	queries := []Query{
		{Sort: SortDate},
		{},
		{Q: "certificato residenza"},
		{Q: "richiesta", Sort: SortDate, Direction: "incoming"},
		{Q: "rossi", Visibility: operatorT},
		{Q: "permesso costruire", Year: 2024},
	}
	for i, q := range queries {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if !q.Visibility.Public {
				q.Visibility = seeAll
			}
			q.Facets = FacetNames
			q.Limit = 37
			want := bleveReference(t, x, q)
			if want.Total == 0 {
				t.Fatalf("query %q finds nothing: the test needs hits", q.Q)
			}
			var got []string
			first := Result{}
			for page := 0; ; page++ {
				res := search(t, x, q)
				if page == 0 {
					first = res
				}
				got = append(got, ids(res, false)...)
				if q.Cursor = res.NextCursor; q.Cursor == "" {
					break
				}
			}
			if first.Total != want.Total {
				t.Errorf("total %d, bleve %d", first.Total, want.Total)
			}
			if !slices.Equal(got, want.ids) {
				t.Errorf("order differs from bleve's:\n got %v\nwant %v", got, want.ids)
			}
			for _, f := range FacetNames {
				if g, w := facetText(first.Facets[f]), facetText(want.facets[f]); g != w {
					t.Errorf("facet %s: %s, bleve %s", f, g, w)
				}
			}
		})
	}
}

type reference struct {
	Total  uint64
	ids    []string
	facets map[string][]FacetCount
}

// bleveReference runs q as bleve alone would: facets and the date sort on doc values.
func bleveReference(t *testing.T, x *Index, q Query) reference {
	t.Helper()
	if err := q.validate(); err != nil {
		t.Fatal(err)
	}
	user, err := parse(q.Q)
	if err != nil {
		t.Fatal(err)
	}
	alias, _, err := x.alias(q.months(x.months()))
	if err != nil {
		t.Fatal(err)
	}
	req := q.request(user, visibility(q.Visibility, q.DossierVisibility), nil)
	req.Size = 100_000
	for i, s := range req.Sort {
		if ts, ok := s.(*tableSort); ok {
			req.Sort[i] = &bsearch.SortField{Field: ts.field, Type: bsearch.SortFieldAsString,
				Desc: ts.desc, Missing: bsearch.SortFieldMissingLast}
		}
	}
	for _, f := range q.Facets {
		req.AddFacet(f, bleve.NewFacetRequest(facetFields[f], facetSize))
	}
	sr, err := alias.SearchInContext(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	ref := reference{Total: sr.Total, facets: map[string][]FacetCount{}}
	for _, h := range sr.Hits {
		ref.ids = append(ref.ids, h.ID)
	}
	for name, fr := range sr.Facets {
		counts := []FacetCount{}
		if fr.Terms != nil {
			for _, tf := range fr.Terms.Terms() {
				counts = append(counts, FacetCount{Term: tf.Term, Count: tf.Count})
			}
		}
		sortFacetCounts(counts)
		ref.facets[name] = counts
	}
	return ref
}

// TestTablesWhileIndexing searches while batches are written and merged, so that segments come
// and go under the tables; run with -race.
func TestTablesWhileIndexing(t *testing.T) {
	x := openEmpty(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				res, err := x.Search(ctx, Query{Q: "richiesta", Facets: []string{"office", "year"},
					Sort: SortDate, Visibility: seeAll})
				if err != nil {
					t.Error(err)
					return
				}
				sum := 0
				for _, f := range res.Facets["year"] {
					sum += f.Count
				}
				if uint64(sum) != res.Total {
					t.Errorf("year counts add up to %d, total %d", sum, res.Total)
					return
				}
			}
		})
	}
	for from := 0; from < 3000; from += 50 {
		docs := make([]Document, 0, 50)
		for i := from; i < from+50; i++ {
			docs = append(docs, corpusDoc(i))
		}
		if err := x.Put(ctx, docs...); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
}

// TestWarm checks that the warmer builds the tables that queries will need: for every segment
// of a shard searched recently, the sort date's and those of the facet fields asked for. It
// warms one snapshot and looks at that snapshot's segments, since bleve merges segments in the
// background.
func TestWarm(t *testing.T) {
	x := openEmpty(t)
	ctx := context.Background()
	put := func(from, to int) {
		docs := make([]Document, 0, to-from)
		for i := from; i < to; i++ {
			docs = append(docs, corpusDoc(i))
		}
		if err := x.Put(ctx, docs...); err != nil {
			t.Fatal(err)
		}
	}
	put(0, 300)
	search(t, x, Query{Q: "richiesta", From: day("2024-03-01"), To: day("2024-03-31"), Facets: []string{"office", "class"},
		Visibility: seeAll})
	put(300, 900) // new segments, without tables
	months, fields := x.tables.demand()
	if !slices.Equal(months, []int{202403}) || !slices.Equal(fields, []string{fClass, fOffices}) {
		t.Fatalf("demand: months %v, fields %v; want the query's", months, fields)
	}
	shard, err := x.shard(202403, false)
	if err != nil {
		t.Fatal(err)
	}
	adv, err := shard.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := x.warmSnapshot(r, 202403, fields); err != nil {
		t.Fatal(err)
	}
	snap, _, err := shardSnapshot(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, seg := range snap.Segments() {
		for _, k := range []tableKey{{field: fSortDate, sort: true}, {field: fClass}, {field: fOffices}} {
			k.shard, k.seg = 202403, seg.Id()
			if !x.tables.has(k) {
				t.Errorf("segment %d of %d documents: no table %+v", seg.Id(), seg.Count(), k)
			}
		}
	}
}
