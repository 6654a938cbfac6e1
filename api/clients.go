package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// createClient adds an API client with its first key.
//
//	@Summary		Create an API client
//	@Description	Admin only. Roles: admin, records_officer, protocol_operator, clerk, portal, importer. The answer carries the token, shown only this once: a replayed request (same Idempotency-Key) answers without it.
//	@Tags			clients
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"Makes retries safe"
//	@Param			client			body		NewClient	true	"The new client"
//	@Success		201				{object}	CreatedClient
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,409,413,415,422,500,503	{object}	Problem
//	@Router			/v1/clients [post]
func (h *handlers) createClient(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in NewClient
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	nc := domain.NewClient{Name: in.Name, Offices: in.Offices}
	for _, r := range in.Roles {
		nc.Roles = append(nc.Roles, domain.Role(r))
	}
	created, replayed, err := h.svc.CreateClient(c.Request.Context(), principal(c), nc, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	c.Header("Cache-Control", "no-store")
	respond(c, http.StatusCreated, toCreatedClient(created))
}
