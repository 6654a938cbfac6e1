package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// createUser adds a staff user.
//
//	@Summary		Create a staff user
//	@Description	Admin only. A person who signs in with the identity provider's bearer token (OIDC) or a personal API key (POST /v1/users/{id}/keys); created without a key. `tax_code` is a person's codice fiscale, checked with its check character; `email` a bare address; `roles` staff roles only (admin, records_officer, protocol_operator, clerk: portals and importers are API clients). On the person's first sign-in the token's subject is bound to the user whose tax code the token carries (or, without one, whose e-mail it verifies), unless `oidc_subject` binds it now. A tax code, e-mail or subject of another user is 409.
//	@Tags			users
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string	false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			user			body		NewUser	true	"The new user"
//	@Success		201				{object}	User
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,409,413,415,422,500,503	{object}	Problem
//	@ID				createUser
//	@Router			/v1/users [post]
func (h *handlers) createUser(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in NewUser
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	nu := domain.NewUser{Name: in.Name, TaxCode: in.TaxCode, Email: in.Email, Subject: in.OIDCSubject,
		Roles: toRoles(in.Roles), Offices: in.Offices}
	u, replayed, err := h.svc.CreateUser(c.Request.Context(), principal(c), nu, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusCreated, toUser(u))
}

// userParams are the query parameters of GET /v1/users.
var userParams = []string{"limit", "cursor"}

// listUsers lists the staff users.
//
//	@Summary		List staff users
//	@Description	Admin only. Every user in the order they were created, deactivated ones included. One page at a time: pass `next_cursor` back as `cursor` until it is empty. Unknown or repeated query parameters are 422.
//	@Tags			users
//	@Produce		json
//	@Security		BearerAuth
//	@Param			limit	query		int		false	"Page size, 1 to 500 (default 50)"	minimum(1)	maximum(500)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Success		200		{object}	UserList
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				listUsers
//	@Router			/v1/users [get]
func (h *handlers) listUsers(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, userParams)
	f := domain.UserFilter{Cursor: q.Get("cursor"), Limit: limitQuery(&v, q, domain.MaxLimit)}
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	page, err := h.svc.Users(c.Request.Context(), principal(c), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := UserList{Items: make([]User, 0, len(page.Items)), NextCursor: page.NextCursor}
	for _, u := range page.Items {
		out.Items = append(out.Items, toUser(u))
	}
	respond(c, http.StatusOK, out)
}

// getUser returns one staff user.
//
//	@Summary		A staff user
//	@Description	Admin only. A client that is no user is 404.
//	@Tags			users
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"User id"
//	@Success		200	{object}	User
//	@Failure		401,403,404,422,500,503	{object}	Problem
//	@ID				getUser
//	@Router			/v1/users/{id} [get]
func (h *handlers) getUser(c *gin.Context) {
	u, err := h.svc.User(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toUser(u))
}

// patchUser changes a staff user's name, e-mail, subject, roles or offices.
//
//	@Summary		Change a staff user
//	@Description	Admin only. Members left out stay as they are; each actual change is an audit event with the old and new value. New roles and offices hold from the person's next request, on every replica (the others as soon as the database notifies them, PostgreSQL; within a second at worst). `oidc_subject: ""` unbinds the subject: the next sign-in binds one again by tax code or e-mail. The tax code never changes: any other member is 422. An e-mail or subject of another user is 409.
//	@Tags			users
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string		true	"User id"
//	@Param			patch	body		UserPatch	true	"What changes"
//	@Success		200		{object}	User
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				patchUser
//	@Router			/v1/users/{id} [patch]
func (h *handlers) patchUser(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in UserPatch
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	patch := domain.UserPatch{Name: in.Name, Email: in.Email, Subject: in.OIDCSubject, Offices: in.Offices}
	if in.Roles != nil {
		roles := toRoles(*in.Roles)
		patch.Roles = &roles
	}
	// A patch sets values: sent twice, it changes nothing the second time.
	u, _, err := h.svc.UpdateUser(c.Request.Context(), principal(c), c.Param("id"), patch, domain.Idempotency{})
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toUser(u))
}

// deactivateUser refuses a staff user's keys and tokens from now on.
//
//	@Summary		Deactivate a staff user
//	@Description	Admin only. The person's personal keys and identity-provider tokens are refused from the next request on, on every replica (the others as soon as the database notifies them, PostgreSQL; within a second at worst); everything they did keeps naming them, and the user is never deleted. Deactivating a deactivated user changes nothing. Deactivating yourself is 409.
//	@Tags			users
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string	true	"User id"
//	@Param			Idempotency-Key	header		string	false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Success		200				{object}	User
//	@Header			200				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,422,500,503	{object}	Problem
//	@ID				deactivateUser
//	@Router			/v1/users/{id}/deactivate [post]
func (h *handlers) deactivateUser(c *gin.Context) {
	u, replayed, err := h.svc.DeactivateUser(c.Request.Context(), principal(c), c.Param("id"), jsonIdempotency(c, nil))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusOK, toUser(u))
}

// createUserKey gives a staff user a personal API key.
//
//	@Summary		Give a staff user a personal API key
//	@Description	Admin only. A key for the person's scripts, acting as the person (roles, offices, and the person in every audit event): the user's client key, rotated like a client's (POST /v1/clients/{id}/keys): the token is in this answer only, a replayed request answers without it, and the user's earlier keys keep working for `grace_seconds` (default a day, 0 ends them at once). Revoke it with POST /v1/clients/{id}/keys/{key_id}/revoke. A deactivated user is 409. The body may be empty or `{}`.
//	@Tags			users
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string	true	"User id"
//	@Param			Idempotency-Key	header		string	false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			key				body		NewKey	false	"Grace period of the earlier keys, expiry of the new one"
//	@Success		201				{object}	CreatedKey
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				createUserKey
//	@Router			/v1/users/{id}/keys [post]
func (h *handlers) createUserKey(c *gin.Context) {
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
	k, replayed, err := h.svc.CreateUserKey(c.Request.Context(), principal(c), c.Param("id"),
		domain.KeyRotation{GraceSeconds: in.GraceSeconds, ExpiresAt: in.ExpiresAt}, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	c.Header("Cache-Control", "no-store")
	respond(c, http.StatusCreated, toCreatedKey(k))
}
