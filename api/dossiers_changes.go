package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// fileInDossier files a registration or an unregistered document into a dossier.
//
//	@Summary		File a registration or a document into a dossier (fascicolazione)
//	@Description	Body `{"registration": "PG/2026/42"}` (the number bare or formatted) or `{"document": "<id>"}` (an unregistered document). Either may be in several dossiers; filing it where it already is changes nothing and answers 200 again. The item's `dossiers` and its history show the filing. A closed dossier accepts no new items: 409 conflict. An annulled registration or a disposed document is 409; one the caller may not see is 422. Protocol operators, records officers, and clerks of the dossier's office.
//	@Tags			dossiers
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string				false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			id				path		string				true	"Id or identifier"	example(2026-VI.3-000012)
//	@Param			item			body		DossierItemRequest	true	"What to file"
//	@Success		200				{object}	Dossier
//	@Header			200				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				fileInDossier
//	@Router			/v1/dossiers/{id}/items [post]
func (h *handlers) fileInDossier(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in DossierItemRequest
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	req := domain.DossierItemRequest{Registration: in.Registration, Document: in.Document}
	d, replayed, err := h.svc.FileInDossier(c.Request.Context(), principal(c), c.Param("id"), req, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusOK, h.dossier(c, d))
}

// closeDossier closes a dossier.
//
//	@Summary		Close a dossier
//	@Description	With a `reason`, kept in the dossier's history with who and when. A closed dossier accepts no new items and loses none; `closed_at` is set. Closing a closed dossier is 409. Protocol operators, records officers, and clerks of the dossier's office.
//	@Tags			dossiers
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string			false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			id				path		string			true	"Id or identifier"	example(2026-VI.3-000012)
//	@Param			closing			body		DossierClosing	true	"Why"
//	@Success		200				{object}	Dossier
//	@Header			200				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				closeDossier
//	@Router			/v1/dossiers/{id}/close [post]
func (h *handlers) closeDossier(c *gin.Context) { h.setDossierStatus(c, h.svc.CloseDossier) }

// reopenDossier reopens a closed dossier.
//
//	@Summary		Reopen a dossier
//	@Description	Records officers only, with a `reason`, kept in the dossier's history with who and when; `closed_at` is cleared (the closing stays in the history). Reopening an open dossier is 409.
//	@Tags			dossiers
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string			false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			id				path		string			true	"Id or identifier"	example(2026-VI.3-000012)
//	@Param			reopening		body		DossierClosing	true	"Why"
//	@Success		200				{object}	Dossier
//	@Header			200				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				reopenDossier
//	@Router			/v1/dossiers/{id}/reopen [post]
func (h *handlers) reopenDossier(c *gin.Context) { h.setDossierStatus(c, h.svc.ReopenDossier) }

type dossierStatusChange func(ctx context.Context, p domain.Principal, key string, in domain.DossierClosing, idem domain.Idempotency) (*domain.Dossier, bool, error)

func (h *handlers) setDossierStatus(c *gin.Context, change dossierStatusChange) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in DossierClosing
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	d, replayed, err := change(c.Request.Context(), principal(c), c.Param("id"), domain.DossierClosing{Reason: in.Reason}, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusOK, h.dossier(c, d))
}
