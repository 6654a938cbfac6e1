package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// fixityParams are the query parameters of GET /v1/archive/fixity.
var fixityParams = []string{"resolved"}

// getFixity reports the fixity checks.
//
//	@Summary		Fixity checks of the stored files
//	@Description	Records officers and administrators only. The latest fixity runs (each re-reads every stored blob and compares its SHA-256; SPORTELLO_FIXITY_EVERY, `sportello verify --data`), newest first, and the blobs found missing, altered or unreadable, with what references them, newest first (at most 100; `open` counts every failure not resolved). `resolved=true` also lists the failures a later run found right again.
//	@Tags			archive
//	@Produce		json
//	@Security		BearerAuth
//	@Param			resolved	query		bool	false	"true: also the resolved failures"
//	@Success		200			{object}	FixityReport
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				getFixity
//	@Router			/v1/archive/fixity [get]
func (h *handlers) getFixity(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, fixityParams)
	resolved := boolQuery(&v, q, "resolved")
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	rep, err := h.svc.FixityState(c.Request.Context(), principal(c), resolved)
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toFixityReport(rep))
}
