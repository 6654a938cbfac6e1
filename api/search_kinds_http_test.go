package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// rome is where the API reckons the dates of dossiers and documents.
func rome(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// hitIDs returns the ids of a search result's items, sorted.
func hitIDs(res api.SearchResult) []string {
	ids := []string{}
	for _, it := range res.Items {
		ids = append(ids, it.ID)
	}
	slices.Sort(ids)
	return ids
}

// facetTotal adds up the counts of one facet.
func facetTotal(res api.SearchResult, facet string) int {
	n := 0
	for _, f := range res.Facets[facet] {
		n += f.Count
	}
	return n
}

// TestSearchDossiersAndDocuments: the search index holds dossiers and unregistered documents
// beside registrations, each shown only to who may open it (GET /v1/dossiers/{id},
// GET /v1/documents/{id}), in hits, totals and facets alike, and follows their changes.
func TestSearchDossiersAndDocuments(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		s.NewOffice(t, "RAG", "Ragioneria")
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		otherOp := s.NewClient(t, "other operator", []string{"protocol_operator"})
		officer := s.NewClient(t, "records", []string{"records_officer"})
		clerkTEC := s.NewClient(t, "clerk TEC", []string{"clerk"}, "TEC")
		clerkRAG := s.NewClient(t, "clerk RAG", []string{"clerk"}, "RAG")
		portal := s.NewClient(t, "portal", []string{"portal"})

		dossier := c.mustOpen(op, newDossierBody("Manutenzione straordinaria della scuola Carducci"))
		plain := c.mustDocument(op, map[string]any{"subject": "Bozza di delibera sulle aiuole", "class": "VI.3",
			"offices": []string{"RAG"}, "description": "Verde pubblico"}, apptest.PDF("aiuole"))
		secret := c.mustDocument(op, map[string]any{"subject": "Relazione ispettiva riservatissima", "class": "VI.3",
			"offices": []string{"TEC"}, "confidential": true}, apptest.PDF("ispezione"))
		last := max(dossier.Position, plain.Position, secret.Position)

		t.Run("DossierBySubjectWord", func(t *testing.T) {
			res := searchFor(t, c, clerkTEC, last, url.Values{"q": {"manutenzione"}})
			if res.Total != 1 || res.Items[0].ID != dossier.ID || res.Items[0].Kind != "dossier" ||
				res.Items[0].Identifier != dossier.Identifier || res.Items[0].Subject != dossier.Subject ||
				res.Items[0].Date != dossier.OpenedAt.In(rome(t)).Format("2006-01-02") {
				t.Fatalf("manutenzione: %+v", res)
			}
			if len(res.Items[0].Highlights["subject"]) == 0 {
				t.Errorf("no highlight: %+v", res.Items[0])
			}
		})
		t.Run("DossierByIdentifier", func(t *testing.T) {
			res := searchFor(t, c, op, last, url.Values{"q": {dossier.Identifier}})
			if res.Total != 1 || res.Items[0].ID != dossier.ID {
				t.Fatalf("%s: %+v", dossier.Identifier, res)
			}
		})
		t.Run("DocumentBySubject", func(t *testing.T) {
			res := searchFor(t, c, op, last, url.Values{"q": {"delibera aiuole"}})
			if res.Total != 1 || res.Items[0].ID != plain.ID || res.Items[0].Kind != "document" ||
				res.Items[0].Identifier != plain.ID || res.Items[0].Date != plain.CreatedAt.In(rome(t)).Format("2006-01-02") {
				t.Fatalf("delibera aiuole: %+v", res)
			}
		})
		t.Run("KindFilterAndFacet", func(t *testing.T) {
			res := searchFor(t, c, officer, last, url.Values{"kind": {"dossier,document"}, "facets": {"kind"}})
			if want := []string{dossier.ID, plain.ID, secret.ID}; !slices.Equal(hitIDs(res), slices.Sorted(slices.Values(want))) {
				t.Fatalf("kind=dossier,document: %+v", res)
			}
			if got := res.Facets["kind"]; len(got) != 2 || got[0] != (api.FacetCount{Term: "document", Count: 2}) ||
				got[1] != (api.FacetCount{Term: "dossier", Count: 1}) {
				t.Errorf("kind facet %+v", got)
			}
			namesField(t, c.do("GET", "/v1/search?kind=case", op, nil).problem(t, 422, "validation_failed"), "kind", "unknown kind")
		})
		t.Run("ConfidentialDocumentHiddenFromOtherOffice", func(t *testing.T) {
			params := url.Values{"q": {"relazione ispettiva"}, "facets": {"office,kind,class"}}
			res := searchFor(t, c, clerkRAG, last, params)
			if res.Total != 0 || len(res.Items) != 0 || facetTotal(res, "office")+facetTotal(res, "kind")+facetTotal(res, "class") != 0 {
				t.Fatalf("clerk of RAG sees the confidential document: %+v", res)
			}
			// Nor does another protocol operator of no office, who reads every non-confidential record.
			if res := searchFor(t, c, otherOp, last, params); res.Total != 0 {
				t.Fatalf("operator sees the confidential document: %+v", res)
			}
			for name, tok := range map[string]string{"clerk of TEC": clerkTEC, "records officer": officer, "its creator": op} {
				res := searchFor(t, c, tok, last, params)
				if res.Total != 1 || res.Items[0].ID != secret.ID || facetTotal(res, "office") != 1 {
					t.Fatalf("%s: %+v", name, res)
				}
			}
		})
		t.Run("PortalFindsNoDossierNorDocument", func(t *testing.T) {
			res := searchFor(t, c, portal, last, url.Values{"kind": {"dossier,document"}, "facets": {"kind"}}, "X-Applicant-Id", bizApplicant)
			if res.Total != 0 || len(res.Items) != 0 || facetTotal(res, "kind") != 0 {
				t.Fatalf("portal sees %+v", res)
			}
		})
		t.Run("ClosingUpdatesStatus", func(t *testing.T) {
			var closed api.Dossier
			c.json("POST", "/v1/dossiers/"+dossier.ID+"/close", op, map[string]string{"reason": "Lavori conclusi"}).
				decode(t, http.StatusOK, &closed)
			params := url.Values{"q": {"manutenzione"}, "kind": {"dossier"}, "facets": {"status"}}
			res := searchFor(t, c, op, closed.Position, params)
			if res.Total != 1 || len(res.Facets["status"]) != 1 || res.Facets["status"][0] != (api.FacetCount{Term: "closed", Count: 1}) {
				t.Fatalf("after closing: %+v", res)
			}
			params.Set("q", "manutenzione status:open")
			if res := searchFor(t, c, op, closed.Position, params); res.Total != 0 {
				t.Fatalf("a closed dossier still found as open: %+v", res)
			}
		})
	})
}
