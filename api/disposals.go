package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// dueParams are the query parameters of GET /v1/disposal/due.
var dueParams = []string{"on"}

// listDueForDisposal lists what is due for disposal.
//
//	@Summary		Disposal worklist (scarto)
//	@Description	Records officers only. Closed dossiers whose retention (the class's `retention_years`, counted from the closing date) has run out on `on` (default today), and registrations in no dossier whose class's retention, counted from the registration date, has run out. Anything under an active legal hold is left out; permanent classes never appear, nor do classes whose retention is not set: a disposal needs a retention period. Those classes are the second worklist, `classes_without_retention` (every class with neither `retention_years` nor `retention_permanent`, in scheme order), until a records officer sets their retention (PATCH /v1/classes/{code}, POST /v1/classes/retention). Unknown or repeated query parameters are 422.
//	@Tags			disposal
//	@Produce		json
//	@Security		BearerAuth
//	@Param			on	query		string	false	"Date YYYY-MM-DD"	format(date)
//	@Success		200	{object}	DueList
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				listDueForDisposal
//	@Router			/v1/disposal/due [get]
func (h *handlers) listDueForDisposal(c *gin.Context) {
	var v domain.Validation
	checkQuery(&v, c.Request.URL.Query(), dueParams)
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	items, err := h.svc.DueForDisposal(c.Request.Context(), principal(c), c.Query("on"))
	if err != nil {
		h.fail(c, err)
		return
	}
	unset, err := h.svc.ClassesWithoutRetention(c.Request.Context(), principal(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	out := DueList{Items: make([]DueItem, 0, len(items)), ClassesWithoutRetention: make([]ClassWithoutRetention, 0, len(unset))}
	for _, cl := range unset {
		out.ClassesWithoutRetention = append(out.ClassesWithoutRetention, ClassWithoutRetention{Code: cl.Code, Title: cl.Title, ValidTo: cl.ValidTo})
	}
	for _, it := range items {
		out.Items = append(out.Items, DueItem{Kind: it.Kind, ID: it.ID, Identifier: it.Identifier, Reference: it.Reference,
			Class: it.Class, ClosedAt: it.ClosedAt, Date: it.Date, RetentionYears: it.RetentionYears, DueOn: it.DueOn})
	}
	respond(c, http.StatusOK, out)
}

// createDisposal disposes of dossiers and registrations.
//
//	@Summary		Dispose of dossiers and registrations (scarto)
//	@Description	Records officers only, with the Soprintendenza's `authorization` (422 without). Every item (dossier id or identifier, or registration reference of a registration in no dossier) must be due on `date`, closed, not disposed of and under no hold: otherwise 409 naming it. The disposal record is kept forever with every file's SHA-256; the registrations stay in the register with `disposal` set and their downloads answer 410 gone. Content still used by a registration not disposed of is kept.
//	@Tags			disposal
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			disposal		body		NewDisposal	true	"What and under which authorisation"
//	@Success		201				{object}	Disposal
//	@Header			201				{string}	Location			"URL of the new disposal record"
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				createDisposal
//	@Router			/v1/disposals [post]
func (h *handlers) createDisposal(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in NewDisposal
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	d, replayed, err := h.svc.Dispose(c.Request.Context(), principal(c),
		domain.NewDisposal{Authorization: in.Authorization, Date: in.Date, Items: in.Items}, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	c.Header("Location", "/v1/disposals/"+d.ID)
	respond(c, http.StatusCreated, toDisposal(d))
}

// getDisposal returns a disposal record.
//
//	@Summary		Get a disposal record
//	@Description	Records officers only. Who disposed of what, when, under which authorisation, with every destroyed file's SHA-256.
//	@Tags			disposal
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Disposal id"
//	@Success		200	{object}	Disposal
//	@Failure		401,403,404,422,500,503	{object}	Problem
//	@ID				getDisposal
//	@Router			/v1/disposals/{id} [get]
func (h *handlers) getDisposal(c *gin.Context) {
	d, err := h.svc.Disposal(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toDisposal(d))
}

// createHold places a legal hold.
//
//	@Summary		Place a legal hold
//	@Description	Records officers only. On a `dossier` (and its sub-dossiers) or a `class` (and its descendants), with a `reason` and the `reference` of the act or proceeding; audited. While active, disposal of what it covers is 409.
//	@Tags			disposal
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string	false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			hold			body		NewHold	true	"What and why"
//	@Success		201				{object}	Hold
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,409,413,415,422,500,503	{object}	Problem
//	@ID				createHold
//	@Router			/v1/holds [post]
func (h *handlers) createHold(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in NewHold
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	hold, replayed, err := h.svc.PlaceHold(c.Request.Context(), principal(c),
		domain.NewHold{Dossier: in.Dossier, Class: in.Class, Reason: in.Reason, Reference: in.Reference}, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusCreated, toHold(hold))
}

// releaseHold releases a legal hold.
//
//	@Summary		Release a legal hold
//	@Description	Records officers only, with a `reason`; audited. The hold stays stored with who, when and why it was released. Releasing a released hold is 409.
//	@Tags			disposal
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			id				path		string		true	"Hold id"
//	@Param			release			body		HoldRelease	true	"Why"
//	@Success		200				{object}	Hold
//	@Header			200				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				releaseHold
//	@Router			/v1/holds/{id}/release [post]
func (h *handlers) releaseHold(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in HoldRelease
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	hold, replayed, err := h.svc.ReleaseHold(c.Request.Context(), principal(c), c.Param("id"), in.Reason, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusOK, toHold(hold))
}
