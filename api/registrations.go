package api

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// createRegistration registers a document in a protocol register.
//
//	@Summary		Register a document (registrazione di protocollo)
//	@Description	Protocol operators, records officers and importers (importers register `incoming` documents only: another direction is 422 naming `direction`); anyone else is 403 before the body is read — portals file through cases and case messages. Multipart upload: part `metadata` (JSON, schema RegistrationMetadata), exactly one part `document` (the primary file) — or, instead, `document_id` in the metadata naming an unregistered document whose content becomes the primary document (both is 422; a document already registered is 409) — and zero or more parts `attachment`, matched by index to `attachment_descriptions`. Files are streamed; their media type is sniffed from the content and their SHA-256 (impronta) computed by the server. The number, year, date, identifier and status are assigned by the system: sending them, or any unknown field, is 422. An unknown register is 404. With an `Idempotency-Key`, a retry answers the first registration again and never takes a second number. An entry of the emergency register (art. 63) loaded with its file names it in `emergency` (`outage`, `number`, `date`): the outage must be of the same register (422 naming `emergency.outage`), the date within it (422 naming `emergency.date`), and an emergency number already loaded from the outage is 409. Without `outage`, the one outage of the register whose dates contain the emergency date is taken: none is 422 naming `emergency.date`, several (two outages on one day) 422 naming `emergency.outage`. **Image copies:** a scan of a paper original says so in `image_copy` (ConformitaCopieImmagineSuSupportoInformatico, Allegato 5): `{}` for a copy no one attested, or `attested_by` (who attested its conformity to the original, at most 200 characters) and `attested_on` (the date, not in the future, only with `attested_by`); the channel must be `paper` (the default with `image_copy`), `counter` or `post`, otherwise 422 naming `image_copy`. It is kept on the registration, fixed like the rest. **E-mail:** with `channel` `pec` or `email` and a `document` that is a message (sniffed as message/rfc822, or named .eml), the message is kept byte-exact as the document and read: its text and HTML bodies and its attachments — for a PEC, those of its postacert.eml, plus daticert.xml — become the first attachments, each with its own digest; `subject`, the sender correspondent (name and `digital_address`; for a PEC the certified sender) and `received_on` are proposed from it when the metadata leaves them out (the metadata wins). A message carrying Segnatura.xml from another AOO sets the sender as an administration (IPA and AOO codes), `sender_reference` and `interoperability` (the Allegato 6 anomalies, and the ConfermaRicezione or NotificaEccezione sent back). `pec` needs a certified message (a PEC envelope of type posta-certificata) and `email` a message that is none: otherwise 422 naming `channel`. A PEC receipt or a protocol message between AOOs is 422 naming `document`: they are linked to the dispatch they answer, never registered.
//	@Tags			registrations
//	@Accept			multipart/form-data
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string	false	"Makes retries safe: the same key and request answer the first result"	minlength(1)	maxlength(255)
//	@Param			metadata		formData	string	true	"RegistrationMetadata as JSON"
//	@Param			document		formData	file	false	"The primary document (required unless the metadata names document_id)"
//	@Param			attachment		formData	file	false	"An attachment; repeat the part for more"
//	@Success		201				{object}	Registration
//	@Header			201				{string}	Location				"URL of the new registration"
//	@Header			201				{string}	Idempotent-Replayed		"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503,507	{object}	Problem
//	@ID				createRegistration
//	@Router			/v1/registrations [post]
func (h *handlers) createRegistration(c *gin.Context) {
	if err := domain.MayRegister(principal(c)); err != nil {
		h.fail(c, err) // before any content is stored
		return
	}
	up, err := h.readUpload(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	r, replayed, err := h.svc.Register(c.Request.Context(), principal(c), up.registration(), up.idem)
	if err != nil {
		h.fail(c, err)
		return
	}
	if !replayed {
		h.metrics.registrations.WithLabelValues(r.Register).Inc()
	}
	markReplayed(c, replayed)
	c.Header("Location", registrationPath(r))
	respond(c, http.StatusCreated, toRegistration(r))
}

// registration is the domain's input for an upload: its metadata and its stored files.
func (up upload) registration() domain.NewRegistration {
	m := up.metadata
	in := domain.NewRegistration{
		Register: m.Register, Direction: domain.Direction(m.Direction), Channel: domain.Channel(m.Channel),
		Subject: m.Subject, ReceivedOn: m.ReceivedOn, Class: m.Class, Offices: m.Offices, Confidential: m.Confidential,
		Document: up.document, Attachments: up.attachments, DocumentID: m.DocumentID, InReplyTo: m.InReplyTo,
	}
	for _, co := range m.Correspondents {
		in.Correspondents = append(in.Correspondents, domain.Correspondent(co))
	}
	if m.SenderReference != nil {
		sr := domain.SenderReference(*m.SenderReference)
		in.SenderReference = &sr
	}
	if e := m.Emergency; e != nil {
		in.Emergency = &domain.Emergency{Register: e.Outage, Number: e.Number, Date: e.Date}
	}
	if ic := m.ImageCopy; ic != nil {
		c := domain.ImageCopy(*ic)
		in.ImageCopy = &c
	}
	return in
}

// listRegistrations lists the registrations the caller may see, newest first.
//
//	@Summary		List registrations
//	@Description	Newest first, one page at a time: pass `next_cursor` back as `cursor` until it is empty. Confidential registrations appear only to those who may see them. Unknown or repeated query parameters are 422.
//	@Tags			registrations
//	@Produce		json
//	@Security		BearerAuth
//	@Param			register	query		string	false	"Register code"	example(PG)
//	@Param			year		query		int		false	"Registration year"	minimum(1000)	maximum(9999)
//	@Param			direction	query		string	false	"Direction"	Enums(incoming, outgoing, internal)
//	@Param			channel		query		string	false	"Channel"	Enums(web, pec, email, counter, paper, post, api)
//	@Param			status		query		string	false	"Status"	Enums(active, annulled)
//	@Param			class		query		string	false	"Class and its descendants (VI matches VI.3.2)"
//	@Param			unclassified	query	bool	false	"true: only registrations without a class, the worklist of documents still to classify"
//	@Param			office		query		string	false	"Assigned office code"
//	@Param			from		query		string	false	"First protocol date, inclusive (YYYY-MM-DD)"	format(date)
//	@Param			to			query		string	false	"Last protocol date, inclusive (YYYY-MM-DD)"	format(date)
//	@Param			limit		query		int		false	"Page size (1-500, default 50)"	minimum(1)	maximum(500)
//	@Param			cursor		query		string	false	"next_cursor of the previous page"
//	@Success		200			{object}	RegistrationList
//	@Failure		401,422,500,503	{object}	Problem
//	@ID				listRegistrations
//	@Router			/v1/registrations [get]
func (h *handlers) listRegistrations(c *gin.Context) {
	f, err := parseFilter(c.Request.URL.Query())
	if err != nil {
		h.fail(c, err)
		return
	}
	page, err := h.svc.Registrations(c.Request.Context(), principal(c), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := RegistrationList{Items: convertAll(page.Items, toRegistration), NextCursor: page.NextCursor}
	respond(c, http.StatusOK, out)
}

// listParams are the query parameters of GET /v1/registrations.
var listParams = []string{"register", "year", "direction", "channel", "status", "class", "unclassified", "office", "from", "to", "limit", "cursor"}

// parseFilter reads the list filters. Values the domain checks (direction, dates…) are only
// passed on; here are refused what the domain cannot see: unknown, repeated and non-numeric
// parameters.
func parseFilter(q url.Values) (domain.RegistrationFilter, error) {
	var v domain.Validation
	checkQuery(&v, q, listParams)
	f := domain.RegistrationFilter{
		Register: q.Get("register"), Direction: domain.Direction(q.Get("direction")),
		Channel: domain.Channel(q.Get("channel")), Status: domain.Status(q.Get("status")),
		Class: q.Get("class"), Office: q.Get("office"), From: q.Get("from"), To: q.Get("to"),
		Cursor: q.Get("cursor"),
	}
	f.Year = yearQuery(&v, q)
	f.Unclassified = boolQuery(&v, q, "unclassified")
	f.Limit = limitQuery(&v, q, domain.MaxLimit)
	return f, v.Err()
}

// getRegistration returns one registration.
//
//	@Summary		Get a registration
//	@Description	The number may be given bare (42) or formatted (0000042). A registration the caller may not see is 404, like one that does not exist.
//	@Tags			registrations
//	@Produce		json
//	@Security		BearerAuth
//	@Param			register	path		string	true	"Register code"	example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int		true	"Year"			example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string	true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Success		200			{object}	Registration
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				getRegistration
//	@Router			/v1/registrations/{register}/{year}/{number} [get]
func (h *handlers) getRegistration(c *gin.Context) {
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	r, err := h.svc.ReadRegistration(c.Request.Context(), principal(c), ref)
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toRegistration(r))
}
