package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
)

// versionBody returns the content of the version of code in force as the body of a new
// version, for edit to change.
func (c *client) versionBody(token, code string, edit func(map[string]any)) map[string]any {
	c.t.Helper()
	var body map[string]any
	c.do("GET", "/v1/procedures/"+code, token, nil).decode(c.t, http.StatusOK, &body)
	for _, k := range []string{"code", "version", "status", "created_at", "created_by", "published_at", "published_by"} {
		delete(body, k)
	}
	if edit != nil {
		edit(body)
	}
	return body
}

// sciaV2 is the second version of the SCIA: the form also wants the opening date, only the
// planimetry is required, and only the health office is involved.
func sciaV2(body map[string]any) {
	schema := body["form_schema"].(map[string]any)
	schema["required"] = []any{"business", "activity", "premises", "opening_date"}
	schema["properties"].(map[string]any)["opening_date"] = map[string]any{"type": "string", "format": "date"}
	body["required_documents"] = []map[string]any{{"name": sciaPlanimetry, "mandatory": true, "formats": []string{"application/pdf"}}}
	body["steps"] = []map[string]any{{"office": "ASL", "name": "Parere igienico-sanitario"}}
}

// TestProcedureVersionKeepsCases (must-show 1): a case submitted under version 1 keeps version
// 1's form, documents and steps after version 2 is published; a new case is validated against
// version 2; both show their version.
func TestProcedureVersionKeepsCases(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		editor := s.NewClient(t, "redattore SUAP", []string{"editor"}, "SUAP")
		records := s.NewClient(t, "rdg", []string{"records_officer"})
		suap := s.NewClient(t, "istruttore SUAP", []string{"clerk"}, "SUAP")
		pm := s.NewClient(t, "polizia locale", []string{"clerk"}, "PM")
		old := c.mustSubmitSCIA(portal, bizApplicant)
		if old.ProcedureVersion != 1 {
			t.Fatalf("case under the shipped SCIA: procedure_version %d, want 1", old.ProcedureVersion)
		}

		var draft api.Procedure
		c.json("POST", "/v1/procedures/"+sciaProcedure+"/versions", editor, c.versionBody(editor, sciaProcedure, sciaV2)).
			decode(t, http.StatusCreated, &draft)
		if draft.Version != 2 || draft.Status != "draft" || draft.PublishedAt != nil {
			t.Fatalf("draft %+v", draft)
		}
		var inForce api.Procedure
		c.do("GET", "/v1/procedures/"+sciaProcedure, portal, nil, "X-Applicant-Id", bizApplicant).decode(t, http.StatusOK, &inForce)
		if inForce.Version != 1 {
			t.Fatalf("a draft is in force: version %d", inForce.Version)
		}
		// A draft is the staff's: a portal does not see it.
		c.do("GET", "/v1/procedures/"+sciaProcedure+"/versions/2", portal, nil, "X-Applicant-Id", bizApplicant).problem(t, 404, "not_found")

		var published api.Procedure
		c.json("POST", "/v1/procedures/"+sciaProcedure+"/versions/2/publish", records, map[string]any{"note": "Approvata"}).
			decode(t, http.StatusOK, &published)
		if published.Version != 2 || published.Status != "published" || published.PublishedBy == "" || published.PublishedAt == nil {
			t.Fatalf("published %+v", published)
		}
		c.do("GET", "/v1/procedures/"+sciaProcedure, portal, nil, "X-Applicant-Id", bizApplicant).decode(t, http.StatusOK, &inForce)
		if inForce.Version != 2 || len(inForce.Steps) != 1 || len(inForce.RequiredDocuments) != 1 {
			t.Fatalf("in force after publishing: %+v", inForce)
		}
		var versions api.ProcedureVersionList
		c.do("GET", "/v1/procedures/"+sciaProcedure+"/versions", portal, nil, "X-Applicant-Id", bizApplicant).decode(t, http.StatusOK, &versions)
		if len(versions.Items) != 2 || versions.Items[0].Version != 1 || len(versions.Items[0].Steps) != 2 || versions.Items[1].Version != 2 {
			t.Fatalf("versions %+v", versions.Items)
		}

		// The new case is validated against version 2: version 1's form lacks the opening date.
		namesField(t, c.submit(portal, bizApplicant, sciaMetadata(), sciaParts()).problem(t, 422, "validation_failed"),
			"form/opening_date", "required")
		meta := sciaMetadata()
		meta["form"].(map[string]any)["opening_date"] = "2026-12-15"
		meta["documents"] = []map[string]any{{"requirement": sciaPlanimetry}}
		var fresh api.Case
		c.submit(portal, bizApplicant, meta, sciaParts()[:1]).decode(t, http.StatusCreated, &fresh)
		if fresh.ProcedureVersion != 2 || len(fresh.Steps) != 0 {
			t.Fatalf("new case: version %d, steps %+v (the portal does not see steps)", fresh.ProcedureVersion, fresh.Steps)
		}
		c.do("GET", "/v1/cases/"+fresh.ID, suap, nil).decode(t, http.StatusOK, &fresh)
		if fresh.ProcedureVersion != 2 || len(fresh.Steps) != 1 || fresh.Steps[0].Office != "ASL" {
			t.Fatalf("new case for its office: version %d, steps %+v", fresh.ProcedureVersion, fresh.Steps)
		}

		// The old case keeps version 1: its two steps, in order (PM, then ASL), and its form.
		var kept api.Case
		c.do("GET", "/v1/cases/"+old.ID, suap, nil).decode(t, http.StatusOK, &kept)
		if kept.ProcedureVersion != 1 || len(kept.Steps) != 2 || kept.Steps[0].Office != "PM" || kept.Steps[1].Status != "waiting" {
			t.Fatalf("old case after version 2: version %d, steps %+v", kept.ProcedureVersion, kept.Steps)
		}
		if _, has := kept.Form["opening_date"]; has {
			t.Errorf("old case's form changed: %v", kept.Form)
		}
		c.json("POST", "/v1/cases/"+old.ID+"/steps/0/done", pm, map[string]any{"note": "Nulla osta"}).decode(t, http.StatusOK, &kept)
		if kept.Steps[1].Status != "active" {
			t.Errorf("version 1's steps run in order: after PM, ASL must be active: %+v", kept.Steps)
		}
		var list api.CaseList
		c.do("GET", "/v1/cases?procedure="+sciaProcedure, suap, nil).decode(t, http.StatusOK, &list)
		got := map[string]int{}
		for _, it := range list.Items {
			got[it.ID] = it.ProcedureVersion
		}
		if got[old.ID] != 1 || got[fresh.ID] != 2 {
			t.Errorf("listed versions %v", got)
		}
	})
}

