package api

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/search"
)

// SearchIndex is what GET /v1/search reads: the process's search index and the wait for
// read-your-writes.
type SearchIndex interface {
	Search(ctx context.Context, q search.Query) (search.Result, error)
	// WaitForPosition returns once the index includes the write at change-feed position;
	// ECValidation for a position that names no write.
	WaitForPosition(ctx context.Context, position int64) error
}

// minPositionWait bounds how long a search waits for the index to reach min_position.
const minPositionWait = 10 * time.Second

// searchParams are the query parameters of GET /v1/search.
var searchParams = []string{"q", "register", "year", "direction", "channel", "status", "class", "office", "kind",
	"from", "to", "facets", "sort", "limit", "cursor", "min_position"}

// searchDocuments runs a full-text search.
//
//	@Summary		Search
//	@Description	Full-text search (Italian analysis: stemming, accents and case ignored) over registrations, dossiers and unregistered documents: subject, description, correspondents and text, with the filters of the registration list, facet counts, highlights and cursor pages. `q` takes words (all must match), "phrases", prefix*, field:value (subject, description, text, correspondent, class, register, year, direction, channel, status, kind, type, office, identifier, ref, tax_code, registration), -word, a protocol reference such as PG/2026/0000042 for that registration exactly, and a dossier identifier such as 2026-VI.3-000012 for that dossier. A dossier's date is the day it was opened, a document's the day it was created; a document's identifier is its id. Results, totals, facets and highlights include only what the caller may open: registrations and documents by the rules of GET /v1/registrations and GET /v1/documents (confidential ones only for records officers, their offices and whoever created them), dossiers by those of GET /v1/dossiers (portals see none). A broad query is answered over its newest matches: the months are searched newest first, and once those searched hold 10,000 matches and fill the page the older ones are left out; `total` and `facets` then count the matches from `searched_from` on and `total_exact` is false (a page sorted by date is exact all the same, and following `next_cursor` by date reaches every match in order; the next pages of a relevance sort rank the same matches). Narrow by `from`/`to` or `year` for exact totals over older months. With `min_position` (the `position` of a write response) the search first waits, up to 10 s, until the index includes that write; past that it answers 409 conflict (retry), never a silently stale result.
//	@Tags			search
//	@Produce		json
//	@Security		BearerAuth
//	@Param			q				query		string	false	"Query string"
//	@Param			register		query		string	false	"Register code"
//	@Param			year			query		int		false	"Year"	minimum(1000)	maximum(9999)
//	@Param			direction		query		string	false	"incoming, outgoing or internal"
//	@Param			channel			query		string	false	"Channel"
//	@Param			status			query		string	false	"active or annulled (registrations); open, closed or disposed (dossiers)"
//	@Param			class			query		string	false	"Class, with everything below it"
//	@Param			office			query		string	false	"Office code"
//	@Param			kind			query		string	false	"Comma-separated: registration, dossier, document; default all"
//	@Param			from			query		string	false	"First date (protocol, opening or creation), YYYY-MM-DD"
//	@Param			to				query		string	false	"Last date (protocol, opening or creation), YYYY-MM-DD"
//	@Param			facets			query		string	false	"Comma-separated: register, year, direction, channel, class, office, status, kind"
//	@Param			sort			query		string	false	"relevance (default) or date"
//	@Param			limit			query		int		false	"1 to 100, default 20"	minimum(1)	maximum(100)
//	@Param			cursor			query		string	false	"next_cursor of the previous page"
//	@Param			min_position	query		int		false	"Wait until the index includes this write"
//	@Success		200				{object}	SearchResult
//	@Failure		401,409,422,500,503	{object}	Problem
//	@ID				searchDocuments
//	@Router			/v1/search [get]
func (h *handlers) searchDocuments(c *gin.Context) {
	q, minPosition, err := parseSearch(c.Request.URL.Query())
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if minPosition > 0 {
		wctx, cancel := context.WithTimeout(ctx, minPositionWait)
		err := h.search.WaitForPosition(wctx, minPosition)
		timedOut := errors.Is(wctx.Err(), context.DeadlineExceeded)
		cancel()
		if err != nil && timedOut {
			err = domain.Errorf(domain.ECConflict, "the search index has not reached position %d yet; retry", minPosition)
		}
		if err != nil {
			h.fail(c, err)
			return
		}
	}
	p := principal(c)
	q.Visibility, q.DossierVisibility = domain.VisibilityOf(p), domain.DossierVisibilityOf(p)
	res, err := h.search.Search(ctx, q)
	if err != nil {
		h.fail(c, err)
		return
	}
	var shown []domain.Shown
	for _, it := range res.Items {
		if it.Confidential {
			shown = append(shown, domain.Shown{Kind: it.Kind, ID: it.ID, Identifier: it.Identifier, Confidential: true})
		}
	}
	h.svc.RecordShown(p, domain.ShownInSearch, shown...)
	respond(c, 200, toSearchResult(res))
}

// parseSearch reads the search parameters; the index validates the values it knows best
// (facet names, sort, limit, cursor).
func parseSearch(v url.Values) (search.Query, int64, error) {
	var val domain.Validation
	checkQuery(&val, v, searchParams)
	q := search.Query{Q: v.Get("q"), Register: v.Get("register"), Direction: v.Get("direction"), Channel: v.Get("channel"),
		Status: v.Get("status"), Class: v.Get("class"), Office: v.Get("office"),
		Sort: v.Get("sort"), Cursor: v.Get("cursor")}
	q.Year = yearQuery(&val, v)
	for _, d := range []struct {
		name string
		t    *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(d.name); s != "" {
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				val.Add(d.name, "must be a date YYYY-MM-DD")
			}
			*d.t = t
		}
	}
	if s := v.Get("facets"); s != "" {
		q.Facets = strings.Split(s, ",")
	}
	if s := v.Get("kind"); s != "" {
		q.Kinds = strings.Split(s, ",")
	}
	q.Limit = limitQuery(&val, v, search.MaxLimit)
	var minPosition int64
	if s := v.Get("min_position"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			val.Add("min_position", "must be a non-negative integer: the position of a write response")
		}
		minPosition = n
	}
	return q, minPosition, val.Err()
}

func toSearchResult(r search.Result) SearchResult {
	out := SearchResult{Total: r.Total, Items: make([]SearchItem, 0, len(r.Items)), Facets: map[string][]FacetCount{}, NextCursor: r.NextCursor,
		TotalExact: r.TotalExact}
	if !r.TotalExact {
		out.SearchedFrom = r.SearchedFrom.Format(time.DateOnly)
	}
	for _, h := range r.Items {
		it := SearchItem{Kind: h.Kind, ID: h.ID, Identifier: h.Identifier, Subject: h.Subject, Score: h.Score, Highlights: h.Highlights}
		if !h.Date.IsZero() {
			it.Date = h.Date.Format(time.DateOnly)
		}
		out.Items = append(out.Items, it)
	}
	for name, counts := range r.Facets {
		fc := make([]FacetCount, 0, len(counts))
		for _, c := range counts {
			fc = append(fc, FacetCount{Term: c.Term, Count: c.Count})
		}
		out.Facets[name] = fc
	}
	return out
}
