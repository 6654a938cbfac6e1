package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// getSegnatura returns the registration's segnatura informatica, sealed.
//
//	@Summary		Segnatura informatica of a registration (XML, sealed)
//	@Description	`Segnatura.xml` as the AgID guidelines define it (Allegato 6, `SegnaturaInformatica` 3.0.0): the AOO's IPA and AOO codes, the register, number, date and time, subject, class and first dossier, the sender and recipients, and the base64 SHA-256 (`Impronta`) of the document and of each attachment, sealed by the AOO's sealing certificate (the one `/v1/info` publishes) as an enveloped XAdES baseline B signature (ETSI EN 319 132-1, `SigningTime` and `SigningCertificateV2`). It travels with the document to another administration, which checks the seal and every digest. Visible to whoever may read the registration. 409 (field `class`) while the registration is not classified: the segnatura requires a class.
//	@Tags			registrations
//	@Produce		application/xml
//	@Security		BearerAuth
//	@Param			register	path		string	true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int		true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string	true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Success		200			{string}	string	"Segnatura.xml"
//	@Header			200			{string}	Content-Disposition	"attachment; filename=Segnatura.xml"
//	@Failure		401,404,409,422,500,503	{object}	Problem
//	@ID				getSegnatura
//	@Router			/v1/registrations/{register}/{year}/{number}/segnatura [get]
func (h *handlers) getSegnatura(c *gin.Context) {
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	xml, err := h.svc.Segnatura(c.Request.Context(), principal(c), ref)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="Segnatura.xml"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/xml", xml)
}
