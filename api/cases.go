package api

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// createCase submits an application for the applicant the portal names.
//
//	@Summary		Submit an application (istanza) to a procedure
//	@Description	Portals only, with `X-Applicant-Id` (the applicant's codice fiscale or partita IVA, checked with its check character). Multipart: part `metadata` (JSON, schema CaseMetadata) and one `document` part per file, matched by order to `metadata.documents`; without `documents`, the parts fill the procedure's mandatory requirements in order. The form is validated against the procedure's `form_schema` (a failing value is named `form/<JSON pointer>` in `errors[].field`), the documents against its requirements (mandatory, formats). In one transaction the submission is registered incoming (channel `web`: the form as the primary document, the files as attachments), a dossier of type procedimento is opened in the procedure's class, the case is created with its deadline and assigned to the responsible office. Anything refused stores nothing and takes no number.
//	@Tags			cases
//	@Accept			multipart/form-data
//	@Produce		json
//	@Security		BearerAuth
//	@Param			X-Applicant-Id	header		string	true	"Codice fiscale or partita IVA of the applicant"
//	@Param			Idempotency-Key	header		string	false	"Makes retries safe: the same key and request answer the first result"	minlength(1)	maxlength(255)
//	@Param			metadata		formData	string	true	"CaseMetadata as JSON"
//	@Param			document		formData	file	false	"A document; repeat the part for more"
//	@Success		201				{object}	Case
//	@Header			201				{string}	Location				"URL of the new case"
//	@Header			201				{string}	Idempotent-Replayed		"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,409,413,415,422,500,503,507	{object}	Problem
//	@ID				createCase
//	@Router			/v1/cases [post]
func (h *handlers) createCase(c *gin.Context) {
	var meta CaseMetadata
	body, err := h.readMultipart(c, &meta, nil, filePartLimit{partDocument, MaxFileParts, "too many document parts"})
	if err != nil {
		h.fail(c, err)
		return
	}
	in := domain.NewCase{Procedure: meta.Procedure, Documents: body.files[partDocument]}
	if meta.Form != nil {
		in.Form, _ = json.Marshal(meta.Form) // decoded from JSON: re-encoding cannot fail
	}
	if meta.Documents != nil {
		in.Requirements = make([]string, 0, len(meta.Documents))
		for _, d := range meta.Documents {
			in.Requirements = append(in.Requirements, d.Requirement)
		}
	}
	p := principal(c)
	cs, replayed, err := h.svc.SubmitCase(c.Request.Context(), p, in, body.idem)
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	c.Header("Location", "/v1/cases/"+cs.ID)
	respond(c, http.StatusCreated, h.toCase(p, cs))
}

// getCase returns one case.
//
//	@Summary		Get a case
//	@Description	A portal must name the applicant (`X-Applicant-Id`) and sees only the cases it submitted for that applicant; a clerk the cases in its offices' hands. A case the caller may not see is 404.
//	@Tags			cases
//	@Produce		json
//	@Security		BearerAuth
//	@Param			X-Applicant-Id	header		string	false	"Codice fiscale or partita IVA of the applicant (portals)"
//	@Param			id				path		string	true	"Case id"
//	@Success		200				{object}	Case
//	@Failure		401,403,404,422,500,503	{object}	Problem
//	@ID				getCase
//	@Router			/v1/cases/{id} [get]
func (h *handlers) getCase(c *gin.Context) {
	p := principal(c)
	cs, err := h.svc.Case(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, h.toCase(p, cs))
}

// listCases lists the cases the caller may see, newest first.
//
//	@Summary		List cases
//	@Description	For a portal, the cases it submitted for the applicant in `X-Applicant-Id`; for a clerk, the worklist of its offices (responsible office or active step); records officers and protocol operators see every case. `overdue=true` keeps the cases past their deadline and not awaiting the applicant.
//	@Tags			cases
//	@Produce		json
//	@Security		BearerAuth
//	@Param			X-Applicant-Id	header		string	false	"Codice fiscale or partita IVA of the applicant (portals)"
//	@Param			procedure		query		string	false	"Procedure code"
//	@Param			status			query		string	false	"Status"	Enums(submitted, in_progress, awaiting_applicant, approved, rejected, withdrawn)
//	@Param			office			query		string	false	"Cases in this office's hands"
//	@Param			overdue			query		bool	false	"true: only cases past their deadline"
//	@Param			limit			query		int		false	"Page size (1-500, default 50)"	minimum(1)	maximum(500)
//	@Param			cursor			query		string	false	"next_cursor of the previous page"
//	@Success		200				{object}	CaseList
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				listCases
//	@Router			/v1/cases [get]
func (h *handlers) listCases(c *gin.Context) {
	query := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, query, []string{"procedure", "status", "office", "overdue", "limit", "cursor"})
	q := domain.CaseQuery{Procedure: query.Get("procedure"), Status: domain.CaseStatus(query.Get("status")),
		Office: query.Get("office"), Cursor: query.Get("cursor")}
	q.Overdue = boolQuery(&v, query, "overdue")
	q.Limit = limitQuery(&v, query, domain.MaxLimit)
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	p := principal(c)
	page, err := h.svc.Cases(c.Request.Context(), p, q)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := CaseList{Items: make([]Case, 0, len(page.Items)), NextCursor: page.NextCursor}
	for _, cs := range page.Items {
		out.Items = append(out.Items, h.toCase(p, cs))
	}
	respond(c, http.StatusOK, out)
}

// toCase converts a case for p: applicants (portals) do not see the internal steps.
func (h *handlers) toCase(p domain.Principal, cs *domain.Case) Case {
	today := h.svc.Today()
	out := Case{
		ID: cs.ID, Procedure: cs.Procedure, ProcedureVersion: cs.ProcedureVersion, Applicant: cs.Applicant, Status: string(cs.Status), Office: cs.Office,
		SubmittedAt: utc(cs.SubmittedAt), Deadline: cs.DueDate, RemainingDays: cs.RemainingDays(today),
		Paused: cs.PausedOn != "", Overdue: cs.Overdue(today), ConsentBySilence: cs.ConsentBySilence(today), Dossier: CaseDossier{ID: cs.DossierID, Identifier: cs.Dossier},
		Position: cs.Position,
	}
	_ = json.Unmarshal(cs.Form, &out.Form) // stored as validated JSON
	if cs.ClosedAt != nil {
		t := utc(*cs.ClosedAt)
		out.ClosedAt = &t
	}
	if r := cs.Registration; r != nil {
		reg := toRegistration(r)
		out.Registration = &reg
		out.ReceiptURL = registrationPath(r) + "/receipt"
	}
	if p.Applicant == "" {
		for _, s := range cs.Steps {
			out.Steps = append(out.Steps, CaseStep(s))
		}
	}
	return out
}
