package api

import (
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// getDocument downloads a registration's primary document.
//
//	@Summary		Download the document
//	@Description	The bytes exactly as uploaded, with the sniffed media type. ETag is the quoted SHA-256 (hex); Repr-Digest (RFC 9530) and Digest carry it in base64, so that the client can check the impronta.
//	@Tags			registrations
//	@Produce		octet-stream
//	@Security		BearerAuth
//	@Param			register	path		string	true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int		true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string	true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Success		200			{file}		binary
//	@Header			200			{string}	ETag				"Quoted hex SHA-256"
//	@Header			200			{string}	Content-Disposition	"attachment; filename=..."
//	@Header			200			{string}	Repr-Digest			"sha-256=:<base64>:"
//	@Failure		401,404,410,422,500,503	{object}	Problem
//	@ID				getDocument
//	@Router			/v1/registrations/{register}/{year}/{number}/document [get]
func (h *handlers) getDocument(c *gin.Context) { h.serveContent(c, -1) }

// getAttachment downloads one attachment, by 0-based index.
//
//	@Summary		Download an attachment
//	@Description	Attachments are numbered from 0 in upload order. The bytes exactly as uploaded, with the sniffed media type and the same digest headers as the document.
//	@Tags			registrations
//	@Produce		octet-stream
//	@Security		BearerAuth
//	@Param			register	path		string	true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int		true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string	true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Param			index		path		int		true	"Attachment index, from 0"	minimum(0)
//	@Success		200			{file}		binary
//	@Header			200			{string}	ETag				"Quoted hex SHA-256"
//	@Header			200			{string}	Content-Disposition	"attachment; filename=..."
//	@Header			200			{string}	Repr-Digest			"sha-256=:<base64>:"
//	@Failure		401,404,410,422,500,503	{object}	Problem
//	@ID				getAttachment
//	@Router			/v1/registrations/{register}/{year}/{number}/attachments/{index} [get]
func (h *handlers) getAttachment(c *gin.Context) {
	s := c.Param("index")
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || strings.TrimLeft(s, "0123456789") != "" {
		h.fail(c, domain.Invalid("index", "must be an attachment index from 0, not %q", s))
		return
	}
	h.serveContent(c, i)
}

// serveContent streams a stored file. Content uploaded by third parties is served as an
// attachment with nosniff, so that a browser never renders it as part of the API's origin.
func (h *handlers) serveContent(c *gin.Context, attachment int) {
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	f, rc, err := h.svc.OpenContent(c.Request.Context(), principal(c), ref, attachment)
	if err != nil {
		h.fail(c, err)
		return
	}
	defer rc.Close()
	h.sendFile(c, f, rc, ref.String())
}

// sendFile streams f's content from rc with its media type and digest headers; what names the
// owner in the log if the download is interrupted.
func (h *handlers) sendFile(c *gin.Context, f domain.File, rc io.Reader, what string) {
	etag := `"` + f.SHA256 + `"`
	hd := c.Writer.Header()
	hd.Set("ETag", etag)
	hd.Set("Cache-Control", "private")
	if match := c.GetHeader("If-None-Match"); match != "" && strings.Contains(match, etag) {
		c.Status(http.StatusNotModified)
		return
	}
	mediaType := f.MediaType
	if mediaType == "" {
		mediaType = "application/octet-stream"
	}
	hd.Set("Content-Type", mediaType)
	hd.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	hd.Set("Content-Disposition", contentDisposition(f.Filename))
	hd.Set("X-Content-Type-Options", "nosniff")
	if sum, err := hex.DecodeString(f.SHA256); err == nil {
		b64 := base64.StdEncoding.EncodeToString(sum)
		hd.Set("Repr-Digest", "sha-256=:"+b64+":")
		hd.Set("Digest", "SHA-256="+b64)
	}
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, rc); err != nil {
		// The status is sent; the client sees a short body against Content-Length.
		h.log.WarnContext(c.Request.Context(), "content download interrupted",
			slog.String("request_id", requestID(c)), slog.String("ref", what), slog.Any("error", err))
	}
}

// contentDisposition names the file for the download (RFC 6266); non-ASCII names are encoded
// with RFC 2231 by mime.FormatMediaType.
func contentDisposition(filename string) string {
	if filename == "" {
		return "attachment"
	}
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": filename}); v != "" {
		return v
	}
	return "attachment"
}
