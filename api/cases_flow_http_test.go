package api_test

import (
	"bytes"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// transition moves a case with a JSON body.
func (c *client) transition(token, caseID, to, note string, headers ...string) *response {
	c.t.Helper()
	return c.json("POST", "/v1/cases/"+caseID+"/transitions", token, map[string]any{"to": to, "note": note}, headers...)
}

// message posts a message with optional documents.
func (c *client) message(token, caseID string, metadata any, parts []apptest.Part, headers ...string) *response {
	c.t.Helper()
	ct, body := apptest.Multipart(metadata, parts...)
	return c.do("POST", "/v1/cases/"+caseID+"/messages", token, body, append([]string{"Content-Type", ct}, headers...)...)
}

// worklist returns the ids of the cases listed at path for token.
func (c *client) worklist(token, path string, headers ...string) []string {
	c.t.Helper()
	var list api.CaseList
	c.do("GET", path, token, nil, headers...).decode(c.t, http.StatusOK, &list)
	var ids []string
	for _, it := range list.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

// TestCaseHandling, through HTTP (webhooks: see TestCaseWebhooks): a portal
// submits a SCIA with its form and two PDFs; the office asks for integration; the applicant
// answers with a document; the involved offices do their steps in order; the office approves
// with a final act that comes back PAdES-sealed as an outgoing registration, filed in the
// case's dossier, which closes.
func TestCaseHandling(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portale imprese", []string{"portal"})
		suap := s.NewClient(t, "istruttore SUAP", []string{"clerk"}, "SUAP")
		pm := s.NewClient(t, "polizia locale", []string{"clerk"}, "PM")
		asl := s.NewClient(t, "igiene", []string{"clerk"}, "ASL")
		applicant := []string{"X-Applicant-Id", bizApplicant}
		endpoint := newPortalEndpoint(t)
		c.setWebhook(portal, endpoint)
		cs := c.mustSubmitSCIA(portal, bizApplicant)

		c.transition(pm, cs.ID, "in_progress", "").problem(t, 403, "forbidden")
		c.transition(portal, cs.ID, "in_progress", "", applicant...).problem(t, 403, "forbidden")
		c.transition(suap, cs.ID, "approved", "").problem(t, 422, "validation_failed")
		c.transition(suap, cs.ID, "awaiting_applicant", "Integrare").problem(t, 409, "conflict")
		var moved api.CaseTransitionResult
		c.transition(suap, cs.ID, "in_progress", "Avvio del procedimento").decode(t, http.StatusOK, &moved)
		if moved.Case.Status != "in_progress" || moved.Registration != nil {
			t.Fatalf("in progress: %+v", moved)
		}
		namesField(t, c.transition(suap, cs.ID, "awaiting_applicant", "").problem(t, 422, "validation_failed"), "note", "required")
		c.transition(suap, cs.ID, "awaiting_applicant", "Integrare la planimetria con le quote dei locali").decode(t, http.StatusOK, &moved)
		if moved.Case.Status != "awaiting_applicant" || !moved.Case.Paused {
			t.Fatalf("integration request: %+v", moved.Case)
		}
		c.message(suap, cs.ID, map[string]any{"text": "Verificare i precedenti", "internal": true}, nil).expect(t, http.StatusCreated)

		var dialogue api.CaseMessageList
		c.do("GET", "/v1/cases/"+cs.ID+"/messages", portal, nil, applicant...).decode(t, http.StatusOK, &dialogue)
		if len(dialogue.Items) != 1 || dialogue.Items[0].Text != "Integrare la planimetria con le quote dei locali" || dialogue.Items[0].FromApplicant {
			t.Fatalf("the applicant reads %+v (internal notes must not show)", dialogue.Items)
		}

		var answer api.CaseMessage
		c.message(portal, cs.ID, map[string]any{"text": "Si trasmette la planimetria integrata."},
			[]apptest.Part{{Name: "document", Filename: "planimetria-v2.pdf", Content: apptest.PDF("planimetria quotata")}}, applicant...).
			decode(t, http.StatusCreated, &answer)
		if r := answer.Registration; !answer.FromApplicant || r == nil || r.Direction != "incoming" || r.Channel != "web" ||
			len(r.Dossiers) != 1 || r.Dossiers[0] != cs.Dossier.Identifier {
			t.Fatalf("answer %+v", answer)
		}
		var now api.Case
		c.do("GET", "/v1/cases/"+cs.ID, portal, nil, applicant...).decode(t, http.StatusOK, &now)
		if now.Status != "in_progress" || now.Paused {
			t.Fatalf("after the answer: %+v", now)
		}

		// The steps run in order: the local police first, then the health office.
		if ids := c.worklist(asl, "/v1/cases"); len(ids) != 0 {
			t.Errorf("ASL sees the case before its step is active: %v", ids)
		}
		if ids := c.worklist(pm, "/v1/cases?office=PM"); len(ids) != 1 || ids[0] != cs.ID {
			t.Fatalf("PM worklist %v", ids)
		}
		// An involved office reads the documents it gives its opinion on.
		c.do("GET", refPath(*cs.Registration)+"/attachments/0", pm, nil).expect(t, http.StatusOK)
		c.json("POST", "/v1/cases/"+cs.ID+"/steps/1/done", asl, map[string]any{}).problem(t, 404, "not_found")
		c.json("POST", "/v1/cases/"+cs.ID+"/steps/0/done", pm, map[string]any{"note": "Nulla osta"}).expect(t, http.StatusOK)
		final := apptest.PDF("Si accoglie la SCIA")
		actMeta := map[string]any{"to": "approved", "note": "Esito favorevole"}
		ct, body := apptest.Multipart(actMeta, apptest.Part{Name: "document", Filename: "provvedimento.pdf", Content: final})
		c.do("POST", "/v1/cases/"+cs.ID+"/transitions", suap, body, "Content-Type", ct).problem(t, 409, "conflict")
		if ids := c.worklist(asl, "/v1/cases"); len(ids) != 1 {
			t.Fatalf("ASL worklist once its step is active: %v", ids)
		}
		c.json("POST", "/v1/cases/"+cs.ID+"/steps/1/done", asl, map[string]any{"note": "Parere favorevole"}).expect(t, http.StatusOK)

		ct, body = apptest.Multipart(actMeta, apptest.Part{Name: "document", Filename: "provvedimento.pdf", Content: final})
		var approved api.CaseTransitionResult
		c.do("POST", "/v1/cases/"+cs.ID+"/transitions", suap, body, "Content-Type", ct, "Idempotency-Key", "approve-1").
			decode(t, http.StatusOK, &approved)
		act := approved.Registration
		if approved.Case.Status != "approved" || approved.Case.ClosedAt == nil || act == nil || act.Direction != "outgoing" ||
			act.Correspondents[0].Role != "recipient" || act.Correspondents[0].TaxCode != bizApplicant ||
			len(act.Dossiers) != 1 || act.Dossiers[0] != cs.Dossier.Identifier {
			t.Fatalf("approval %+v", approved)
		}
		signed := c.do("GET", refPath(*act)+"/document", portal, nil, applicant...)
		signed.expect(t, http.StatusOK)
		if !bytes.Contains(signed.Body, []byte("ETSI.CAdES.detached")) || !bytes.Contains(signed.Body, []byte("/ByteRange")) ||
			bytes.Equal(signed.Body, final) {
			t.Errorf("the final act the applicant downloads is not PAdES-sealed (%d bytes)", len(signed.Body))
		}
		records := s.NewClient(t, "rdg", []string{"records_officer"})
		var d api.Dossier
		c.do("GET", "/v1/dossiers/"+cs.Dossier.ID, records, nil).decode(t, http.StatusOK, &d)
		if d.Status != "closed" || len(d.Items) != 3 {
			t.Errorf("dossier after approval: status %s, %d items, want the submission, the answer and the act", d.Status, len(d.Items))
		}
		c.transition(portal, cs.ID, "withdrawn", "", applicant...).problem(t, 409, "conflict")
		c.message(portal, cs.ID, map[string]any{"text": "Grazie"}, nil, applicant...).problem(t, 409, "conflict")

		// The portal received each event, signed, in order (not the internal note); the last
		// one names the final act.
		want := []string{"case.submitted:submitted", "case.status_changed:in_progress", "case.status_changed:awaiting_applicant",
			"case.integrated:in_progress", "case.step_done:in_progress",
			"case.step_done:in_progress", "case.final_act:approved"}
		eventually(t, "every event of the case at the portal", func() bool {
			events, _, _ := endpoint.snapshot()
			return len(events) == len(want)
		})
		events, _, badSig := endpoint.snapshot()
		if got := of(events, cs.ID); !slices.Equal(got, want) || badSig != 0 {
			t.Errorf("webhooks %v (%d badly signed), want %v", got, badSig, want)
		}
		if last := events[len(events)-1]; last.Registration != act.Identifier {
			t.Errorf("final act event names %q, want %s", last.Registration, act.Identifier)
		}
	}, fastWebhooks, allowLoopbackWebhooks("127.0.0.1"))
}

