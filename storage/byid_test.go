package storage_test

import (
	"slices"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// manyUnknown returns more unknown ids than one chunk of a batch read holds, so a read with
// them crosses a chunk boundary.
func manyUnknown() []string {
	ids := make([]string, 1200)
	for i := range ids {
		ids[i] = domain.NewID()
	}
	return ids
}

// TestBatchReadsByID: the search projection loads the dossiers and documents of a batch of
// change events in one query per thousand ids, each as its single read returns it; unknown ids
// are absent, not errors.
func TestBatchReadsByID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withClasses(t)
		open := f.openDossier(t, newDossier())
		closed := f.openDossier(t, newDossier(func(d *domain.Dossier) { d.Subject = "Concessione demaniale" }))
		if _, err := f.db.UpdateDossier(t.Context(), closed.ID, func(d *domain.Dossier) (domain.Write, error) {
			return domain.Write{}, d.Close(testNow)
		}); err != nil {
			t.Fatal(err)
		}
		plain := f.createDocument(t, newDocument())
		registered := f.createDocument(t, newDocument(func(d *domain.Document) { d.Confidential = true }))
		r := newRegistration(func(r *domain.Registration) { r.Document = registered.File; r.Attachments = nil })
		w := created(r)
		w.Document = registered.ID
		if err := f.db.CreateRegistration(t.Context(), r, w); err != nil {
			t.Fatal(err)
		}

		t.Run("Dossiers", func(t *testing.T) {
			ids := append(manyUnknown(), open.ID, closed.ID, registered.ID)
			got, err := f.db.DossiersByID(t.Context(), ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("%d dossiers, want 2", len(got))
			}
			for _, want := range []*domain.Dossier{open, closed} {
				single, err := f.db.Dossier(t.Context(), want.ID)
				if err != nil {
					t.Fatal(err)
				}
				d := got[want.ID]
				if d == nil || d.Identifier != single.Identifier || d.Subject != single.Subject || d.Status != single.Status ||
					d.Office != single.Office || d.Type != single.Type || !d.OpenedAt.Equal(single.OpenedAt) || d.Position != single.Position {
					t.Errorf("batch read %+v, single read %+v", d, single)
				}
			}
			if got[closed.ID].Status != domain.DossierClosed || got[open.ID].Status != domain.DossierOpen {
				t.Errorf("statuses %s, %s", got[open.ID].Status, got[closed.ID].Status)
			}
		})
		t.Run("Documents", func(t *testing.T) {
			ids := append(manyUnknown(), plain.ID, registered.ID, open.ID)
			got, err := f.db.DocumentsByID(t.Context(), ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("%d documents, want 2", len(got))
			}
			if d := got[plain.ID]; d == nil || d.Subject != plain.Subject || d.Registration != nil ||
				!slices.Equal(d.Offices, plain.Offices) || d.Confidential {
				t.Errorf("plain document %+v", d)
			}
			if d := got[registered.ID]; d == nil || !d.Confidential || d.Registration == nil ||
				d.Registration.ID != r.ID || d.Registration.Identifier != r.Identifier {
				t.Errorf("registered document %+v", d)
			}
		})
		t.Run("NoIDs", func(t *testing.T) {
			ds, err := f.db.DossiersByID(t.Context(), nil)
			if err != nil || len(ds) != 0 {
				t.Errorf("dossiers %v, %v", ds, err)
			}
		})
	})
}
