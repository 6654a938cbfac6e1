package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestAssignmentFlow is issue 17's must-show 1: a registration assigned per competenza to
// office A and per conoscenza to B; A's clerk sees it in the pending worklist and accepts it;
// B's clerk can read it but not accept it; C's clerk gets 404; re-assigned, a rejection returns
// it to the protocol office's worklist with the reason; all of it is in the history.
func TestAssignmentFlow(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		s.NewOffice(t, "RAG", "Ragioneria")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		clerkA := s.NewClient(t, "clerkA", []string{"clerk"}, "TEC")
		clerkB := s.NewClient(t, "clerkB", []string{"clerk"}, "RAG")
		clerkC := s.NewClient(t, "clerkC", []string{"clerk"}, "ANAG")
		reg := c.mustRegister(op, "Richiesta di permesso di costruire")
		path := refPath(reg)
		c.do("GET", path, clerkA, nil).problem(t, 404, "not_found")

		t.Run("ErrForbidden", func(t *testing.T) {
			c.json("POST", path+"/assignments", clerkA, map[string]any{"conoscenza": []string{"TEC"}}).problem(t, 403, "forbidden")
		})
		t.Run("ErrEmpty", func(t *testing.T) {
			namesField(t, c.json("POST", path+"/assignments", op, map[string]any{}).problem(t, 422, "validation_failed"), "body", "competenza")
		})
		t.Run("ErrUnknownOffice", func(t *testing.T) {
			c.json("POST", path+"/assignments", op, map[string]any{"competenza": map[string]any{"office": "NOPE"}}).
				problem(t, 422, "validation_failed")
		})
		t.Run("ErrPersonNotOfOffice", func(t *testing.T) {
			c.json("POST", path+"/assignments", op, map[string]any{"competenza": map[string]any{"office": "TEC", "person": "nobody"}}).
				problem(t, 422, "validation_failed")
		})

		var made api.Assignments
		c.json("POST", path+"/assignments", op, map[string]any{
			"competenza": map[string]any{"office": "TEC"}, "conoscenza": []string{"RAG"}}).decode(t, http.StatusCreated, &made)
		if len(made.Items) != 2 || made.Items[0].Kind != "competenza" || made.Items[0].State != "pending" ||
			made.Items[1].Kind != "conoscenza" || made.Items[1].Office != "RAG" || made.Items[1].State != "informed" {
			t.Fatalf("assignments %+v", made.Items)
		}
		competenza, conoscenza := made.Items[0], made.Items[1]

		var work api.AssignmentPage
		c.do("GET", "/v1/assignments?state=pending", clerkA, nil).decode(t, http.StatusOK, &work)
		if len(work.Items) != 1 || work.Items[0].ID != competenza.ID || work.Items[0].Registration != reg.Identifier ||
			work.Counts["pending"] != 1 || work.Counts["accepted"] != 0 {
			t.Fatalf("A's pending worklist %+v", work)
		}
		c.do("GET", "/v1/assignments?state=pending", clerkC, nil).decode(t, http.StatusOK, &work)
		if len(work.Items) != 0 || work.Counts["pending"] != 0 {
			t.Fatalf("C's worklist %+v", work)
		}
		c.do("GET", "/v1/assignments?office=TEC", clerkC, nil).problem(t, 403, "forbidden")
		c.do("GET", "/v1/assignments?state=done", op, nil).problem(t, 422, "validation_failed")

		// B reads it but cannot accept either assignment; C cannot see it at all.
		c.do("GET", path, clerkB, nil).expect(t, http.StatusOK)
		c.json("POST", path+"/assignments/"+conoscenza.ID+"/accept", clerkB, nil).problem(t, 409, "conflict")
		c.json("POST", path+"/assignments/"+competenza.ID+"/accept", clerkB, nil).problem(t, 403, "forbidden")
		c.do("GET", path, clerkC, nil).problem(t, 404, "not_found")
		c.json("POST", path+"/assignments/"+competenza.ID+"/accept", clerkC, nil).problem(t, 404, "not_found")
		c.json("POST", path+"/assignments/"+competenza.ID+"/accept", op, nil).problem(t, 403, "forbidden")

		var got api.Assignment
		c.json("POST", path+"/assignments/"+competenza.ID+"/accept", clerkA, nil).decode(t, http.StatusOK, &got)
		if got.State != "accepted" || got.DecidedAt == nil {
			t.Fatalf("accepted %+v", got)
		}
		c.json("POST", path+"/assignments/"+competenza.ID+"/accept", clerkA, nil).problem(t, 409, "conflict")

		// Re-assigned per competenza to B: A's assignment is superseded and stays; B rejects.
		c.json("POST", path+"/assignments", op, map[string]any{"competenza": map[string]any{"office": "RAG"}}).
			decode(t, http.StatusCreated, &made)
		second := made.Items[0]
		namesField(t, c.json("POST", path+"/assignments/"+second.ID+"/reject", clerkB, map[string]any{"reason": ""}).
			problem(t, 422, "validation_failed"), "reason", "required")
		c.json("POST", path+"/assignments/"+second.ID+"/reject", clerkB, map[string]any{"reason": "Non di nostra competenza"}).
			decode(t, http.StatusOK, &got)
		if got.State != "rejected" || got.Reason != "Non di nostra competenza" {
			t.Fatalf("rejected %+v", got)
		}
		c.do("GET", "/v1/assignments?state=rejected", op, nil).decode(t, http.StatusOK, &work)
		if len(work.Items) != 1 || work.Items[0].ID != second.ID || work.Items[0].Reason != "Non di nostra competenza" ||
			work.Counts["rejected"] != 1 || work.Counts["accepted"] != 0 {
			t.Fatalf("protocol office's rejected worklist %+v", work)
		}
		c.do("GET", "/v1/assignments", op, nil).decode(t, http.StatusOK, &work)
		states := map[string]string{}
		for _, a := range work.Items {
			states[a.ID] = a.State
		}
		if len(work.Items) != 3 || states[competenza.ID] != "superseded" || states[conoscenza.ID] != "informed" {
			t.Fatalf("every assignment stays: %+v", work.Items)
		}
		c.do("GET", "/v1/assignments?limit=1", op, nil).decode(t, http.StatusOK, &work)
		if len(work.Items) != 1 || work.NextCursor == "" {
			t.Fatalf("first page %+v", work)
		}
		c.do("GET", "/v1/assignments?limit=2&cursor="+work.NextCursor, op, nil).decode(t, http.StatusOK, &work)
		if len(work.Items) != 2 || work.Items[0].ID != conoscenza.ID || work.NextCursor != "" {
			t.Fatalf("second page %+v", work)
		}

		metrics := string(c.do("GET", "/metrics", "", nil).Body)
		for _, want := range []string{`sportello_assignments_total{kind="competenza",step="created"} 2`,
			`sportello_assignments_total{kind="conoscenza",step="created"} 1`,
			`sportello_assignments_total{kind="competenza",step="accepted"} 1`,
			`sportello_assignments_total{kind="competenza",step="rejected"} 1`,
			`sportello_assignments_total{kind="competenza",step="superseded"} 1`} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}

		var h api.History
		c.do("GET", path+"/history", op, nil).decode(t, http.StatusOK, &h)
		var steps []string
		for _, e := range h.Items {
			if e.Field == "assignment" {
				steps = append(steps, e.Action+" "+e.Detail)
			}
		}
		all := strings.Join(steps, "\n")
		if len(steps) != 5 || !strings.Contains(all, "registration.assigned competenza TEC") ||
			!strings.Contains(all, "registration.assigned conoscenza RAG") ||
			!strings.Contains(all, "registration.assignment_accepted competenza TEC") ||
			!strings.Contains(all, "registration.assignment_rejected competenza RAG ["+second.ID+"]: Non di nostra competenza") {
			t.Fatalf("history of the assignments:\n%s", all)
		}
	})
}

