package search

import (
	"testing"

	"github.com/sportello/sportello/domain"
)

// The confidential fixture r45 is assigned to office PER and registered by op2.
func TestVisibility(t *testing.T) {
	x := openFixtures(t)
	facets := []string{"office", "class"}
	t.Run("ConfidentialHiddenFromOtherOffice", func(t *testing.T) {
		res := expect(t, x, Query{Q: "certificato", Facets: facets, Visibility: operatorT}, "r42", "d2026-7")
		if got := facetText(res.Facets["office"]); got != "ANA:2" {
			t.Errorf("office facet %q counts the confidential registration", got)
		}
		if got := facetText(res.Facets["class"]); got != "VI.3.2:2" {
			t.Errorf("class facet %q counts the confidential registration", got)
		}
	})
	t.Run("ConfidentialHiddenFromClerkOfOtherOffice", func(t *testing.T) {
		clerk := domain.VisibilityOf(domain.Principal{ID: "c1", Roles: []domain.Role{domain.RoleClerk}, Offices: []string{"TEC"}})
		expect(t, x, Query{Q: "certificato", Visibility: clerk})
		expect(t, x, Query{Visibility: clerk}, "r43", "r44", "r2025-10")
	})
	t.Run("ConfidentialVisibleToItsOffice", func(t *testing.T) {
		clerk := domain.VisibilityOf(domain.Principal{ID: "c2", Roles: []domain.Role{domain.RoleClerk}, Offices: []string{"PER"}})
		res := expect(t, x, Query{Q: "certificato", Facets: facets, Visibility: clerk}, "r45")
		if got := facetText(res.Facets["office"]); got != "PER:1" {
			t.Errorf("office facet %q", got)
		}
	})
	t.Run("ConfidentialVisibleToRecordsOfficer", func(t *testing.T) {
		ro := domain.VisibilityOf(domain.Principal{ID: "ro", Roles: []domain.Role{domain.RoleRecordsOfficer}})
		res := expect(t, x, Query{Q: "certificato", Facets: facets, Visibility: ro}, "r42", "r45", "d2026-7")
		if got := facetText(res.Facets["office"]); got != "ANA:2 PER:1" {
			t.Errorf("office facet %q", got)
		}
	})
	t.Run("ConfidentialVisibleToWhoRegisteredIt", func(t *testing.T) {
		expect(t, x, Query{Visibility: domain.Visibility{CreatedBy: "op2"}}, "r44", "r45")
	})
	t.Run("ConfidentialRefNotRevealed", func(t *testing.T) {
		expect(t, x, Query{Q: "PG/2026/45", Visibility: operatorT})
	})
	t.Run("ZeroVisibilitySeesNothing", func(t *testing.T) {
		res, err := x.Search(t.Context(), Query{Facets: facets})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 0 || len(res.Items) != 0 || len(res.Facets["office"]) != 0 {
			t.Errorf("zero visibility found %+v", res)
		}
	})
}
