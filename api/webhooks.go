package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// setWebhook registers the caller's endpoint for the events of its cases.
//
//	@Summary		Set the webhook for case events
//	@Description	Portals only. Every event of the cases the portal submitted (case.submitted, case.status_changed, case.message, case.integrated, case.step_done, case.final_act) is POSTed to the URL as JSON `{id, type, created_at, case: {id, procedure, applicant, status, deadline, paused}, registration}`, with headers `Sportello-Event-Id`, `Sportello-Event-Type` and `Sportello-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`. Any 2xx acknowledges; otherwise the event is retried with exponential backoff, and the events of one case are delivered strictly in order. The same event may arrive twice: deduplicate on its id. Setting the webhook again replaces the URL and the secret. The URL must be `https`, without a user name or password, and not name a loopback, private, link-local, multicast or reserved address, unless the administrator allows its origin (`SPORTELLO_WEBHOOK_ALLOW`); deliveries check the address they connect to after name resolution and never follow a redirect.
//	@Tags			webhooks
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			webhook			body		NewWebhook	true	"The endpoint"
//	@Success		201				{object}	Webhook
//	@Failure		401,403,413,415,422,500,503	{object}	Problem
//	@ID				setWebhook
//	@Router			/v1/webhooks [post]
func (h *handlers) setWebhook(c *gin.Context) {
	h.putWebhook(c, h.svc.SetWebhook)
}

// putWebhook decodes a NewWebhook and answers 201 with the endpoint set stores (SetWebhook,
// SetAssignmentWebhook), its secret included.
func (h *handlers) putWebhook(c *gin.Context, set func(context.Context, domain.Principal, string, domain.Idempotency) (domain.Webhook, bool, error)) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in NewWebhook
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	wh, replayed, err := set(c.Request.Context(), principal(c), in.URL, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusCreated, Webhook{URL: wh.URL, Secret: wh.Secret, CreatedAt: utc(wh.CreatedAt)})
}

// listWebhookDeliveries returns the caller's delivery log.
//
//	@Summary		Webhook delivery log
//	@Description	Portals only, with `X-Applicant-Id`: every attempt to deliver an event of that applicant's cases to the caller's webhook, newest first. `error` gives the reason of a failed attempt: `connection refused`, `connection reset`, `timeout`, `host not found`, `address not allowed`, `tls handshake failed`, `endpoint answered <status>` (a redirect is such an answer: it is not followed), `endpoint not allowed: <why>`.
//	@Tags			webhooks
//	@Produce		json
//	@Security		BearerAuth
//	@Param			X-Applicant-Id	header		string	true	"Codice fiscale or partita IVA of the applicant"
//	@Param			limit	query		int	false	"How many (1-500, default 50)"	minimum(1)	maximum(500)
//	@Success		200		{object}	WebhookDeliveryList
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				listWebhookDeliveries
//	@Router			/v1/webhooks/deliveries [get]
func (h *handlers) listWebhookDeliveries(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, []string{"limit"})
	limit := limitQuery(&v, q, domain.MaxLimit)
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	ds, err := h.svc.WebhookDeliveries(c.Request.Context(), principal(c), limit)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := WebhookDeliveryList{Items: make([]WebhookDelivery, 0, len(ds))}
	for _, d := range ds {
		out.Items = append(out.Items, WebhookDelivery{EventID: d.EventID, CaseID: d.CaseID, Type: d.Kind, Attempt: d.Attempt,
			AttemptedAt: utc(d.AttemptedAt), StatusCode: d.StatusCode, Error: d.Error, Delivered: d.Delivered})
	}
	respond(c, http.StatusOK, out)
}
