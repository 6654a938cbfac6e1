package storage_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage/migrations"
)

// newDocument returns a valid unregistered document in VI.3 assigned to TEC.
func newDocument(changes ...func(d *domain.Document)) *domain.Document {
	d := &domain.Document{ID: domain.NewID(), Subject: "Bozza di determina", Class: "VI.3", Offices: []string{"TEC"},
		File:      domain.File{Filename: "bozza.pdf", MediaType: "application/pdf", Size: 10, SHA256: strings.Repeat("3c", 32)},
		CreatedAt: testNow, CreatedBy: "operator", Dossiers: []string{}}
	for _, c := range changes {
		c(d)
	}
	return d
}

// documentWrite is the Write of a document's creation.
func documentWrite(d *domain.Document) domain.Write {
	return domain.Write{Audit: []domain.AuditEvent{{At: testNow, Actor: d.CreatedBy, Action: "document.created",
		EntityKind: domain.KindDocument, EntityID: d.ID}}}
}

func (f *fixture) createDocument(t testing.TB, d *domain.Document) *domain.Document {
	t.Helper()
	if err := f.db.CreateDocument(t.Context(), d, documentWrite(d)); err != nil {
		t.Fatalf("create document: %v", err)
	}
	return d
}

// lastChange returns the newest change-feed event.
func (f *fixture) lastChange(t testing.TB) (kind, entityKind, entityID string) {
	t.Helper()
	if err := f.raw.QueryRow(`SELECT kind, entity_kind, entity_id FROM change_events ORDER BY position DESC LIMIT 1`).
		Scan(&kind, &entityKind, &entityID); err != nil {
		t.Fatal(err)
	}
	return kind, entityKind, entityID
}

