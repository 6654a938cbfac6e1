package search

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/highlight/highlighter/html"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/sportello/sportello/domain"
	"golang.org/x/sync/errgroup"
)

// Result is one page of hits, with the total and facet counts of the matches examined: all of
// them when TotalExact, else those of the months from SearchedFrom on (Index.Search).
type Result struct {
	Total      uint64
	Items      []Hit
	Facets     map[string][]FacetCount
	NextCursor string // empty on the last page
	// TotalExact tells that every month the query needed was examined; when it is false,
	// SearchedFrom is the first day of the oldest month examined.
	TotalExact   bool
	SearchedFrom time.Time
}

// Hit is one matching document: the search item of the API contract.
type Hit struct {
	Kind       string
	ID         string
	Identifier string
	Subject    string
	Date       time.Time
	Score      float64
	// Confidential is set on a confidential registration or document, whose showing is a read
	// the caller records in the audit trail (docs/audit.md).
	Confidential bool
	// Highlights holds, per field (subject, text), HTML-escaped fragments with the matches
	// wrapped in <mark>, so a client can show them as HTML without further escaping.
	Highlights map[string][]string
}

// FacetCount is how many hits have Term in a facet's field.
type FacetCount struct {
	Term  string
	Count int
}

// stopAfterMatches is how many matches a broad query examines before it stops (Index.Search).
// At 10,000,000 registrations over six years a month holds about 139,000, and a broad query
// matches about one in twelve: one or two months. Matching and counting cost about a
// microsecond a match, so this bounds a query's work whatever the size of the index.
const stopAfterMatches = 10_000

// Search runs q over the month shards it needs, newest first, in waves of growing size (2, 2,
// 4, 8, … shards at most, fewer when the matches found so far say fewer months will do; each
// wave's shards in parallel through a bleve index alias), and stops after
// the wave in which the months examined hold at least stopAfterMatches matches and the page
// is full. A narrower query examines every month it needs and is exact. A date-sorted page is
// then exact too, every month left out being older; a relevance page ranks the newest matches.
// Total and facets count the matches examined, and Result says how far back that reaches. The
// next pages of a relevance sort examine the same months (the cursor carries the oldest); those
// of a date sort start at their cursor's month and follow the same rule, so that paging by date
// reaches every match in order. The caller's visibility is a clause of the query itself, never
// a filter on the results. It returns validation_failed for bad facets, limit, sort or cursor.
func (x *Index) Search(ctx context.Context, q Query) (Result, error) {
	if err := q.validate(); err != nil {
		return Result{}, err
	}
	cur, err := decodeCursor(q.Cursor, q.Sort)
	if err != nil {
		return Result{}, err
	}
	user, err := parse(q.Q)
	if err != nil {
		return Result{}, err
	}
	res := Result{Items: []Hit{}, Facets: map[string][]FacetCount{}, TotalExact: true}
	for _, f := range q.Facets {
		res.Facets[f] = []FacetCount{}
	}
	vis := visibility(q.Visibility, q.DossierVisibility)
	if vis == nil {
		return res, nil
	}
	needed := q.months(x.months())
	plan, early := q.plan(needed, cur)

	fields := make([]string, len(q.Facets))
	for i, f := range q.Facets {
		fields[i] = facetFields[f]
	}
	order := sortOrder(q.Sort)
	ht := newHitTables(&x.tables, fields, order)
	var hits []*bsearch.DocumentMatch
	examined := 0
	for examined < len(plan) {
		// Each wave at most doubles the months examined (2, 2, 4, 8, … shards), so a rare word
		// over 72 months takes seven waves; and once matches have been found, it takes no more
		// months than their rate so far says the rest of stopAfter needs (but two, one a core),
		// so a broad query counts little more than stopAfter matches.
		wave := max(2, examined)
		if res.Total > 0 && res.Total < x.stopAfter {
			need := (x.stopAfter - res.Total) * uint64(examined)
			wave = min(wave, max(2, int((need+res.Total-1)/res.Total)))
		}
		if !early {
			wave = len(plan)
		}
		months := plan[examined:min(len(plan), examined+wave)]
		alias, n, err := x.alias(months)
		if err != nil {
			return Result{}, err
		}
		x.shardsSearched.Add(int64(n))
		x.tables.asked(months, fields)
		sr, err := alias.SearchInContext(ht.context(ctx), q.request(user, vis, cur.After))
		if err != nil {
			return Result{}, fmt.Errorf("search %q: %w", q.Q, err)
		}
		examined += len(months)
		res.Total += sr.Total
		hits = mergeHits(order, hits, sr.Hits, q.Limit+1)
		if early && res.Total >= x.stopAfter && len(hits) > q.Limit {
			break
		}
	}
	if examined < len(needed) {
		res.TotalExact = false
		if examined > 0 {
			res.SearchedFrom = monthStart(plan[examined-1])
		} else { // a date cursor older than every month: nothing left to examine
			res.SearchedFrom = monthStart(needed[0])
		}
	}
	if len(hits) > q.Limit {
		hits = hits[:q.Limit]
		from := cur.From
		if cur.After == nil && examined < len(plan) {
			from = plan[examined-1]
		}
		res.NextCursor = encodeCursor(q.Sort, hits[len(hits)-1], from)
	}
	// The page's stored fields and highlights, and which of its hits are confidential, are two
	// searches on the page's ids, in the shards that hold them: they run side by side.
	page, _, err := x.alias(pageMonths(hits))
	if err != nil {
		return Result{}, err
	}
	var confidential map[string]bool
	g, gctx := errgroup.WithContext(ctx)
	if mayShowConfidential(q.Visibility) {
		g.Go(func() (err error) { confidential, err = confidentialOf(gctx, page, hits); return err })
	}
	var items []*bsearch.DocumentMatch
	g.Go(func() (err error) { items, err = loadPage(gctx, page, user, hits); return err })
	if err := g.Wait(); err != nil {
		return Result{}, err
	}
	for _, h := range items {
		hit := hitOf(h)
		hit.Confidential = confidential[h.ID] && (hit.Kind == KindRegistration || hit.Kind == KindDocument)
		res.Items = append(res.Items, hit)
	}
	for i, name := range q.Facets {
		res.Facets[name] = ht.result(i, facetSize)
	}
	return res, nil
}

