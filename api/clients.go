package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// createClient adds an API client with its first key.
//
//	@Summary		Create an API client
//	@Description	Admin only. Roles: admin, records_officer, protocol_operator, clerk, portal, importer. The answer carries the token, shown only this once: a replayed request (same Idempotency-Key) answers without it. `expires_at`, when given, must be in the future: the key is refused from then on.
//	@Tags			clients
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			client			body		NewClient	true	"The new client"
//	@Success		201				{object}	CreatedClient
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,409,413,415,422,500,503	{object}	Problem
//	@ID				createClient
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
	nc := domain.NewClient{Name: in.Name, Offices: in.Offices, ExpiresAt: in.ExpiresAt}
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

// clientParams are the query parameters of GET /v1/clients.
var clientParams = []string{"limit", "cursor"}

// listClients lists the API clients with their keys.
//
//	@Summary		List API clients and their keys
//	@Description	Admin only. Every client in the order they were created, with every key it ever had: id, state, creation, expiry, revocation and last use (accurate to a minute). Never a token or its hash. One page at a time: pass `next_cursor` back as `cursor` until it is empty. Unknown or repeated query parameters are 422.
//	@Tags			clients
//	@Produce		json
//	@Security		BearerAuth
//	@Param			limit	query		int		false	"Page size, 1 to 500 (default 50)"	minimum(1)	maximum(500)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Success		200		{object}	ClientList
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				listClients
//	@Router			/v1/clients [get]
func (h *handlers) listClients(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, clientParams)
	f := domain.ClientFilter{Cursor: q.Get("cursor"), Limit: limitQuery(&v, q, domain.MaxLimit)}
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	page, err := h.svc.Clients(c.Request.Context(), principal(c), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.svc.Now()
	out := ClientList{Items: make([]Client, 0, len(page.Items)), NextCursor: page.NextCursor}
	for _, ck := range page.Items {
		out.Items = append(out.Items, toClient(ck, now))
	}
	c.Header("Cache-Control", "no-store")
	respond(c, http.StatusOK, out)
}

// rotateKey gives a client a new key.
//
//	@Summary		Rotate a client's API key
//	@Description	Admin only. Issues a new key, whose token the answer carries only this once: a replayed request (same Idempotency-Key) answers without it. The client's previous active keys keep working for `grace_seconds` (default 86400, a day; 0 ends them at once), then expire; a key due to expire sooner keeps its expiry. The body may be empty or `{}`.
//	@Tags			clients
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string	true	"Client id"
//	@Param			Idempotency-Key	header		string	false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			rotation		body		NewKey	false	"Grace period of the previous keys, expiry of the new one"
//	@Success		201				{object}	CreatedKey
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,413,415,422,500,503	{object}	Problem
//	@ID				rotateKey
//	@Router			/v1/clients/{id}/keys [post]
func (h *handlers) rotateKey(c *gin.Context) {
	body := []byte("{}")
	if c.Request.ContentLength != 0 {
		var err error
		if body, err = readJSONBody(c); err != nil {
			h.fail(c, err)
			return
		}
	}
	var in NewKey
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	k, replayed, err := h.svc.RotateKey(c.Request.Context(), principal(c), c.Param("id"),
		domain.KeyRotation{GraceSeconds: in.GraceSeconds, ExpiresAt: in.ExpiresAt}, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	c.Header("Cache-Control", "no-store")
	respond(c, http.StatusCreated, toCreatedKey(k))
}

// revokeKey refuses a key from now on.
//
//	@Summary		Revoke an API key
//	@Description	Admin only. The key is refused from the next request on, on every replica (the others as soon as the database notifies them, PostgreSQL; within a second at worst). Revoking a revoked key changes nothing and answers 200 with its state, so that retries are harmless. A key of another client is 404.
//	@Tags			clients
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string	true	"Client id"
//	@Param			key_id			path		string	true	"Key id"
//	@Param			Idempotency-Key	header		string	false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Success		200				{object}	APIKey
//	@Header			200				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,422,500,503	{object}	Problem
//	@ID				revokeKey
//	@Router			/v1/clients/{id}/keys/{key_id}/revoke [post]
func (h *handlers) revokeKey(c *gin.Context) {
	k, replayed, err := h.svc.RevokeKey(c.Request.Context(), principal(c), c.Param("id"), c.Param("key_id"),
		jsonIdempotency(c, nil))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusOK, toAPIKey(k, h.svc.Now()))
}
