package search

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/sportello/sportello/domain"
)

// openMonths opens an index of 24 months (2025–2026), ten registrations a month that all match
// "contributo", three of them confidential ones of the RAG office that operatorT may not see,
// and "fognatura" in three months only; its early stop is lowered to 25 matches.
func openMonths(t *testing.T) *Index {
	t.Helper()
	x := openEmpty(t)
	var docs []Document
	for m := range 24 {
		start := time.Date(2025, time.Month(1+m), 1, 0, 0, 0, 0, time.UTC)
		for j := range 10 {
			d := Document{Kind: KindRegistration, ID: fmt.Sprintf("r%02d-%d", m, j), Register: "PG",
				Date: start.AddDate(0, 0, 2*j), Direction: "incoming", Class: []string{"VI.3", "II.1", "I.5"}[j%3],
				Offices: []string{[]string{"TEC", "RAG"}[j%2]}, Confidential: j%4 == 1, CreatedBy: "op1",
				Subject: "domanda di contributo economico", Position: int64(m*10 + j + 1)}
			d.RegisteredAt = d.Date.Add(9 * time.Hour)
			d.Year = d.Date.Year()
			if j == 3 && (m == 1 || m == 8 || m == 16) {
				d.Subject += " per la fognatura"
			}
			docs = append(docs, d)
		}
	}
	if err := x.Put(context.Background(), docs...); err != nil {
		t.Fatal(err)
	}
	x.stopAfter = 25
	return x
}

// exhaustive runs q without stopping early.
func exhaustive(t *testing.T, x *Index, q Query) Result {
	t.Helper()
	stop := x.stopAfter
	x.stopAfter = math.MaxUint64
	defer func() { x.stopAfter = stop }()
	res := search(t, x, q)
	if !res.TotalExact || !res.SearchedFrom.IsZero() {
		t.Fatalf("exhaustive search: exact %v, searched from %v", res.TotalExact, res.SearchedFrom)
	}
	return res
}