// TestAssignmentToPerson: an assignment per competenza that names a person (a user of the
// office) is in that person's worklist and only that person accepts it; a user of another
// office cannot be named, as an assignment's person or as a dossier's responsible.
func TestAssignmentToPerson(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		s.NewOffice(t, "RAG", "Ragioneria")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		colleague := s.NewClient(t, "colleague", []string{"clerk"}, "TEC")
		fields := func(office string) map[string]any {
			cf := apptest.TaxCode()
			return map[string]any{"name": "Maria Bianchi", "tax_code": cf, "email": strings.ToLower(cf) + "@comune.example.it",
				"roles": []string{"clerk"}, "offices": []string{office}}
		}
		user := s.NewUser(t, fields("TEC"))
		outsider := s.NewUser(t, fields("RAG"))
		var key api.CreatedKey
		c.json("POST", "/v1/users/"+user.ID+"/keys", s.AdminToken, map[string]any{}).decode(t, http.StatusCreated, &key)
		reg := c.mustRegister(op, "Istanza di accesso civico")
		path := refPath(reg)

		namesField(t, c.json("POST", path+"/assignments", op, map[string]any{"competenza": map[string]any{"office": "TEC", "person": outsider.ID}}).
			problem(t, 422, "validation_failed"), "competenza.person", "not an active member")

		var made api.Assignments
		c.json("POST", path+"/assignments", op, map[string]any{"competenza": map[string]any{"office": "TEC", "person": user.ID}}).
			decode(t, http.StatusCreated, &made)
		a := made.Items[0]
		if a.Person != user.ID {
			t.Fatalf("assignment %+v", a)
		}
		var work api.AssignmentPage
		c.do("GET", "/v1/assignments?person="+user.ID+"&state=pending", key.Token, nil).decode(t, http.StatusOK, &work)
		if len(work.Items) != 1 || work.Items[0].ID != a.ID || work.Counts["pending"] != 1 {
			t.Fatalf("the person's worklist %+v", work)
		}
		c.json("POST", path+"/assignments/"+a.ID+"/accept", colleague, nil).problem(t, 403, "forbidden")
		var got api.Assignment
		c.json("POST", path+"/assignments/"+a.ID+"/accept", key.Token, nil).decode(t, http.StatusOK, &got)
		if got.State != "accepted" {
			t.Fatalf("accepted %+v", got)
		}

		// A dossier names its responsible person too, a member of its office.
		dossier := map[string]any{"class": "VI.3", "subject": "Lavori", "type": "affare", "office": "TEC", "responsible": user.ID}
		var d api.Dossier
		c.json("POST", "/v1/dossiers", op, dossier).decode(t, http.StatusCreated, &d)
		c.do("GET", "/v1/dossiers/"+d.ID, op, nil).decode(t, http.StatusOK, &d)
		if d.Responsible != user.ID {
			t.Fatalf("dossier %+v", d)
		}
		dossier["responsible"] = outsider.ID
		namesField(t, c.json("POST", "/v1/dossiers", op, dossier).problem(t, 422, "validation_failed"), "responsible", "not an active member")
	})
}
