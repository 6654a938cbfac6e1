package api_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestProceduresShippedCatalogue: a fresh installation carries the three example procedures,
// readable by a portal and filtered by audience.
func TestProceduresShippedCatalogue(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		var all api.ProcedureList
		c.do("GET", "/v1/procedures", portal, nil, "X-Applicant-Id", bizApplicant).decode(t, http.StatusOK, &all)
		codes := map[string]api.Procedure{}
		for _, p := range all.Items {
			codes[p.Code] = p
		}
		scia, ok := codes["scia-avvio-attivita"]
		if len(all.Items) != 3 || !ok || codes["cambio-residenza"].Office != "ANAG" || codes["cila"].Class != "VI.3" {
			t.Fatalf("shipped catalogue %+v", all.Items)
		}
		if scia.DeadlineDays != 60 || !scia.StepsInOrder || len(scia.Steps) != 2 || len(scia.RequiredDocuments) != 3 ||
			scia.FormSchema["type"] != "object" {
			t.Errorf("SCIA %+v", scia)
		}
		var citizen api.ProcedureList
		c.do("GET", "/v1/procedures?audience=citizen", portal, nil, "X-Applicant-Id", bizApplicant).decode(t, http.StatusOK, &citizen)
		if len(citizen.Items) != 2 || citizen.Items[0].Code != "cambio-residenza" || citizen.Items[1].Code != "cila" {
			t.Errorf("citizen catalogue %+v", citizen.Items)
		}
		namesField(t, c.do("GET", "/v1/procedures?audience=alien", portal, nil, "X-Applicant-Id", bizApplicant).problem(t, 422, "validation_failed"), "audience", "must be")
	})
}

// TestProcedureCreate: admins publish procedures; the schema must compile and what it names
// must exist; others are refused.
func TestProcedureCreate(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		body := func() map[string]any {
			return map[string]any{
				"code": "passo-carrabile", "name": "Passo carrabile", "audience": "both", "description": "Autorizzazione",
				"required_documents": []map[string]any{{"name": "Planimetria", "mandatory": true, "formats": []string{"application/pdf"}}},
				"form_schema":        map[string]any{"type": "object", "required": []string{"street"}},
				"office":             "PM", "class": "VI.7", "deadline_days": 30,
			}
		}
		var p api.Procedure
		c.json("POST", "/v1/procedures", s.AdminToken, body()).decode(t, http.StatusCreated, &p)
		if p.Code != "passo-carrabile" || p.Office != "PM" || p.FormSchema["type"] != "object" || len(p.Steps) != 0 {
			t.Errorf("created %+v", p)
		}
		c.json("POST", "/v1/procedures", s.AdminToken, body()).problem(t, 409, "conflict")
		c.json("POST", "/v1/procedures", portal, body(), "X-Applicant-Id", bizApplicant).problem(t, 403, "forbidden")

		t.Run("ErrSchemaDoesNotCompile", func(t *testing.T) {
			b := body()
			b["code"], b["form_schema"] = "x1", map[string]any{"type": "no-such-type"}
			namesField(t, c.json("POST", "/v1/procedures", s.AdminToken, b).problem(t, 422, "validation_failed"), "form_schema/type", "JSON Schema")
		})
		t.Run("ErrUnknownClass", func(t *testing.T) {
			b := body()
			b["code"], b["class"] = "x2", "XXI.9"
			namesField(t, c.json("POST", "/v1/procedures", s.AdminToken, b).problem(t, 422, "validation_failed"), "class", "XXI.9")
		})
		t.Run("ErrUnknownStepOffice", func(t *testing.T) {
			b := body()
			b["code"], b["steps"] = "x3", []map[string]any{{"office": "NOPE", "name": "?"}}
			namesField(t, c.json("POST", "/v1/procedures", s.AdminToken, b).problem(t, 422, "validation_failed"), "steps[0].office", "NOPE")
		})
		var list api.ProcedureList
		c.do("GET", "/v1/procedures", portal, nil, "X-Applicant-Id", bizApplicant).decode(t, http.StatusOK, &list)
		if len(list.Items) != 4 {
			t.Errorf("catalogue after refusals has %d procedures", len(list.Items))
		}
	})
}

// TestProcedureFormSchemaStaysInside: a form schema referring to a server file (the admin key,
// by file URL, path or relative path) or to a web address is 422 at its place; the answer shows
// neither the file nor a server path, nothing is fetched and nothing is published.
func TestProcedureFormSchemaStaysInside(t *testing.T) {
	var hits atomic.Int32
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"const": "from-the-web"}`))
	}))
	defer web.Close()
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		key := filepath.Join(s.DataDir, "admin.key")
		for i, ref := range []string{"file://" + key, key, "data/admin.key", web.URL + "/form.json"} {
			b := map[string]any{
				"code": "outside", "name": "Outside", "audience": "both", "office": "PM", "class": "VI.7", "deadline_days": 30,
				"form_schema": map[string]any{"properties": map[string]any{"tax_code": map[string]any{"$ref": ref}}},
			}
			r := c.json("POST", "/v1/procedures", s.AdminToken, b)
			namesField(t, r.problem(t, 422, "validation_failed"), "form_schema/properties/tax_code/$ref", "outside the schema")
			for _, leak := range []string{s.AdminToken[:12], s.DataDir, "sportello.invalid"} {
				if strings.Contains(string(r.Body), leak) {
					t.Errorf("ref %d: answer %s shows %q", i, r.Body, leak)
				}
			}
		}
		var list api.ProcedureList
		c.do("GET", "/v1/procedures", s.AdminToken, nil).decode(t, http.StatusOK, &list)
		if len(list.Items) != 3 {
			t.Errorf("catalogue after refusals has %d procedures", len(list.Items))
		}
	})
	if n := hits.Load(); n != 0 {
		t.Errorf("publishing procedures made %d web requests", n)
	}
}