// mergeHits returns the first size of a and b, two lists of hits in order, in order.
func mergeHits(order bsearch.SortOrder, a, b []*bsearch.DocumentMatch, size int) []*bsearch.DocumentMatch {
	scoring, desc := order.CacheIsScore(), order.CacheDescending()
	out := append(a, b...)
	slices.SortStableFunc(out, func(i, j *bsearch.DocumentMatch) int { return order.Compare(scoring, desc, i, j) })
	return out[:min(len(out), size)]
}

// pageMonths returns the month keys of the shards that hold hits: bleve names each hit's
// shard by its path.
func pageMonths(hits []*bsearch.DocumentMatch) []int {
	var months []int
	for _, h := range hits {
		name, _ := strings.CutSuffix(filepath.Base(h.Index), shardSuffix)
		if k, err := strconv.Atoi(name); err == nil && !slices.Contains(months, k) {
			months = append(months, k)
		}
	}
	return months
}

// request returns the bleve request of q, which the user's words parsed as user (nil for
// none) and the caller's visibility as vis; after is the decoded cursor. Its facets and
// table-sorted fields are left to hitTables.
func (q *Query) request(user, vis query.Query, after []string) *bleve.SearchRequest {
	// Visibility and filters go in the boolean query's filter: they narrow the hits without
	// scoring, so relevance depends on the words alone and no time is spent scoring them.
	bq := query.NewBooleanQuery(nil, nil, nil)
	if user != nil {
		bq.AddMust(user)
	}
	bq.AddFilter(allOf(append([]query.Query{vis}, q.filters()...)))
	// No stored fields: every shard of a wave would load them for its own best Limit+1 hits,
	// most of which the merge drops (loadPage reads them for the page alone).
	req := bleve.NewSearchRequestOptions(bq, q.Limit+1, 0, false)
	req.SortByCustom(sortOrder(q.Sort))
	req.SearchAfter = after
	return req
}

