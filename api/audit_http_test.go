package api_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/apptest"
)

// pollAudit asks GET /v1/audit with query until it lists an event or the deadline passes.
func pollAudit(t *testing.T, c *client, token string, query url.Values) []api.AuditEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var page api.AuditPage
		c.do("GET", "/v1/audit?"+query.Encode(), token, nil).decode(t, http.StatusOK, &page)
		if len(page.Items) > 0 || time.Now().After(deadline) {
			return page.Items
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAuditReads checks that reading a confidential registration as a records officer appears
// in GET /v1/audit (issue 17, must-show 4) with the client, the request id and the address,
// that reading a registration that is not confidential does not, and that refused requests
// (401, 403) and downloads are audit events too.
func TestAuditReads(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "PERS", "Personale")
		op := s.NewClient(t, "op", []string{"protocol_operator"}, "PERS")
		officer := s.NewClient(t, "officer", []string{"records_officer"})
		meta := apptest.Incoming("Riservato")
		meta["confidential"], meta["offices"] = true, []string{"PERS"}
		var secret api.Registration
		c.register(op, meta, []apptest.Part{{Name: "document", Filename: "r.pdf", Content: apptest.PDF("r")}}).
			decode(t, http.StatusCreated, &secret)
		public := c.mustRegister(op, "Pubblico")
		var me api.Principal
		c.do("GET", "/v1/me", officer, nil).decode(t, http.StatusOK, &me)

		t.Run("ConfidentialReadListed", func(t *testing.T) {
			read := time.Now()
			c.do("GET", refPath(secret), officer, nil, "X-Request-Id", "must-show-4").expect(t, http.StatusOK)
			items := pollAudit(t, c, officer, url.Values{"action": {"registration.read"}, "object": {"registration/" + secret.ID}})
			if len(items) != 1 {
				t.Fatalf("the read of the confidential registration is not in the audit trail: %+v", items)
			}
			t.Logf("listed %v after the read", time.Since(read))
			e := items[0]
			if e.Actor != me.ID || e.RequestID != "must-show-4" || e.ClientAddress != "127.0.0.1" || e.Hash == "" || e.Seq == 0 {
				t.Fatalf("event %+v", e)
			}
		})
		t.Run("PublicReadNotListed", func(t *testing.T) {
			c.do("GET", refPath(public), officer, nil).expect(t, http.StatusOK)
			c.do("GET", refPath(secret), officer, nil, "X-Request-Id", "marker").expect(t, http.StatusOK)
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				items := pollAudit(t, c, officer, url.Values{"action": {"registration.read"}, "actor": {me.ID}})
				if items[len(items)-1].RequestID == "marker" || time.Now().After(deadline) {
					break // the buffer keeps order: the read before the marker is stored
				}
			}
			var page api.AuditPage
			c.do("GET", "/v1/audit?object=registration/"+public.ID, officer, nil).decode(t, http.StatusOK, &page)
			for _, e := range page.Items {
				if e.Action == "registration.read" {
					t.Fatalf("a read of a registration that is not confidential was recorded: %+v", e)
				}
			}
		})
		t.Run("RefusalsAndDownloadsListed", func(t *testing.T) {
			c.do("GET", "/v1/audit", op, nil, "X-Request-Id", "refused-403").expect(t, http.StatusForbidden)
			c.do("GET", "/v1/registrations", "spt_bad_token", nil, "X-Request-Id", "refused-401").expect(t, http.StatusUnauthorized)
			c.do("GET", refPath(public)+"/document", op, nil).expect(t, http.StatusOK)
			for action, want := range map[string]string{"refused.forbidden": "refused-403", "refused.unauthorized": "refused-401"} {
				items := pollAudit(t, c, officer, url.Values{"action": {action}})
				if len(items) == 0 || items[len(items)-1].RequestID != want || items[len(items)-1].ObjectID == "" {
					t.Errorf("%s: %+v", action, items)
				}
			}
			if items := pollAudit(t, c, officer, url.Values{"action": {"registration.download"}, "object": {"registration/" + public.ID}}); len(items) != 1 {
				t.Errorf("download: %+v", items)
			}
		})
		t.Run("ExportChains", func(t *testing.T) {
			raw := c.do("GET", "/v1/audit/export", officer, nil)
			raw.expect(t, http.StatusOK)
			sc := bufio.NewScanner(bytes.NewReader(raw.Body))
			sc.Buffer(nil, 1<<20)
			var head api.AuditExportHeader
			if !sc.Scan() || json.Unmarshal(sc.Bytes(), &head) != nil || head.Kind != "audit_export" || head.Head.Seq == 0 {
				t.Fatalf("header %q", sc.Bytes())
			}
			check := domain.AuditChecker{ChainedFrom: head.Head.ChainedFrom}
			for sc.Scan() {
				var e api.AuditEvent
				if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
					t.Fatal(err)
				}
				if err := check.Add(domain.AuditEvent{ID: e.ID, Seq: e.Seq, At: e.At, Actor: e.Actor, Person: e.Person,
					ActorName: e.ActorName, Action: e.Action, EntityKind: e.ObjectKind, EntityID: e.ObjectID, Field: e.Field,
					Old: []byte(e.Old), New: []byte(e.New), Detail: e.Detail, RequestID: e.RequestID,
					ClientAddress: e.ClientAddress, PrevHash: e.PrevHash, Hash: e.Hash}); err != nil {
					t.Fatal(err)
				}
			}
			if seq, hash := check.Head(); seq != head.Head.Seq || hash != head.Head.Hash {
				t.Fatalf("export ends at %d %s, head %+v", seq, hash, head.Head)
			}
			csvRaw := c.do("GET", "/v1/audit/export?format=csv", officer, nil)
			csvRaw.expect(t, http.StatusOK)
			rows, err := csv.NewReader(bytes.NewReader(csvRaw.Body)).ReadAll()
			if err != nil || len(rows) < int(head.Head.Seq)+1 || rows[0][0] != "seq" {
				t.Fatalf("csv: %d rows, %v", len(rows), err)
			}
		})
	})
}
