package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// pollRead waits until GET /v1/audit?object=registration/<id>&action=registration.read lists
// the read made by the request requestID, and returns it.
func pollRead(t *testing.T, c *client, token, id, requestID string) api.AuditEvent {
	t.Helper()
	q := url.Values{"action": {"registration.read"}, "object": {"registration/" + id}, "limit": {"100"}}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var page api.AuditPage
		c.do("GET", "/v1/audit?"+q.Encode(), token, nil).decode(t, http.StatusOK, &page)
		for _, e := range page.Items {
			if e.RequestID == requestID {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no read of registration %s by request %s in the audit trail: %+v", id, requestID, page.Items)
		}
	}
}

// TestAuditReadsOfShown: a confidential registration shown in a list, in search results, as its
// history or in a dossier is read as much as when it is asked for alone, and each showing is a
// registration.read event GET /v1/audit?object= finds, with the request id and how it was
// shown; a registration that is not confidential, shown the same ways, is no event.
func TestAuditReadsOfShown(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "PERS", "Personale")
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"}, "PERS")
		officer := s.NewClient(t, "officer", []string{"records_officer"})
		meta := apptest.Incoming("Riservatissimo esposto")
		meta["confidential"], meta["offices"] = true, []string{"PERS"}
		var secret api.Registration
		c.register(op, meta, []apptest.Part{{Name: "document", Filename: "r.pdf", Content: apptest.PDF("r")}}).
			decode(t, http.StatusCreated, &secret)
		public := c.mustRegister(op, "Riservatissimo no, pubblico")
		d := c.mustOpen(op, newDossierBody("Pratica dell'esposto"))
		for _, r := range []api.Registration{secret, public} {
			c.json("POST", "/v1/dossiers/"+d.ID+"/items", op, map[string]string{"registration": r.Register + "/" + itoa(r.Year) + "/" + r.NumberFormatted}).expect(t, http.StatusOK)
		}

		for _, tc := range []struct {
			name, path, how string
		}{
			{"List", "/v1/registrations?limit=100", "(in a list)"},
			{"Search", "/v1/search?" + url.Values{"q": {"riservatissimo"}, "min_position": {itoa(int(public.Position))}}.Encode(), "(in search results)"},
			{"History", refPath(secret) + "/history", "(its history)"},
			{"Dossier", "/v1/dossiers/" + d.ID, "(in dossier " + d.Identifier + ")"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rid := "shown-" + strings.ToLower(tc.name)
				// A search may answer 409 while the index catches up with min_position: ask again.
				for deadline := time.Now().Add(2 * time.Minute); ; {
					r := c.do("GET", tc.path, officer, nil, "X-Request-Id", rid)
					if r.Status == http.StatusConflict && time.Now().Before(deadline) {
						continue
					}
					r.expect(t, http.StatusOK)
					break
				}
				e := pollRead(t, c, officer, secret.ID, rid)
				if e.ObjectKind != "registration" || e.Detail != secret.Identifier+" "+tc.how || e.ClientAddress != "127.0.0.1" || e.Hash == "" {
					t.Fatalf("event %+v", e)
				}
			})
		}
		t.Run("PublicShownNotListed", func(t *testing.T) {
			for _, path := range []string{"/v1/registrations?limit=100", refPath(public) + "/history", "/v1/dossiers/" + d.ID,
				"/v1/search?q=riservatissimo"} {
				c.do("GET", path, officer, nil).expect(t, http.StatusOK)
			}
			c.do("GET", refPath(secret), officer, nil, "X-Request-Id", "marker").expect(t, http.StatusOK)
			pollRead(t, c, officer, secret.ID, "marker") // the buffer keeps order: the reads before it are stored
			var page api.AuditPage
			c.do("GET", "/v1/audit?limit=100&object=registration/"+public.ID, officer, nil).decode(t, http.StatusOK, &page)
			for _, e := range page.Items {
				if e.Action == "registration.read" {
					t.Fatalf("a registration that is not confidential, shown, was recorded as read: %+v", e)
				}
			}
		})
	})
}
