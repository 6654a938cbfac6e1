package api

import (
	"mime"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// transitionCase moves a case to another status.
//
//	@Summary		Move a case (transition)
//	@Description	JSON `{to, note}`; to approve or reject, multipart with part `metadata` = `{to, note}` and the final act (a PDF) as the `document` part — or JSON alone, and the act is generated from the note as its reasons (motivazione): it is sealed PAdES, registered outgoing to the applicant, filed in the case's dossier and returned as `registration`; the case and its dossier close. Moves: submitted → in_progress, in_progress → awaiting_applicant (the note is the request for integration; the deadline pauses), awaiting_applicant → in_progress, in_progress → approved | rejected (clerks of the responsible office, records officers; approving needs every step done), and withdrawn from any open status by the applicant's portal (with `X-Applicant-Id`). Any other move is 409.
//	@Tags			cases
//	@Accept			json,multipart/form-data
//	@Produce		json
//	@Security		BearerAuth
//	@Param			X-Applicant-Id	header		string					false	"Codice fiscale or partita IVA of the applicant (portals)"
//	@Param			Idempotency-Key	header		string					false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			id				path		string					true	"Case id"
//	@Param			transition		body		CaseTransitionRequest	true	"The move: this JSON body, or the same JSON as the metadata part of a multipart body that carries the final act"
//	@Success		200				{object}	CaseTransitionResult
//	@Failure		401,403,404,409,413,415,422,500,503,507	{object}	Problem
//	@ID				transitionCase
//	@Router			/v1/cases/{id}/transitions [post]
func (h *handlers) transitionCase(c *gin.Context) {
	var (
		in   CaseTransitionRequest
		tr   domain.CaseTransition
		idem domain.Idempotency
	)
	if mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); mt == "multipart/form-data" {
		body, err := h.readMultipart(c, &in, nil, filePartLimit{partDocument, 1, "exactly one document part (the final act) is allowed"})
		if err != nil {
			h.fail(c, err)
			return
		}
		if docs := body.files[partDocument]; len(docs) == 1 {
			tr.Act = &docs[0]
		}
		idem = body.idem
	} else {
		raw, err := readJSONBody(c)
		if err != nil {
			h.fail(c, err)
			return
		}
		if err := decodeStrict(raw, &in, "body", nil); err != nil {
			h.fail(c, err)
			return
		}
		idem = jsonIdempotency(c, raw)
	}
	tr.To, tr.Note = domain.CaseStatus(in.To), in.Note
	p := principal(c)
	cs, replayed, err := h.svc.TransitionCase(c.Request.Context(), p, c.Param("id"), tr, idem)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := CaseTransitionResult{Case: h.toCase(p, cs)}
	if cs.FinalRegistrationID != "" {
		r, err := h.svc.RegistrationByID(c.Request.Context(), p, cs.FinalRegistrationID)
		if err != nil {
			h.fail(c, err)
			return
		}
		reg := toRegistration(r)
		out.Registration = &reg
	}
	markReplayed(c, replayed)
	respond(c, http.StatusOK, out)
}

// postCaseMessage adds a message to a case's dialogue.
//
//	@Summary		Write in a case's dialogue
//	@Description	Multipart: part `metadata` = `{text}` (staff may add `internal: true` for a note the applicant never sees) and optional `document` parts. From a portal (with `X-Applicant-Id`) the message is the applicant's: its documents are registered incoming, and it answers a request for integration (the case goes back in progress and its deadline resumes). From staff handling the case its documents are registered outgoing to the applicant (internal for a note). The registration is filed in the case's dossier in the same transaction and comes back as `registration`. A closed case is 409.
//	@Tags			cases
//	@Accept			multipart/form-data
//	@Produce		json
//	@Security		BearerAuth
//	@Param			X-Applicant-Id	header		string	false	"Codice fiscale or partita IVA of the applicant (portals)"
//	@Param			Idempotency-Key	header		string	false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			id				path		string	true	"Case id"
//	@Param			metadata		formData	string	true	"CaseMessageMetadata as JSON"
//	@Param			document		formData	file	false	"A document; repeat the part for more"
//	@Success		201				{object}	CaseMessage
//	@Failure		401,403,404,409,413,415,422,500,503,507	{object}	Problem
//	@ID				postCaseMessage
//	@Router			/v1/cases/{id}/messages [post]
func (h *handlers) postCaseMessage(c *gin.Context) {
	var meta CaseMessageMetadata
	body, err := h.readMultipart(c, &meta, nil, filePartLimit{partDocument, MaxFileParts, "too many document parts"})
	if err != nil {
		h.fail(c, err)
		return
	}
	m, replayed, err := h.svc.PostCaseMessage(c.Request.Context(), principal(c), c.Param("id"),
		domain.NewCaseMessage{Text: meta.Text, Internal: meta.Internal, Documents: body.files[partDocument]}, body.idem)
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusCreated, toCaseMessage(m))
}

// listCaseMessages lists a case's dialogue.
//
//	@Summary		Read a case's dialogue
//	@Description	Oldest first, with the registration of each message's documents. The applicant (a portal with `X-Applicant-Id`) does not see internal notes.
//	@Tags			cases
//	@Produce		json
//	@Security		BearerAuth
//	@Param			X-Applicant-Id	header		string	false	"Codice fiscale or partita IVA of the applicant (portals)"
//	@Param			id				path		string	true	"Case id"
//	@Success		200				{object}	CaseMessageList
//	@Failure		401,403,404,422,500,503	{object}	Problem
//	@ID				listCaseMessages
//	@Router			/v1/cases/{id}/messages [get]
func (h *handlers) listCaseMessages(c *gin.Context) {
	ms, err := h.svc.CaseMessages(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	out := CaseMessageList{Items: convertAll(ms, toCaseMessage)}
	respond(c, http.StatusOK, out)
}

// completeCaseStep records an involved office's step as done.
//
//	@Summary		Complete a step of a case
//	@Description	A clerk of the step's office (or a records officer) records that the office has done its part. When the procedure's steps run in order, the next step becomes active and its office finds the case in its worklist. A step that is not active is 409.
//	@Tags			cases
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string			false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			id				path		string			true	"Case id"
//	@Param			index			path		int				true	"Step index, from 0"	minimum(0)
//	@Param			step			body		CaseStepDone	true	"Outcome note"
//	@Success		200				{object}	Case
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				completeCaseStep
//	@Router			/v1/cases/{id}/steps/{index}/done [post]
func (h *handlers) completeCaseStep(c *gin.Context) {
	index, err := strconv.Atoi(c.Param("index"))
	if err != nil || index < 0 {
		h.fail(c, domain.Invalid("index", "must be a step index (0, 1, …)"))
		return
	}
	raw, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in CaseStepDone
	if err := decodeStrict(raw, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	p := principal(c)
	cs, replayed, err := h.svc.CompleteStep(c.Request.Context(), p, c.Param("id"), index, in.Note, jsonIdempotency(c, raw))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusOK, h.toCase(p, cs))
}

func toCaseMessage(m domain.CaseMessage) CaseMessage {
	out := CaseMessage{ID: m.ID, Case: m.Case, FromApplicant: m.FromApplicant, Author: m.Author, AuthorName: m.AuthorName,
		Internal: m.Internal, Text: m.Text, CreatedAt: utc(m.CreatedAt)}
	if m.Registration != nil {
		r := toRegistration(m.Registration)
		out.Registration = &r
	}
	return out
}
