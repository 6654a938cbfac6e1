package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/archive"
	"github.com/sportello/sportello/domain"
)

// mediaXML is the media type of the metadata's XML form.
const mediaXML = "application/xml"

// metadataMedia negotiates the form of metadata: JSON by default, XML on request; anything else
// fails with not_acceptable (406).
func (h *handlers) metadataMedia(c *gin.Context) (string, bool) {
	media := negotiate(c.GetHeader("Accept"), mediaJSON, mediaXML)
	if media == "" {
		h.fail(c, domain.Errorf(codeNotAcceptable, "metadata are available as %s or %s", mediaJSON, mediaXML))
		return "", false
	}
	c.Header("Vary", "Accept")
	return media, true
}

// sendMetadata answers v as JSON, or as the XML that toXML writes from it.
func (h *handlers) sendMetadata(c *gin.Context, media string, v any, toXML func() ([]byte, error)) {
	if media == mediaJSON {
		respond(c, http.StatusOK, v)
		return
	}
	b, err := toXML()
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Data(http.StatusOK, mediaXML, b)
}

// getRegistrationMetadata returns the Allegato 5 metadata of a registration.
//
//	@Summary		Allegato 5 metadata of a registration (JSON or XML)
//	@Description	The metadata of AgID's Linee guida, Allegato 5, of the primary document and of each attachment, in order: one `DocumentoAmministrativoInformatico` each, with the annex's element names in the annex's order — `IdDoc` (`Impronta`: base64 of the file's SHA-256; `Identificativo`: the registration's identifier, `-ALL-001`… for attachments), `ModalitaDiFormazione` (a/b), `TipologiaDocumentale`, `DatiDiRegistrazione` (`TipologiaDiFlusso` E/U/I; `TipoRegistro` with the protocol number of at least 7 digits and the register's code), `Soggetti` with their roles, `ChiaveDescrittiva`, `Allegati`, `Classificazione`, `Riservato`, `IdentificativoDelFormato`, `Verifica`, `Agg`, `IdIdentificativoDocumentoPrimario` (attachments), `NomeDelDocumento`, `VersioneDelDocumento`, `TracciatureModificheDocumento` (an annulment), `TempoDiConservazione`, `Note`. docs/metadata.md says where each value comes from. JSON by default; with `Accept: application/xml`, the same as XML (root `Metadati`), as archive packages carry it. Any other Accept is 406. A registration the caller may not see is 404, like one that does not exist.
//	@Tags			registrations
//	@Produce		json,application/xml
//	@Security		BearerAuth
//	@Param			register	path		string	true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int		true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string	true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Success		200			{object}	RegistrationArchivalMetadata
//	@Failure		401,404,406,422,500,503	{object}	Problem
//	@ID				getRegistrationMetadata
//	@Router			/v1/registrations/{register}/{year}/{number}/metadata [get]
func (h *handlers) getRegistrationMetadata(c *gin.Context) {
	media, ok := h.metadataMedia(c)
	if !ok {
		return
	}
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	m, err := h.svc.RegistrationMetadata(c.Request.Context(), principal(c), ref)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.sendMetadata(c, media, m, func() ([]byte, error) { return archive.RegistrationMetadataXML(m) })
}

// getStoredDocumentMetadata returns the Allegato 5 metadata of an unregistered document.
//
//	@Summary		Allegato 5 metadata of an unregistered document (JSON or XML)
//	@Description	The document as a `DocumentoInformatico` of Allegato 5, with the elements of a registration's documents but registered nowhere (`TipoRegistro` `Nessuno`, with the creation date and the document's id), flow `I`, formed by the AOO (`a`); `Note` names the registration that took its content, if any. JSON by default, XML (root `Metadati`) with `Accept: application/xml`, 406 for any other Accept. A document the caller may not see is 404.
//	@Tags			documents
//	@Produce		json,application/xml
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Document id"
//	@Success		200	{object}	StoredDocumentArchivalMetadata
//	@Failure		401,404,406,422,500,503	{object}	Problem
//	@ID				getStoredDocumentMetadata
//	@Router			/v1/documents/{id}/metadata [get]
func (h *handlers) getStoredDocumentMetadata(c *gin.Context) {
	media, ok := h.metadataMedia(c)
	if !ok {
		return
	}
	m, err := h.svc.DocumentMetadata(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.sendMetadata(c, media, m, func() ([]byte, error) { return archive.DocumentMetadataXML(m) })
}

// getDossierMetadata returns the Allegato 5 metadata of a dossier.
//
//	@Summary		Allegato 5 metadata of a dossier (JSON or XML)
//	@Description	The dossier as an `AggregazioneDocumentaliInformatiche` of Allegato 5: `IdAgg`, `TipologiaFascicolo` (the annex's words), `Soggetti` (the AOO as `Amministrazione titolare`, the correspondents of the filed registrations as `Altro`), `Assegnazione` (the responsible office, per competenza), `DataApertura`, `DataChiusura`, `Classificazione`, `Progressivo`, `ChiaveDescrittiva`, `IndiceDocumenti` (digest and identifier of each item's primary document, in index order) and `TempoDiConservazione`. Computed from the items the caller may see, like the dossier's own metadata. JSON by default, XML with `Accept: application/xml`, 406 for any other Accept. A dossier the caller may not see is 404.
//	@Tags			dossiers
//	@Produce		json,application/xml
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Id or identifier"	example(2026-VI.3-000012)
//	@Success		200	{object}	DossierArchivalMetadata
//	@Failure		401,404,406,422,500,503	{object}	Problem
//	@ID				getDossierMetadata
//	@Router			/v1/dossiers/{id}/metadata [get]
func (h *handlers) getDossierMetadata(c *gin.Context) {
	media, ok := h.metadataMedia(c)
	if !ok {
		return
	}
	m, err := h.svc.DossierAggregateMetadata(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.sendMetadata(c, media, m, func() ([]byte, error) { return archive.AggregateMetadataXML(m) })
}
