package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// patchRegistration changes the mutable fields of a registration.
//
//	@Summary		Change class, offices or dossiers
//	@Description	Only `class` (voce di titolario; "" removes it), `offices` (UOR codes) and `dossiers` (fascicoli) can change after registration; each change is recorded in the history with its old and new value. Any registered field (`subject`, `number`, `correspondents`, …) is `409 immutable_field`; any other field is 422. `null` is refused: send "" or [] to clear. An annulled registration is 409 conflict.
//	@Tags			registrations
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			register	path		string				true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int					true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string				true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Param			patch		body		RegistrationPatch	true	"The fields to change"
//	@Success		200			{object}	Registration
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				patchRegistration
//	@Router			/v1/registrations/{register}/{year}/{number} [patch]
func (h *handlers) patchRegistration(c *gin.Context) {
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	patch, err := decodePatch(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	r, err := h.svc.UpdateRegistration(c.Request.Context(), principal(c), ref, patch)
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toRegistration(r))
}

// decodePatch reads a PATCH body into the domain's patch: fields that registration fixes are
// immutable_field, others unknown, explicit nulls and empty patches refused.
func decodePatch(c *gin.Context) (domain.RegistrationPatch, error) {
	body, err := readJSONBody(c)
	if err != nil {
		return domain.RegistrationPatch{}, err
	}
	var in RegistrationPatch
	if err := decodeStrict(body, &in, "body", patchUnknown); err != nil {
		return domain.RegistrationPatch{}, err
	}
	var members map[string]json.RawMessage
	_ = json.Unmarshal(body, &members)
	var v domain.Validation
	for _, f := range domain.MutableFields {
		if raw, ok := members[f]; ok && bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			v.Add(f, "must not be null: send \"\" or [] to clear it")
		}
	}
	if len(members) == 0 {
		v.Add("body", "nothing to change: send one or more of %v", domain.MutableFields)
	}
	if err := v.Err(); err != nil {
		return domain.RegistrationPatch{}, err
	}
	return domain.RegistrationPatch{Class: in.Class, Offices: in.Offices, Dossiers: in.Dossiers}, nil
}

// patchUnknown tells an immutable field (409) from a field that does not exist (422).
func patchUnknown(path string) (domain.ErrorCode, string) {
	if !strings.ContainsAny(path, ".[") && slices.Contains(domain.ImmutableFields, path) {
		return domain.ECImmutable, "is fixed by the registration and cannot change; only class, offices and dossiers can"
	}
	return domain.ECValidation, "unknown field; only class, offices and dossiers can change"
}

// annulRegistration annuls a registration.
//
//	@Summary		Annul a registration (annullamento)
//	@Description	Records officers only, and only with the reference of the authorising act (estremi del provvedimento). The registration stays whole and readable, with status `annulled` and the annulment's who, when and why; its number is never reused. Annulling an annulled registration is 409.
//	@Tags			registrations
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string				false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			register		path		string				true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year			path		int					true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number			path		string				true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Param			annulment		body		AnnulmentRequest	true	"Reason and authorising act"
//	@Success		200				{object}	Registration
//	@Header			200				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				annulRegistration
//	@Router			/v1/registrations/{register}/{year}/{number}/annulment [post]
func (h *handlers) annulRegistration(c *gin.Context) {
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
	var in AnnulmentRequest
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	req := domain.AnnulmentRequest{Reason: in.Reason, Authorization: in.Authorization}
	r, replayed, err := h.svc.Annul(c.Request.Context(), principal(c), ref, req, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusOK, toRegistration(r))
}

// registrationHistory lists every event of a registration.
//
//	@Summary		History of a registration
//	@Description	Every recorded event, oldest first: the registration, each change of class, offices or dossiers with the old and new value (JSON), the annulment. Who (`actor`, `actor_name`) and when (`at`).
//	@Tags			registrations
//	@Produce		json
//	@Security		BearerAuth
//	@Param			register	path		string	true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int		true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string	true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Success		200			{object}	History
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				registrationHistory
//	@Router			/v1/registrations/{register}/{year}/{number}/history [get]
func (h *handlers) registrationHistory(c *gin.Context) {
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	events, err := h.svc.History(c.Request.Context(), principal(c), ref)
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toHistory(events))
}
