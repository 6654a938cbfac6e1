package search

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"testing"
	"unicode/utf8"

	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/sportello/sportello/domain"
)

// fuzzMaxInput bounds what the fuzz targets read: longer inputs take no path a shorter one
// does not, and the fuzzer, which shortens every input that finds something new, would spend
// its time on them.
const fuzzMaxInput = 1 << 10

// FuzzParseQuery feeds query strings (the `q` of GET /v1/search) to the parser and to a search
// of the fixtures. A query string is either refused with a validation error or searched; the
// index never answers an error of its own (which the API would report as a 500), a page holds
// no more than asked and only indexed documents, and a caller who sees less finds no more.
func FuzzParseQuery(f *testing.F) {
	for _, q := range []string{
		`"permesso di costruire"`, "pubblic*", "subject:residenza", "class:VI", "register:det",
		"certificati -residenza", "PG/2026/0000042", "pg/2026/43", "c_h501-A1B2C3D-PG-2026-0000043",
		"ref:PG/2025/10", "rssmra80a01h501u", "ore:10", "2026-VI.3-000012", "", "a*", `-"di il"`,
	} {
		f.Add(q)
	}
	x := fuzzIndex(f)
	indexed := map[string]bool{}
	for _, d := range fixtures(f) {
		indexed[d.ID] = true
	}
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > fuzzMaxInput {
			return
		}
		parsed, parseErr := parse(q)
		if parseErr != nil {
			wantValidation(t, parseErr)
		} else if v, ok := parsed.(query.ValidatableQuery); ok {
			if err := v.Validate(); err != nil {
				t.Fatalf("query %q parses to a query bleve refuses: %v", q, err)
			}
		}
		all, err := x.Search(context.Background(), Query{Q: q, Limit: 3, Visibility: seeAll, DossierVisibility: seeAll})
		if parseErr != nil {
			if !errors.Is(err, parseErr) && domain.CodeOf(err) != domain.ECValidation {
				t.Fatalf("query %q: parse says %v, search %v", q, parseErr, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("query %q parses but the search fails: %v", q, err)
		}
		if len(all.Items) > 3 || all.Total < uint64(len(all.Items)) || (all.Total > 3) != (all.NextCursor != "") {
			t.Fatalf("query %q: %d items of %d, cursor %q", q, len(all.Items), all.Total, all.NextCursor)
		}
		for _, h := range all.Items {
			if !indexed[h.ID] {
				t.Fatalf("query %q finds %q, which was never indexed", q, h.ID)
			}
		}
		some, err := x.Search(context.Background(), Query{Q: q, Limit: 3, Visibility: operatorT})
		if err != nil {
			t.Fatalf("query %q with less visibility: %v", q, err)
		}
		if some.Total > all.Total {
			t.Fatalf("query %q: %d hits for an operator, %d for who sees everything", q, some.Total, all.Total)
		}
	})
}

// FuzzCursor feeds cursors (the `cursor` of GET /v1/search) to their decoding and to a search.
// A cursor is either refused with a validation error or decoded into the sort values of a
// page's last hit, and then it is the one cursor the server writes for those values: a cursor
// the server wrote decodes to its values again. A decoded cursor gives a page, never an error
// of the index.
func FuzzCursor(f *testing.F) {
	dateKey := "2026-03-10|2026-03-10T09:12:00.000000000Z|r42"
	f.Add("", false, 1.5, dateKey)
	f.Add(encodeCursor(SortDate, &bsearch.DocumentMatch{Sort: []string{dateKey}}, 0), true, 0.0, "|r45")
	f.Add(encodeCursor(SortRelevance, &bsearch.DocumentMatch{Score: 0.35, Sort: []string{"", dateKey}}, 0), false, 0.35, "2026-04-02|r43")
	f.Add(encodeCursor(SortRelevance, &bsearch.DocumentMatch{Score: 0.35, Sort: []string{"", dateKey}}, 202603), false, 0.35, "2026-04-02|r43")
	f.Add("bm90IGpzb24", true, math.MaxFloat64, "")
	x := fuzzIndex(f)
	f.Fuzz(func(t *testing.T, cursor string, byDate bool, score float64, key string) {
		if len(cursor)+len(key) > fuzzMaxInput {
			return
		}
		sort := SortRelevance
		if byDate {
			sort = SortDate
		}
		if !math.IsNaN(score) && !math.IsInf(score, 0) && utf8.ValidString(key) {
			last := &bsearch.DocumentMatch{Score: score, Sort: []string{key}}
			want := []string{key}
			if !byDate {
				last.Sort, want = []string{"", key}, []string{scoreText(score), key}
			}
			written := encodeCursor(sort, last, 0)
			c, err := decodeCursor(written, sort)
			if err != nil || !slices.Equal(c.After, want) {
				t.Fatalf("cursor %q written for %v decodes to %v, %v", written, want, c.After, err)
			}
		}

		c, err := decodeCursor(cursor, sort)
		if err != nil {
			wantValidation(t, err)
			return
		}
		if cursor != "" {
			last := &bsearch.DocumentMatch{Sort: c.After}
			if !byDate {
				last.Score, _ = strconv.ParseFloat(c.After[0], 64)
			}
			if again := encodeCursor(sort, last, c.From); again != cursor {
				t.Fatalf("cursor %q decodes to %+v, which the server writes as %q", cursor, c, again)
			}
		}
		res, err := x.Search(context.Background(), Query{Cursor: cursor, Sort: sort, Limit: 2, Visibility: seeAll, DossierVisibility: seeAll})
		if err != nil {
			t.Fatalf("cursor %q decodes to %+v but the search fails: %v", cursor, c, err)
		}
		if len(res.Items) > 2 {
			t.Fatalf("cursor %q: %d items", cursor, len(res.Items))
		}
	})
}

// fuzzIndex opens an index holding the fixtures for the whole fuzz run.
func fuzzIndex(f *testing.F) *Index {
	x, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { x.Close() })
	if err := x.Put(context.Background(), fixtures(f)...); err != nil {
		f.Fatal(err)
	}
	return x
}

// wantValidation fails unless err is a validation error with a message for the client.
func wantValidation(t *testing.T, err error) {
	t.Helper()
	var e *domain.Error
	if !errors.As(err, &e) || e.Code != domain.ECValidation || e.Message == "" {
		t.Fatalf("error %v (%T), want a validation error", err, err)
	}
}
