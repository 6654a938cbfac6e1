package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// Applicants of the tests: a business (partita IVA) and two people (codice fiscale).
const (
	bizApplicant   = "12345678903"
	otherBusiness  = "00743110157"
	personMario    = "RSSMRA80A01H501U"
	personVerdi    = "VRDGPP13R10B293P"
	sciaProcedure  = "scia-avvio-attivita"
	sciaPlanimetry = "Planimetria dei locali"
	sciaHealth     = "Notifica sanitaria (Reg. CE 852/2004)"
)

// sciaFormFor returns a valid SCIA form of the business applicant (its partita IVA).
func sciaFormFor(applicant string) map[string]any {
	return map[string]any{
		"business": map[string]any{"name": "Bar Centrale srl", "vat_number": applicant, "legal_representative": "Anna Bianchi"},
		"activity": map[string]any{"type": "somministrazione", "ateco": "56.30"},
		"premises": map[string]any{"address": "Via Roma 1, Roma"},
	}
}

// sciaMetadata is a valid metadata part with the two mandatory documents named.
func sciaMetadata() map[string]any { return sciaMetadataFor(bizApplicant) }

// sciaMetadataFor is sciaMetadata with the form of applicant.
func sciaMetadataFor(applicant string) map[string]any {
	return map[string]any{"procedure": sciaProcedure, "form": sciaFormFor(applicant),
		"documents": []map[string]any{{"requirement": sciaPlanimetry}, {"requirement": sciaHealth}}}
}

// sciaParts are the two PDFs of a SCIA.
func sciaParts() []apptest.Part {
	return []apptest.Part{
		{Name: "document", Filename: "planimetria.pdf", Content: apptest.PDF("planimetria")},
		{Name: "document", Filename: "notifica.pdf", Content: apptest.PDF("notifica sanitaria")},
	}
}

// cilaMetadata is a valid CILA without documents list: the parts fill the mandatory documents.
func cilaMetadata() map[string]any {
	return map[string]any{"procedure": "cila", "form": map[string]any{
		"property":   map[string]any{"address": "Via Po 3", "cadastral_sheet": "12", "cadastral_parcel": "345"},
		"works":      "Rifacimento bagno e impianti",
		"technician": map[string]any{"name": "Ing. Neri", "tax_code": "NRELCU70A01H501X", "register": "RM-1234"},
		"start_date": "2026-12-01",
	}}
}

func cilaParts() []apptest.Part {
	return []apptest.Part{{Name: "document", Filename: "relazione.pdf", Content: apptest.PDF("r")},
		{Name: "document", Filename: "grafici.pdf", Content: apptest.PDF("g")}}
}

// submit posts a case for applicant (no X-Applicant-Id when empty).
func (c *client) submit(token, applicant string, metadata any, parts []apptest.Part, headers ...string) *response {
	c.t.Helper()
	ct, body := apptest.Multipart(metadata, parts...)
	headers = append([]string{"Content-Type", ct}, headers...)
	if applicant != "" {
		headers = append(headers, "X-Applicant-Id", applicant)
	}
	return c.do("POST", "/v1/cases", token, body, headers...)
}

// mustSubmitSCIA submits a valid SCIA and returns the case.
func (c *client) mustSubmitSCIA(token, applicant string) api.Case {
	c.t.Helper()
	var cs api.Case
	c.submit(token, applicant, sciaMetadataFor(applicant), sciaParts()).decode(c.t, http.StatusCreated, &cs)
	return cs
}

// forPortal names bizApplicant when token is portal's: the header every portal request needs.
func forPortal(token, portal string) []string {
	if token == portal {
		return []string{"X-Applicant-Id", bizApplicant}
	}
	return nil
}

// searchAs searches for q with headers, waiting for the write at position.
func searchAs(t *testing.T, c *client, token string, position int64, q string, headers ...string) api.SearchResult {
	t.Helper()
	var res api.SearchResult
	params := url.Values{"q": {q}, "min_position": {strconv.FormatInt(position, 10)}}
	c.do("GET", "/v1/search?"+params.Encode(), token, nil, headers...).decode(t, http.StatusOK, &res)
	return res
}

