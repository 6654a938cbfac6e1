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
	// Q is the query string: plain words (all must match, in subject, description,
	// correspondents or text), "phrases", prefix*, field:value (subject:, description:, text:,
	// correspondent:, class:, register:, year:, direction:, channel:, status:, kind:, type:,
	// office:, identifier:, ref:, tax_code:, registration:), -negation, and protocol references
	// (PG/2026/42) or identifiers that match one registration or dossier exactly.
	Q         string
	Register  string
	Direction string
	Channel   string
	Status    string
	Class     string // matches the class and everything below it
	Office    string
	Kinds     []string // any of Kinds; none means every kind
	Year      int
	From, To  time.Time // protocol date range, both ends included; zero means open
	Facets    []string  // any of FacetNames
	// Visibility limits the registrations and documents in hits, totals, facet counts and
	// highlights to what the caller may see (domain.VisibilityOf), DossierVisibility the
	// dossiers (domain.DossierVisibilityOf): the domain reads them by different rules.
	Visibility        domain.Visibility
	DossierVisibility domain.Visibility
	Limit             int    // 1 to MaxLimit; 0 means DefaultLimit
	Cursor            string // NextCursor of the previous page
	Sort              string // SortRelevance (default) or SortDate
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

// Kinds lists the kinds of indexed things, in the order the API documents them.
var Kinds = []string{KindRegistration, KindDossier, KindDocument}

// facetFields maps the facet names a client may ask for to the fields counted.
var facetFields = map[string]string{
	"register": fRegister, "year": fYear, "direction": fDirection, "channel": fChannel,
	"class": fClass, "office": fOffices, "status": fStatus, "kind": fKind,
}

// FacetNames lists the facets Search can count.
var FacetNames = []string{"register", "year", "direction", "channel", "class", "office", "status", "kind"}

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
	for _, k := range q.Kinds {
		if !slices.Contains(Kinds, k) {
			v.Add("kind", "unknown kind %q; known: %s", k, strings.Join(Kinds, ", "))
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
	if len(q.Kinds) > 0 {
		kinds := make([]query.Query, len(q.Kinds))
		for i, k := range q.Kinds {
			kinds[i] = fieldTerm(fKind, k)
		}
		fs = append(fs, anyOf(kinds))
	}
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

// visibility returns the caller's visibility as a query, or nil when it sees nothing. Each
// kind is visible by the domain's own read rules: registrations by v (domain.Visibility.Allows),
// documents by v too (AllowsDocument: the same rules, and they have no parties), dossiers by dv
// (AllowsDossier: all of them, or those of its offices or that it opened; none for portals).
func visibility(v, dv domain.Visibility) query.Query {
	if v.All && dv.All {
		return query.NewMatchAllQuery()
	}
	var any []query.Query
	if records := recordVisibility(v); records != nil {
		any = append(any, allOf([]query.Query{anyOf([]query.Query{
			fieldTerm(fKind, KindRegistration), fieldTerm(fKind, KindDocument)}), records}))
	}
	if dossiers := dossierVisibility(dv); dossiers != nil {
		any = append(any, allOf([]query.Query{fieldTerm(fKind, KindDossier), dossiers}))
	}
	if len(any) == 0 {
		return nil
	}
	return anyOf(any)
}

// recordVisibility returns v as a query over registrations and documents, or nil when v sees
// none of them.
func recordVisibility(v domain.Visibility) query.Query {
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
	any = append(any, officeTerms(v.Offices)...)
	if len(any) == 0 {
		return nil
	}
	return anyOf(any)
}

// dossierVisibility returns dv (see domain.DossierVisibilityOf) as a query over dossiers, or
// nil when dv sees none: a dossier has one office, and no confidentiality of its own.
func dossierVisibility(dv domain.Visibility) query.Query {
	if dv.All {
		return query.NewMatchAllQuery()
	}
	var any []query.Query
	if dv.CreatedBy != "" {
		any = append(any, fieldTerm(fCreatedBy, dv.CreatedBy))
	}
	any = append(any, officeTerms(dv.Offices)...)
	if len(any) == 0 {
		return nil
	}
	return anyOf(any)
}

// officeTerms matches any of offices, each once.
func officeTerms(offices []string) []query.Query {
	var out []query.Query
	for _, o := range slices.Compact(slices.Sorted(slices.Values(offices))) {
		if o != "" {
			out = append(out, fieldTerm(fOffices, o))
		}
	}
	return out
}

// months returns the shard months (month keys, monthKey) q needs out of those that exist: a
// year filter or a date range prunes the others. Dates are indexed at midnight UTC, so the
// range's ends are taken in UTC. Month 0 of a year, its undated documents, goes with the year.
func (q *Query) months(have []int) []int {
	var from, to int
	if !q.From.IsZero() {
		from = monthKey(q.From.UTC().Year(), q.From.UTC().Month())
	}
	if !q.To.IsZero() {
		to = monthKey(q.To.UTC().Year(), q.To.UTC().Month())
	}
	var out []int
	for _, k := range have {
		switch {
		case q.Year != 0 && k/100 != q.Year:
		case from != 0 && k < from:
		case to != 0 && k > to:
		default:
			out = append(out, k)
		}
	}
	return out
}

// plan returns the months of needed that a search with cursor c examines, in the order it
// examines them, and whether it may stop early (Index.Search). Newest first; the undated
// documents of month 0 sort before every dated one by date (Document.sortDate), so their months
// come first. A relevance cursor names the oldest month of its first page: its pages examine
// those months, all of them. A date cursor starts at its own month: the newer ones hold no
// match after it; one whose date does not read as a date starts from the newest.
func (q *Query) plan(needed []int, c cursor) (plan []int, early bool) {
	for _, k := range slices.Backward(needed) {
		if k%100 == 0 {
			plan = append(plan, k)
		}
	}
	for _, k := range slices.Backward(needed) {
		if k%100 != 0 {
			plan = append(plan, k)
		}
	}
	switch {
	case c.After == nil:
		return plan, true
	case q.Sort == SortRelevance:
		if c.From == 0 {
			return plan, false
		}
		return slices.DeleteFunc(plan, func(k int) bool { return k%100 != 0 && k < c.From }), false
	}
	day, err := time.Parse(time.DateOnly, c.After[0][:min(len(c.After[0]), len(time.DateOnly))])
	if err != nil {
		return plan, true
	}
	from := monthKey(day.Year(), day.Month())
	return slices.DeleteFunc(plan, func(k int) bool { return k%100 == 0 || k > from }), true
}
