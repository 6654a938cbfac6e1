package api

import (
	"testing"
	"time"

	"github.com/sportello/sportello/search"
)

// A search answered over its newest matches says from which day its total counts; an exact
// one says nothing of it.
func TestSearchResultSearchedFrom(t *testing.T) {
	from := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	if out := toSearchResult(search.Result{Total: 60, SearchedFrom: from}); out.TotalExact || out.SearchedFrom != "2026-07-01" {
		t.Errorf("early stop: total_exact %v, searched_from %q", out.TotalExact, out.SearchedFrom)
	}
	if out := toSearchResult(search.Result{Total: 3, TotalExact: true}); !out.TotalExact || out.SearchedFrom != "" {
		t.Errorf("exact: total_exact %v, searched_from %q", out.TotalExact, out.SearchedFrom)
	}
}
