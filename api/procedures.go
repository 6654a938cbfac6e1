package api

import (
	"encoding/json"
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// listProcedures lists the service catalogue.
//
//	@Summary		List procedures (catalogo dei procedimenti)
//	@Description	The service catalogue, by code, readable by every client: portals show it to applicants. Each procedure is its version in force (`version`), with its information sheet (`info`, D.Lgs. 33/2013 art. 35). `audience=citizen` (or `business`) keeps the procedures open to that audience, those for both included. `q` keeps the procedures whose name, description, legal references, documents or steps hold every word, analysed as Italian like the archive's search (stop words dropped, accents folded, stems matched), a match in the name first. Never paged.
//	@Tags			procedures
//	@Produce		json
//	@Security		BearerAuth
//	@Param			audience	query		string	false	"Keep procedures open to this audience"	Enums(citizen, business, both)
//	@Param			q			query		string	false	"Words to look for"	example(apertura bar)	maxlength(500)
//	@Success		200			{object}	ProcedureList
//	@Failure		401,422,500,503	{object}	Problem
//	@ID				listProcedures
//	@Router			/v1/procedures [get]
func (h *handlers) listProcedures(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, []string{"audience", "q"})
	if utf8.RuneCountInString(q.Get("q")) > maxProcedureQuery {
		v.Add("q", "must be at most %d characters", maxProcedureQuery)
	}
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	ps, err := h.svc.Procedures(c.Request.Context(), domain.Audience(q.Get("audience")), q.Get("q"))
	if err != nil {
		h.fail(c, err)
		return
	}
	out := ProcedureList{Items: convertAll(ps, toProcedure)}
	respond(c, http.StatusOK, out)
}

// createProcedure publishes a procedure.
//
//	@Summary		Publish a procedure
//	@Description	Admin only. `form_schema` must compile as JSON Schema and refer only within itself (`#/$defs/name`, `#anchor`): any other `$ref`, `$dynamicRef` or `$schema` than a standard draft is 422 at its place (`form_schema/properties/a/$ref`). The office, the steps' offices and the class must exist. An existing code is 409.
//	@Tags			procedures
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string			false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			procedure		body		NewProcedure	true	"The procedure"
//	@Success		201				{object}	Procedure
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,409,413,415,422,500,503	{object}	Problem
//	@ID				createProcedure
//	@Router			/v1/procedures [post]
func (h *handlers) createProcedure(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in NewProcedure
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	p := fromProcedureContent(NewProcedureVersion{Name: in.Name, Audience: in.Audience, Description: in.Description,
		RequiredDocuments: in.RequiredDocuments, FormSchema: in.FormSchema, Office: in.Office, Class: in.Class,
		DeadlineDays: in.DeadlineDays, SilenceIsConsent: in.SilenceIsConsent, Steps: in.Steps, StepsInOrder: in.StepsInOrder,
		Info: in.Info})
	p.Code = in.Code
	out, replayed, err := h.svc.CreateProcedure(c.Request.Context(), principal(c), p, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusCreated, toProcedure(out))
}

// maxProcedureQuery bounds the words of a catalogue search.
const maxProcedureQuery = 500

// fromProcedureContent converts the content of a procedure or version as a client sends it.
func fromProcedureContent(in NewProcedureVersion) domain.Procedure {
	p := domain.Procedure{
		Name: in.Name, Audience: domain.Audience(in.Audience), Description: in.Description,
		Office: in.Office, Class: in.Class, DeadlineDays: in.DeadlineDays, SilenceIsConsent: in.SilenceIsConsent,
		StepsInOrder: in.StepsInOrder,
	}
	if in.FormSchema != nil {
		p.FormSchema, _ = json.Marshal(in.FormSchema) // decoded from JSON: re-encoding cannot fail
	}
	for _, d := range in.RequiredDocuments {
		p.RequiredDocuments = append(p.RequiredDocuments, domain.RequiredDocument(d))
	}
	for _, s := range in.Steps {
		p.Steps = append(p.Steps, domain.Step(s))
	}
	if i := in.Info; i != nil {
		p.Info = domain.InfoSheet{LegalReferences: i.LegalReferences, Responsible: domain.Contact(i.Responsible),
			DecidingOffice: i.DecidingOffice, Fees: i.Fees, PaymentMethods: i.PaymentMethods, Remedies: i.Remedies,
			SubstitutePower: domain.Contact(i.SubstitutePower)}
	}
	return p
}

func toProcedure(p domain.Procedure) Procedure {
	i := p.Info
	out := Procedure{
		Code: p.Code, Name: p.Name, Audience: string(p.Audience), Description: p.Description,
		RequiredDocuments: make([]RequiredDocument, 0, len(p.RequiredDocuments)), Office: p.Office, Class: p.Class,
		DeadlineDays: p.DeadlineDays, SilenceIsConsent: p.SilenceIsConsent, Steps: make([]ProcedureStep, 0, len(p.Steps)),
		StepsInOrder: p.StepsInOrder, CreatedAt: utc(p.CreatedAt), CreatedBy: p.CreatedBy, Version: p.Version, Status: p.Status,
		PublishedBy: p.PublishedBy,
		Info: InfoSheet{LegalReferences: i.LegalReferences, Responsible: Contact(i.Responsible), DecidingOffice: i.DecidingOffice,
			Fees: i.Fees, PaymentMethods: i.PaymentMethods, Remedies: i.Remedies, SubstitutePower: Contact(i.SubstitutePower)},
	}
	if p.PublishedAt != nil {
		t := utc(*p.PublishedAt)
		out.PublishedAt = &t
	}
	for _, d := range p.RequiredDocuments {
		d.Formats = append([]string{}, d.Formats...)
		out.RequiredDocuments = append(out.RequiredDocuments, RequiredDocument(d))
	}
	for _, s := range p.Steps {
		out.Steps = append(out.Steps, ProcedureStep(s))
	}
	_ = json.Unmarshal(p.FormSchema, &out.FormSchema) // validated JSON, stored as it came
	return out
}
