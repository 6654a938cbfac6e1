package api

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// createDossier opens a dossier.
//
//	@Summary		Open a dossier (fascicolo)
//	@Description	Protocol operators, records officers, and clerks of the dossier's office. The identifier is the year of opening (Europe/Rome), the class and the next progressive number within that class and year, with no gaps (`2026-VI.3-000012`). The class must be valid today, the office must exist; a `parent` (sottofascicolo) must be open and share the class. Unknown fields and fields the system assigns are 422.
//	@Tags			dossiers
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"Makes retries safe: the same key and request answer the first result"	minlength(1)	maxlength(255)
//	@Param			dossier			body		NewDossier	true	"The new dossier"
//	@Success		201				{object}	Dossier
//	@Header			201				{string}	Location			"URL of the new dossier"
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,409,413,415,422,500,503	{object}	Problem
//	@ID				createDossier
//	@Router			/v1/dossiers [post]
func (h *handlers) createDossier(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in NewDossier
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	nd := domain.NewDossier{Class: in.Class, Subject: in.Subject, Type: domain.DossierType(in.Type), Office: in.Office, Parent: in.Parent, Responsible: in.Responsible}
	d, replayed, err := h.svc.CreateDossier(c.Request.Context(), principal(c), nd, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	c.Header("Location", "/v1/dossiers/"+d.ID)
	respond(c, http.StatusCreated, h.dossier(c, d))
}

// dossier converts d as the caller may see it.
func (h *handlers) dossier(c *gin.Context, d *domain.Dossier) Dossier {
	return toDossier(h.svc.ViewDossier(principal(c), d))
}

// listDossiers lists the dossiers the caller may see, newest first.
//
//	@Summary		List dossiers
//	@Description	Newest first, one page at a time: pass `next_cursor` back as `cursor` until it is empty. Records officers, protocol operators and admins see every dossier; others the dossiers of their offices and those they opened. Unknown or repeated query parameters are 422.
//	@Tags			dossiers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			class	query		string	false	"Class and its descendants (VI matches VI.3.2)"	extensions(x-pattern=class)
//	@Param			year	query		int		false	"Year of opening"	minimum(1000)	maximum(9999)
//	@Param			status	query		string	false	"Status: closed excludes the disposed, which disposed lists"	Enums(open, closed, disposed)
//	@Param			office	query		string	false	"Responsible office"
//	@Param			type	query		string	false	"Dossier type"	Enums(affare, attivita, persona_fisica, persona_giuridica, procedimento)
//	@Param			limit	query		int		false	"Page size (1-500, default 50)"	minimum(1)	maximum(500)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Success		200		{object}	DossierList
//	@Failure		401,422,500,503	{object}	Problem
//	@ID				listDossiers
//	@Router			/v1/dossiers [get]
func (h *handlers) listDossiers(c *gin.Context) {
	f, err := parseDossierFilter(c.Request.URL.Query())
	if err != nil {
		h.fail(c, err)
		return
	}
	page, err := h.svc.Dossiers(c.Request.Context(), principal(c), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := DossierList{Items: make([]Dossier, 0, len(page.Items)), NextCursor: page.NextCursor}
	for _, d := range page.Items {
		out.Items = append(out.Items, h.dossier(c, d))
	}
	respond(c, http.StatusOK, out)
}

// dossierParams are the query parameters of GET /v1/dossiers.
var dossierParams = []string{"class", "year", "status", "office", "type", "limit", "cursor"}

// parseDossierFilter reads the list filters, refusing unknown, repeated and non-numeric
// parameters; the domain checks the values.
func parseDossierFilter(q url.Values) (domain.DossierFilter, error) {
	var v domain.Validation
	checkQuery(&v, q, dossierParams)
	f := domain.DossierFilter{
		Class: q.Get("class"), Status: domain.DossierStatus(q.Get("status")), Office: q.Get("office"),
		Type: domain.DossierType(q.Get("type")), Cursor: q.Get("cursor"),
	}
	f.Year = yearQuery(&v, q)
	f.Limit = limitQuery(&v, q, domain.MaxLimit)
	return f, v.Err()
}

// getDossier returns one dossier.
//
//	@Summary		Get a dossier
//	@Description	By id or by identifier (`2026-VI.3-000012`), with the document index (by document date, then filing time) and the Allegato 5 aggregate metadata. A dossier the caller may not see is 404, like one that does not exist.
//	@Tags			dossiers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Id or identifier"	example(2026-VI.3-000012)
//	@Success		200	{object}	Dossier
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				getDossier
//	@Router			/v1/dossiers/{id} [get]
func (h *handlers) getDossier(c *gin.Context) {
	d, err := h.svc.Dossier(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, h.dossier(c, d))
}

// dossierHistory lists every event of a dossier.
//
//	@Summary		History of a dossier
//	@Description	Every recorded event, oldest first: the opening, each registration filed or unfiled, each closing and reopening with who (`actor`, `actor_name`), when and why (`detail`).
//	@Tags			dossiers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Id or identifier"	example(2026-VI.3-000012)
//	@Success		200	{object}	History
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				dossierHistory
//	@Router			/v1/dossiers/{id}/history [get]
func (h *handlers) dossierHistory(c *gin.Context) {
	events, err := h.svc.DossierHistory(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toHistory(events))
}
