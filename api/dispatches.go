package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// createDispatch sends an outgoing registration by PEC or e-mail.
//
//	@Summary		Dispatch a registration by PEC or e-mail
//	@Description	Sends an outgoing registration to its recipients through the configured mail relay (the AOO's PEC provider, `SPORTELLO_SMTP_URL`), from the AOO's address (`SPORTELLO_MAIL_FROM`): one message per recipient, with the protocol identifier and subject as its subject, the document and attachments byte-exact, and, to an administration known by its IPA code, the sealed `Segnatura.xml` (so such a registration must be classified: 409 with field `class`). `recipients` picks digital addresses of the registration's recipient correspondents; without it, every recipient correspondent with a digital address is sent to (none: 422). The messages are queued in the dispatch's transaction and sent in the background, each once: a failure to reach the relay is retried with exponential backoff (`attempts`, `last_error`), a definitive refusal makes the recipient `failed`. The Message-ID of each message is derived from the dispatch and the recipient, so the PEC receipts (`accettazione`, `avvenuta-consegna`, `errore-consegna`) and the recipient AOO's `ConfermaRicezione` / `NotificaEccezione` read back from the mailboxes are linked to it and move its `state`. Protocol operators and records officers who may see the registration; 409 unless outgoing and active; 503 without a mail relay.
//	@Tags			registrations
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string			false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			register		path		string			true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year			path		int				true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number			path		string			true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Param			dispatch		body		DispatchRequest	false	"Recipients (default: all with a digital address)"
//	@Success		201				{object}	Dispatch
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,410,413,415,422,500,503	{object}	Problem
//	@ID				createDispatch
//	@Router			/v1/registrations/{register}/{year}/{number}/dispatches [post]
func (h *handlers) createDispatch(c *gin.Context) {
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	body := []byte("{}")
	if c.Request.ContentLength != 0 || c.GetHeader("Content-Type") != "" {
		if body, err = readJSONBody(c); err != nil {
			h.fail(c, err)
			return
		}
	}
	var in DispatchRequest
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	d, replayed, err := h.svc.CreateDispatch(c.Request.Context(), principal(c), ref, in.Recipients, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusCreated, toDispatch(d))
}

// listDispatches lists the dispatches of a registration.
//
//	@Summary		Dispatches of a registration
//	@Description	Every dispatch of the registration, oldest first, each recipient with its state, attempts, sending time, the receipts linked to it and the recipient AOO's answer. Visible to whoever may read the registration.
//	@Tags			registrations
//	@Produce		json
//	@Security		BearerAuth
//	@Param			register	path		string	true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int		true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string	true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Success		200			{object}	DispatchList
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				listDispatches
//	@Router			/v1/registrations/{register}/{year}/{number}/dispatches [get]
func (h *handlers) listDispatches(c *gin.Context) {
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ds, err := h.svc.Dispatches(c.Request.Context(), principal(c), ref)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := DispatchList{Items: make([]Dispatch, len(ds))}
	for i, d := range ds {
		out.Items[i] = toDispatch(d)
	}
	respond(c, http.StatusOK, out)
}

// getDispatchReceipt returns a receipt of a dispatch byte-exact.
//
//	@Summary		A receipt of a dispatch (message/rfc822)
//	@Description	The message that was linked to a recipient of the dispatch — the PEC provider's receipt with its `daticert.xml`, or the recipient AOO's protocol message — byte-exact as it was read from the mailbox; its SHA-256 is the receipt's `sha256`. Visible to whoever may read the registration.
//	@Tags			registrations
//	@Produce		message/rfc822
//	@Security		BearerAuth
//	@Param			register	path		string	true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int		true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string	true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Param			id			path		string	true	"Dispatch id"		format(uuid)
//	@Param			receipt_id	path		string	true	"Receipt id"		format(uuid)
//	@Success		200			{string}	string	"the message"
//	@Header			200			{string}	Content-Disposition	"attachment; filename=<receipt_id>.eml"
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				getDispatchReceipt
//	@Router			/v1/registrations/{register}/{year}/{number}/dispatches/{id}/receipts/{receipt_id} [get]
func (h *handlers) getDispatchReceipt(c *gin.Context) {
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	rx, content, err := h.svc.DispatchReceiptContent(c.Request.Context(), principal(c), ref, c.Param("id"), c.Param("receipt_id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+rx.ID+`.eml"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "message/rfc822", content)
}

// toDispatch converts a dispatch for the response.
func toDispatch(d *domain.Dispatch) Dispatch {
	out := Dispatch{ID: d.ID, Registration: d.Registration, CreatedAt: d.CreatedAt, CreatedBy: d.CreatedBy,
		Recipients: make([]DispatchRecipient, len(d.Recipients))}
	for i, rc := range d.Recipients {
		r := DispatchRecipient{Address: rc.Address, Name: rc.Name, Administration: rc.Administration, MessageID: rc.MessageID,
			State: rc.State, Attempts: rc.Attempts, LastError: rc.LastError, SentAt: rc.SentAt,
			Receipts: make([]DispatchReceipt, len(rc.Receipts))}
		for j, rx := range rc.Receipts {
			r.Receipts[j] = DispatchReceipt{ID: rx.ID, Kind: rx.Kind, At: rx.At, ProviderID: rx.ProviderID, SHA256: rx.SHA256, Size: rx.Size}
		}
		if p := rc.Protocol; p != nil {
			r.Protocol = &DispatchProtocol{Kind: p.Kind, Identifier: p.Identifier, Reason: p.Reason}
		}
		out.Recipients[i] = r
	}
	return out
}
