package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/highlight/highlighter/html"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Result is one page of hits, with the total and facet counts of all of them.
type Result struct {
	Total      uint64
	Items      []Hit
	Facets     map[string][]FacetCount
	NextCursor string // empty on the last page
}

// Hit is one matching document: the search item of the API contract.
type Hit struct {
	Kind       string
	ID         string
	Identifier string
	Subject    string
	Date       time.Time
	Score      float64
	// Highlights holds, per field (subject, text), HTML-escaped fragments with the matches
	// wrapped in <mark>, so a client can show them as HTML without further escaping.
	Highlights map[string][]string
}

// FacetCount is how many hits have Term in a facet's field.
type FacetCount struct {
	Term  string
	Count int
}

// Search runs q over the shards it needs, in parallel through a bleve index alias. The caller's
// visibility is a clause of the query itself, never a filter on the results. It returns
// validation_failed for bad facets, limit, sort or cursor.
func (x *Index) Search(ctx context.Context, q Query) (Result, error) {
	if err := q.validate(); err != nil {
		return Result{}, err
	}
	after, err := decodeCursor(q.Cursor, q.Sort)
	if err != nil {
		return Result{}, err
	}
	user, err := parse(q.Q)
	if err != nil {
		return Result{}, err
	}
	res := Result{Items: []Hit{}, Facets: map[string][]FacetCount{}}
	for _, f := range q.Facets {
		res.Facets[f] = []FacetCount{}
	}
	vis := visibility(q.Visibility, q.DossierVisibility)
	if vis == nil {
		return res, nil
	}
	alias, n, err := x.alias(q.years(x.years()))
	if err != nil || n == 0 {
		return res, err
	}
	x.shardsSearched.Add(int64(n))

	// Visibility and filters go in the boolean query's filter: they narrow the hits without
	// scoring, so relevance depends on the words alone and no time is spent scoring them.
	bq := query.NewBooleanQuery(nil, nil, nil)
	if user != nil {
		bq.AddMust(user)
	}
	bq.AddFilter(allOf(append([]query.Query{vis}, q.filters()...)))
	req := bleve.NewSearchRequestOptions(bq, q.Limit+1, 0, false)
	req.Fields = []string{fKind, fIdentifier, fSubject, fDate}
	req.SortByCustom(sortOrder(q.Sort))
	req.SearchAfter = after
	if user != nil {
		req.Highlight = bleve.NewHighlightWithStyle(html.Name)
		req.Highlight.Fields = []string{fSubject, fText}
	}
	for _, f := range q.Facets {
		req.AddFacet(f, bleve.NewFacetRequest(facetFields[f], facetSize))
	}
	sr, err := alias.SearchInContext(ctx, req)
	if err != nil {
		return Result{}, fmt.Errorf("search %q: %w", q.Q, err)
	}
	res.Total = sr.Total
	hits := sr.Hits
	if len(hits) > q.Limit {
		hits = hits[:q.Limit]
		res.NextCursor = encodeCursor(q.Sort, hits[len(hits)-1])
	}
	for _, h := range hits {
		res.Items = append(res.Items, hitOf(h))
	}
	for name, fr := range sr.Facets {
		res.Facets[name] = facetCounts(fr)
	}
	return res, nil
}

// alias returns an alias over the shards of years, and how many there are.
func (x *Index) alias(years []int) (bleve.IndexAlias, int, error) {
	shards := make([]bleve.Index, 0, len(years))
	for _, y := range years {
		s, err := x.shard(y, false)
		if err != nil {
			return nil, 0, fmt.Errorf("search: %w", err)
		}
		if s != nil {
			shards = append(shards, s)
		}
	}
	return bleve.NewIndexAlias(shards...), len(shards), nil
}

// sortOrder is total and stable, ending in the document id, so that SearchAfter pages neither
// skip nor repeat hits with equal scores or dates.
func sortOrder(sort string) bsearch.SortOrder {
	date := &bsearch.SortField{Field: fSortDate, Type: bsearch.SortFieldAsString, Desc: true,
		Missing: bsearch.SortFieldMissingLast}
	id := &bsearch.SortDocID{}
	if sort == SortDate {
		return bsearch.SortOrder{date, id}
	}
	return bsearch.SortOrder{&bsearch.SortScore{Desc: true}, date, id}
}

func hitOf(h *bsearch.DocumentMatch) Hit {
	hit := Hit{ID: h.ID, Score: h.Score, Highlights: map[string][]string{}}
	hit.Kind, _ = h.Fields[fKind].(string)
	hit.Identifier, _ = h.Fields[fIdentifier].(string)
	hit.Subject, _ = h.Fields[fSubject].(string)
	if s, ok := h.Fields[fDate].(string); ok {
		hit.Date, _ = time.Parse(time.RFC3339, s)
	}
	for f, frags := range h.Fragments {
		// bleve reports an empty fragment for a highlighted field that did not match.
		if frags = slices.DeleteFunc(slices.Clone(frags), func(s string) bool { return s == "" }); len(frags) == 0 {
			continue
		}
		hit.Highlights[f] = frags
	}
	return hit
}

func facetCounts(fr *bsearch.FacetResult) []FacetCount {
	out := []FacetCount{}
	if fr.Terms != nil {
		for _, t := range fr.Terms.Terms() {
			out = append(out, FacetCount{Term: t.Term, Count: t.Count})
		}
	}
	slices.SortFunc(out, func(a, b FacetCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Term, b.Term))
	})
	return out
}

// scoreText writes a score so that it parses back to the same float64.
func scoreText(s float64) string { return strconv.FormatFloat(s, 'g', -1, 64) }