// loadPage reads the stored fields of hits, the page being returned, and their fragments where
// the user's words (user, nil for none) match. It is a second search, for those documents only:
// asking for fields or highlights in the first would make every shard read them for its own best
// hits, and the positions of the words in every hit. A hit whose document has changed since so
// that it no longer matches, or gone, is left out of the page.
func loadPage(ctx context.Context, alias bleve.IndexAlias, user query.Query, hits []*bsearch.DocumentMatch) ([]*bsearch.DocumentMatch, error) {
	if len(hits) == 0 {
		return hits, nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	var q query.Query = query.NewDocIDQuery(ids)
	if user != nil {
		q = query.NewConjunctionQuery([]query.Query{user, q})
	}
	req := bleve.NewSearchRequestOptions(q, len(ids), 0, false)
	req.Fields = []string{fKind, fIdentifier, fSubject, fDate}
	if user != nil {
		req.Highlight = bleve.NewHighlightWithStyle(html.Name)
		req.Highlight.Fields = []string{fSubject, fText}
	}
	sr, err := alias.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("page of hits: %w", err)
	}
	found := make(map[string]*bsearch.DocumentMatch, len(sr.Hits))
	for _, h := range sr.Hits {
		found[h.ID] = h
	}
	kept := make([]*bsearch.DocumentMatch, 0, len(hits))
	for _, h := range hits {
		if f, ok := found[h.ID]; ok {
			h.Fields, h.Fragments = f.Fields, f.Fragments
			kept = append(kept, h)
		}
	}
	return kept, nil
}

// mayShowConfidential tells whether a caller who sees v may be shown confidential records: not
// one who sees only what is public.
func mayShowConfidential(v domain.Visibility) bool {
	return v.All || len(v.Offices) > 0 || v.CreatedBy != "" || v.Party != ""
}

// confidentialOf returns which of hits are confidential registrations or documents. The field
// is indexed, not stored, so it is a second search for those ids only, as highlight is: none
// when there is no hit.
func confidentialOf(ctx context.Context, alias bleve.IndexAlias, hits []*bsearch.DocumentMatch) (map[string]bool, error) {
	if len(hits) == 0 {
		return nil, nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	yes := query.NewBoolFieldQuery(true)
	yes.SetField(fConfidential)
	req := bleve.NewSearchRequestOptions(query.NewConjunctionQuery([]query.Query{query.NewDocIDQuery(ids), yes}),
		len(ids), 0, false)
	sr, err := alias.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("confidential hits: %w", err)
	}
	out := make(map[string]bool, len(sr.Hits))
	for _, h := range sr.Hits {
		out[h.ID] = true
	}
	return out, nil
}

// alias returns an alias over the shards of months (month keys), and how many there are.
func (x *Index) alias(months []int) (bleve.IndexAlias, int, error) {
	shards := make([]bleve.Index, 0, len(months))
	for _, k := range months {
		s, err := x.shard(k, false)
		if err != nil {
			return nil, 0, fmt.Errorf("search: %w", err)
		}
		if s != nil {
			shards = append(shards, s)
		}
	}
	return bleve.NewIndexAlias(shards...), len(shards), nil
}

// sortOrder is total and stable, so that SearchAfter pages neither skip nor repeat hits with
// equal scores or dates: the sort date ends in the document id (Document.sortDate). A separate
// sort on the id would make bleve read every hit's id from its stored fields, which was an
// eighth of an all-years query's time.
func sortOrder(sort string) bsearch.SortOrder {
	date := &tableSort{field: fSortDate, desc: true}
	if sort == SortDate {
		return bsearch.SortOrder{date}
	}
	return bsearch.SortOrder{&bsearch.SortScore{Desc: true}, date}
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

// sortFacetCounts orders counts most frequent first, then by term.
func sortFacetCounts(counts []FacetCount) {
	slices.SortFunc(counts, func(a, b FacetCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Term, b.Term))
	})
}

// scoreText writes a score so that it parses back to the same float64.
func scoreText(s float64) string { return strconv.FormatFloat(s, 'g', -1, 64) }
