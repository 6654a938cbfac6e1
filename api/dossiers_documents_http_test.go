package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestDocumentsInDossiers: an unregistered document is filed into one or more dossiers, takes
// its place in the index by its date, is refused by a closed dossier, and is disposed of with
// its dossier (its content is then gone).
func TestDocumentsInDossiers(t *testing.T) {
	now := apptest.NewClock(time.Time{})
	clock := apptest.WithClock(now.Now)
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		now.SetDay("2026-03-02")
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		ro := s.NewClient(t, "ro", []string{"records_officer"})
		c.json("POST", "/v1/classes", s.AdminToken, []map[string]any{
			{"code": "VI.3.7", "parent": "VI.3", "title": "Pratiche edilizie minori", "retention_years": 10},
		}).expect(t, http.StatusCreated)
		dossierBody := map[string]any{"class": "VI.3.7", "subject": "Pratica", "type": "procedimento", "office": "TEC"}
		a, b := c.mustOpen(op, dossierBody), c.mustOpen(op, dossierBody)
		meta := draft("Relazione istruttoria")
		meta["class"] = "VI.3.7"
		now.SetDay("2026-03-04")
		doc := c.mustDocument(op, meta, apptest.PDF("relazione"))
		now.SetDay("2026-03-03")
		reg := c.mustRegister(op, "Domanda")

		t.Run("InTwoDossiersByDate", func(t *testing.T) {
			var got api.Dossier
			c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, map[string]string{"document": doc.ID}).decode(t, http.StatusOK, &got)
			c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, map[string]string{"registration": refOf(reg)}).decode(t, http.StatusOK, &got)
			// The registration is dated before the document: it comes first, though filed after.
			if len(got.Items) != 2 || got.Items[0].Identifier != reg.Identifier || got.Items[1].Kind != "document" ||
				got.Items[1].ID != doc.ID || got.Items[1].Date != "2026-03-04" || got.Items[1].Subject != doc.Subject ||
				got.Items[1].Reference != "" || !slices.Equal(got.Metadata.IndiceDocumenti, []string{reg.Identifier, doc.ID}) {
				t.Errorf("index %+v, metadata %+v", got.Items, got.Metadata)
			}
			c.json("POST", "/v1/dossiers/"+b.Identifier+"/items", op, map[string]string{"document": doc.ID}).expect(t, http.StatusOK)
			var d api.Document
			c.do("GET", "/v1/documents/"+doc.ID, op, nil).decode(t, http.StatusOK, &d)
			if !slices.Equal(d.Dossiers, []string{a.Identifier, b.Identifier}) {
				t.Errorf("document dossiers %v", d.Dossiers)
			}
		})
		// A confidential document is only counted in the index of a dossier its reader handles:
		// neither its id nor its date is shown.
		t.Run("ConfidentialItemCounted", func(t *testing.T) {
			s.NewOffice(t, "RAG", "Ragioneria")
			clerk := s.NewClient(t, "clerk TEC", []string{"clerk"}, "TEC")
			secret := draft("Parere riservato")
			secret["class"], secret["confidential"], secret["offices"] = "VI.3.7", true, []string{"RAG"}
			hidden := c.mustDocument(op, secret, apptest.PDF("riservato"))
			other := c.mustOpen(op, dossierBody)
			c.json("POST", "/v1/dossiers/"+other.ID+"/items", op, map[string]string{"document": hidden.ID}).expect(t, http.StatusOK)
			var got api.Dossier
			r := c.do("GET", "/v1/dossiers/"+other.ID, clerk, nil)
			r.decode(t, http.StatusOK, &got)
			if strings.Contains(string(r.Body), hidden.ID) {
				t.Errorf("the clerk reads the hidden document's id: %s", r.Body)
			}
			if len(got.Items) != 0 || got.HiddenItems != 1 || len(got.Metadata.IndiceDocumenti) != 0 {
				t.Errorf("index seen by the clerk %+v, hidden %d, metadata %+v", got.Items, got.HiddenItems, got.Metadata)
			}
			c.do("GET", "/v1/dossiers/"+other.ID, op, nil).decode(t, http.StatusOK, &got)
			if len(got.Items) != 1 || got.HiddenItems != 0 || got.Items[0].ID != hidden.ID {
				t.Errorf("index seen by the operator %+v, hidden %d", got.Items, got.HiddenItems)
			}
			c.do("GET", "/v1/documents/"+hidden.ID, clerk, nil).problem(t, 404, "not_found")
		})
		t.Run("AgainChangesNothing", func(t *testing.T) {
			var got api.Dossier
			c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, map[string]string{"document": doc.ID}).decode(t, http.StatusOK, &got)
			if len(got.Items) != 2 {
				t.Errorf("items %+v", got.Items)
			}
			var h api.History
			c.do("GET", "/v1/dossiers/"+a.ID+"/history", op, nil).decode(t, http.StatusOK, &h)
			added := 0
			for _, e := range h.Items {
				if e.Action == "dossier.item_added" && strings.Contains(e.Detail, doc.ID) {
					added++
				}
			}
			if added != 1 {
				t.Errorf("%d item_added events for the document, want 1: %+v", added, h.Items)
			}
		})
		t.Run("ErrBadDocument", func(t *testing.T) {
			namesField(t, c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, map[string]string{"document": "missing"}).
				problem(t, 422, "validation_failed"), "document", "not found")
			c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, map[string]string{"document": doc.ID, "registration": refOf(reg)}).
				problem(t, 422, "validation_failed")
		})

		c.json("POST", "/v1/dossiers/"+a.ID+"/close", op, map[string]string{"reason": "Concluso"}).expect(t, http.StatusOK)
		c.json("POST", "/v1/dossiers/"+b.ID+"/close", op, map[string]string{"reason": "Concluso"}).expect(t, http.StatusOK)
		t.Run("ErrClosedDossier", func(t *testing.T) {
			other := c.mustDocument(op, meta, apptest.PDF("tardiva"))
			c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, map[string]string{"document": other.ID}).problem(t, http.StatusConflict, "conflict")
		})

		now.SetDay("2037-01-10")
		t.Run("DisposedWithItsDossiers", func(t *testing.T) {
			var rec api.Disposal
			c.json("POST", "/v1/disposals", ro, map[string]any{"authorization": "Soprintendenza 7/2037",
				"items": []string{a.Identifier, b.Identifier}}).decode(t, http.StatusCreated, &rec)
			found := false
			for _, it := range rec.Items {
				found = found || (it.Kind == "document" && it.ID == doc.ID && len(it.Files) == 1 && it.Files[0].SHA256 == doc.Document.SHA256)
			}
			if !found {
				t.Errorf("disposal record does not list the document: %+v", rec.Items)
			}
			p := c.do("GET", "/v1/documents/"+doc.ID+"/content", op, nil).problem(t, http.StatusGone, "gone")
			if !strings.Contains(p.Detail, rec.ID) {
				t.Errorf("detail %q does not name disposal %s", p.Detail, rec.ID)
			}
			var d api.Document
			c.do("GET", "/v1/documents/"+doc.ID, op, nil).decode(t, http.StatusOK, &d)
			if d.Disposal == nil || d.Disposal.ID != rec.ID {
				t.Errorf("disposed document %+v", d)
			}
			if blobStored(t, s.DataDir, doc.Document.SHA256) {
				t.Error("the disposed document's content is still stored")
			}
		})
		t.Run("ListedAsDisposed", func(t *testing.T) {
			var disposed, closed api.DossierList
			c.do("GET", "/v1/dossiers?status=disposed", op, nil).decode(t, http.StatusOK, &disposed)
			c.do("GET", "/v1/dossiers?status=closed", op, nil).decode(t, http.StatusOK, &closed)
			if len(disposed.Items) != 2 || disposed.Items[0].Status != "disposed" || len(closed.Items) != 0 {
				t.Errorf("disposed %d, closed %d", len(disposed.Items), len(closed.Items))
			}
		})
	}, clock)
}
