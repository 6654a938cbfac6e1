package api_test

import (
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// blobStored reports whether a file named digest is anywhere under dir (the blob store).
func blobStored(t *testing.T, dir, digest string) bool {
	t.Helper()
	found := false
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == digest {
			found = true
		}
		return nil
	})
	return found
}

func refOf(r api.Registration) string {
	return r.Register + "/" + strconv.Itoa(r.Year) + "/" + r.NumberFormatted
}

// TestDisposal (docs/compliance.md C4): disposal (scarto) needs the authorisation and the
// records officer's role, is refused under a hold and before retention runs out, and once done
// keeps the registrations readable, answers 410 for their content, keeps a record with every
// digest and audits who authorised it; content shared with a kept registration survives.
func TestDisposal(t *testing.T) {
	now := apptest.NewClock(time.Time{})
	clock := apptest.WithClock(now.Now)
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		now.SetDay("2026-03-02")
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		ro := s.NewClient(t, "ro", []string{"records_officer"})
		ten := 10
		c.json("POST", "/v1/classes", s.AdminToken, []map[string]any{
			{"code": "VI.3.7", "parent": "VI.3", "title": "Pratiche edilizie minori", "retention_years": ten},
		}).expect(t, http.StatusCreated)

		shared, unique := apptest.PDF("stessi byte"), []byte("allegato unico del fascicolo")
		meta := apptest.Incoming("Domanda nel fascicolo")
		meta["class"] = "VI.3.7"
		var filed api.Registration
		c.register(op, meta, []apptest.Part{{Name: "document", Filename: "d.pdf", Content: shared},
			{Name: "attachment", Filename: "a.txt", Content: unique}}).decode(t, http.StatusCreated, &filed)
		meta = apptest.Incoming("Domanda non fascicolata")
		meta["class"] = "VI.3.7"
		var unfiled api.Registration
		c.register(op, meta, []apptest.Part{{Name: "document", Filename: "u.pdf", Content: apptest.PDF("sola")}}).decode(t, http.StatusCreated, &unfiled)
		kept := c.mustRegister(op, "stessi byte") // same bytes as filed's document, kept permanently

		d := c.mustOpen(op, map[string]any{"class": "VI.3.7", "subject": "Pratica", "type": "procedimento", "office": "TEC"})
		c.json("POST", "/v1/dossiers/"+d.Identifier+"/items", op, map[string]string{"registration": refOf(filed)}).expect(t, http.StatusOK)
		c.json("POST", "/v1/dossiers/"+d.Identifier+"/close", op, map[string]string{"reason": "Concluso"}).expect(t, http.StatusOK)
		held := c.mustOpen(op, map[string]any{"class": "VI.3.7", "subject": "Contenzioso", "type": "procedimento", "office": "TEC"})
		c.json("POST", "/v1/dossiers/"+held.Identifier+"/close", op, map[string]string{"reason": "Concluso"}).expect(t, http.StatusOK)

		auth := "Soprintendenza archivistica, prot. 1234/2037"
		body := map[string]any{"authorization": auth, "items": []string{d.Identifier, refOf(unfiled)}}
		t.Run("ErrNotYetDue", func(t *testing.T) {
			p := c.json("POST", "/v1/disposals", ro, body).problem(t, http.StatusConflict, "conflict")
			if !strings.Contains(p.Detail, "2036-03-02") {
				t.Errorf("detail %q does not say when it is due", p.Detail)
			}
		})
		now.SetDay("2037-01-10")
		t.Run("ErrForbidden", func(t *testing.T) {
			c.json("POST", "/v1/disposals", op, body).problem(t, http.StatusForbidden, "forbidden")
			c.do("GET", "/v1/disposal/due", op, nil).problem(t, http.StatusForbidden, "forbidden")
			c.json("POST", "/v1/holds", op, map[string]string{"class": "VI.3", "reason": "x"}).problem(t, http.StatusForbidden, "forbidden")
		})
		t.Run("ErrAuthorizationRequired", func(t *testing.T) {
			p := c.json("POST", "/v1/disposals", ro, map[string]any{"items": body["items"]}).problem(t, 422, "validation_failed")
			namesField(t, p, "authorization", "required")
		})
		var due api.DueList
		c.do("GET", "/v1/disposal/due?on=2037-01-10", ro, nil).decode(t, http.StatusOK, &due)
		if len(due.Items) != 3 || due.Items[0].DueOn != "2036-03-02" {
			t.Errorf("due %+v, want both dossiers and the unfiled registration, due 2036-03-02", due.Items)
		}

		var dossierHold, classHold api.Hold
		c.json("POST", "/v1/holds", ro, map[string]string{"dossier": held.Identifier, "reason": "Ricorso", "reference": "TAR 5/2037"}).
			decode(t, http.StatusCreated, &dossierHold)
		c.json("POST", "/v1/holds", ro, map[string]string{"class": "VI.3", "reason": "Ispezione", "reference": "Prefettura 9/2037"}).
			decode(t, http.StatusCreated, &classHold)
		t.Run("ErrUnderHold", func(t *testing.T) {
			p := c.json("POST", "/v1/disposals", ro, body).problem(t, http.StatusConflict, "conflict")
			if !strings.Contains(p.Detail, classHold.ID) {
				t.Errorf("detail %q does not name hold %s", p.Detail, classHold.ID)
			}
			c.do("GET", "/v1/disposal/due", ro, nil).decode(t, http.StatusOK, &due)
			if len(due.Items) != 0 {
				t.Errorf("due under hold %+v, want none", due.Items)
			}
		})
		c.json("POST", "/v1/holds/"+classHold.ID+"/release", ro, map[string]string{"reason": "Ispezione chiusa"}).expect(t, http.StatusOK)
		c.json("POST", "/v1/holds/"+classHold.ID+"/release", ro, map[string]string{"reason": "Di nuovo"}).problem(t, http.StatusConflict, "conflict")
		c.json("POST", "/v1/disposals", ro, map[string]any{"authorization": auth, "items": []string{held.Identifier}}).
			problem(t, http.StatusConflict, "conflict")

		var rec api.Disposal
		created := c.json("POST", "/v1/disposals", ro, body)
		created.decode(t, http.StatusCreated, &rec)
		var got api.Disposal
		c.do("GET", created.Header.Get("Location"), ro, nil).decode(t, http.StatusOK, &got)
		if got.ID != rec.ID {
			t.Errorf("Location %q names disposal %q, created %q", created.Header.Get("Location"), got.ID, rec.ID)
		}
		digests := map[string][]string{}
		for _, it := range got.Items {
			for _, f := range it.Files {
				digests[it.Identifier] = append(digests[it.Identifier], f.SHA256)
			}
		}
		if got.Authorization != auth || len(got.Items) != 3 || got.Items[0].Identifier != d.Identifier ||
			strings.Join(digests[filed.Identifier], ",") != hexSHA(shared)+","+hexSHA(unique) ||
			strings.Join(digests[unfiled.Identifier], ",") != unfiled.Document.SHA256 {
			t.Errorf("disposal record %+v", got)
		}

		t.Run("RegistrationStaysReadable", func(t *testing.T) {
			var r api.Registration
			c.do("GET", refPath(filed), op, nil).decode(t, http.StatusOK, &r)
			if r.Disposal == nil || r.Disposal.ID != rec.ID || r.Disposal.Authorization != auth || r.Subject != filed.Subject {
				t.Errorf("disposed registration %+v", r)
			}
			var dd api.Dossier
			c.do("GET", "/v1/dossiers/"+d.Identifier, op, nil).decode(t, http.StatusOK, &dd)
			if dd.Status != "disposed" || dd.DisposalID != rec.ID {
				t.Errorf("disposed dossier %+v", dd)
			}
		})
		// The search index keeps the metadata of what was disposed of, as the API does: the
		// dossier is found, now disposed, and so is the registration filed in it.
		t.Run("SearchKeepsDisposedMetadata", func(t *testing.T) {
			var dd api.Dossier
			c.do("GET", "/v1/dossiers/"+d.Identifier, ro, nil).decode(t, http.StatusOK, &dd)
			res := searchFor(t, c, ro, dd.Position, url.Values{"q": {d.Identifier}, "facets": {"status"}})
			if res.Total != 1 || res.Items[0].ID != d.ID || len(res.Facets["status"]) != 1 || res.Facets["status"][0].Term != "disposed" {
				t.Fatalf("disposed dossier in the index: %+v", res)
			}
			res = searchFor(t, c, ro, dd.Position, url.Values{"q": {`"domanda nel fascicolo"`}})
			if res.Total != 1 || res.Items[0].ID != filed.ID {
				t.Fatalf("disposed registration in the index: %+v", res)
			}
		})
		t.Run("ErrHoldOnDisposed", func(t *testing.T) {
			p := c.json("POST", "/v1/holds", ro, map[string]string{"dossier": d.Identifier, "reason": "Ricorso tardivo"}).
				problem(t, http.StatusConflict, "conflict")
			if !strings.Contains(p.Detail, "disposed") {
				t.Errorf("detail %q does not say the dossier was disposed of", p.Detail)
			}
		})
		t.Run("ErrGone", func(t *testing.T) {
			for _, path := range []string{refPath(filed) + "/document", refPath(filed) + "/attachments/0", refPath(unfiled) + "/document"} {
				p := c.do("GET", path, op, nil).problem(t, http.StatusGone, "gone")
				if !strings.Contains(p.Detail, rec.ID) {
					t.Errorf("%s: detail %q does not name disposal %s", path, p.Detail, rec.ID)
				}
			}
		})
		t.Run("SharedContentKept", func(t *testing.T) {
			c.do("GET", refPath(kept)+"/document", op, nil).expect(t, http.StatusOK)
			if !blobStored(t, s.DataDir, hexSHA(shared)) || blobStored(t, s.DataDir, hexSHA(unique)) ||
				blobStored(t, s.DataDir, unfiled.Document.SHA256) {
				t.Error("want the shared content kept and the rest destroyed")
			}
		})
		t.Run("AuditShowsAuthoriser", func(t *testing.T) {
			var h api.History
			c.do("GET", refPath(filed)+"/history", op, nil).decode(t, http.StatusOK, &h)
			last := h.Items[len(h.Items)-1]
			if last.Action != "registration.disposed" || last.ActorName != "ro" || !strings.Contains(last.Detail, auth) {
				t.Errorf("last history event %+v", last)
			}
		})
		c.json("POST", "/v1/disposals", ro, body).problem(t, http.StatusConflict, "conflict")
	}, clock)
}

// TestDisposalDueQuery: the worklist refuses unknown and repeated query parameters like every
// other list, so that a typo (`?onn=`) does not silently list what is due today.
func TestDisposalDueQuery(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		ro := s.NewClient(t, "ro", []string{"records_officer"})
		namesField(t, c.do("GET", "/v1/disposal/due?onn=2037-01-10", ro, nil).problem(t, 422, "validation_failed"), "onn", "unknown")
		namesField(t, c.do("GET", "/v1/disposal/due?on=2037-01-10&on=2038-01-10", ro, nil).problem(t, 422, "validation_failed"), "on", "once")
		c.do("GET", "/v1/disposal/due?on=2037-01-10", ro, nil).expect(t, http.StatusOK)
	})
}
