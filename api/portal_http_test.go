package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestPortalMustNameApplicant: a portal that leaves X-Applicant-Id out is refused on every
// endpoint, /v1/me included, before anything is read; so is a client that holds the portal role
// beside staff roles. The route × identity table (TestAccessPolicy) checks every route.
func TestPortalMustNameApplicant(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		mixed := s.NewClient(t, "portal and records officer", []string{"portal", "records_officer"})
		cs := c.mustSubmitSCIA(portal, bizApplicant)
		reads := []string{"/v1/me", "/v1/info", "/v1/registrations", refPath(*cs.Registration), refPath(*cs.Registration) + "/document",
			refPath(*cs.Registration) + "/attachments/0", refPath(*cs.Registration) + "/receipt", "/v1/search?q=istanza",
			"/v1/cases", "/v1/cases/" + cs.ID, "/v1/cases/" + cs.ID + "/messages", "/v1/webhooks/deliveries", "/v1/procedures"}
		for _, tok := range []string{portal, mixed} {
			for _, path := range reads {
				namesField(t, c.do("GET", path, tok, nil).problem(t, 422, "validation_failed"), "X-Applicant-Id", "required")
			}
		}
		t.Run("ErrTwoApplicants", func(t *testing.T) {
			r := c.do("GET", "/v1/registrations", portal, nil, "X-Applicant-Id", bizApplicant)
			r.expect(t, http.StatusOK)
			req, _ := http.NewRequest("GET", s.URL+"/v1/registrations", nil)
			req.Header.Set("Authorization", "Bearer "+portal)
			req.Header.Add("X-Applicant-Id", bizApplicant)
			req.Header.Add("X-Applicant-Id", otherBusiness)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("two applicants: status %d", resp.StatusCode)
			}
		})
		t.Run("MixedClientActsAsPortalOnly", func(t *testing.T) {
			op := s.NewClient(t, "op", []string{"protocol_operator"})
			staffs := c.mustRegister(op, "Protocollata dall'ufficio")
			h := []string{"X-Applicant-Id", personMario}
			var me api.Principal
			c.do("GET", "/v1/me", mixed, nil, h...).decode(t, http.StatusOK, &me)
			if !slices.Equal(me.Roles, []string{"portal"}) {
				t.Errorf("acting for an applicant, roles %v", me.Roles)
			}
			c.do("GET", refPath(staffs), mixed, nil, h...).problem(t, 404, "not_found")
			c.json("POST", refPath(staffs)+"/annulment", mixed, map[string]string{"reason": "x", "authorization": "y"}, h...).problem(t, 403, "forbidden")
		})
	})
}

// TestPortalReadsOneApplicant: what a portal reads for one applicant — registrations,
// downloads, receipts, search hits, cases, messages, webhook deliveries — is that applicant's,
// never another's it filed for.
func TestPortalReadsOneApplicant(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		endpoint := newPortalEndpoint(t)
		c.setWebhook(portal, endpoint)
		mine := c.mustSubmitSCIA(portal, bizApplicant)
		theirs := c.mustSubmitSCIA(portal, otherBusiness)
		h := []string{"X-Applicant-Id", bizApplicant}
		other := *theirs.Registration
		for _, path := range []string{refPath(other), refPath(other) + "/document", refPath(other) + "/attachments/0",
			refPath(other) + "/receipt", refPath(other) + "/history", "/v1/cases/" + theirs.ID, "/v1/cases/" + theirs.ID + "/messages"} {
			c.do("GET", path, portal, nil, h...).problem(t, 404, "not_found")
		}
		c.do("GET", refPath(*mine.Registration)+"/receipt", portal, nil, h...).expect(t, http.StatusOK)
		var regs api.RegistrationList
		c.do("GET", "/v1/registrations", portal, nil, h...).decode(t, http.StatusOK, &regs)
		if len(regs.Items) != 1 || regs.Items[0].ID != mine.Registration.ID {
			t.Errorf("registrations %+v", regs.Items)
		}
		if ids := c.worklist(portal, "/v1/cases", h...); !slices.Equal(ids, []string{mine.ID}) {
			t.Errorf("cases %v", ids)
		}
		res := searchAs(t, c, portal, theirs.Position, "istanza", h...)
		if res.Total != 1 || res.Items[0].ID != mine.Registration.ID {
			t.Errorf("search %+v", res)
		}
		eventually(t, "a delivery of each applicant's case", func() bool {
			var log api.WebhookDeliveryList
			c.do("GET", "/v1/webhooks/deliveries", portal, nil, "X-Applicant-Id", otherBusiness).decode(t, http.StatusOK, &log)
			return len(log.Items) > 0
		})
		eventually(t, "the deliveries of bizApplicant's case", func() bool {
			var log api.WebhookDeliveryList
			c.do("GET", "/v1/webhooks/deliveries", portal, nil, h...).decode(t, http.StatusOK, &log)
			for _, d := range log.Items {
				if d.CaseID != mine.ID {
					t.Fatalf("delivery of case %s listed to applicant %s", d.CaseID, bizApplicant)
				}
			}
			return len(log.Items) > 0
		})
	}, fastWebhooks, allowLoopbackWebhooks("127.0.0.0/8"))
}

