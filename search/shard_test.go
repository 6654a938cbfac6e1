package search

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/blevesearch/bleve/v2"
)

func TestMonthShards(t *testing.T) {
	x := openFixtures(t)
	t.Run("OneShardPerMonth", func(t *testing.T) {
		for _, m := range []string{"202511.bleve", "202602.bleve", "202603.bleve", "202604.bleve", "202605.bleve", "202606.bleve"} {
			if _, err := os.Stat(filepath.Join(x.dir, m)); err != nil {
				t.Error(err)
			}
		}
		if got := x.months(); !slices.Equal(got, []int{202511, 202602, 202603, 202604, 202605, 202606}) {
			t.Errorf("months %v", got)
		}
	})
	searched := func(q Query) int64 {
		before := x.shardsSearched.Load()
		search(t, x, q)
		return x.shardsSearched.Load() - before
	}
	t.Run("DateRangeSearchesOnlyItsMonths", func(t *testing.T) {
		q := Query{Q: "pubblicità", From: day("2026-03-15"), To: day("2026-04-30"), Visibility: seeAll}
		if n := searched(q); n != 2 {
			t.Errorf("searched %d shards, want 2", n)
		}
		expect(t, x, q, "r43")
	})
	t.Run("YearFilterSearchesOnlyItsMonths", func(t *testing.T) {
		if n := searched(Query{Year: 2025, Visibility: seeAll}); n != 1 {
			t.Errorf("searched %d shards, want 1", n)
		}
		if n := searched(Query{Year: 2026, Visibility: seeAll}); n != 5 {
			t.Errorf("searched %d shards, want 5", n)
		}
	})
	t.Run("RangeOutsideAllMonthsSearchesNone", func(t *testing.T) {
		if n := searched(Query{From: day("2030-01-01"), Visibility: seeAll}); n != 0 {
			t.Errorf("searched %d shards, want 0", n)
		}
		if n := searched(Query{From: day("2025-12-01"), To: day("2026-01-31"), Visibility: seeAll}); n != 0 {
			t.Errorf("searched %d shards, want 0", n)
		}
	})
	t.Run("UnfilteredSearchesAllAndMergesByDate", func(t *testing.T) {
		q := Query{Q: "pubblicità", Sort: SortDate, Visibility: seeAll}
		if n := searched(q); n != 6 {
			t.Errorf("searched %d shards, want 6", n)
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
	t.Run("UndatedGoesToMonthZeroOfItsYear", func(t *testing.T) {
		if err := x.Put(context.Background(), Document{Kind: KindRegistration, ID: "undated", Year: 2024, Subject: "fascicolo dimenticato"}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(x.dir, "202400.bleve")); err != nil {
			t.Error(err)
		}
		expect(t, x, Query{Q: "dimenticato", Year: 2024}, "undated")
		expect(t, x, Query{Q: "dimenticato", From: day("2024-01-01")})
	})
}

// TestOlderLayoutRefused: a shard of the layout before month shards (one per year, recording
// only its year) is not read as a month's: Open fails with ErrLayout.
func TestOlderLayoutRefused(t *testing.T) {
	dir := t.TempDir()
	old, err := bleve.New(filepath.Join(dir, "2026"+shardSuffix), newMapping())
	if err != nil {
		t.Fatal(err)
	}
	err = errors.Join(old.SetInternal([]byte("sportello.year"), []byte(strconv.Itoa(2026))),
		old.Index("r1", Document{Kind: KindRegistration, ID: "r1", Year: 2026, Subject: "vecchio"}.fields()),
		old.Close())
	if err != nil {
		t.Fatal(err)
	}
	x, err := Open(dir)
	if !errors.Is(err, ErrLayout) {
		if x != nil {
			x.Close()
		}
		t.Fatalf("open an index of year shards: %v, want ErrLayout", err)
	}
	// A month shard renamed as another month's is refused too.
	dir = t.TempDir()
	x, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Put(context.Background(), Document{Kind: KindRegistration, ID: "r1", Date: day("2026-03-02")}); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "202603"+shardSuffix), filepath.Join(dir, "202604"+shardSuffix)); err != nil {
		t.Fatal(err)
	}
	if x, err = Open(dir); !errors.Is(err, ErrLayout) {
		if x != nil {
			x.Close()
		}
		t.Fatalf("open a month shard under another month's name: %v, want ErrLayout", err)
	}
}
