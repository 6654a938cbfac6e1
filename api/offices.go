package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// listOffices lists the offices.
//
//	@Summary		List offices (UOR, uffici)
//	@Description	Every office registrations can be assigned to. Never paged.
//	@Tags			offices
//	@Produce		json
//	@Security		BearerAuth
//	@Success		200	{object}	OfficeList
//	@Failure		401,422,500,503	{object}	Problem
//	@ID				listOffices
//	@Router			/v1/offices [get]
func (h *handlers) listOffices(c *gin.Context) {
	offices, err := h.svc.Offices(c.Request.Context(), principal(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	out := OfficeList{Items: convertAll(offices, toOffice)}
	respond(c, http.StatusOK, out)
}

// createOffice adds an office.
//
//	@Summary		Create an office
//	@Description	Admin only. An existing code is 409.
//	@Tags			offices
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			office			body		NewOffice	true	"The new office"
//	@Success		201				{object}	Office
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,409,413,415,422,500,503	{object}	Problem
//	@ID				createOffice
//	@Router			/v1/offices [post]
func (h *handlers) createOffice(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in NewOffice
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	o, replayed, err := h.svc.CreateOffice(c.Request.Context(), principal(c),
		domain.Office{Code: in.Code, Name: in.Name}, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusCreated, toOffice(o))
}
