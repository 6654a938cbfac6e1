package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// assignmentParams are the query parameters of GET /v1/assignments.
var assignmentParams = []string{"office", "person", "state", "limit", "cursor"}

func toAssignment(a domain.Assignment) Assignment {
	return Assignment{ID: a.ID, Registration: a.Registration, Kind: a.Kind, Office: a.Office, Person: a.Person,
		State: a.State, Reason: a.Reason, CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt, DecidedBy: a.DecidedBy,
		DecidedAt: a.DecidedAt}
}

// assignRegistration assigns a registration.
//
//	@Summary		Assign a registration (smistamento)
//	@Description	Protocol operators and records officers. Per competenza to one office (and optionally one of its users) at a time: a new competenza assignment supersedes the current one, which stays in the history. Per conoscenza to any number of offices. The assigned offices join the registration's `offices`, so their clerks can read it. Each assignment is in the history.
//	@Tags			registrations
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			register	path		string				true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int					true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string				true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Param			assignment	body		AssignmentRequest	true	"Offices per competenza and per conoscenza"
//	@Success		201			{object}	Assignments
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				assignRegistration
//	@Router			/v1/registrations/{register}/{year}/{number}/assignments [post]
func (h *handlers) assignRegistration(c *gin.Context) {
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in AssignmentRequest
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	req := domain.AssignmentRequest{Conoscenza: in.Conoscenza}
	if t := in.Competenza; t != nil {
		req.Competenza = &domain.AssignmentTarget{Office: t.Office, Person: t.Person}
	}
	made, superseded, err := h.svc.Assign(c.Request.Context(), principal(c), ref, req)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, a := range made {
		h.metrics.assignments.WithLabelValues(a.Kind, "created").Inc()
	}
	if superseded > 0 {
		h.metrics.assignments.WithLabelValues(domain.AssignCompetenza, domain.AssignmentSuperseded).Add(float64(superseded))
	}
	out := Assignments{Items: make([]Assignment, len(made))}
	for i, a := range made {
		out.Items[i] = toAssignment(a)
	}
	respond(c, http.StatusCreated, out)
}

// acceptAssignment accepts an assignment per competenza.
//
//	@Summary		Accept an assignment
//	@Description	A clerk of the assigned office (and, when it names a user, that user) accepts a pending competenza assignment. A conoscenza assignment, or one no longer pending, is 409; another office's clerk gets 403, or 404 if it cannot see the registration.
//	@Tags			registrations
//	@Produce		json
//	@Security		BearerAuth
//	@Param			register	path		string	true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int		true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string	true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Param			id			path		string	true	"Assignment id"
//	@Success		200			{object}	Assignment
//	@Failure		401,403,404,409,422,500,503	{object}	Problem
//	@ID				acceptAssignment
//	@Router			/v1/registrations/{register}/{year}/{number}/assignments/{id}/accept [post]
func (h *handlers) acceptAssignment(c *gin.Context) {
	h.decideAssignment(c, true, "")
}

// rejectAssignment sends an assignment back with a reason.
//
//	@Summary		Reject an assignment
//	@Description	A clerk of the assigned office sends a pending competenza assignment back with a reason: it is `rejected`, in the protocol office's worklist (`GET /v1/assignments?state=rejected`), and the reason is in the history.
//	@Tags			registrations
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			register	path		string				true	"Register code"		example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int					true	"Year"				example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string				true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Param			id			path		string				true	"Assignment id"
//	@Param			rejection	body		RejectionRequest	true	"Why"
//	@Success		200			{object}	Assignment
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				rejectAssignment
//	@Router			/v1/registrations/{register}/{year}/{number}/assignments/{id}/reject [post]
func (h *handlers) rejectAssignment(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in RejectionRequest
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	h.decideAssignment(c, false, in.Reason)
}

func (h *handlers) decideAssignment(c *gin.Context, accept bool, reason string) {
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	a, err := h.svc.DecideAssignment(c.Request.Context(), principal(c), ref, c.Param("id"), accept, reason)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.metrics.assignments.WithLabelValues(a.Kind, a.State).Inc()
	respond(c, http.StatusOK, toAssignment(a))
}

// listAssignments is the assignment worklist.
//
//	@Summary		Assignment worklist
//	@Description	Assignments in the order they were made, by office, person and state, with the count of each state (`counts`) under the same office and person. Clerks see their offices' only (another office is 403); protocol operators and records officers see all: `state=rejected` is the protocol office's worklist of what was sent back.
//	@Tags			registrations
//	@Produce		json
//	@Security		BearerAuth
//	@Param			office	query		string	false	"office code"
//	@Param			person	query		string	false	"user id"
//	@Param			state	query		string	false	"state"	Enums(pending, accepted, rejected)
//	@Param			limit	query		int		false	"page size (1-500)"
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Success		200		{object}	AssignmentPage
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				listAssignments
//	@Router			/v1/assignments [get]
func (h *handlers) listAssignments(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, assignmentParams)
	f := domain.AssignmentFilter{Office: q.Get("office"), Person: q.Get("person"), State: q.Get("state"),
		Limit: limitQuery(&v, q, domain.MaxLimit)}
	if cur := q.Get("cursor"); cur != "" {
		n, err := strconv.ParseInt(cur, 10, 64)
		if err != nil || n < 0 {
			v.Add("cursor", "is not a cursor this list gave")
		}
		f.After = n
	}
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	list, err := h.svc.AssignmentWorklist(c.Request.Context(), principal(c), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := AssignmentPage{Items: make([]Assignment, len(list.Items)), Counts: list.Counts}
	for i, a := range list.Items {
		out.Items[i] = toAssignment(a)
	}
	if list.More {
		out.NextCursor = strconv.FormatInt(list.Items[len(list.Items)-1].Seq, 10)
	}
	respond(c, http.StatusOK, out)
}

// setAssignmentWebhook registers the caller's endpoint for the assignment events of its offices.
//
//	@Summary		Set the webhook for assignment events
//	@Description	Staff clients and users (clerks, protocol operators, records officers; a portal is 403). Every step of an assignment to one of the caller's offices, per competenza or per conoscenza, is POSTed to the URL as JSON `{id, type, created_at, registration, assignment, office, person, kind, state, reason}`, `type` one of `assignment.created`, `assignment.accepted`, `assignment.rejected`, `assignment.superseded` (a re-assignment per competenza), `registration` the registration's identifier (never its subject). Only steps of registrations the caller may read when the step is made are sent (a confidential registration only to records officers and its offices' staff). The event is written with the step, in its transaction, so it is sent even if the server restarts; it is signed, retried and logged like a portal's case events: headers `Sportello-Event-Id`, `Sportello-Event-Type` and `Sportello-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`; any 2xx acknowledges, otherwise it is retried with exponential backoff, and the events of one registration are delivered in order. The same event may arrive twice: deduplicate on its id. Setting the webhook again replaces the URL and the secret. The URL rules are those of POST /v1/webhooks (`https`, no user name or password, no internal address unless the administrator allows its origin with `SPORTELLO_WEBHOOK_ALLOW`).
//	@Tags			webhooks
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			webhook			body		NewWebhook	true	"The endpoint"
//	@Success		201				{object}	Webhook
//	@Failure		401,403,413,415,422,500,503	{object}	Problem
//	@ID				setAssignmentWebhook
//	@Router			/v1/assignments/webhook [post]
func (h *handlers) setAssignmentWebhook(c *gin.Context) {
	h.putWebhook(c, h.svc.SetAssignmentWebhook)
}