// TestCaseRejectedWithGeneratedAct: without an uploaded act the system generates it from the
// note (the reasons), seals it and registers it outgoing; the dossier closes.
func TestCaseRejectedWithGeneratedAct(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		suap := s.NewClient(t, "suap", []string{"clerk"}, "SUAP")
		cs := c.mustSubmitSCIA(portal, bizApplicant)
		c.transition(suap, cs.ID, "in_progress", "").expect(t, http.StatusOK)
		var res api.CaseTransitionResult
		c.transition(suap, cs.ID, "rejected", "I locali non rispettano i requisiti igienico-sanitari").decode(t, http.StatusOK, &res)
		act := res.Registration
		if res.Case.Status != "rejected" || act == nil || act.Direction != "outgoing" || act.Document.MediaType != "application/pdf" ||
			act.Document.Filename != "provvedimento.pdf" {
			t.Fatalf("rejection %+v", res)
		}
		pdf := c.do("GET", refPath(*act)+"/document", portal, nil, "X-Applicant-Id", bizApplicant)
		pdf.expect(t, http.StatusOK)
		if !bytes.HasPrefix(pdf.Body, []byte("%PDF")) || !bytes.Contains(pdf.Body, []byte("ETSI.CAdES.detached")) {
			t.Errorf("generated act is not a sealed PDF")
		}
		records := s.NewClient(t, "rdg", []string{"records_officer"})
		var d api.Dossier
		c.do("GET", "/v1/dossiers/"+cs.Dossier.ID, records, nil).decode(t, http.StatusOK, &d)
		if d.Status != "closed" || len(d.Items) != 2 {
			t.Errorf("dossier %s with %d items", d.Status, len(d.Items))
		}
	})
}

