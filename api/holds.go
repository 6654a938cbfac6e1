package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// HoldList is one page of legal holds; next_cursor is empty on the last page.
type HoldList struct {
	Items      []Hold `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// holdParams are the query parameters of GET /v1/holds.
var holdParams = []string{"active", "limit", "cursor"}

// listHolds lists the legal holds.
//
//	@Summary		List legal holds
//	@Description	Records officers only. Newest first, one page at a time: pass `next_cursor` back as `cursor` until it is empty. `active=true` keeps the holds still blocking disposal, `active=false` the released ones.
//	@Tags			disposal
//	@Produce		json
//	@Security		BearerAuth
//	@Param			active	query		bool	false	"true: only active holds; false: only released ones"
//	@Param			limit	query		int		false	"Page size, 1 to 500 (default 50)"	minimum(1)	maximum(500)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Success		200		{object}	HoldList
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				listHolds
//	@Router			/v1/holds [get]
func (h *handlers) listHolds(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, holdParams)
	f := domain.HoldFilter{Cursor: q.Get("cursor"), Limit: limitQuery(&v, q, domain.MaxLimit)}
	switch s := q.Get("active"); s {
	case "":
	case "true", "false":
		active := s == "true"
		f.Active = &active
	default:
		v.Add("active", "must be true or false")
	}
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	page, err := h.svc.Holds(c.Request.Context(), principal(c), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := HoldList{Items: convertAll(page.Items, toHold), NextCursor: page.NextCursor}
	respond(c, http.StatusOK, out)
}
