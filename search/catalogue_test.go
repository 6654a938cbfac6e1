package search

import (
	"fmt"
	"slices"
	"testing"

	"github.com/sportello/sportello/domain"
)

// catalogueOf returns n procedures, the first the SCIA for opening a business.
func catalogueOf(n int) []domain.Procedure {
	ps := []domain.Procedure{{Code: "scia-avvio-attivita", Name: "SCIA - Avvio di attività commerciale",
		Description: "Apertura di un esercizio di somministrazione (bar, ristorante)"}}
	for i := 1; i < n; i++ {
		ps = append(ps, domain.Procedure{Code: fmt.Sprintf("p%04d", i), Name: fmt.Sprintf("Autorizzazione numero %d", i),
			Description:       "Rilascio di un'autorizzazione comunale per occupazione di suolo pubblico e passi carrabili",
			RequiredDocuments: []domain.RequiredDocument{{Name: "Planimetria"}}})
	}
	return ps
}

// TestCatalogueSearch: every word must match after Italian analysis (plural, accents, upper
// case), the name ranks first, and a rebuild replaces what was indexed.
func TestCatalogueSearch(t *testing.T) {
	c := NewCatalogue()
	if got, err := c.Search("bar"); err != nil || len(got) != 0 || c.Fingerprint() != "" {
		t.Fatalf("empty catalogue: %v, %v", got, err)
	}
	if err := c.Rebuild(catalogueOf(3), "v1"); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{
		"apertura bar":         {"scia-avvio-attivita"},
		"APERTURE bar":         {"scia-avvio-attivita"},
		"attivita":             {"scia-avvio-attivita"},
		"bar carrabili":        nil,
		"autorizzazione":       {"p0001", "p0002"},
		"numero 2 planimetria": {"p0002"},
	} {
		if got, err := c.Search(q); err != nil || !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%q: %v (%v), want %v", q, got, err, want)
		}
	}
	if err := c.Rebuild(catalogueOf(1), "v2"); err != nil || c.Fingerprint() != "v2" {
		t.Fatal(err)
	}
	if got, _ := c.Search("autorizzazione"); len(got) != 0 {
		t.Errorf("after the rebuild: %v", got)
	}
}

// BenchmarkCatalogue measures a rebuild of a 300-procedure catalogue (what a new version
// costs the next search) and a search of it.
func BenchmarkCatalogue(b *testing.B) {
	ps := catalogueOf(300)
	c := NewCatalogue()
	b.Run("rebuild", func(b *testing.B) {
		for b.Loop() {
			if err := c.Rebuild(ps, "x"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("search", func(b *testing.B) {
		for b.Loop() {
			if got, err := c.Search("apertura bar"); err != nil || len(got) != 1 {
				b.Fatal(got, err)
			}
		}
	})
}