// TestCaseWithdrawn: only the applicant withdraws, from any open status; the dossier closes.
func TestCaseWithdrawn(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		suap := s.NewClient(t, "suap", []string{"clerk"}, "SUAP")
		cs := c.mustSubmitSCIA(portal, bizApplicant)
		c.transition(suap, cs.ID, "withdrawn", "").problem(t, 403, "forbidden")
		var res api.CaseTransitionResult
		c.transition(portal, cs.ID, "withdrawn", "Rinuncia", "X-Applicant-Id", bizApplicant).decode(t, http.StatusOK, &res)
		if res.Case.Status != "withdrawn" || res.Case.ClosedAt == nil {
			t.Errorf("withdrawn %+v", res.Case)
		}
	})
}

// TestCaseConcurrentMoves: the status is checked under the case's lock, so of eight withdrawals
// and eight moves to in_progress sent at once exactly one of each kind that the state machine
// allows wins, and the dossier closes once.
func TestCaseConcurrentMoves(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		suap := s.NewClient(t, "suap", []string{"clerk"}, "SUAP")
		cs := c.mustSubmitSCIA(portal, bizApplicant)
		var wg sync.WaitGroup
		statuses := make([]int, 16)
		for i := range statuses {
			wg.Go(func() {
				if i%2 == 0 {
					statuses[i] = c.transition(portal, cs.ID, "withdrawn", "", "X-Applicant-Id", bizApplicant).Status
				} else {
					statuses[i] = c.transition(suap, cs.ID, "in_progress", "").Status
				}
			})
		}
		wg.Wait()
		withdrawn, started := 0, 0
		for i, st := range statuses {
			switch {
			case st == http.StatusOK && i%2 == 0:
				withdrawn++
			case st == http.StatusOK:
				started++
			case st != http.StatusConflict:
				t.Errorf("request %d: status %d", i, st)
			}
		}
		if withdrawn != 1 || started > 1 {
			t.Errorf("%d withdrawals and %d starts succeeded, want 1 and at most 1 (before it)", withdrawn, started)
		}
		var final api.Case
		c.do("GET", "/v1/cases/"+cs.ID, portal, nil, "X-Applicant-Id", bizApplicant).decode(t, http.StatusOK, &final)
		if final.Status != "withdrawn" {
			t.Errorf("final status %s", final.Status)
		}
	})
}

