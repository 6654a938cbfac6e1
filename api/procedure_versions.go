package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// getProcedure returns the version in force of a procedure.
//
//	@Summary		Get a procedure (its version in force)
//	@Description	The published version in force, with its information sheet (`info`): what new cases are submitted under. Its earlier and draft versions are under `/versions`.
//	@Tags			procedures
//	@Produce		json
//	@Security		BearerAuth
//	@Param			code	path		string	true	"Procedure code"	example(scia-avvio-attivita)
//	@Success		200		{object}	Procedure
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				getProcedure
//	@Router			/v1/procedures/{code} [get]
func (h *handlers) getProcedure(c *gin.Context) {
	p, err := h.svc.Procedure(c.Request.Context(), c.Param("code"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toProcedure(p))
}

// listProcedureVersions lists the versions of a procedure.
//
//	@Summary		List the versions of a procedure
//	@Description	Oldest first. Staff see drafts too; portals and importers only the published versions. A case names the version it was submitted under in `procedure_version`.
//	@Tags			procedures
//	@Produce		json
//	@Security		BearerAuth
//	@Param			code	path		string	true	"Procedure code"	example(scia-avvio-attivita)
//	@Success		200		{object}	ProcedureVersionList
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				listProcedureVersions
//	@Router			/v1/procedures/{code}/versions [get]
func (h *handlers) listProcedureVersions(c *gin.Context) {
	vs, err := h.svc.ProcedureVersions(c.Request.Context(), principal(c), c.Param("code"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, ProcedureVersionList{Items: convertAll(vs, toProcedure)})
}

// getProcedureVersion returns one version of a procedure.
//
//	@Summary		Get a version of a procedure
//	@Description	A draft only to staff (404 to portals and importers).
//	@Tags			procedures
//	@Produce		json
//	@Security		BearerAuth
//	@Param			code	path		string	true	"Procedure code"	example(scia-avvio-attivita)
//	@Param			version	path		int		true	"Version number"	minimum(1)
//	@Success		200		{object}	Procedure
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				getProcedureVersion
//	@Router			/v1/procedures/{code}/versions/{version} [get]
func (h *handlers) getProcedureVersion(c *gin.Context) {
	n, err := versionParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	p, err := h.svc.ProcedureVersion(c.Request.Context(), principal(c), c.Param("code"), n)
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toProcedure(p))
}

// versionParam reads the version number of the path.
func versionParam(c *gin.Context) (int, error) {
	n, err := strconv.Atoi(c.Param("version"))
	if err != nil || n < 1 {
		return 0, domain.Invalid("version", "must be a version number, 1 or more")
	}
	return n, nil
}

// createProcedureVersion drafts a new version of a procedure.
//
//	@Summary		Draft a new version of a procedure
//	@Description	A change to a procedure is a new version, numbered after the last, stored as a draft with the whole content (as `POST /v1/procedures`, without `code`). Editors (role `editor`) of the procedure's responsible office, and admins, may change anything; an editor of an office involved in a step only the `instructions` of its own steps (anything else is 403), and anyone else gets 403. The draft is checked like a new procedure (422); its information sheet may be incomplete until it is published. Cases are untouched: each keeps the version it was submitted under.
//	@Tags			procedures
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string				false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			code			path		string				true	"Procedure code"	example(scia-avvio-attivita)
//	@Param			version			body		NewProcedureVersion	true	"The content of the new version"
//	@Success		201				{object}	Procedure
//	@Header			201				{string}	Location			"URL of the new version"
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				createProcedureVersion
//	@Router			/v1/procedures/{code}/versions [post]
func (h *handlers) createProcedureVersion(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in NewProcedureVersion
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	out, replayed, err := h.svc.DraftProcedureVersion(c.Request.Context(), principal(c), c.Param("code"),
		fromProcedureContent(in), jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	c.Header("Location", "/v1/procedures/"+out.Code+"/versions/"+strconv.Itoa(out.Version))
	respond(c, http.StatusCreated, toProcedure(out))
}

// publishProcedureVersion approves and publishes a draft.
//
//	@Summary		Publish (approve) a draft version
//	@Description	The approver is configured for the AOO: records officers by default, or the clerks and editors of the coordinating office named by `SPORTELLO_PROCEDURE_APPROVER_OFFICE`; whoever drafted the version may not approve it (403). The information sheet must be complete (D.Lgs. 33/2013 art. 35): otherwise 422, with one entry of `errors` per missing field (`info.remedies`, `info.responsible.name`, `info.responsible.email` for a contact, …). Once published the version is in force: the catalogue shows it and new cases are submitted under it, while open cases keep theirs. Publishing a version that is not a draft, or older than the one in force, is 409.
//	@Tags			procedures
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string					false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			code			path		string					true	"Procedure code"	example(scia-avvio-attivita)
//	@Param			version			path		int						true	"Version number"	minimum(1)
//	@Param			publication		body		ProcedurePublication	true	"A note for the audit trail"
//	@Success		200				{object}	Procedure
//	@Header			200				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				publishProcedureVersion
//	@Router			/v1/procedures/{code}/versions/{version}/publish [post]
func (h *handlers) publishProcedureVersion(c *gin.Context) {
	n, err := versionParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in ProcedurePublication
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	out, replayed, err := h.svc.PublishProcedureVersion(c.Request.Context(), principal(c), c.Param("code"), n, in.Note,
		jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusOK, toProcedure(out))
}
