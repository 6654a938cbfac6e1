package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// changeConfidentiality marks a registration confidential or lifts the mark.
//
//	@Summary		Change confidentiality (riservatezza)
//	@Description	Records officers only, and only with a reason. The change is in the history (`field` `confidential`, old and new value, the reason as `detail`) and in the audit trail; who may see the registration follows at once. Setting the value it already has, or changing an annulled or disposed-of registration, is 409. The daily journal never shows a confidential registration's subject in clear ("riservato").
//	@Tags			registrations
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			register	path		string					true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int						true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string					true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Param			change		body		ConfidentialityRequest	true	"New value and reason"
//	@Success		200			{object}	Registration
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				changeConfidentiality
//	@Router			/v1/registrations/{register}/{year}/{number}/confidentiality [post]
func (h *handlers) changeConfidentiality(c *gin.Context) {
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in ConfidentialityRequest
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	if in.Confidential == nil {
		h.fail(c, domain.Invalid("confidential", "is required: true or false"))
		return
	}
	r, err := h.svc.ChangeConfidentiality(c.Request.Context(), principal(c), ref,
		domain.ConfidentialityChange{Confidential: *in.Confidential, Reason: in.Reason})
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toRegistration(r))
}
