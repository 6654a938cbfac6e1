package api_test

import (
	"net/http"
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
			namesField(t, c.json("POST", "/v1/procedures", s.AdminToken, b).problem(t, 422, "validation_failed"), "form_schema", "JSON Schema")
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
