package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// listInbox lists the messages the mailboxes yielded.
//
//	@Summary		List received messages (inbox)
//	@Description	Records officers and protocol operators (anyone else is 403). Every message a configured mailbox (SPORTELLO_MAILBOXES) yielded, newest first, with what became of it: `registered` (with `registration_id`), `draft` (kept for an operator: register or discard it), `discarded`, `receipt` (a PEC receipt or protocol message linked to the dispatch it answers), `unmatched` (one answering nothing of ours), `duplicate` (the same Message-ID again in the same mailbox: never registered twice), `rejected` (not a readable message, or one above the mailbox's size limit, `max_bytes` or SPORTELLO_MAILBOX_MAX_BYTES: not downloaded, its header alone kept; `detail` names its size and the limit). `state=draft` is the worklist. One page at a time: pass `next_cursor` back as `cursor` until it is empty. Unknown or repeated query parameters are 422.
//	@Tags			inbox
//	@Produce		json
//	@Security		BearerAuth
//	@Param			state	query		string	false	"State"	Enums(registered, draft, discarded, receipt, unmatched, duplicate, rejected)
//	@Param			mailbox	query		string	false	"Mailbox name"
//	@Param			limit	query		int		false	"Page size, 1 to 500 (default 50)"	minimum(1)	maximum(500)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Success		200		{object}	InboxList
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				listInbox
//	@Router			/v1/inbox [get]
func (h *handlers) listInbox(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, []string{"state", "mailbox", "limit", "cursor"})
	f := domain.IntakeFilter{State: q.Get("state"), Mailbox: q.Get("mailbox"), Cursor: q.Get("cursor"),
		Limit: limitQuery(&v, q, domain.MaxLimit)}
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	page, err := h.svc.Inbox(c.Request.Context(), principal(c), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := InboxList{Items: convertAll(page.Items, toInboxMessage), NextCursor: page.NextCursor}
	respond(c, http.StatusOK, out)
}

// getInboxMessage returns one received message's record.
//
//	@Summary		Get a received message
//	@Description	Records officers and protocol operators (anyone else is 403). The record of one message a mailbox yielded; its bytes are kept byte-exact (`sha256`), and once registered they are the registration's document.
//	@Tags			inbox
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Message record id"	format(uuid)
//	@Success		200	{object}	InboxMessage
//	@Failure		401,403,404,500,503	{object}	Problem
//	@ID				getInboxMessage
//	@Router			/v1/inbox/{id} [get]
func (h *handlers) getInboxMessage(c *gin.Context) {
	m, err := h.svc.IntakeMessage(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toInboxMessage(m))
}

// registerInboxMessage registers a message kept as a draft.
//
//	@Summary		Register a received message kept as a draft
//	@Description	Records officers and protocol operators (anyone else is 403). Registers the draft incoming, as a mailbox in register mode would have: the message byte-exact is the document, its bodies and attachments (of its postacert.eml for a PEC, plus daticert.xml) the attachments, and subject, sender, received date and — with a segnatura — sender reference and interoperability are proposed from it. The body may state `class`, `offices` (instead of the mailbox's), `confidential`, and `subject` only when the message has none (else 422). The registration and the draft's new state (`registered`, by whom, when) are written in one transaction. A message no longer a draft is 409. With an `Idempotency-Key`, a retry answers the first registration again.
//	@Tags			inbox
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string				false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			id				path		string				true	"Message record id"	format(uuid)
//	@Param			registration	body		InboxRegistration	false	"What the operator states"
//	@Success		201				{object}	Registration
//	@Header			201				{string}	Location			"URL of the new registration"
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503,507	{object}	Problem
//	@ID				registerInboxMessage
//	@Router			/v1/inbox/{id}/register [post]
func (h *handlers) registerInboxMessage(c *gin.Context) {
	var in InboxRegistration
	body, err := optionalJSONBody(c, &in)
	if err != nil {
		h.fail(c, err)
		return
	}
	o := domain.IntakeOverrides{Class: in.Class, Offices: in.Offices, Subject: in.Subject, Confidential: in.Confidential}
	r, replayed, err := h.svc.RegisterIntake(c.Request.Context(), principal(c), c.Param("id"), o, jsonIdempotency(c, body))
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

// optionalJSONBody reads a JSON body that may be left out (no body, or an empty one) into v.
func optionalJSONBody(c *gin.Context, v any) ([]byte, error) {
	if c.Request.ContentLength == 0 && c.GetHeader("Content-Type") == "" {
		return nil, nil
	}
	body, err := readJSONBody(c)
	if err != nil {
		return nil, err
	}
	return body, decodeStrict(body, v, "body", nil)
}

// discardInboxMessage discards a message kept as a draft.
//
//	@Summary		Discard a received message kept as a draft
//	@Description	Records officers and protocol operators (anyone else is 403). The draft is never registered; its record stays, with the reason, who and when (and an audit event). `reason` is required (422). A message no longer a draft is 409.
//	@Tags			inbox
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string			false	"Accepted for symmetry; discarding twice is 409"	minlength(1)	maxlength(255)
//	@Param			id				path		string			true	"Message record id"	format(uuid)
//	@Param			discard			body		InboxDiscard	true	"Why"
//	@Success		200				{object}	InboxMessage
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				discardInboxMessage
//	@Router			/v1/inbox/{id}/discard [post]
func (h *handlers) discardInboxMessage(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in InboxDiscard
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	m, err := h.svc.DiscardIntake(c.Request.Context(), principal(c), c.Param("id"), in.Reason)
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toInboxMessage(m))
}

func toInboxMessage(m *domain.IntakeMessage) InboxMessage {
	out := InboxMessage{ID: m.ID, Mailbox: m.Mailbox, UIDValidity: m.UIDValidity, UID: m.UID, MessageID: m.MessageID,
		SHA256: m.SHA256, Size: m.Size, Channel: string(m.Channel), Sender: m.Sender, Subject: m.Subject, State: m.State,
		ReceivedAt: utc(m.ReceivedAt), RegistrationID: m.RegistrationID, DuplicateOf: m.DuplicateOf, Detail: m.Detail,
		DecidedBy: m.DecidedBy}
	if m.DecidedAt != nil {
		at := utc(*m.DecidedAt)
		out.DecidedAt = &at
	}
	return out
}

// toInteroperability is the response form of a registration's interoperability, nil for none.
func toInteroperability(in *domain.Interoperability) *Interoperability {
	if in == nil {
		return nil
	}
	out := &Interoperability{Version: in.Version, ConfirmationRequested: in.ConfirmationRequested,
		Sender: InteropSender{IPACode: in.Sender.IPACode, AOOCode: in.Sender.AOOCode, Register: in.Sender.Register,
			Number: in.Sender.Number, Date: in.Sender.Date, Address: in.SenderAddress},
		Anomalies: make([]InteropAnomaly, 0, len(in.Anomalies))}
	for _, a := range in.Anomalies {
		out.Anomalies = append(out.Anomalies, InteropAnomaly(a))
	}
	if a := in.Answer; a != nil {
		out.Answer = &InteropAnswer{Kind: a.Kind, MessageID: a.MessageID, State: a.State, Attempts: a.Attempts, Error: a.Error}
		if a.SentAt != nil {
			at := utc(*a.SentAt)
			out.Answer.SentAt = &at
		}
	}
	if a := in.AnnulledBySender; a != nil {
		out.AnnulledBySender = &SenderAnnulment{Reason: a.Reason, Provision: a.Provision, MessageID: a.MessageID, At: utc(a.At)}
	}
	return out
}
