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

// DossierPatch changes what of a dossier may change after it is opened. An absent member stays
// as it is.
type DossierPatch struct {
	// Responsible is the user id of the new responsible person, an active member of the
	// dossier's office; "" removes it.
	Responsible *string `json:"responsible,omitempty"`
}

// dossierFixed are the members of a dossier that never change through PATCH (409
// immutable_field): what opening it fixes, and what closing, reopening and filing change.
var dossierFixed = []string{"id", "identifier", "year", "class", "number", "subject", "type", "office", "parent",
	"status", "disposal_id", "opened_at", "closed_at", "items", "hidden_items", "metadata", "position"}

// patchDossier changes a dossier's responsible person.
//
//	@Summary		Change a dossier's responsible person
//	@Description	A JSON merge patch (RFC 7396; `application/merge-patch+json` or `application/json`) of `responsible`, the user id of the person responsible (responsabile del procedimento): an active member of the dossier's office (422 otherwise), `""` removes it. Who may close the dossier may change it: protocol operators, records officers, clerks of the dossier's office. A closed or disposed-of dossier is 409 conflict. The change is in the dossier's history (`dossier.changed`, field `responsible`, old and new value); a patch that changes nothing records nothing. Any other member of a dossier is `409 immutable_field` (closing, reopening and filing have their own routes); an unknown member or `null` is 422.
//	@Tags			dossiers
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string			true	"Id or identifier"	example(2026-VI.3-000012)
//	@Param			patch	body		DossierPatch	true	"What changes"
//	@Success		200		{object}	Dossier
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				patchDossier
//	@Router			/v1/dossiers/{id} [patch]
func (h *handlers) patchDossier(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in DossierPatch
	if err := decodeStrict(body, &in, "body", func(path string) (domain.ErrorCode, string) {
		if !strings.ContainsAny(path, ".[") && slices.Contains(dossierFixed, path) {
			return domain.ECImmutable, "cannot change through PATCH; only responsible can"
		}
		return domain.ECValidation, "unknown field; only responsible can change"
	}); err != nil {
		h.fail(c, err)
		return
	}
	var members map[string]json.RawMessage
	_ = json.Unmarshal(body, &members)
	if raw, ok := members["responsible"]; ok && bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		h.fail(c, domain.Invalid("responsible", "must not be null: send \"\" to remove it"))
		return
	}
	d, err := h.svc.PatchDossier(c.Request.Context(), principal(c), c.Param("id"), domain.DossierPatch{Responsible: in.Responsible})
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, h.dossier(c, d))
}
