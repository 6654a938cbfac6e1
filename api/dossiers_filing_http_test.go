package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

func TestFileInDossier(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		ro := s.NewClient(t, "ro", []string{"records_officer"})
		clerk := s.NewClient(t, "clerk", []string{"clerk"}, "TEC")
		a := c.mustOpen(op, newDossierBody("Pratica A"))
		b := c.mustOpen(op, newDossierBody("Pratica B"))
		reg := c.mustRegister(op, "Domanda di permesso")
		bare := reg.Register + "/" + itoa(reg.Year) + "/" + itoa(int(reg.Number))
		formatted := reg.Register + "/" + itoa(reg.Year) + "/" + reg.NumberFormatted

		t.Run("InTwoDossiers", func(t *testing.T) {
			var got api.Dossier
			c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, map[string]string{"registration": bare}).decode(t, http.StatusOK, &got)
			if len(got.Items) != 1 || got.Items[0].Identifier != reg.Identifier || got.Items[0].Reference != formatted ||
				got.Items[0].Subject != reg.Subject || got.Items[0].Kind != "registration" ||
				!slices.Equal(got.Metadata.IndiceDocumenti, []string{reg.Identifier}) ||
				len(got.Metadata.Soggetti) != 1 || got.Metadata.Soggetti[0].Name != "Mario Rossi" {
				t.Errorf("dossier %+v", got)
			}
			c.json("POST", "/v1/dossiers/"+b.Identifier+"/items", op, map[string]string{"registration": formatted}).expect(t, http.StatusOK)
			var r api.Registration
			c.do("GET", refPath(reg), op, nil).decode(t, http.StatusOK, &r)
			if !slices.Equal(r.Dossiers, []string{a.Identifier, b.Identifier}) {
				t.Errorf("registration dossiers %v", r.Dossiers)
			}
		})
		t.Run("AgainChangesNothing", func(t *testing.T) {
			var got api.Dossier
			c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, map[string]string{"registration": formatted}).decode(t, http.StatusOK, &got)
			if len(got.Items) != 1 {
				t.Errorf("items %+v", got.Items)
			}
		})
		t.Run("IndexByDateWithSubjectsOnce", func(t *testing.T) {
			second := c.mustRegister(op, "Integrazione documentale")
			var got api.Dossier
			c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, map[string]string{"registration": refPath(second)[len("/v1/registrations/"):]}).decode(t, http.StatusOK, &got)
			if len(got.Items) != 2 || got.Items[0].Identifier != reg.Identifier || got.Items[1].Identifier != second.Identifier ||
				len(got.Metadata.Soggetti) != 1 || len(got.Metadata.IndiceDocumenti) != 2 {
				t.Errorf("index %+v metadata %+v", got.Items, got.Metadata)
			}
		})
		t.Run("ErrBadItem", func(t *testing.T) {
			namesField(t, c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, map[string]string{"document": "d1"}).problem(t, 422, "validation_failed"), "document", "not found")
			namesField(t, c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, map[string]string{"registration": "PG-2026-42"}).problem(t, 422, "validation_failed"), "registration", "reference")
			namesField(t, c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, map[string]string{"registration": "PG/2026/999999"}).problem(t, 422, "validation_failed"), "registration", "not found")
			namesField(t, c.json("POST", "/v1/dossiers/"+a.ID+"/items", op, `{}`).problem(t, 422, "validation_failed"), "registration", "required")
		})
		t.Run("ErrInvisibleRegistration", func(t *testing.T) {
			// The clerk of TEC handles the dossier but may not see a registration not assigned to TEC.
			namesField(t, c.json("POST", "/v1/dossiers/"+a.ID+"/items", clerk, map[string]string{"registration": bare}).problem(t, 422, "validation_failed"), "registration", "not found")
		})
		t.Run("ErrForbidden", func(t *testing.T) {
			other := s.NewClient(t, "other clerk", []string{"clerk"})
			c.json("POST", "/v1/dossiers/"+a.ID+"/items", other, map[string]string{"registration": bare}).problem(t, 404, "not_found")
			portal := s.NewClient(t, "portal", []string{"portal"})
			c.json("POST", "/v1/dossiers/"+a.ID+"/items", portal, map[string]string{"registration": bare}, "X-Applicant-Id", bizApplicant).problem(t, 403, "forbidden")
		})

		// A closed dossier refuses new items with a clear conflict; reopening is the
		// records officer's, and the history says who closed and reopened it, when and why.
		t.Run("ClosedRefusesItemsAndReopenIsAudited", func(t *testing.T) {
			var closed api.Dossier
			c.json("POST", "/v1/dossiers/"+b.ID+"/close", clerk, map[string]string{"reason": "Procedimento concluso"}).decode(t, http.StatusOK, &closed)
			if closed.Status != "closed" || closed.ClosedAt == nil || closed.Metadata.DataChiusura == "" {
				t.Errorf("closed %+v", closed)
			}
			late := c.mustRegister(op, "Arrivata tardi")
			p := c.json("POST", "/v1/dossiers/"+b.ID+"/items", op, map[string]string{"registration": refPath(late)[len("/v1/registrations/"):]}).problem(t, 409, "conflict")
			if !strings.Contains(p.Detail, b.Identifier+" is closed") || !strings.Contains(p.Detail, "accepts no new items") {
				t.Errorf("detail %q", p.Detail)
			}
			c.json("POST", "/v1/dossiers/"+b.ID+"/close", op, map[string]string{"reason": "x"}).problem(t, 409, "conflict")
			c.json("POST", "/v1/dossiers/"+b.ID+"/reopen", op, map[string]string{"reason": "x"}).problem(t, 403, "forbidden")
			namesField(t, c.json("POST", "/v1/dossiers/"+b.ID+"/reopen", ro, map[string]string{"reason": ""}).problem(t, 422, "validation_failed"), "reason", "required")
			var reopened api.Dossier
			c.json("POST", "/v1/dossiers/"+b.ID+"/reopen", ro, map[string]string{"reason": "Ricorso al TAR"}).decode(t, http.StatusOK, &reopened)
			if reopened.Status != "open" || reopened.ClosedAt != nil {
				t.Errorf("reopened %+v", reopened)
			}
			c.json("POST", "/v1/dossiers/"+b.ID+"/items", op, map[string]string{"registration": refPath(late)[len("/v1/registrations/"):]}).expect(t, http.StatusOK)
			var h api.History
			c.do("GET", "/v1/dossiers/"+b.Identifier+"/history", op, nil).decode(t, http.StatusOK, &h)
			var actions []string
			for _, e := range h.Items {
				actions = append(actions, e.Action)
				if e.Action == "dossier.closed" && (e.ActorName != "clerk" || e.Detail != "Procedimento concluso") ||
					e.Action == "dossier.reopened" && (e.ActorName != "ro" || e.Detail != "Ricorso al TAR" || e.At.IsZero()) {
					t.Errorf("event %+v", e)
				}
			}
			want := []string{"dossier.created", "dossier.item_added", "dossier.closed", "dossier.reopened", "dossier.item_added"}
			if !slices.Equal(actions, want) {
				t.Errorf("history %v, want %v", actions, want)
			}
		})
	})
}

