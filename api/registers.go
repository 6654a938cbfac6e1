package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// listRegisters lists the registers.
//
//	@Summary		List registers (registri e repertori)
//	@Description	The general register PG and the special registers (repertori), each numbered on its own, restarting every year. Never paged.
//	@Tags			registers
//	@Produce		json
//	@Security		BearerAuth
//	@Success		200	{object}	RegisterList
//	@Failure		401,422,500,503	{object}	Problem
//	@ID				listRegisters
//	@Router			/v1/registers [get]
func (h *handlers) listRegisters(c *gin.Context) {
	regs, err := h.svc.Registers(c.Request.Context(), principal(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	out := RegisterList{Items: convertAll(regs, toRegister)}
	respond(c, http.StatusOK, out)
}

// createRegister adds a special register.
//
//	@Summary		Create a special register (repertorio)
//	@Description	Admin only. The code is 1-16 uppercase letters, digits or _, starting with a letter; an existing code is 409. `allow_unclassified` (default false) lets registrations omit the class, to be classified later; otherwise a registration without class is 422 naming `class`. The general register PG allows it.
//	@Tags			registers
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			register		body		NewRegister	true	"The new register"
//	@Success		201				{object}	Register
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,409,413,415,422,500,503	{object}	Problem
//	@ID				createRegister
//	@Router			/v1/registers [post]
func (h *handlers) createRegister(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in NewRegister
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	r, replayed, err := h.svc.CreateRegister(c.Request.Context(), principal(c),
		domain.Register{Code: in.Code, Name: in.Name, AllowUnclassified: in.AllowUnclassified}, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusCreated, toRegister(r))
}