// TestCaseSubmit: one submission registers incoming, opens the dossier, files the registration
// in it, and creates the case with its deadline, for the responsible office.
func TestCaseSubmit(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portale imprese", []string{"portal"})
		var cs api.Case
		r := c.submit(portal, bizApplicant, sciaMetadata(), sciaParts(), "Idempotency-Key", "scia-1")
		r.decode(t, http.StatusCreated, &cs)
		reg := cs.Registration
		if reg == nil || reg.Direction != "incoming" || reg.Channel != "web" || reg.Class != "VIII.4" ||
			!slices.Equal(reg.Offices, []string{"SUAP", "PM", "ASL"}) || reg.Number != 1 || reg.Document.MediaType != "application/json" {
			t.Fatalf("registration %+v", reg)
		}
		if len(reg.Attachments) != 2 || reg.Attachments[0].Description != sciaPlanimetry || reg.Attachments[1].Description != sciaHealth ||
			reg.Correspondents[0].TaxCode != bizApplicant || reg.Correspondents[0].Type != "organization" {
			t.Errorf("attachments and sender %+v %+v", reg.Attachments, reg.Correspondents)
		}
		if !strings.HasSuffix(cs.Dossier.Identifier, "-VIII.4-000001") || !slices.Equal(reg.Dossiers, []string{cs.Dossier.Identifier}) {
			t.Errorf("dossier %+v, registration filed in %v", cs.Dossier, reg.Dossiers)
		}
		date, _ := time.Parse(time.DateOnly, reg.Date)
		if cs.Status != "submitted" || cs.Office != "SUAP" || cs.Applicant != bizApplicant ||
			cs.Deadline != date.AddDate(0, 0, 60).Format(time.DateOnly) || cs.RemainingDays != 60 || cs.Paused || cs.Overdue {
			t.Errorf("case %+v", cs)
		}
		if cs.ReceiptURL != refPath(*reg)+"/receipt" || r.Header.Get("Location") != "/v1/cases/"+cs.ID || cs.Steps != nil {
			t.Errorf("receipt %q, location %q, steps shown to the applicant %+v", cs.ReceiptURL, r.Header.Get("Location"), cs.Steps)
		}

		t.Run("IdempotentRetry", func(t *testing.T) {
			var again api.Case
			r := c.submit(portal, bizApplicant, sciaMetadata(), sciaParts(), "Idempotency-Key", "scia-1")
			r.decode(t, http.StatusCreated, &again)
			if again.ID != cs.ID || r.Header.Get("Idempotent-Replayed") != "true" || again.Registration.Number != 1 {
				t.Errorf("retry %+v", again)
			}
		})
		t.Run("ErrKeyReusedForAnotherApplicant", func(t *testing.T) {
			c.submit(portal, otherBusiness, sciaMetadataFor(otherBusiness), sciaParts(), "Idempotency-Key", "scia-1").problem(t, 422, "idempotency_mismatch")
		})
		t.Run("DossierHoldsTheSubmission", func(t *testing.T) {
			records := s.NewClient(t, "rdg", []string{"records_officer"})
			var d api.Dossier
			c.do("GET", "/v1/dossiers/"+cs.Dossier.ID, records, nil).decode(t, http.StatusOK, &d)
			if d.Type != "procedimento" || d.Office != "SUAP" || d.Class != "VIII.4" || len(d.Items) != 1 || d.Items[0].Identifier != reg.Identifier {
				t.Errorf("dossier %+v", d)
			}
		})
		t.Run("StepsForStaff", func(t *testing.T) {
			suap := s.NewClient(t, "suap", []string{"clerk"}, "SUAP")
			var got api.Case
			c.do("GET", "/v1/cases/"+cs.ID, suap, nil).decode(t, http.StatusOK, &got)
			if len(got.Steps) != 2 || got.Steps[0].Office != "PM" || got.Steps[0].Status != "active" || got.Steps[1].Status != "waiting" {
				t.Errorf("steps %+v", got.Steps)
			}
		})
		t.Run("PersonMayApplyToCILA", func(t *testing.T) {
			var cila api.Case
			c.submit(portal, personMario, cilaMetadata(), cilaParts()).decode(t, http.StatusCreated, &cila)
			if cila.Registration.Attachments[1].Description != "Elaborati grafici" || cila.Registration.Correspondents[0].Type != "person" {
				t.Errorf("CILA without documents list: %+v", cila.Registration)
			}
		})
	})
}

