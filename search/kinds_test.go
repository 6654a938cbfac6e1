package search

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
)

var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return loc
}()

// Late on 28 November in UTC is already 29 November in Rome.
var lateEvening = time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC)

func testDossier() *domain.Dossier {
	return &domain.Dossier{ID: "dos1", Identifier: "2026-VI.3-000012", Year: 2026, Class: "VI.3", Number: 12,
		Subject: "Lavori di manutenzione della scuola elementare", Type: domain.DossierProcedimento, Office: "TEC",
		Status: domain.DossierOpen, OpenedAt: lateEvening, CreatedBy: "op1", Position: 7}
}

func testDocuments() (open, confidential *domain.Document) {
	open = &domain.Document{ID: "doc1", Subject: "Bozza di delibera sul verde pubblico", Description: "Aiuole e giardini",
		Class: "VI.3", Offices: []string{"ANA"}, CreatedAt: lateEvening, CreatedBy: "op1", Position: 8}
	confidential = &domain.Document{ID: "doc2", Subject: "Relazione disciplinare riservata", Class: "III",
		Offices: []string{"TEC"}, Confidential: true, CreatedAt: lateEvening, CreatedBy: "op2", Position: 9,
		Registration: &domain.DocumentRegistration{ID: "r99", Identifier: "c_h501-A1B2C3D-PG-2026-0000099"}}
	return open, confidential
}

func TestFromDossierAndDocument(t *testing.T) {
	d := FromDossier(testDossier(), rome)
	if d.Kind != KindDossier || d.Identifier != "2026-VI.3-000012" || !d.Date.Equal(day("2026-11-29")) ||
		d.shardMonth() != 202611 || !slices.Equal(d.Offices, []string{"TEC"}) || d.Status != "open" ||
		d.Type != "procedimento" || d.CreatedBy != "op1" || d.Position != 7 {
		t.Errorf("dossier %+v", d)
	}
	_, conf := testDocuments()
	doc := FromDocument(conf, rome)
	if doc.Kind != KindDocument || doc.Identifier != "doc2" || !doc.Date.Equal(day("2026-11-29")) || doc.Year != 2026 ||
		!doc.Confidential || !slices.Equal(doc.Registration, []string{"r99", "c_h501-A1B2C3D-PG-2026-0000099"}) {
		t.Errorf("document %+v", doc)
	}
}

// openKinds opens the fixtures plus a dossier and two documents.
func openKinds(t *testing.T) *Index {
	t.Helper()
	x := openFixtures(t)
	open, conf := testDocuments()
	if err := x.Put(context.Background(), FromDossier(testDossier(), rome), FromDocument(open, rome),
		FromDocument(conf, rome)); err != nil {
		t.Fatal(err)
	}
	return x
}

// as returns q with the visibilities the API gives p.
func as(p domain.Principal, q Query) Query {
	q.Visibility, q.DossierVisibility = domain.VisibilityOf(p), domain.DossierVisibilityOf(p)
	return q
}

var recordsOfficer = domain.Principal{ID: "ro", Roles: []domain.Role{domain.RoleRecordsOfficer}}

func TestDossiersAndDocumentsFound(t *testing.T) {
	x := openKinds(t)
	cases := []struct {
		name string
		q    Query
		want []string
	}{
		{"DossierBySubjectWord", Query{Q: "manutenzione"}, []string{"dos1"}},
		{"DossierByIdentifier", Query{Q: "2026-VI.3-000012"}, []string{"dos1"}},
		{"DossierByType", Query{Q: "type:procedimento"}, []string{"dos1"}},
		{"DocumentBySubject", Query{Q: "delibera verde"}, []string{"doc1"}},
		{"DocumentByDescription", Query{Q: "giardini"}, []string{"doc1"}},
		{"DocumentByItsRegistration", Query{Q: "registration:c_h501-A1B2C3D-PG-2026-0000099"}, []string{"doc2"}},
		{"KindFilter", Query{Kinds: []string{KindDossier, KindDocument}}, []string{"dos1", "doc1", "doc2"}},
		{"KindFilterOne", Query{Q: "class:VI.3", Kinds: []string{KindDocument}}, []string{"doc1"}},
		{"OpeningDateRange", Query{Kinds: []string{KindDossier}, From: day("2026-11-29"), To: day("2026-11-29")}, []string{"dos1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := search(t, x, as(recordsOfficer, c.q))
			if got, want := ids(res, true), slices.Sorted(slices.Values(c.want)); !slices.Equal(got, want) || res.Total != uint64(len(want)) {
				t.Errorf("got %v (total %d), want %v", got, res.Total, want)
			}
		})
	}
	t.Run("KindFacet", func(t *testing.T) {
		res := search(t, x, as(recordsOfficer, Query{Facets: []string{"kind"}}))
		if got := facetText(res.Facets["kind"]); got != "registration:6 document:2 dossier:1" {
			t.Errorf("kind facet %q", got)
		}
	})
	t.Run("ErrUnknownKind", func(t *testing.T) {
		_, err := x.Search(t.Context(), as(recordsOfficer, Query{Kinds: []string{"case"}}))
		wantCode(t, err, domain.ECValidation)
	})
}