// TestProcedureVersionRules (must-show 2): publishing without remedies or RUP is 422 naming
// them; a clerk (or editor) of another office cannot change the procedure (403); an involved
// office's editor changes only its step's instructions; the approver is the AOO's.
func TestProcedureVersionRules(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		editor := s.NewClient(t, "redattore SUAP", []string{"editor"}, "SUAP")
		records := s.NewClient(t, "rdg", []string{"records_officer"})
		anagClerk := s.NewClient(t, "anagrafe", []string{"clerk"}, "ANAG")
		anagEditor := s.NewClient(t, "redattore ANAG", []string{"editor"}, "ANAG")
		pmEditor := s.NewClient(t, "redattore PM", []string{"editor"}, "PM")
		path := "/v1/procedures/" + sciaProcedure + "/versions"

		incomplete := c.versionBody(editor, sciaProcedure, func(b map[string]any) {
			info := b["info"].(map[string]any)
			info["remedies"] = ""
			info["responsible"] = map[string]any{"name": ""}
		})
		var draft api.Procedure
		c.json("POST", path, editor, incomplete).decode(t, http.StatusCreated, &draft)
		p := c.json("POST", path+"/2/publish", records, map[string]any{}).problem(t, 422, "validation_failed")
		var fields []string
		for _, e := range p.Errors {
			fields = append(fields, e.Field)
		}
		slices.Sort(fields)
		if want := []string{"info.remedies", "info.responsible.email", "info.responsible.name"}; !slices.Equal(fields, want) {
			t.Errorf("missing fields named %v, want %v", fields, want)
		}
		var v2 api.Procedure
		c.do("GET", path+"/2", editor, nil).decode(t, http.StatusOK, &v2)
		if v2.Status != "draft" {
			t.Errorf("a refused publication changed the draft: %s", v2.Status)
		}

		for _, other := range []string{anagClerk, anagEditor} {
			c.json("POST", path, other, c.versionBody(editor, sciaProcedure, nil)).problem(t, 403, "forbidden")
		}
		// The involved office's editor: its step's instructions, nothing else.
		withInstructions := c.versionBody(editor, sciaProcedure, func(b map[string]any) {
			b["steps"].([]any)[0].(map[string]any)["instructions"] = "Sopralluogo entro 10 giorni"
		})
		var own api.Procedure
		c.json("POST", path, pmEditor, withInstructions).decode(t, http.StatusCreated, &own)
		if own.Version != 3 || own.Steps[0].Instructions != "Sopralluogo entro 10 giorni" {
			t.Fatalf("instructions draft %+v", own)
		}
		withInstructions["steps"].([]any)[1].(map[string]any)["instructions"] = "Non sua"
		c.json("POST", path, pmEditor, withInstructions).problem(t, 403, "forbidden")
		c.json("POST", path, pmEditor, c.versionBody(editor, sciaProcedure, func(b map[string]any) { b["deadline_days"] = 90 })).
			problem(t, 403, "forbidden")

		// Only the approver publishes, and not its own draft.
		c.json("POST", path+"/3/publish", editor, map[string]any{}).problem(t, 403, "forbidden")
		c.json("POST", path+"/3/publish", anagClerk, map[string]any{}).problem(t, 403, "forbidden")
		var selfDraft api.Procedure
		c.json("POST", path, s.AdminToken, c.versionBody(editor, sciaProcedure, nil)).decode(t, http.StatusCreated, &selfDraft)
		c.json("POST", path+"/3/publish", records, map[string]any{}).expect(t, http.StatusOK)
		var inForce api.Procedure
		c.do("GET", "/v1/procedures/"+sciaProcedure, editor, nil).decode(t, http.StatusOK, &inForce)
		if inForce.Version != 3 || inForce.Steps[0].Instructions != "Sopralluogo entro 10 giorni" {
			t.Errorf("in force %+v", inForce)
		}
		c.json("POST", path+"/2/publish", records, map[string]any{}).problem(t, 409, "conflict") // older than version 3
		c.json("POST", path+"/3/publish", records, map[string]any{}).problem(t, 409, "conflict") // published
		c.json("POST", "/v1/procedures/nope/versions", editor, c.versionBody(editor, sciaProcedure, nil)).problem(t, 404, "not_found")
	})
}

