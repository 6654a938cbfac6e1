package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// postDocument posts a multipart unregistered document.
func (c *client) postDocument(token string, metadata any, parts []apptest.Part, headers ...string) *response {
	c.t.Helper()
	ct, body := apptest.Multipart(metadata, parts...)
	return c.do("POST", "/v1/documents", token, body, append([]string{"Content-Type", ct}, headers...)...)
}

// mustDocument stores a PDF as an unregistered document with metadata and returns it.
func (c *client) mustDocument(token string, metadata map[string]any, content []byte) api.Document {
	c.t.Helper()
	var d api.Document
	c.postDocument(token, metadata, []apptest.Part{{Name: "document", Filename: "bozza.pdf", Content: content}}).decode(c.t, http.StatusCreated, &d)
	return d
}

func draft(subject string) map[string]any {
	return map[string]any{"subject": subject, "class": "VI.3", "offices": []string{"TEC"}, "description": "Prima bozza"}
}

// TestDocuments: unregistered documents are stored with a sniffed media type and their digest,
// read back and downloaded byte-exact under the visibility rules of registrations, and refused
// with a clear problem when the input is wrong.
func TestDocuments(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		s.NewOffice(t, "RAG", "Ragioneria")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		ro := s.NewClient(t, "ro", []string{"records_officer"})
		clerkTEC := s.NewClient(t, "clerk TEC", []string{"clerk"}, "TEC")
		clerkRAG := s.NewClient(t, "clerk RAG", []string{"clerk"}, "RAG")
		portal := s.NewClient(t, "portal", []string{"portal"})
		content := apptest.PDF("Bozza di determina")
		sum := sha256.Sum256(content)

		var doc api.Document
		t.Run("Created", func(t *testing.T) {
			r := c.postDocument(op, draft("Bozza di determina"), []apptest.Part{{Name: "document", Filename: "bozza.pdf", Content: content}})
			r.decode(t, http.StatusCreated, &doc)
			if doc.ID == "" || doc.Subject != "Bozza di determina" || doc.Class != "VI.3" || !slices.Equal(doc.Offices, []string{"TEC"}) ||
				doc.Description != "Prima bozza" || doc.Document.MediaType != "application/pdf" || doc.Document.Size != int64(len(content)) ||
				doc.Document.SHA256 != hex.EncodeToString(sum[:]) || doc.Document.Filename != "bozza.pdf" || doc.Registration != nil ||
				len(doc.Dossiers) != 0 || doc.Position == 0 || doc.CreatedAt.IsZero() || doc.CreatedBy == "" {
				t.Errorf("document %+v", doc)
			}
			if r.Header.Get("Location") != "/v1/documents/"+doc.ID {
				t.Errorf("Location %q", r.Header.Get("Location"))
			}
			var got api.Document
			c.do("GET", "/v1/documents/"+doc.ID, op, nil).decode(t, http.StatusOK, &got)
			if got.ID != doc.ID || !reflect.DeepEqual(got.Document, doc.Document) {
				t.Errorf("read back %+v", got)
			}
		})
		t.Run("ContentByteExact", func(t *testing.T) {
			r := c.do("GET", "/v1/documents/"+doc.ID+"/content", op, nil)
			r.expect(t, http.StatusOK)
			if !bytes.Equal(r.Body, content) || r.Header.Get("Content-Type") != "application/pdf" || r.Header.Get("ETag") != `"`+doc.Document.SHA256+`"` {
				t.Errorf("content %d bytes, type %q, etag %q", len(r.Body), r.Header.Get("Content-Type"), r.Header.Get("ETag"))
			}
		})
		t.Run("IdempotentRetry", func(t *testing.T) {
			parts := []apptest.Part{{Name: "document", Filename: "b.pdf", Content: apptest.PDF("retry")}}
			var first, again api.Document
			c.postDocument(op, draft("Ritentata"), parts, "Idempotency-Key", "doc-1").decode(t, http.StatusCreated, &first)
			r := c.postDocument(op, draft("Ritentata"), parts, "Idempotency-Key", "doc-1")
			r.decode(t, http.StatusCreated, &again)
			if again.ID != first.ID || r.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("retry %s (replayed %q), first %s", again.ID, r.Header.Get("Idempotent-Replayed"), first.ID)
			}
			c.postDocument(op, draft("Altra"), parts, "Idempotency-Key", "doc-1").problem(t, 422, "idempotency_mismatch")
		})

		// Confidential documents follow the rules of confidential registrations; portals see
		// no document, since they never create one.
		t.Run("Visibility", func(t *testing.T) {
			meta := draft("Riservata")
			meta["confidential"] = true
			secret := c.mustDocument(op, meta, apptest.PDF("riservata"))
			for _, tok := range []string{op, ro, clerkTEC} {
				c.do("GET", "/v1/documents/"+secret.ID, tok, nil).expect(t, http.StatusOK)
				c.do("GET", "/v1/documents/"+secret.ID+"/content", tok, nil).expect(t, http.StatusOK)
			}
			other := s.NewClient(t, "other op", []string{"protocol_operator"})
			for _, tok := range []string{clerkRAG, portal, other} {
				c.do("GET", "/v1/documents/"+secret.ID, tok, nil, forPortal(tok, portal)...).problem(t, 404, "not_found")
				c.do("GET", "/v1/documents/"+secret.ID+"/content", tok, nil, forPortal(tok, portal)...).problem(t, 404, "not_found")
			}
			c.do("GET", "/v1/documents/"+doc.ID, other, nil).expect(t, http.StatusOK)
			c.do("GET", "/v1/documents/"+doc.ID, portal, nil, "X-Applicant-Id", bizApplicant).problem(t, 404, "not_found")
			c.do("GET", "/v1/documents/missing", ro, nil).problem(t, 404, "not_found")
		})

		t.Run("ErrBadInput", func(t *testing.T) {
			raw := testdb.RawDB(t, s.DatabaseURL)
			count := func() (n int) {
				if err := raw.QueryRow(`SELECT count(*) FROM documents`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			before := count()
			defer func() {
				if after := count(); after != before {
					t.Errorf("refused requests stored %d documents", after-before)
				}
			}()
			pdf := []apptest.Part{{Name: "document", Filename: "b.pdf", Content: apptest.PDF("x")}}
			noClass := draft("Senza classe")
			delete(noClass, "class")
			namesField(t, c.postDocument(op, noClass, pdf).problem(t, 422, "validation_failed"), "class", "required")
			unknown := draft("Classe ignota")
			unknown["class"] = "IX.99"
			namesField(t, c.postDocument(op, unknown, pdf).problem(t, 422, "validation_failed"), "class", "IX.99")
			noSubject := draft(" ")
			namesField(t, c.postDocument(op, noSubject, pdf).problem(t, 422, "validation_failed"), "subject", "required")
			badOffice := draft("Ufficio ignoto")
			badOffice["offices"] = []string{"XYZ"}
			namesField(t, c.postDocument(op, badOffice, pdf).problem(t, 422, "validation_failed"), "offices[0]", "XYZ")
			namesField(t, c.postDocument(op, draft("Senza file"), nil).problem(t, 422, "validation_failed"), "document", "required")
			sysField := draft("Con id")
			sysField["id"] = "mine"
			namesField(t, c.postDocument(op, sysField, pdf).problem(t, 422, "validation_failed"), "id", "assigned by the system")
			attached := append(slices.Clone(pdf), apptest.Part{Name: "attachment", Filename: "a.txt", Content: []byte("a")})
			namesField(t, c.postDocument(op, draft("Con allegato"), attached).problem(t, 422, "validation_failed"), "attachment", "unknown part")
			c.do("POST", "/v1/documents", op, bytes.NewReader([]byte(`{}`)), "Content-Type", "application/json").problem(t, 415, "unsupported_media_type")
		})
		t.Run("ErrForbidden", func(t *testing.T) {
			pdf := []apptest.Part{{Name: "document", Filename: "b.pdf", Content: apptest.PDF("x")}}
			for _, tok := range []string{clerkTEC, portal} {
				c.postDocument(tok, draft("Non ammessa"), pdf, forPortal(tok, portal)...).problem(t, 403, "forbidden")
			}
		})
	})
}