func TestPatchRegistrationDossiers(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		a := c.mustOpen(op, newDossierBody("Pratica A"))
		b := c.mustOpen(op, newDossierBody("Pratica B"))
		reg := c.mustRegister(op, "Da fascicolare")
		path := refPath(reg)

		var got api.Registration
		c.json("PATCH", path, op, map[string]any{"dossiers": []string{a.Identifier, b.Identifier}}).decode(t, http.StatusOK, &got)
		if !slices.Equal(got.Dossiers, []string{a.Identifier, b.Identifier}) {
			t.Errorf("dossiers %v", got.Dossiers)
		}
		c.json("PATCH", path, op, map[string]any{"dossiers": []string{b.Identifier}}).decode(t, http.StatusOK, &got)
		var da api.Dossier
		c.do("GET", "/v1/dossiers/"+a.ID, op, nil).decode(t, http.StatusOK, &da)
		if !slices.Equal(got.Dossiers, []string{b.Identifier}) || len(da.Items) != 0 {
			t.Errorf("after unfiling: registration %v, dossier A items %+v", got.Dossiers, da.Items)
		}
		t.Run("ErrUnknownDossier", func(t *testing.T) {
			namesField(t, c.json("PATCH", path, op, map[string]any{"dossiers": []string{"2026-VI.3-999999"}}).problem(t, 422, "validation_failed"), "dossiers[0]", "unknown dossier")
			namesField(t, c.json("PATCH", path, op, map[string]any{"dossiers": []string{"fascicolo"}}).problem(t, 422, "validation_failed"), "dossiers[0]", "identifier")
		})
		t.Run("ErrClosed", func(t *testing.T) {
			c.json("POST", "/v1/dossiers/"+b.ID+"/close", op, map[string]string{"reason": "Concluso"}).expect(t, http.StatusOK)
			p := c.json("PATCH", path, op, map[string]any{"dossiers": []string{}}).problem(t, 409, "conflict")
			if !strings.Contains(p.Detail, "closed") {
				t.Errorf("detail %q", p.Detail)
			}
		})
		var h api.History
		c.do("GET", path+"/history", op, nil).decode(t, http.StatusOK, &h)
		var changes []string
		for _, e := range h.Items {
			if e.Field == "dossiers" {
				changes = append(changes, string(mustJSON(t, e.Old))+"→"+string(mustJSON(t, e.New)))
			}
		}
		want := []string{`[]→["` + a.Identifier + `","` + b.Identifier + `"]`, `["` + a.Identifier + `","` + b.Identifier + `"]→["` + b.Identifier + `"]`}
		if !slices.Equal(changes, want) {
			t.Errorf("history %v, want %v", changes, want)
		}
	})
}