// TestProcedureApproverOffice: with SPORTELLO_PROCEDURE_APPROVER_OFFICE the coordinating
// office's clerks approve, and records officers no longer do; the drafter never approves its
// own version.
func TestProcedureApproverOffice(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		records := s.NewClient(t, "rdg", []string{"records_officer"})
		s.NewOffice(t, "SEGR", "Segreteria generale")
		coordinator := s.NewClient(t, "segreteria", []string{"clerk", "editor"}, "SEGR", "SUAP")
		editor := s.NewClient(t, "redattore SUAP", []string{"editor"}, "SUAP")
		path := "/v1/procedures/" + sciaProcedure + "/versions"
		c.json("POST", path, coordinator, c.versionBody(editor, sciaProcedure, nil)).expect(t, http.StatusCreated)
		c.json("POST", path+"/2/publish", coordinator, map[string]any{}).problem(t, 403, "forbidden") // its own draft
		c.json("POST", path, editor, c.versionBody(editor, sciaProcedure, nil)).expect(t, http.StatusCreated)
		c.json("POST", path+"/3/publish", records, map[string]any{}).problem(t, 403, "forbidden")
		c.json("POST", path+"/3/publish", coordinator, map[string]any{}).expect(t, http.StatusOK)
	}, apptest.WithConfig(func(cfg *app.Config) { cfg.ProcedureApproverOffice = "SEGR" }))
}

// TestProcedureSearch (must-show 4): the catalogue is searched by words analysed as Italian;
// "apertura bar" finds the SCIA for opening a business, and a published version is found by
// its new words at once.
func TestProcedureSearch(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portal", []string{"portal"})
		applicant := []string{"X-Applicant-Id", bizApplicant}
		find := func(q string) []string {
			t.Helper()
			var list api.ProcedureList
			c.do("GET", "/v1/procedures?q="+q, portal, nil, applicant...).decode(t, http.StatusOK, &list)
			var codes []string
			for _, p := range list.Items {
				codes = append(codes, p.Code)
			}
			return codes
		}
		if got := find("apertura+bar"); !slices.Equal(got, []string{sciaProcedure}) {
			t.Errorf("apertura bar: %v", got)
		}
		if got := find("aperture+BAR"); !slices.Equal(got, []string{sciaProcedure}) {
			t.Errorf("aperture BAR (plural, upper case): %v", got)
		}
		if got := find("residenza"); !slices.Equal(got, []string{"cambio-residenza"}) {
			t.Errorf("residenza: %v", got)
		}
		if got := find("bar+residenza"); len(got) != 0 {
			t.Errorf("every word must match: %v", got)
		}
		if got := find("citta"); len(got) != 0 {
			t.Errorf("citta: %v", got)
		}
		editor := s.NewClient(t, "redattore SUE", []string{"editor"}, "SUE")
		records := s.NewClient(t, "rdg", []string{"records_officer"})
		c.json("POST", "/v1/procedures/cila/versions", editor, c.versionBody(editor, "cila", func(b map[string]any) {
			b["description"] = b["description"].(string) + " Vale anche per le opere nei centri storici della città."
		})).expect(t, http.StatusCreated)
		c.json("POST", "/v1/procedures/cila/versions/2/publish", records, map[string]any{}).expect(t, http.StatusOK)
		if got := find("citta"); !slices.Equal(got, []string{"cila"}) {
			t.Errorf("citta after the new version: %v", got)
		}
		namesField(t, c.do("GET", "/v1/procedures?q="+strings.Repeat("a", 501), portal, nil, applicant...).problem(t, 422, "validation_failed"), "q", "at most")
	})
}
