package search

import (
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/sportello/sportello/domain"
)

// Query is a search request. Filters narrow the hits exactly (keyword fields); Q is full text.
// Visibility is mandatory: the zero value sees nothing.
type Query struct {
	// Q is the query string: plain words (all must match, in subject, correspondents or text),
	// "phrases", prefix*, field:value (subject:, text:, correspondent:, class:, register:, year:,
	// direction:, channel:, status:, kind:, office:, identifier:, ref:, tax_code:), -negation,
	// and protocol references (PG/2026/42) or identifiers that match one registration exactly.
	Q         string
	Register  string
	Direction string
	Channel   string
	Status    string
	Class     string // matches the class and everything below it
	Office    string
	Kind      string
	Year      int
	From, To  time.Time // protocol date range, both ends included; zero means open
	Facets    []string  // any of FacetNames
	// Visibility limits hits, totals, facet counts and highlights to what the caller may see.
	Visibility domain.Visibility
	Limit      int    // 1 to MaxLimit; 0 means DefaultLimit
	Cursor     string // NextCursor of the previous page
	Sort       string // SortRelevance (default) or SortDate
}

// Sort orders.
const (
	SortRelevance = "relevance"
	SortDate      = "date"
)

// Page sizes.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// facetFields maps the facet names a client may ask for to the fields counted.
var facetFields = map[string]string{
	"register": fRegister, "year": fYear, "direction": fDirection, "channel": fChannel,
	"class": fClass, "office": fOffices, "status": fStatus,
}

// FacetNames lists the facets Search can count.
var FacetNames = []string{"register", "year", "direction", "channel", "class", "office", "status"}

// facetSize is how many terms a facet reports at most.
const facetSize = 50

// validate checks the parts of q that do not need the index, and fills in defaults.
func (q *Query) validate() error {
	v := &domain.Validation{}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit < 1 || q.Limit > MaxLimit:
		v.Add("limit", "must be between 1 and 100")
	}
	switch q.Sort {
	case "":
		q.Sort = SortRelevance
	case SortRelevance, SortDate:
	default:
		v.Add("sort", "must be relevance or date")
	}
	for _, f := range q.Facets {
		if _, ok := facetFields[f]; !ok {
			v.Add("facets", "unknown facet %q; known: %s", f, strings.Join(FacetNames, ", "))
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		v.Add("to", "must not be before from")
	}
	return v.Err()
}

// filters returns the exact filters of q.
func (q *Query) filters() []query.Query {
	var fs []query.Query
	add := func(field, value string) {
		if value != "" {
			fs = append(fs, fieldTerm(field, value))
		}
	}
	add(fRegister, strings.ToUpper(q.Register))
	add(fDirection, q.Direction)
	add(fChannel, q.Channel)
	add(fStatus, q.Status)
	add(fClassPath, strings.ToUpper(q.Class))
	add(fOffices, q.Office)
	add(fKind, q.Kind)
	if q.Year != 0 {
		add(fYear, yearTerm(q.Year))
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		inclusive := true
		r := query.NewDateRangeInclusiveQuery(q.From, q.To, &inclusive, &inclusive)
		r.SetField(fDate)
		fs = append(fs, r)
	}
	return fs
}

// visibility returns v as a query, or nil when v sees nothing.
func visibility(v domain.Visibility) query.Query {
	if v.All {
		return query.NewMatchAllQuery()
	}
	var any []query.Query
	if v.Public {
		b := query.NewBoolFieldQuery(false)
		b.SetField(fConfidential)
		any = append(any, b)
	}
	if v.CreatedBy != "" {
		any = append(any, fieldTerm(fCreatedBy, v.CreatedBy))
	}
	if v.Party != "" {
		any = append(any, fieldTerm(fParties, v.Party))
	}
	for _, o := range slices.Compact(slices.Sorted(slices.Values(v.Offices))) {
		if o != "" {
			any = append(any, fieldTerm(fOffices, o))
		}
	}
	if len(any) == 0 {
		return nil
	}
	return anyOf(any)
}

// years returns the shard years q needs out of those that exist: a year filter or a date range
// prunes the others.
func (q *Query) years(have []int) []int {
	var out []int
	for _, y := range have {
		switch {
		case q.Year != 0 && y != q.Year:
		case !q.From.IsZero() && y < q.From.UTC().Year():
		case !q.To.IsZero() && y > q.To.UTC().Year():
		default:
			out = append(out, y)
		}
	}
	return out
}
