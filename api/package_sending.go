package api

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// ArchivePackageList is one page of archive packages; next_cursor is empty on the last page.
type ArchivePackageList struct {
	Items      []ArchivePackage `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

// PackageOutcomeRequest is the conservator's answer about a package, the metadata part of
// POST /v1/archive/packages/{id}/report.
type PackageOutcomeRequest struct {
	// Outcome is acknowledged (the report part is required) or refused (reason required).
	Outcome string `json:"outcome" enums:"acknowledged,refused" example:"acknowledged"`
	// Reason is why the conservator refused the package.
	Reason string `json:"reason,omitempty" maxLength:"2000" example:"Firma dell'indice non valida"`
}

// partReport is the file part of the rapporto di versamento.
const partReport = "report"

// packageParams are the query parameters of GET /v1/archive/packages.
var packageParams = []string{"state", "kind", "limit", "cursor"}

// listPackages lists the archive packages.
//
//	@Summary		List archive packages
//	@Description	Records officers and administrators. Newest first, one page at a time: pass `next_cursor` back as `cursor` until it is empty. `state` and `kind` filter: `state=refused` is the worklist of packages the conservator refused, `state=ready&kind=aip` those not sent yet.
//	@Tags			archive
//	@Produce		json
//	@Security		BearerAuth
//	@Param			state	query		string	false	"Only packages in this state"	Enums(building,ready,failed,sent,acknowledged,refused)
//	@Param			kind	query		string	false	"Only packages of this kind"	Enums(aip,dip)
//	@Param			limit	query		int		false	"Page size, 1 to 500 (default 50)"	minimum(1)	maximum(500)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Success		200		{object}	ArchivePackageList
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				listPackages
//	@Router			/v1/archive/packages [get]
func (h *handlers) listPackages(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, packageParams)
	f := domain.PackageFilter{State: q.Get("state"), Kind: q.Get("kind"), Cursor: q.Get("cursor"),
		Limit: limitQuery(&v, q, domain.MaxLimit)}
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	page, err := h.svc.ArchivePackages(c.Request.Context(), principal(c), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := ArchivePackageList{Items: make([]ArchivePackage, 0, len(page.Items)), NextCursor: page.NextCursor}
	for _, p := range page.Items {
		a, err := h.archivePackage(c, p)
		if err != nil {
			h.fail(c, err)
			return
		}
		out.Items = append(out.Items, a)
	}
	respond(c, http.StatusOK, out)
}

// settlePackage records the conservator's answer about an archival package.
//
//	@Summary		Upload the conservator's report (rapporto di versamento)
//	@Description	Records officers. Multipart: part `metadata` = `{"outcome": "acknowledged"}` with the conservator's rapporto di versamento as part `report` (XML or PDF; its digest is kept and it is downloaded again from `GET …/report`), or `{"outcome": "refused", "reason": "…"}`, with the report if there is one. The package, ready (handed over by hand) or sent, becomes acknowledged or refused; the change is an audit event of the package. A state never moves back: a package already acknowledged or refused, still building, failed, or a distribution package is 409. A report that is neither a PDF nor well-formed XML is 422.
//	@Tags			archive
//	@Accept			multipart/form-data
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string					true	"Package id"	format(uuid)
//	@Param			metadata	formData	PackageOutcomeRequest	true	"The outcome (JSON)"
//	@Param			report		formData	file					false	"The rapporto di versamento (XML or PDF)"
//	@Success		200			{object}	ArchivePackage
//	@Failure		401,403,404,409,413,415,422,500,503,507	{object}	Problem
//	@ID				settlePackage
//	@Router			/v1/archive/packages/{id}/report [post]
func (h *handlers) settlePackage(c *gin.Context) {
	var in PackageOutcomeRequest
	body, err := h.readMultipart(c, &in, nil, filePartLimit{partReport, 1, "exactly one report part is allowed"})
	if err != nil {
		h.fail(c, err)
		return
	}
	o := domain.PackageOutcome{Outcome: in.Outcome, Reason: in.Reason}
	if files := body.files[partReport]; len(files) == 1 {
		o.Report = &files[0]
	}
	p, err := h.svc.SettlePackage(c.Request.Context(), principal(c), c.Param("id"), o)
	if err != nil {
		h.fail(c, err)
		return
	}
	out, err := h.archivePackage(c, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, out)
}

// getPackageReport returns the conservator's report of a package.
//
//	@Summary		Download the conservator's report (rapporto di versamento)
//	@Description	Records officers and administrators. The report as uploaded, XML or PDF; 404 while none is. ETag is the quoted SHA-256 (hex); Repr-Digest carries it in base64.
//	@Tags			archive
//	@Produce		application/xml,application/pdf
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Package id"	format(uuid)
//	@Success		200	{file}		binary
//	@Header			200	{string}	ETag				"Quoted hex SHA-256"
//	@Header			200	{string}	Content-Disposition	"attachment; filename=..."
//	@Header			200	{string}	Repr-Digest			"sha-256=:<base64>:"
//	@Failure		401,403,404,500,503	{object}	Problem
//	@ID				getPackageReport
//	@Router			/v1/archive/packages/{id}/report [get]
func (h *handlers) getPackageReport(c *gin.Context) {
	ctx := c.Request.Context()
	p, err := h.svc.ArchivePackage(ctx, principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	r := p.Report
	if r == nil {
		h.fail(c, domain.Errorf(domain.ECNotFound, "archive package %s has no report", p.ID))
		return
	}
	rc, err := h.svc.Blobs.Open(ctx, r.SHA256)
	if err != nil {
		h.fail(c, err)
		return
	}
	defer rc.Close()
	ext := map[string]string{domain.ReportPDF: "pdf", domain.ReportXML: "xml"}[r.MediaType]
	hd := c.Writer.Header()
	hd.Set("ETag", `"`+r.SHA256+`"`)
	hd.Set("Cache-Control", "private")
	if sum, err := hex.DecodeString(r.SHA256); err == nil {
		hd.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
	hd.Set("Content-Type", r.MediaType)
	hd.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="rapporto-%s.%s"`, p.ID, ext))
	hd.Set("Content-Length", fmt.Sprint(r.Size))
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, rc); err != nil {
		h.log.Warn("report download cut short", "package", p.ID, "err", err)
	}
}
