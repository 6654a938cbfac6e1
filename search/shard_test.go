package search

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestYearShards(t *testing.T) {
	x := openFixtures(t)
	t.Run("OneShardPerYear", func(t *testing.T) {
		for _, y := range []string{"2025.bleve", "2026.bleve"} {
			if _, err := os.Stat(filepath.Join(x.dir, y)); err != nil {
				t.Error(err)
			}
		}
		if got := x.years(); !slices.Equal(got, []int{2025, 2026}) {
			t.Errorf("years %v", got)
		}
	})
	searched := func(q Query) int64 {
		before := x.shardsSearched.Load()
		search(t, x, q)
		return x.shardsSearched.Load() - before
	}
	t.Run("DateRangeSearchesOnlyItsYear", func(t *testing.T) {
		q := Query{Q: "pubblicità", From: day("2026-01-01"), To: day("2026-12-31"), Visibility: seeAll}
		if n := searched(q); n != 1 {
			t.Errorf("searched %d shards, want 1", n)
		}
		expect(t, x, q, "r43")
	})
	t.Run("YearFilterSearchesOnlyItsYear", func(t *testing.T) {
		if n := searched(Query{Year: 2025, Visibility: seeAll}); n != 1 {
			t.Errorf("searched %d shards, want 1", n)
		}
	})
	t.Run("RangeOutsideAllYearsSearchesNone", func(t *testing.T) {
		if n := searched(Query{From: day("2030-01-01"), Visibility: seeAll}); n != 0 {
			t.Errorf("searched %d shards, want 0", n)
		}
	})
	t.Run("UnfilteredSearchesAllAndMergesByDate", func(t *testing.T) {
		q := Query{Q: "pubblicità", Sort: SortDate, Visibility: seeAll}
		if n := searched(q); n != 2 {
			t.Errorf("searched %d shards, want 2", n)
		}
		if got := ids(search(t, x, q), false); !slices.Equal(got, []string{"r43", "r2025-10"}) {
			t.Errorf("order %v, want newest first", got)
		}
		all := ids(search(t, x, Query{Sort: SortDate, Visibility: seeAll}), false)
		want := []string{"r45", "r44", "r43", "r42", "d2026-7", "r2025-10"}
		if !slices.Equal(all, want) {
			t.Errorf("order %v, want %v", all, want)
		}
	})
}