// TestCaseSubmitRefused: invalid form data, a missing mandatory document, a bad
// codice fiscale are 422 naming the field, nothing is registered and no number is consumed.
func TestCaseSubmitRefused(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		refuse := func(t *testing.T, applicant string, meta map[string]any, parts []apptest.Part, field, word string) {
			t.Helper()
			namesField(t, c.submit(portal, applicant, meta, parts).problem(t, 422, "validation_failed"), field, word)
		}
		t.Run("ErrFormMissingField", func(t *testing.T) {
			meta := sciaMetadata()
			delete(meta["form"].(map[string]any)["business"].(map[string]any), "legal_representative")
			refuse(t, bizApplicant, meta, sciaParts(), "form/business/legal_representative", "required")
		})
		t.Run("ErrFormBadValue", func(t *testing.T) {
			meta := sciaMetadata()
			meta["form"].(map[string]any)["activity"].(map[string]any)["ateco"] = "bar"
			refuse(t, bizApplicant, meta, sciaParts(), "form/activity/ateco", "")
		})
		t.Run("ErrMandatoryDocumentMissing", func(t *testing.T) {
			meta := sciaMetadata()
			meta["documents"] = []map[string]any{{"requirement": sciaPlanimetry}}
			refuse(t, bizApplicant, meta, sciaParts()[:1], "documents", sciaHealth)
		})
		t.Run("ErrDocumentFormat", func(t *testing.T) {
			parts := sciaParts()
			parts[1].Content = []byte("plain text, not a PDF")
			refuse(t, bizApplicant, sciaMetadata(), parts, "documents[1]", "application/pdf")
		})
		t.Run("ErrUnknownRequirement", func(t *testing.T) {
			meta := sciaMetadata()
			meta["documents"] = []map[string]any{{"requirement": sciaPlanimetry}, {"requirement": "Foto"}}
			refuse(t, bizApplicant, meta, sciaParts(), "documents[1].requirement", "Foto")
		})
		t.Run("ErrBadCodiceFiscale", func(t *testing.T) {
			refuse(t, "RSSMRA80A01H501V", sciaMetadata(), sciaParts(), "X-Applicant-Id", "check character")
		})
		t.Run("ErrBadPartitaIVA", func(t *testing.T) {
			refuse(t, "12345678904", sciaMetadata(), sciaParts(), "X-Applicant-Id", "check digit")
		})
		t.Run("ErrNoApplicant", func(t *testing.T) {
			refuse(t, "", sciaMetadata(), sciaParts(), "X-Applicant-Id", "required")
		})
		t.Run("ErrPersonToBusinessProcedure", func(t *testing.T) {
			refuse(t, personMario, sciaMetadata(), sciaParts(), "X-Applicant-Id", "business")
		})
		t.Run("ErrUnknownProcedure", func(t *testing.T) {
			meta := sciaMetadata()
			meta["procedure"] = "nope"
			refuse(t, bizApplicant, meta, sciaParts(), "procedure", "nope")
		})
		t.Run("ErrApplicantFromStaff", func(t *testing.T) {
			c.submit(op, bizApplicant, sciaMetadata(), sciaParts()).problem(t, 403, "forbidden")
		})

		var cases api.CaseList
		records := s.NewClient(t, "rdg", []string{"records_officer"})
		c.do("GET", "/v1/cases", records, nil).decode(t, http.StatusOK, &cases)
		var regs api.RegistrationList
		c.do("GET", "/v1/registrations", records, nil).decode(t, http.StatusOK, &regs)
		if len(cases.Items) != 0 || len(regs.Items) != 0 {
			t.Fatalf("refused submissions stored %d cases, %d registrations", len(cases.Items), len(regs.Items))
		}
		cs := c.mustSubmitSCIA(portal, bizApplicant)
		if cs.Registration.Number != 1 || !strings.HasSuffix(cs.Dossier.Identifier, "-000001") {
			t.Errorf("first accepted submission took %d and %s: a refusal consumed a number", cs.Registration.Number, cs.Dossier.Identifier)
		}
	})
}