// TestRegisterDocument: a registration may take an unregistered document's content instead of
// a document part; the document then names its registration, and a document is registered at
// most once, also when two registrations of it race.
func TestRegisterDocument(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		content := apptest.PDF("Determina definitiva")
		doc := c.mustDocument(op, draft("Determina"), content)
		outgoing := func() map[string]any {
			m := apptest.Incoming("Determina n. 12")
			m["document_id"] = doc.ID
			return m
		}

		t.Run("ErrBothDocumentAndID", func(t *testing.T) {
			namesField(t, c.register(op, outgoing(), []apptest.Part{{Name: "document", Filename: "d.pdf", Content: content}}).
				problem(t, 422, "validation_failed"), "document_id", "not both")
		})
		t.Run("ErrUnknownDocument", func(t *testing.T) {
			m := outgoing()
			m["document_id"] = "missing"
			namesField(t, c.register(op, m, nil).problem(t, 422, "validation_failed"), "document_id", "unknown document")
		})
		t.Run("ErrNeitherDocumentNorID", func(t *testing.T) {
			namesField(t, c.register(op, apptest.Incoming("Senza documento"), nil).problem(t, 422, "validation_failed"), "document", "required")
		})

		var reg api.Registration
		t.Run("TakesTheDocumentsContent", func(t *testing.T) {
			c.register(op, outgoing(), nil).decode(t, http.StatusCreated, &reg)
			if reg.Document.SHA256 != doc.Document.SHA256 || reg.Document.Filename != doc.Document.Filename || reg.Document.MediaType != "application/pdf" {
				t.Errorf("registration document %+v, document %+v", reg.Document, doc.Document)
			}
			if reg.Class != doc.Class || reg.Class == "" {
				t.Errorf("registration class %q, want the document's %q", reg.Class, doc.Class)
			}
			r := c.do("GET", refPath(reg)+"/document", op, nil)
			r.expect(t, http.StatusOK)
			if !bytes.Equal(r.Body, content) {
				t.Error("registration content differs from the document's")
			}
			var got api.Document
			c.do("GET", "/v1/documents/"+doc.ID, op, nil).decode(t, http.StatusOK, &got)
			if got.Registration == nil || got.Registration.Identifier != reg.Identifier || got.Registration.ID != reg.ID ||
				got.Registration.Reference != reg.Register+"/"+itoa(reg.Year)+"/"+reg.NumberFormatted || got.Position <= doc.Position {
				t.Errorf("document after registration %+v", got)
			}
		})
		t.Run("ErrRegisteredTwice", func(t *testing.T) {
			c.register(op, outgoing(), nil).problem(t, 409, "conflict")
		})

		// Two registrations of one fresh document at once: exactly one takes a number.
		t.Run("ConcurrentRegistrationsOneWins", func(t *testing.T) {
			fresh := c.mustDocument(op, draft("Contesa"), apptest.PDF("contesa"))
			m := apptest.Incoming("Contesa")
			m["document_id"] = fresh.ID
			var wg sync.WaitGroup
			statuses := make([]int, 4)
			for i := range statuses {
				wg.Go(func() { statuses[i] = c.register(op, m, nil).Status })
			}
			wg.Wait()
			slices.Sort(statuses)
			if !slices.Equal(statuses, []int{201, 409, 409, 409}) {
				t.Errorf("statuses %v, want one 201 and three 409", statuses)
			}
			var page api.RegistrationList
			c.do("GET", "/v1/registrations?limit=10", op, nil).decode(t, http.StatusOK, &page)
			if len(page.Items) != 2 || page.Items[0].Number != reg.Number+1 {
				t.Errorf("registrations after the race: %d, newest number %d", len(page.Items), page.Items[0].Number)
			}
		})
		t.Run("OwnClassWins", func(t *testing.T) {
			m := apptest.Incoming("Classificata altrove")
			m["document_id"] = c.mustDocument(op, draft("Altrove"), apptest.PDF("altrove")).ID
			m["class"] = "VI.4"
			var got api.Registration
			c.register(op, m, nil).decode(t, http.StatusCreated, &got)
			if got.Class != "VI.4" {
				t.Errorf("registration class %q, want VI.4 as asked", got.Class)
			}
		})
	})
}