// TestRegisterRoles: POST /v1/registrations is for protocol operators, records officers and
// importers; a portal files only through cases (403, before its content is stored), and an
// importer registers incoming documents only (422 naming direction).
func TestRegisterRoles(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		importer := s.NewClient(t, "importer", []string{"importer"})
		clerk := s.NewClient(t, "clerk", []string{"clerk"}, "SUAP")
		pdf := []apptest.Part{{Name: "document", Filename: "a.pdf", Content: apptest.PDF("protocollo diretto")}}
		c.register(portal, apptest.Incoming("Dal portale"), pdf, "X-Applicant-Id", bizApplicant).problem(t, 403, "forbidden")
		c.register(clerk, apptest.Incoming("Dall'ufficio"), pdf).problem(t, 403, "forbidden")
		c.register(importer, apptest.Incoming("Importata"), pdf).expect(t, http.StatusCreated)
		for _, direction := range []string{"outgoing", "internal"} {
			meta := apptest.Incoming("Importata " + direction)
			meta["direction"] = direction
			if direction == "outgoing" {
				meta["correspondents"] = []map[string]any{{"role": "recipient", "type": "person", "name": "Mario Rossi"}}
			} else {
				meta["correspondents"] = []map[string]any{}
			}
			namesField(t, c.register(importer, meta, pdf).problem(t, 422, "validation_failed"), "direction", "incoming")
		}
		records := s.NewClient(t, "rdg", []string{"records_officer"})
		var regs api.RegistrationList
		c.do("GET", "/v1/registrations", records, nil).decode(t, http.StatusOK, &regs)
		if len(regs.Items) != 1 || regs.Items[0].Number != 1 {
			t.Errorf("refused registrations stored or took a number: %+v", regs.Items)
		}
	})
}

// TestCaseFormApplicant: the form fields a procedure marks as the applicant's own (x-applicant)
// must hold the applicant the portal acts for, compared trimmed and in upper case.
func TestCaseFormApplicant(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		t.Run("ErrShippedSCIAForAnotherBusiness", func(t *testing.T) {
			p := c.submit(portal, bizApplicant, sciaMetadataFor(otherBusiness), sciaParts()).problem(t, 422, "validation_failed")
			namesField(t, p, "form/business/vat_number", bizApplicant)
		})
		c.json("POST", "/v1/procedures", s.AdminToken, map[string]any{
			"code": "contrassegno", "name": "Contrassegno disabili", "audience": "citizen", "description": "Rilascio",
			"required_documents": []map[string]any{},
			"form_schema": map[string]any{"type": "object", "required": []string{"holder"}, "properties": map[string]any{
				"holder": map[string]any{"type": "object", "properties": map[string]any{
					"tax_code": map[string]any{"type": "string", "x-applicant": true}}}}},
			"office": "PM", "class": "VI.7", "deadline_days": 30,
		}).expect(t, http.StatusCreated)
		form := func(taxCode string) map[string]any {
			return map[string]any{"procedure": "contrassegno", "form": map[string]any{"holder": map[string]any{"tax_code": taxCode}}}
		}
		c.submit(portal, personMario, form(" rssmra80a01h501u "), nil).expect(t, http.StatusCreated)
		p := c.submit(portal, personMario, form(personVerdi), nil).problem(t, 422, "validation_failed")
		namesField(t, p, "form/holder/tax_code", "applicant")
	})
}

// TestCaseRoleBeforeState: who may make a move is checked before whether the case's status
// allows it — a portal asking for an office's move, or a clerk of another office, is 403
// whatever the status; the office itself gets 409 for a move its status does not allow.
func TestCaseRoleBeforeState(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		suap := s.NewClient(t, "suap", []string{"clerk"}, "SUAP")
		anag := s.NewClient(t, "anag", []string{"clerk"}, "ANAG")
		pm := s.NewClient(t, "pm", []string{"clerk"}, "PM") // its step is active: it sees the case
		cs := c.mustSubmitSCIA(portal, bizApplicant)
		h := []string{"X-Applicant-Id", bizApplicant}
		for _, to := range []string{"approved", "rejected", "awaiting_applicant", "in_progress"} {
			c.transition(portal, cs.ID, to, "Motivazione", h...).problem(t, 403, "forbidden")
		}
		c.transition(anag, cs.ID, "approved", "Motivazione").problem(t, 404, "not_found") // not in its hands
		c.transition(pm, cs.ID, "approved", "Motivazione").problem(t, 403, "forbidden")
		c.transition(suap, cs.ID, "withdrawn", "").problem(t, 403, "forbidden")
		c.json("POST", "/v1/cases/"+cs.ID+"/steps/9/done", portal, map[string]string{}, h...).problem(t, 403, "forbidden")
		c.transition(suap, cs.ID, "approved", "Motivazione").problem(t, 409, "conflict")
	})
}