// TestCaseVisibility: a portal cannot read another portal's cases, nor one
// applicant another applicant's, in lists, reads, downloads or search.
func TestCaseVisibility(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portalA := s.NewClient(t, "portale A", []string{"portal"})
		portalB := s.NewClient(t, "portale B", []string{"portal"})
		mine := c.mustSubmitSCIA(portalA, bizApplicant)
		other := c.mustSubmitSCIA(portalA, otherBusiness)
		reg := *mine.Registration

		type reader struct {
			name, token, applicant string
		}
		for _, rd := range []reader{{"OtherPortal", portalB, bizApplicant}, {"OtherApplicant", portalA, otherBusiness}} {
			t.Run(rd.name, func(t *testing.T) {
				h := []string{"X-Applicant-Id", rd.applicant}
				c.do("GET", "/v1/cases/"+mine.ID, rd.token, nil, h...).problem(t, 404, "not_found")
				var list api.CaseList
				c.do("GET", "/v1/cases", rd.token, nil, h...).decode(t, http.StatusOK, &list)
				for _, it := range list.Items {
					if it.ID == mine.ID {
						t.Errorf("case listed to %s", rd.name)
					}
				}
				c.do("GET", refPath(reg), rd.token, nil, h...).problem(t, 404, "not_found")
				c.do("GET", refPath(reg)+"/attachments/0", rd.token, nil, h...).problem(t, 404, "not_found")
				c.do("GET", refPath(reg)+"/document", rd.token, nil, h...).problem(t, 404, "not_found")
				var regs api.RegistrationList
				c.do("GET", "/v1/registrations", rd.token, nil, h...).decode(t, http.StatusOK, &regs)
				for _, it := range regs.Items {
					if it.ID == reg.ID {
						t.Errorf("registration listed to %s", rd.name)
					}
				}
				res := searchAs(t, c, rd.token, other.Position, "istanza", h...)
				for _, it := range res.Items {
					if it.ID == reg.ID {
						t.Errorf("registration found by %s", rd.name)
					}
				}
			})
		}
		t.Run("OwnApplicantSeesEverything", func(t *testing.T) {
			h := []string{"X-Applicant-Id", bizApplicant}
			var got api.Case
			c.do("GET", "/v1/cases/"+mine.ID, portalA, nil, h...).decode(t, http.StatusOK, &got)
			var list api.CaseList
			c.do("GET", "/v1/cases", portalA, nil, h...).decode(t, http.StatusOK, &list)
			if got.ID != mine.ID || len(list.Items) != 1 || list.Items[0].ID != mine.ID {
				t.Errorf("own case %+v, list %+v", got, list.Items)
			}
			c.do("GET", refPath(reg)+"/attachments/1", portalA, nil, h...).expect(t, http.StatusOK)
			res := searchAs(t, c, portalA, other.Position, "istanza", h...)
			if res.Total != 1 || res.Items[0].ID != reg.ID {
				t.Errorf("search by the applicant %+v", res)
			}
			var dossiers api.DossierList
			c.do("GET", "/v1/dossiers", portalA, nil, h...).decode(t, http.StatusOK, &dossiers)
			if len(dossiers.Items) != 0 {
				t.Errorf("the applicant sees the offices' dossiers %+v", dossiers.Items)
			}
		})
		t.Run("ErrPortalMustNameApplicant", func(t *testing.T) {
			namesField(t, c.do("GET", "/v1/cases", portalA, nil).problem(t, 422, "validation_failed"), "X-Applicant-Id", "required")
		})
	})
}