// TestCaseDeadline: the remaining days are right across an integration pause,
// and overdue cases show up in the office's worklist.
func TestCaseDeadline(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, rome))
	day := func(n int) { clock.Set(time.Date(2026, 3, 2+n, 10, 0, 0, 0, rome)) }
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		day(0)
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		sue := s.NewClient(t, "sue", []string{"clerk"}, "SUE")
		applicant := []string{"X-Applicant-Id", personMario}
		var cs api.Case
		c.submit(portal, personMario, cilaMetadata(), cilaParts()).decode(t, http.StatusCreated, &cs)
		other := func() api.Case {
			var o api.Case
			c.submit(portal, personVerdi, cilaMetadata(), cilaParts()).decode(t, http.StatusCreated, &o)
			return o
		}
		read := func() api.Case {
			var got api.Case
			c.do("GET", "/v1/cases/"+cs.ID, portal, nil, applicant...).decode(t, http.StatusOK, &got)
			return got
		}
		check := func(when string, got api.Case, deadline string, remaining int, paused, overdue bool) {
			t.Helper()
			if got.Deadline != deadline || got.RemainingDays != remaining || got.Paused != paused || got.Overdue != overdue {
				t.Errorf("%s: deadline %s, %d days left, paused %v, overdue %v; want %s, %d, %v, %v", when,
					got.Deadline, got.RemainingDays, got.Paused, got.Overdue, deadline, remaining, paused, overdue)
			}
		}
		check("submitted", cs, "2026-04-01", 30, false, false)
		day(10)
		check("day 10", read(), "2026-04-01", 20, false, false)
		c.transition(sue, cs.ID, "in_progress", "").expect(t, http.StatusOK)
		c.transition(sue, cs.ID, "awaiting_applicant", "Manca la ricevuta dei diritti di segreteria").expect(t, http.StatusOK)
		day(25)
		check("paused 15 days", read(), "2026-04-01", 20, true, false)
		c.message(portal, cs.ID, map[string]any{"text": "Allego la ricevuta"},
			[]apptest.Part{{Name: "document", Filename: "ricevuta.pdf", Content: apptest.PDF("ricevuta")}}, applicant...).expect(t, http.StatusCreated)
		check("answered on day 25", read(), "2026-04-16", 20, false, false)
		later := other() // submitted on day 25: due on day 55
		day(45)
		check("day 45", read(), "2026-04-16", 0, false, false)
		if read().ConsentBySilence {
			t.Errorf("consent by silence before the deadline passed")
		}
		if ids := c.worklist(sue, "/v1/cases?office=SUE&overdue=true"); len(ids) != 0 {
			t.Errorf("overdue on its last day: %v", ids)
		}
		day(46)
		check("day 46", read(), "2026-04-16", -1, false, true)
		if !read().ConsentBySilence {
			t.Errorf("a CILA past its deadline without a final act is granted by silence")
		}
		if ids := c.worklist(sue, "/v1/cases?office=SUE&overdue=true"); len(ids) != 1 || ids[0] != cs.ID {
			t.Errorf("overdue worklist %v, want only %s (not %s)", ids, cs.ID, later.ID)
		}
		if ids := c.worklist(sue, "/v1/cases?office=SUE"); len(ids) != 2 {
			t.Errorf("SUE worklist %v", ids)
		}
	}, apptest.WithClock(clock.Now))
}
