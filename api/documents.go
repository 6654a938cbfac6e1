package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// createDocument stores a document that is not (yet) registered.
//
//	@Summary		Store an unregistered document
//	@Description	Multipart upload: part `metadata` (JSON, schema DocumentMetadata) and exactly one part `document`. For internal documents and drafts of outgoing acts: a registration can later take the document's content by naming it as `document_id` in its metadata. The class is required and must be valid today; the media type is sniffed and the SHA-256 computed by the server. Confidential documents are visible only to their offices, records officers and their creator. Protocol operators and records officers only. With an `Idempotency-Key`, a retry answers the first document again.
//	@Tags			documents
//	@Accept			multipart/form-data
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string	false	"Makes retries safe: the same key and request answer the first result"	minlength(1)	maxlength(255)
//	@Param			metadata		formData	string	true	"DocumentMetadata as JSON"
//	@Param			document		formData	file	true	"The document"
//	@Success		201				{object}	Document
//	@Header			201				{string}	Location				"URL of the new document"
//	@Header			201				{string}	Idempotent-Replayed		"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,409,413,415,422,500,503,507	{object}	Problem
//	@ID				createDocument
//	@Router			/v1/documents [post]
func (h *handlers) createDocument(c *gin.Context) {
	var m DocumentMetadata
	up, err := h.readMultipart(c, &m, documentMetadataUnknown,
		filePartLimit{partDocument, 1, "exactly one document part is allowed"})
	if err != nil {
		h.fail(c, err)
		return
	}
	docs := up.files[partDocument]
	if len(docs) == 0 {
		h.fail(c, domain.Invalid(partDocument, "the document part is required"))
		return
	}
	in := domain.NewDocument{Subject: m.Subject, Description: m.Description, Class: m.Class, Offices: m.Offices,
		Confidential: m.Confidential, File: &docs[0]}
	d, replayed, err := h.svc.CreateDocument(c.Request.Context(), principal(c), in, up.idem)
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	c.Header("Location", "/v1/documents/"+d.ID)
	respond(c, http.StatusCreated, toDocument(d))
}

// documentMetadataUnknown explains why a document metadata field is refused.
func documentMetadataUnknown(path string) (domain.ErrorCode, string) {
	switch path {
	case "document", "file":
		return domain.ECValidation, "the file is sent as the multipart part named document, not in metadata"
	case "id", "created_at", "created_by", "registration", "dossiers", "position", "disposal":
		return domain.ECValidation, "is assigned by the system and cannot be sent"
	}
	return domain.ECValidation, "unknown field"
}

// getStoredDocument returns one unregistered document.
//
//	@Summary		One unregistered document
//	@Description	With the registration that took its content, if any, and the dossiers it is filed in. A confidential document the caller may not see is 404, as if it did not exist.
//	@Tags			documents
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Document id"
//	@Success		200	{object}	Document
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				getStoredDocument
//	@Router			/v1/documents/{id} [get]
func (h *handlers) getStoredDocument(c *gin.Context) {
	d, err := h.svc.Document(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toDocument(d))
}

// getStoredDocumentContent downloads an unregistered document's content.
//
//	@Summary		Download an unregistered document
//	@Description	The bytes exactly as uploaded, with the sniffed media type and the same digest headers as a registration's document. 410 once a disposal destroyed the content (the document's own, or that of the registration that took it).
//	@Tags			documents
//	@Produce		octet-stream
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Document id"
//	@Success		200	{file}		binary
//	@Header			200	{string}	ETag				"Quoted hex SHA-256"
//	@Header			200	{string}	Content-Disposition	"attachment; filename=..."
//	@Header			200	{string}	Repr-Digest			"sha-256=:<base64>:"
//	@Failure		401,404,410,422,500,503	{object}	Problem
//	@ID				getStoredDocumentContent
//	@Router			/v1/documents/{id}/content [get]
func (h *handlers) getStoredDocumentContent(c *gin.Context) {
	id := c.Param("id")
	f, rc, err := h.svc.OpenDocument(c.Request.Context(), principal(c), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	defer rc.Close()
	h.sendFile(c, f, rc, "document "+id)
}