// TestVisibilityOfDossiersAndDocuments: for every kind of caller, the index shows a dossier or
// document exactly when the domain lets the caller open it (GET /v1/dossiers/{id},
// GET /v1/documents/{id}), and totals and facets count nothing else.
func TestVisibilityOfDossiersAndDocuments(t *testing.T) {
	x := openKinds(t)
	dossier := testDossier()
	open, conf := testDocuments()
	principals := map[string]domain.Principal{
		"RecordsOfficer":     recordsOfficer,
		"ProtocolOperator":   {ID: "op9", Roles: []domain.Role{domain.RoleProtocolOperator}},
		"Admin":              {ID: "adm", Roles: []domain.Role{domain.RoleAdmin}},
		"ClerkTEC":           {ID: "c1", Roles: []domain.Role{domain.RoleClerk}, Offices: []string{"TEC"}},
		"ClerkANA":           {ID: "c2", Roles: []domain.Role{domain.RoleClerk}, Offices: []string{"ANA"}},
		"ClerkOther":         {ID: "c3", Roles: []domain.Role{domain.RoleClerk}, Offices: []string{"PER"}},
		"CreatorOfConfDoc":   {ID: "op2", Roles: []domain.Role{domain.RoleImporter}},
		"ImporterWithOffice": {ID: "imp", Roles: []domain.Role{domain.RoleImporter}, Offices: []string{"TEC"}},
		"Portal":             {ID: "portal", Roles: []domain.Role{domain.RolePortal}, Offices: []string{"TEC"}},
		"PortalForApplicant": {ID: "portal", Roles: []domain.Role{domain.RolePortal}, Applicant: "RSSMRA80A01H501U"},
		"PortalAndClerk":     {ID: "pc", Roles: []domain.Role{domain.RolePortal, domain.RoleClerk}, Offices: []string{"TEC"}},
	}
	for name, p := range principals {
		t.Run(name, func(t *testing.T) {
			want := []string{}
			if domain.DossierVisibilityOf(p).AllowsDossier(dossier) {
				want = append(want, dossier.ID)
			}
			for _, d := range []*domain.Document{open, conf} {
				if domain.VisibilityOf(p).AllowsDocument(d) {
					want = append(want, d.ID)
				}
			}
			slices.Sort(want)
			q := as(p, Query{Kinds: []string{KindDossier, KindDocument}, Facets: []string{"kind", "office"}})
			res := search(t, x, q)
			if got := ids(res, true); !slices.Equal(got, want) || res.Total != uint64(len(want)) {
				t.Errorf("got %v (total %d), want %v", got, res.Total, want)
			}
			counted := 0
			for _, f := range res.Facets["kind"] {
				counted += f.Count
			}
			if counted != len(want) {
				t.Errorf("kind facet counts %d, want %d", counted, len(want))
			}
			// A word of the confidential document's subject finds nothing for who may not open it.
			res = search(t, x, as(p, Query{Q: "disciplinare", Kinds: []string{KindDocument}, Facets: []string{"office"}}))
			if visible := slices.Contains(want, conf.ID); visible != (res.Total == 1) || (!visible && len(res.Facets["office"]) != 0) {
				t.Errorf("confidential document: visible %v, total %d, facets %v", visible, res.Total, res.Facets)
			}
		})
	}
	t.Run("ExpectedMatrix", func(t *testing.T) {
		// The domain rules the test follows, spelled out, so a change in them is noticed here.
		for name, want := range map[string]bool{"Portal": false, "PortalForApplicant": false, "ClerkANA": false, "ClerkTEC": true} {
			if got := domain.DossierVisibilityOf(principals[name]).AllowsDossier(dossier); got != want {
				t.Errorf("%s may open the TEC dossier: %v, want %v", name, got, want)
			}
		}
		if domain.VisibilityOf(principals["ClerkANA"]).AllowsDocument(conf) || !domain.VisibilityOf(principals["ClerkTEC"]).AllowsDocument(conf) {
			t.Error("confidential TEC document: rules changed")
		}
	})
}
