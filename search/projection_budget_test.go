package search

import (
	"slices"
	"strings"
	"testing"
)

// TestBudgetGroups: a step's documents are indexed in runs that keep their order and stay
// within the text budget, except a document larger than the budget, alone in its run.
func TestBudgetGroups(t *testing.T) {
	text := func(n int) Document { return Document{Text: strings.Repeat("a", n)} }
	docs := []Document{text(4), text(4), text(3), text(12), text(1), text(9)}
	var sizes [][]int
	for _, g := range budgetGroups(docs, 10) {
		var s []int
		for _, d := range g {
			s = append(s, len(d.Text))
		}
		sizes = append(sizes, s)
	}
	want := [][]int{{4, 4}, {3}, {12}, {1, 9}}
	if !slices.EqualFunc(sizes, want, slices.Equal) {
		t.Errorf("groups %v, want %v", sizes, want)
	}
	if got := budgetGroups(nil, 10); len(got) != 0 {
		t.Errorf("groups of nothing: %v", got)
	}
}