func TestEarlyStop(t *testing.T) {
	x := openMonths(t)
	searched := func(q Query) (Result, int64) {
		before := x.shardsSearched.Load()
		res := search(t, x, q)
		return res, x.shardsSearched.Load() - before
	}
	broad := Query{Q: "contributo", Facets: []string{"class", "office"}, Limit: 5, Visibility: seeAll}

	t.Run("StopsAfterTheWaveThatReachesB", func(t *testing.T) {
		// Waves of 2 and 2 months: 20 matches, then 40 ≥ 25.
		res, n := searched(broad)
		if n != 4 {
			t.Errorf("searched %d shards, want 4 (waves of 2 and 2)", n)
		}
		if res.TotalExact || !res.SearchedFrom.Equal(day("2026-09-01")) || res.Total != 40 {
			t.Errorf("exact %v, searched from %v, total %d; want false, 2026-09-01, 40", res.TotalExact, res.SearchedFrom, res.Total)
		}
		if all := exhaustive(t, x, broad); all.Total != 240 {
			t.Errorf("exhaustive total %d, want 240", all.Total)
		}
	})
	t.Run("FacetsCountTheExaminedMonthsOnly", func(t *testing.T) {
		res := search(t, x, broad)
		q := broad
		q.From = day("2026-09-01")
		months := exhaustive(t, x, q)
		if res.Total != months.Total || !equalFacets(res.Facets, months.Facets) {
			t.Errorf("early stop: %d, %v; the examined months alone: %d, %v", res.Total, res.Facets, months.Total, months.Facets)
		}
	})
	t.Run("DatePageIsExact", func(t *testing.T) {
		q := broad
		q.Sort = SortDate
		res := search(t, x, q)
		if got, want := ids(res, false), ids(exhaustive(t, x, q), false); !slices.Equal(got, want) {
			t.Errorf("date page %v, exhaustive %v", got, want)
		}
		if res.TotalExact {
			t.Error("a broad date page says its total is exact")
		}
	})
	t.Run("DatePagingReachesEveryMatchInOrder", func(t *testing.T) {
		q := Query{Q: "contributo", Sort: SortDate, Limit: 7, Visibility: seeAll}
		stop := x.stopAfter
		x.stopAfter = math.MaxUint64
		want := pages(t, x, Query{Q: "contributo", Sort: SortDate, Limit: 100, Visibility: seeAll})
		x.stopAfter = stop
		if len(want) != 240 {
			t.Fatalf("exhaustive pages: %d hits", len(want))
		}
		if got := pages(t, x, q); !slices.Equal(got, want) {
			t.Errorf("pages by date: %d hits %v, want all %d in order", len(got), got, len(want))
		}
	})
	t.Run("RelevancePagesRankTheSameMatches", func(t *testing.T) {
		q := Query{Q: "contributo", Limit: 7, Visibility: seeAll}
		got := pages(t, x, q)
		within := q
		within.From, within.Limit = day("2026-09-01"), 100
		want := ids(exhaustive(t, x, within), false)
		if !slices.Equal(got, want) {
			t.Errorf("relevance pages %v, want the 40 matches of the examined months in order %v", got, want)
		}
		if again := pages(t, x, q); !slices.Equal(again, got) {
			t.Errorf("paged again: %v, then %v", got, again)
		}
	})
	t.Run("NarrowQueryIsExact", func(t *testing.T) {
		res, n := searched(Query{Q: "fognatura", Limit: 5, Visibility: seeAll})
		if !res.TotalExact || !res.SearchedFrom.IsZero() || res.Total != 3 || n != 24 {
			t.Errorf("exact %v, searched from %v, total %d, %d shards; want true, none, 3, 24", res.TotalExact, res.SearchedFrom, res.Total, n)
		}
		if got := ids(res, true); !slices.Equal(got, []string{"r01-3", "r08-3", "r16-3"}) {
			t.Errorf("hits %v", got)
		}
	})
	t.Run("WavesFollowTheRateOfMatches", func(t *testing.T) {
		// 10 matches a month and B = 45: 20, then 40 after waves of 2 and 2; doubling would
		// search 4 more months (80 matches), the rate says one more is enough, searched two
		// at a time: 6 months, 60 matches.
		stop := x.stopAfter
		x.stopAfter = 45
		defer func() { x.stopAfter = stop }()
		res, n := searched(broad)
		if n != 6 || res.Total != 60 || !res.SearchedFrom.Equal(day("2026-07-01")) {
			t.Errorf("%d shards, total %d, from %v; want 6, 60, 2026-07-01", n, res.Total, res.SearchedFrom)
		}
	})
	t.Run("DateFilterNarrowsTheMonths", func(t *testing.T) {
		res, n := searched(Query{Q: "contributo", Limit: 5, Year: 2025, Visibility: seeAll})
		if n != 4 || res.TotalExact || !res.SearchedFrom.Equal(day("2025-09-01")) || res.Total != 40 {
			t.Errorf("%d shards, exact %v, from %v, total %d", n, res.TotalExact, res.SearchedFrom, res.Total)
		}
	})
	t.Run("VisibilityInsideTheCount", func(t *testing.T) {
		// operatorT sees 7 of 10 a month: 14 after the first wave, 28 after the second.
		q := broad
		q.Visibility = operatorT
		res, n := searched(q)
		if n != 4 || res.Total != 28 || !res.SearchedFrom.Equal(day("2026-09-01")) {
			t.Errorf("%d shards, total %d, from %v; want 4, 28, 2026-09-01", n, res.Total, res.SearchedFrom)
		}
		var offices int
		for _, f := range res.Facets["office"] {
			offices += f.Count
		}
		if offices != 28 {
			t.Errorf("office counts add up to %d, want 28: %v", offices, res.Facets["office"])
		}
	})
	t.Run("HighlightsAcrossMonths", func(t *testing.T) {
		res := search(t, x, Query{Q: "fognatura", Visibility: seeAll})
		for _, h := range res.Items {
			if len(h.Highlights["subject"]) == 0 {
				t.Errorf("%s: no highlight", h.ID)
			}
		}
	})
	t.Run("CursorsWithoutMonthStillPage", func(t *testing.T) {
		// A relevance cursor without a month (written before early stops) ranks every month.
		first := search(t, x, Query{Q: "contributo", Limit: 2, Visibility: seeAll})
		c, err := decodeCursor(first.NextCursor, SortRelevance)
		if err != nil || c.From != 202609 {
			t.Fatalf("cursor %+v (%v), want the oldest month examined, 202609", c, err)
		}
		c.From = 0
		res := search(t, x, Query{Q: "contributo", Limit: 2, Cursor: c.String(), Visibility: seeAll})
		if !res.TotalExact || res.Total != 240 {
			t.Errorf("exact %v, total %d; want an exhaustive page", res.TotalExact, res.Total)
		}
		c.From = 202613
		_, err = x.Search(t.Context(), Query{Q: "contributo", Cursor: c.String(), Visibility: seeAll})
		wantCode(t, err, domain.ECValidation)
	})
}

// TestPageMonths: the second searches (highlights, confidential hits) go to the shards of the
// page's hits, which bleve names by path.
func TestPageMonths(t *testing.T) {
	x := openMonths(t)
	alias, _, err := x.alias([]int{202603, 202511})
	if err != nil {
		t.Fatal(err)
	}
	sr, err := alias.SearchInContext(t.Context(), bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), 100, 0, false))
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(slices.Values(pageMonths(sr.Hits))); !slices.Equal(got, []int{202511, 202603}) {
		t.Errorf("page months %v", got)
	}
}

func equalFacets(a, b map[string][]FacetCount) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
