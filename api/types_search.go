package api

// SearchResult is one page of search hits with the total and the facet counts, all limited to
// what the caller may see. A broad query is answered over its newest matches: once the months
// searched, newest first, hold 10,000 matches and fill the page, older months are left out;
// total and facets then count the matches from searched_from on, and total_exact is false.
// Narrow the query by date (from, to) or year to reach exact totals over older ones.
type SearchResult struct {
	Total      uint64                  `json:"total"`
	Items      []SearchItem            `json:"items"`
	Facets     map[string][]FacetCount `json:"facets"`
	NextCursor string                  `json:"next_cursor"`
	// TotalExact tells that total and facets count every match of the query.
	TotalExact bool `json:"total_exact"`
	// SearchedFrom, only when total_exact is false, is the first day of the oldest month
	// searched: total and facets count the matches from that day on.
	SearchedFrom string `json:"searched_from,omitempty" format:"date" example:"2026-07-01"`
}

// SearchItem is one hit: a registration, a dossier or an unregistered document (kind). Its
// identifier is a registration's identifier, a dossier's (2026-VI.3-000012) or a document's id;
// its date the protocol date, the day a dossier was opened or a document created. Highlights
// maps a field (subject, text) to fragments with the matched words in <mark>…</mark>,
// HTML-escaped.
type SearchItem struct {
	Kind       string              `json:"kind" enums:"registration,dossier,document" example:"registration"`
	ID         string              `json:"id"`
	Identifier string              `json:"identifier" example:"c_h501-A1B2C3D-PG-2026-0000042"`
	Subject    string              `json:"subject"`
	Date       string              `json:"date" example:"2026-11-28"`
	Score      float64             `json:"score"`
	Highlights map[string][]string `json:"highlights,omitempty"`
}

// FacetCount is how many visible hits have Term in a facet's field.
type FacetCount struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}
