package search

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
)

// pages follows NextCursor from the first page to the last and returns every hit id in order.
func pages(t *testing.T, x *Index, q Query) []string {
	t.Helper()
	var all []string
	for range 100 {
		res := search(t, x, q)
		if len(res.Items) > q.Limit {
			t.Fatalf("page of %d, limit %d", len(res.Items), q.Limit)
		}
		all = append(all, ids(res, false)...)
		if res.NextCursor == "" {
			return all
		}
		q.Cursor = res.NextCursor
	}
	t.Fatal("cursor never ends")
	return nil
}

func TestCursor(t *testing.T) {
	x := openFixtures(t)
	// Equal dates and equal scores make the tie-break on the id matter.
	var more []Document
	for i := range 23 {
		d := fixtures(t)[0]
		d.ID = fmt.Sprintf("copy%02d", i)
		more = append(more, d)
	}
	if err := x.Put(t.Context(), more...); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		q    Query
		n    int
	}{
		{"DatePagesCoverAllOnce", Query{Sort: SortDate}, 29},
		{"RelevancePagesCoverAllOnce", Query{Q: "certificati"}, 26},
		{"RelevancePagesAcrossYears", Query{Q: "pubblicità"}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, limit := range []int{1, 4, 5, 100} {
				q := c.q
				q.Limit, q.Visibility = limit, seeAll
				got := pages(t, x, q)
				full := search(t, x, Query{Q: q.Q, Sort: q.Sort, Limit: 100, Visibility: seeAll})
				if want := ids(full, false); !slices.Equal(got, want) {
					t.Fatalf("limit %d: pages %v, one page %v", limit, got, want)
				}
				if len(got) != c.n || len(slices.Compact(slices.Sorted(slices.Values(got)))) != c.n {
					t.Fatalf("limit %d: %d hits %v, want %d distinct", limit, len(got), got, c.n)
				}
			}
		})
	}
	t.Run("ErrCursorOfOtherSort", func(t *testing.T) {
		res := search(t, x, Query{Sort: SortDate, Limit: 2, Visibility: seeAll})
		_, err := x.Search(t.Context(), Query{Cursor: res.NextCursor, Visibility: seeAll})
		wantCode(t, err, domain.ECValidation)
	})
}

// TestCursorAsWritten: a cursor is accepted only as the server wrote it. Before, its JSON could
// be rewritten (spacing, extra members, the score's spelling) and still name the same page, so
// that cursors did not read back to themselves (FuzzCursor's round trip).
func TestCursorAsWritten(t *testing.T) {
	x := openFixtures(t)
	res := search(t, x, Query{Q: "certificati", Limit: 1, Visibility: seeAll})
	raw, err := base64.RawURLEncoding.DecodeString(res.NextCursor)
	if err != nil {
		t.Fatal(err)
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	rewritten := func(c any) string {
		b, _ := json.Marshal(c)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	for name, cur := range map[string]string{
		"ErrSpaced":      base64.RawURLEncoding.EncodeToString([]byte(" " + string(raw))),
		"ErrExtraMember": base64.RawURLEncoding.EncodeToString([]byte(strings.TrimSuffix(string(raw), "}") + `,"x":1}`)),
		"ErrMembersSwapped": rewritten(struct {
			After []string `json:"a"`
			Sort  string   `json:"s"`
		}{c.After, c.Sort}),
		"ErrScoreRespelt": rewritten(cursor{Sort: c.Sort, After: []string{"+" + c.After[0], c.After[1]}}),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := x.Search(t.Context(), Query{Q: "certificati", Cursor: cur, Visibility: seeAll})
			wantCode(t, err, domain.ECValidation)
		})
	}
	t.Run("AsWritten", func(t *testing.T) {
		search(t, x, Query{Q: "certificati", Cursor: rewritten(c), Visibility: seeAll})
	})
}

func TestValidation(t *testing.T) {
	x := openFixtures(t)
	for name, q := range map[string]Query{
		"ErrUnknownFacet":   {Facets: []string{"subject"}},
		"ErrLimitTooLarge":  {Limit: 101},
		"ErrLimitNegative":  {Limit: -1},
		"ErrUnknownSort":    {Sort: "name"},
		"ErrCursorGarbage":  {Cursor: "!!!"},
		"ErrCursorNotJSON":  {Cursor: "bm90IGpzb24"},
		"ErrPrefixTooShort": {Q: "a*"},
		"ErrRangeReversed":  {From: day("2026-02-01"), To: day("2026-01-01")},
	} {
		t.Run(name, func(t *testing.T) {
			q.Visibility = seeAll
			_, err := x.Search(t.Context(), q)
			wantCode(t, err, domain.ECValidation)
		})
	}
}
