package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// createOutage records an outage of a register.
//
//	@Summary		Record an outage (registro di emergenza, art. 63)
//	@Description	Admins and records officers record that a register could not be used from `start` to `end` (RFC 3339 instants, end after start, both in the past), why (`cause`) and under which authorising act (`authorization`); the entries written on the emergency register meanwhile are then loaded with POST …/emergencies/{id}/entries, or one by one with their file through POST /v1/registrations and `emergency` in the metadata. An outage overlapping another of the same register is 409; an unknown register 404. Outages are never changed or deleted.
//	@Tags			registers
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			code			path		string		true	"Register code"	example(PG)
//	@Param			outage			body		NewOutage	true	"The outage"
//	@Success		201				{object}	Outage
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				createOutage
//	@Router			/v1/registers/{code}/emergencies [post]
func (h *handlers) createOutage(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in NewOutage
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	o, replayed, err := h.svc.CreateOutage(c.Request.Context(), principal(c), c.Param("code"),
		domain.NewOutage{Cause: in.Cause, Start: in.Start, End: in.End, Authorization: in.Authorization}, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusCreated, toOutage(o))
}

// listOutages lists the outages of a register.
//
//	@Summary		List the outages of a register
//	@Description	Oldest first, each with the number of entries loaded from it; never paged. Admins, records officers, protocol operators and importers.
//	@Tags			registers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			code	path		string	true	"Register code"	example(PG)
//	@Success		200		{object}	OutageList
//	@Failure		401,403,404,422,500,503	{object}	Problem
//	@ID				listOutages
//	@Router			/v1/registers/{code}/emergencies [get]
func (h *handlers) listOutages(c *gin.Context) {
	os, err := h.svc.Outages(c.Request.Context(), principal(c), c.Param("code"))
	if err != nil {
		h.fail(c, err)
		return
	}
	out := OutageList{Items: make([]Outage, 0, len(os))}
	for i := range os {
		out.Items = append(out.Items, toOutage(&os[i]))
	}
	respond(c, http.StatusOK, out)
}

// getOutage returns one outage.
//
//	@Summary		Get an outage
//	@Description	With the identifiers of the registrations loaded from its entries that the caller may see, in emergency-number order. An outage of another register is 404.
//	@Tags			registers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			code	path		string	true	"Register code"	example(PG)
//	@Param			id		path		string	true	"Outage id"	format(uuid)
//	@Success		200		{object}	Outage
//	@Failure		401,403,404,422,500,503	{object}	Problem
//	@ID				getOutage
//	@Router			/v1/registers/{code}/emergencies/{id} [get]
func (h *handlers) getOutage(c *gin.Context) {
	o, err := h.svc.Outage(c.Request.Context(), principal(c), c.Param("code"), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, toOutage(o))
}

// loadEmergencyEntries loads entries of the emergency register written during an outage.
//
//	@Summary		Load emergency register entries
//	@Description	Protocol operators, records officers and importers (incoming entries only) load the entries written on the emergency register during the outage, without files (an entry with its file goes through POST /v1/registrations with `emergency` in the metadata). At most 500 entries, in any order: they take the register's next ordinary numbers now, consecutively, in emergency-number order, in one transaction, and each keeps its emergency number and date. Each is checked as a registration is (422 naming `entries[i].…`); an emergency date outside the outage is 422 naming `entries[i].emergency_date`, a repeated emergency number in the batch 422, one already loaded from the outage 409; nothing is registered unless every entry is. An outage of another register is 404. With an `Idempotency-Key`, a retry answers the same registrations and takes no number.
//	@Tags			registers
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string			false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			code			path		string			true	"Register code"	example(PG)
//	@Param			id				path		string			true	"Outage id"	format(uuid)
//	@Param			entries			body		EmergencyLoad	true	"The entries"
//	@Success		201				{object}	EmergencyLoadResult
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503,507	{object}	Problem
//	@ID				loadEmergencyEntries
//	@Router			/v1/registers/{code}/emergencies/{id}/entries [post]
func (h *handlers) loadEmergencyEntries(c *gin.Context) {
	if err := domain.MayRegister(principal(c)); err != nil {
		h.fail(c, err)
		return
	}
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in EmergencyLoad
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	ins := make([]domain.NewRegistration, len(in.Entries))
	for i, e := range in.Entries {
		ins[i] = e.registration()
	}
	rs, replayed, err := h.svc.LoadEmergencyEntries(c.Request.Context(), principal(c), c.Param("code"), c.Param("id"),
		ins, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	out := EmergencyLoadResult{Outage: c.Param("id"), Items: convertAll(rs, toRegistration)}
	if !replayed {
		h.metrics.registrations.WithLabelValues(c.Param("code")).Add(float64(len(rs)))
	}
	markReplayed(c, replayed)
	respond(c, http.StatusCreated, out)
}

// registration is the domain's input for an entry.
func (e EmergencyEntry) registration() domain.NewRegistration {
	in := domain.NewRegistration{
		Direction: domain.Direction(e.Direction), Channel: domain.Channel(e.Channel), Subject: e.Subject,
		ReceivedOn: e.ReceivedOn, Class: e.Class, Offices: e.Offices, Confidential: e.Confidential,
		Emergency: &domain.Emergency{Number: e.EmergencyNumber, Date: e.EmergencyDate},
	}
	for _, co := range e.Correspondents {
		in.Correspondents = append(in.Correspondents, domain.Correspondent(co))
	}
	if e.SenderReference != nil {
		sr := domain.SenderReference(*e.SenderReference)
		in.SenderReference = &sr
	}
	return in
}

func toOutage(o *domain.Outage) Outage {
	return Outage{ID: o.ID, Register: o.Register, Cause: o.Cause, Start: utc(o.Start), End: utc(o.End),
		Authorization: o.Authorization, CreatedBy: o.CreatedBy, CreatedAt: utc(o.CreatedAt), Entries: o.EntryCount,
		Identifiers: o.Entries}
}