func TestListDossiers(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		s.NewOffice(t, "RAG", "Ragioneria")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		clerk := s.NewClient(t, "clerk", []string{"clerk"}, "RAG")
		for i := range 5 {
			body := newDossierBody("Pratica " + itoa(i))
			if i%2 == 1 {
				body["class"], body["office"], body["type"] = "II.1", "RAG", "affare"
			}
			c.mustOpen(op, body)
		}
		list := func(token, query string) api.DossierList {
			t.Helper()
			var l api.DossierList
			c.do("GET", "/v1/dossiers"+query, token, nil).decode(t, http.StatusOK, &l)
			return l
		}
		if l := list(op, "?class=II&type=affare&status=open"); len(l.Items) != 2 || l.Items[0].Class != "II.1" {
			t.Errorf("class II: %+v", l.Items)
		}
		if l := list(clerk, ""); len(l.Items) != 2 || l.Items[0].Office != "RAG" {
			t.Errorf("clerk of RAG sees %+v", l.Items)
		}
		if l := list(op, "?status=closed"); len(l.Items) != 0 {
			t.Errorf("closed: %+v", l.Items)
		}
		var seen []string
		cursor := ""
		for range 5 {
			l := list(op, "?office=TEC&limit=2&cursor="+cursor)
			for _, d := range l.Items {
				seen = append(seen, d.Identifier)
			}
			if cursor = l.NextCursor; cursor == "" {
				break
			}
		}
		if len(seen) != 3 || !slices.IsSortedFunc(seen, func(a, b string) int { return strings.Compare(b, a) }) {
			t.Errorf("pages %v", seen)
		}
		t.Run("ErrBadFilters", func(t *testing.T) {
			namesField(t, c.do("GET", "/v1/dossiers?status=archived", op, nil).problem(t, 422, "validation_failed"), "status", "open, closed or disposed")
			namesField(t, c.do("GET", "/v1/dossiers?colour=red", op, nil).problem(t, 422, "validation_failed"), "colour", "unknown")
			namesField(t, c.do("GET", "/v1/dossiers?year=26", op, nil).problem(t, 422, "validation_failed"), "year", "four-digit")
		})
	})
}