func TestDocuments(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withClasses(t)
		d := f.createDocument(t, newDocument())

		t.Run("StoredWithChangeAndAuditEvents", func(t *testing.T) {
			got, err := f.db.Document(t.Context(), d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != d.Subject || got.File != d.File || !slices.Equal(got.Offices, []string{"TEC"}) ||
				!got.CreatedAt.Equal(testNow.Truncate(1000)) || got.Registration != nil || got.Position != d.Position || d.Position == 0 {
				t.Errorf("document %+v, created %+v", got, d)
			}
			if kind, ek, id := f.lastChange(t); kind != "document.created" || ek != domain.KindDocument || id != d.ID {
				t.Errorf("change event %s %s %s", kind, ek, id)
			}
			events, err := f.db.Audit(t.Context(), domain.KindDocument, d.ID)
			if err != nil || len(events) != 1 || events[0].Action != "document.created" {
				t.Errorf("audit %+v, %v", events, err)
			}
		})
		t.Run("ErrUnknownClass", func(t *testing.T) {
			wantCode(t, f.db.CreateDocument(t.Context(), newDocument(func(d *domain.Document) { d.Class = "IX.9" }), domain.Write{}), domain.ECValidation)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := f.db.Document(t.Context(), "missing")
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("ContentInUseByIndex", func(t *testing.T) {
			if used, err := f.db.ContentInUse(t.Context(), d.File.SHA256); err != nil || !used {
				t.Fatalf("content of an unregistered document: in use %v, %v", used, err)
			}
			if n := f.queryInt(t, `SELECT count(*) FROM content_refs WHERE owner_kind = 'document'`); n != 1 {
				t.Errorf("%d content refs of documents", n)
			}
		})

		// The database itself keeps a document's content and description immutable and never
		// deletes it, whatever path the change comes by.
		t.Run("GuardsRefuseChanges", func(t *testing.T) {
			for _, q := range []string{
				`UPDATE documents SET subject = 'altro' WHERE id = ?`,
				`UPDATE documents SET sha256 = '` + strings.Repeat("00", 32) + `' WHERE id = ?`,
				`UPDATE documents SET filename = 'x.pdf' WHERE id = ?`,
				`UPDATE documents SET class = 'VII' WHERE id = ?`,
				`DELETE FROM documents WHERE id = ?`,
			} {
				if err := f.exec(q, d.ID); err == nil {
					t.Errorf("%s: accepted", q)
				}
			}
		})

		// A document is registered at most once, and the check is the conditional update inside
		// the registration's transaction: a second registration of it is a conflict that
		// consumes no number, however it got past the domain's checks.
		t.Run("RegisteredAtMostOnce", func(t *testing.T) {
			first := newRegistration(func(r *domain.Registration) { r.Document = d.File; r.Attachments = nil })
			w := created(first)
			w.Document = d.ID
			if err := f.db.CreateRegistration(t.Context(), first, w); err != nil {
				t.Fatal(err)
			}
			got, err := f.db.Document(t.Context(), d.ID)
			if err != nil || got.Registration == nil || got.Registration.ID != first.ID || got.Registration.Identifier != first.Identifier ||
				got.Position <= d.Position {
				t.Fatalf("document after registration %+v, %v", got, err)
			}
			second := newRegistration(func(r *domain.Registration) { r.Document = d.File; r.Attachments = nil })
			w = created(second)
			w.Document = d.ID
			wantCode(t, f.db.CreateRegistration(t.Context(), second, w), domain.ECConflict)
			if n := f.queryInt(t, `SELECT count(*) FROM registrations`); n != 1 {
				t.Errorf("%d registrations stored", n)
			}
			if err := f.exec(`UPDATE documents SET registration_id = NULL WHERE id = ?`, d.ID); err == nil {
				t.Error("the registration of a document was undone")
			}
		})

		t.Run("FiledInDossiers", func(t *testing.T) {
			a, b := f.openDossier(t, newDossier()), f.openDossier(t, newDossier())
			doc := f.createDocument(t, newDocument())
			for _, dossier := range []*domain.Dossier{a, b, a} {
				if _, err := f.db.FileDocument(t.Context(), dossier.ID, doc.ID, domain.Write{Actor: "operator", At: testNow}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := f.db.Document(t.Context(), doc.ID)
			if err != nil || !slices.Equal(got.Dossiers, []string{a.Identifier, b.Identifier}) {
				t.Fatalf("dossiers %v, %v", got.Dossiers, err)
			}
			index, err := f.db.Dossier(t.Context(), a.ID)
			if err != nil || len(index.Items) != 1 || index.Items[0].Kind != domain.ItemDocument || index.Items[0].Document.ID != doc.ID {
				t.Fatalf("index %+v, %v", index.Items, err)
			}
			if _, err := f.db.UpdateDossier(t.Context(), b.ID, func(d *domain.Dossier) (domain.Write, error) {
				return domain.Write{}, d.Close(testNow)
			}); err != nil {
				t.Fatal(err)
			}
			// The same filing sent several times at once: one adds it, the others change nothing.
			c := f.openDossier(t, newDossier())
			var wg sync.WaitGroup
			var mu sync.Mutex
			added := 0
			for range 4 {
				wg.Go(func() {
					ok, err := f.db.FileDocument(context.Background(), c.ID, doc.ID, domain.Write{Actor: "operator", At: testNow})
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						t.Errorf("concurrent filing: %v", err)
					}
					if ok {
						added++
					}
				})
			}
			wg.Wait()
			if n := f.queryInt(t, `SELECT count(*) FROM dossier_documents WHERE dossier_id = '`+c.ID+`'`); added != 1 || n != 1 {
				t.Errorf("concurrent filings: %d added, %d rows", added, n)
			}
			other := f.createDocument(t, newDocument())
			_, err = f.db.FileDocument(t.Context(), b.ID, other.ID, domain.Write{Actor: "operator", At: testNow})
			wantCode(t, err, domain.ECConflict)
			if err := f.exec(`DELETE FROM dossier_documents WHERE dossier_id = ?`, a.ID); err == nil {
				t.Error("a filed document was unfiled")
			}
		})
	})
}

// TestContentRefsBackfill runs the backfill statements of migration 7 over registrations that
// have no digest index yet (as before the migration): every document and attachment digest
// of every registration is indexed once.
func TestContentRefsBackfill(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		r := f.register(t, newRegistration())
		same := f.register(t, newRegistration(func(x *domain.Registration) { x.Attachments = []domain.File{x.Document} }))
		if err := f.exec(`DELETE FROM content_refs`); err != nil {
			t.Fatal(err)
		}
		engine := "sqlite"
		if f.postgres() {
			engine = "postgres"
		}
		ms, err := migrations.For(engine)
		if err != nil {
			t.Fatal(err)
		}
		ran := 0
		for _, m := range ms {
			if m.Version != 7 {
				continue
			}
			for stmt := range strings.SplitSeq(m.SQL, ";\n") {
				if s := strings.TrimSpace(stmt); strings.HasPrefix(s, "INSERT") && strings.Contains(s, "content_refs") {
					if err := f.exec(s); err != nil {
						t.Fatalf("%s: %v", s, err)
					}
					ran++
				}
			}
		}
		if ran == 0 {
			t.Fatal("migration 7 has no backfill of content_refs")
		}
		for _, c := range []struct {
			owner, digest string
		}{{r.ID, r.Document.SHA256}, {r.ID, r.Attachments[0].SHA256}, {same.ID, same.Document.SHA256}} {
			var n int
			q := `SELECT count(*) FROM content_refs WHERE owner_kind = 'registration' AND owner_id = '` + c.owner + `' AND sha256 = '` + c.digest + `'`
			if err := f.raw.QueryRow(q).Scan(&n); err != nil || n != 1 {
				t.Errorf("%s of %s indexed %d times, %v", c.digest, c.owner, n, err)
			}
		}
		if n := f.queryInt(t, `SELECT count(*) FROM content_refs`); n != 3 {
			t.Errorf("%d content refs, want 3", n)
		}
		if used, err := f.db.ContentInUse(t.Context(), r.Attachments[0].SHA256); err != nil || !used {
			t.Errorf("attachment in use %v, %v", used, err)
		}
	})
}
