package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// patchClass changes a class's retention.
//
//	@Summary		Set or change a class's retention
//	@Description	Records officers and admins. A JSON merge patch (RFC 7396; `application/merge-patch+json` or `application/json`) of the class's retention (piano di conservazione): `retention_years` (1–999) sets the period in years and makes the class not permanent, `null` removes it; `retention_permanent: true` makes the class permanent (removing any period), `false` makes a permanent class not set. A class whose retention is not set is never due for disposal and is listed in `classes_without_retention` of GET /v1/disposal/due. Each actual change is recorded in the class's history (GET /v1/classes/{code}/history) with the old and new value (`10`, `permanent`, or `""` for not set) and `reason`. Any other member is 422; both a period and `retention_permanent: true` is 422.
//	@Tags			classes
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			code	path		string				true	"Class code"	example(VI.3)
//	@Param			patch	body		ClassRetentionPatch	true	"The retention to set"
//	@Success		200		{object}	Class
//	@Failure		401,403,404,413,415,422,500,503	{object}	Problem
//	@ID				patchClass
//	@Router			/v1/classes/{code} [patch]
func (h *handlers) patchClass(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in ClassRetentionPatch
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	var members map[string]json.RawMessage
	_ = json.Unmarshal(body, &members)
	_, setYears := members["retention_years"]
	_, setPermanent := members["retention_permanent"]
	patch := domain.RetentionPatch{SetYears: setYears, Years: in.RetentionYears, SetPermanent: setPermanent}
	if setPermanent {
		if in.RetentionPermanent == nil {
			h.fail(c, domain.Invalid("retention_permanent", "must be true or false, not null"))
			return
		}
		patch.Permanent = *in.RetentionPermanent
	}
	cl, err := h.svc.PatchClassRetention(c.Request.Context(), principal(c), c.Param("code"), patch, in.Reason)
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toClass(cl))
}

// retentionParams are the query parameters of POST /v1/classes/retention.
var retentionParams = []string{"reason"}

// importRetention applies a retention schedule in CSV to existing classes.
//
//	@Summary		Import a retention schedule (piano di conservazione)
//	@Description	Records officers and admins. The body is `text/csv` with a header row `code,retention_years` (any order): for each existing class, `retention_years` is a number of years (1–999), `permanent` (or `permanente`), or empty for not set. All or nothing: an unknown code, a bad value or a code given twice is 422 naming the line of the file (`line 5: retention_years`). Each actual change is recorded in its class's history with the query parameter `reason`; a row that changes nothing is left out. Answers the classes changed, in file order.
//	@Tags			classes
//	@Accept			text/csv
//	@Produce		json
//	@Security		BearerAuth
//	@Param			reason	query		string	false	"Kept in each class's history"	maxlength(500)
//	@Param			csv		body		string	true	"code,retention_years rows"
//	@Success		200		{object}	ClassList
//	@Failure		401,403,413,415,422,500,503	{object}	Problem
//	@ID				importRetention
//	@Router			/v1/classes/retention [post]
func (h *handlers) importRetention(c *gin.Context) {
	var v domain.Validation
	checkQuery(&v, c.Request.URL.Query(), retentionParams)
	if n := utf8.RuneCountInString(c.Query("reason")); n > domain.MaxRetentionReason {
		v.Add("reason", "must be at most %d characters, not %d", domain.MaxRetentionReason, n)
	}
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	if mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); mt != "text/csv" {
		h.fail(c, domain.Errorf(domain.ECUnsupportedMedia, "the body must be text/csv, not %q", c.GetHeader("Content-Type")))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxClassesBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		h.fail(c, domain.Errorf(domain.ECPayloadTooLarge, "the CSV is larger than %d bytes", maxClassesBody))
		return
	}
	if err != nil {
		h.fail(c, domain.Invalid("body", "could not be read: %v", err))
		return
	}
	if problem := textProblem(string(body)); problem != "" {
		line := 1 + bytes.Count(body[:firstFault(body)], []byte("\n"))
		h.fail(c, domain.Invalid(fmt.Sprintf("line %d", line), "%s", problem))
		return
	}
	changes, lines, err := domain.ParseRetentionCSV(bytes.NewReader(body))
	if err != nil {
		h.fail(c, err)
		return
	}
	changed, err := h.svc.SetClassRetentions(c.Request.Context(), principal(c), changes, lines, c.Query("reason"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, ClassList{Items: toClasses(changed)})
}

// classHistory lists every event of a class.
//
//	@Summary		History of a class
//	@Description	Records officers and admins. Every recorded event of the class, oldest first: its creation, its closing, each change of its retention with the old and new value (`10`, `permanent`, or `""` for not set) and the reason given (`detail`). Who (`actor`, `actor_name`) and when (`at`).
//	@Tags			classes
//	@Produce		json
//	@Security		BearerAuth
//	@Param			code	path		string	true	"Class code"	example(VI.3)
//	@Success		200		{object}	History
//	@Failure		401,403,404,500,503	{object}	Problem
//	@ID				classHistory
//	@Router			/v1/classes/{code}/history [get]
func (h *handlers) classHistory(c *gin.Context) {
	events, err := h.svc.ClassHistory(c.Request.Context(), principal(c), c.Param("code"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toHistory(events))
}
