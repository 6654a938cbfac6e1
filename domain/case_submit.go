package domain

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// The services in this file use the ports ProcedureStore and CaseStore (ports.go).

// NewCase is an application as a portal sends it: the procedure, the filled form, and the
// uploaded documents (already in the blob store) with the requirement each one fulfils.
// Without Requirements, the documents fill the procedure's mandatory requirements in order.
type NewCase struct {
	Procedure    string
	Form         json.RawMessage
	Requirements []string
	Documents    []File
}

// ApplicantHeader is the request header that names the applicant a portal acts for; validation
// errors about the applicant name it as their field.
const ApplicantHeader = "X-Applicant-Id"

// CaseVisibilityOf returns which cases p may see: records officers and protocol operators all,
// clerks those in the hands of their offices, a portal its own cases for the applicant it
// names. A portal that names no applicant sees none.
func CaseVisibilityOf(p Principal) CaseVisibility {
	switch {
	case p.Applicant != "":
		return CaseVisibility{Portal: p.ID, Applicant: p.Applicant}
	case p.Has(RoleRecordsOfficer, RoleProtocolOperator):
		return CaseVisibility{All: true}
	case p.Has(RoleClerk):
		return CaseVisibility{Offices: p.Offices}
	}
	return CaseVisibility{}
}

// requireApplicant returns validation_failed naming the applicant header unless p is a portal
// acting for an applicant, and forbidden for a principal that is no portal.
func requireApplicant(p Principal, action string) error {
	if err := p.require(action, RolePortal); err != nil {
		return err
	}
	if p.Applicant == "" {
		return Invalid(ApplicantHeader, "is required: the codice fiscale or partita IVA of the applicant the portal acts for")
	}
	return nil
}

// SubmitCase files an application (istanza) for the applicant p acts for, under the version of
// the procedure in force, which the case keeps. The form is checked
// against the procedure's schema — the fields it marks as the applicant's own must hold the
// applicant p acts for (ApplicantKeyword) — and the documents against its requirements; then one
// transaction registers the submission incoming (channel web: the form as the primary
// document, the uploaded files as attachments), opens a dossier of type procedimento in the
// procedure's class, files the registration in it, creates the case with its deadline (the
// protocol date plus the procedure's days) and assigns it to the responsible office. Anything
// refused leaves nothing stored and consumes no number. Returns forbidden, validation_failed
// (naming the failing form field as "form/<JSON pointer>", the document, or X-Applicant-Id),
// conflict.
func (s *Service) SubmitCase(ctx context.Context, p Principal, in NewCase, idem Idempotency) (*Case, bool, error) {
	if err := requireApplicant(p, "submitting a case"); err != nil {
		return nil, false, err
	}
	proc, err := s.Store.Procedure(ctx, in.Procedure)
	if IsCode(err, ECNotFound) {
		return nil, false, Invalid("procedure", "unknown procedure %q", in.Procedure)
	}
	if err != nil {
		return nil, false, err
	}
	if err := checkAudience(proc, p.Applicant); err != nil {
		return nil, false, err
	}
	if err := proc.ValidateForm(in.Form); err != nil {
		return nil, false, err
	}
	if err := checkApplicantFields(proc, in.Form, p.Applicant); err != nil {
		return nil, false, err
	}
	if err := matchDocuments(proc, in.Requirements, in.Documents); err != nil {
		return nil, false, err
	}
	return idempotent(ctx, s, p, idem, KindCase, s.loadCase, func() (*Case, error) {
		now := s.now()
		local := now.In(s.Location)
		today := local.Format(time.DateOnly)
		if err := s.checkClass(ctx, "procedure", proc.Class, today); err != nil {
			return nil, err
		}
		if err := s.checkContent(ctx, in.Documents); err != nil {
			return nil, err
		}
		form, err := s.storeForm(ctx, proc, p.Applicant, in.Form)
		if err != nil {
			return nil, err
		}
		r := newRegistration(p, NewRegistration{
			Direction: Incoming, Channel: ChannelWeb, Subject: proc.Name + ": istanza " + p.Applicant,
			Correspondents: []Correspondent{applicantCorrespondent(p.Applicant, RoleSender)},
			Document:       &form, Attachments: in.Documents, Class: proc.Class,
		}, now, s.Location)
		r.Parties = []string{Party(p.ID, p.Applicant)}
		d := &Dossier{
			ID: NewID(), Year: local.Year(), Class: proc.Class, Subject: proc.Name + " - " + p.Applicant,
			Type: DossierProcedimento, Office: proc.Office, Status: DossierOpen, OpenedAt: now, CreatedBy: p.ID,
			Items: []DossierItem{},
		}
		c := &Case{
			ID: NewID(), Procedure: proc.Code, ProcedureVersion: proc.Version, Portal: p.ID, Applicant: p.Applicant, Status: CaseSubmitted,
			Form: in.Form, Office: proc.Office, RegistrationID: r.ID, Registration: r, DossierID: d.ID,
			SubmittedAt: now, SilenceIsConsent: proc.SilenceIsConsent, DueDate: addDays(today, proc.DeadlineDays),
			Steps: initialSteps(proc),
		}
		r.Offices = c.Offices()
		w := Write{
			Audit: []AuditEvent{
				audit(p, now, "registration.created", KindRegistration, r.ID),
				audit(p, now, "dossier.created", KindDossier, d.ID),
				audit(p, now, "case.submitted", KindCase, c.ID),
			},
			Idempotency: idem.record(p, KindCase, c.ID, now),
			Actor:       p.ID, At: now,
			Verify: func(ctx context.Context) error {
				return s.checkContent(ctx, append([]File{r.Document}, r.Attachments...))
			},
		}
		if err := s.Store.CreateCase(ctx, c, r, d, w); err != nil {
			return nil, fmt.Errorf("submit case to %s: %w", proc.Code, err)
		}
		c.Dossier = d.Identifier
		return c, nil
	})
}

// checkAudience refuses a person's application to a procedure for businesses, and the reverse.
func checkAudience(proc Procedure, applicant string) error {
	_, kind, _ := ParseApplicant(applicant)
	want := AudienceCitizen
	if kind == ApplicantBusiness {
		want = AudienceBusiness
	}
	if !proc.Audience.Reaches(want) {
		return Invalid(ApplicantHeader, "procedure %s is for the audience %s, and %s is a %s", proc.Code, proc.Audience, applicant, kind)
	}
	return nil
}

// matchDocuments checks the uploaded documents against the procedure's requirements: each names
// a known requirement (by Requirements, or filling the mandatory ones in order), has an accepted
// format, and every mandatory requirement is met. It sets each document's description to its
// requirement.
func matchDocuments(proc Procedure, requirements []string, docs []File) error {
	var v Validation
	if requirements == nil {
		for _, r := range proc.RequiredDocuments {
			if r.Mandatory && len(requirements) < len(docs) {
				requirements = append(requirements, r.Name)
			}
		}
		if len(docs) > len(requirements) {
			v.Add("document", "%d document parts were sent for %d mandatory documents: name the requirement of each in metadata.documents", len(docs), len(requirements))
		}
	} else if len(requirements) != len(docs) {
		v.Add("documents", "lists %d documents but %d document parts were sent", len(requirements), len(docs))
	}
	if err := v.Err(); err != nil {
		return err
	}
	met := map[string]bool{}
	for i, name := range requirements {
		field := fmt.Sprintf("documents[%d]", i)
		j := slices.IndexFunc(proc.RequiredDocuments, func(r RequiredDocument) bool { return r.Name == name })
		if j < 0 {
			v.Add(field+".requirement", "unknown requirement %q of procedure %s", name, proc.Code)
			continue
		}
		req := proc.RequiredDocuments[j]
		if len(req.Formats) > 0 && !slices.Contains(req.Formats, docs[i].MediaType) {
			v.Add(field, "%q is %s; %q accepts %v", docs[i].Filename, docs[i].MediaType, name, req.Formats)
		}
		docs[i].Description = name
		met[name] = true
	}
	for _, r := range proc.RequiredDocuments {
		if r.Mandatory && !met[r.Name] {
			v.Add("documents", "the mandatory document %q is missing", r.Name)
		}
	}
	return v.Err()
}

// initialSteps copies the procedure's involved offices into a new case: all active in
// parallel, or the first active and the others waiting in order.
func initialSteps(proc Procedure) []CaseStep {
	out := make([]CaseStep, 0, len(proc.Steps))
	for i, st := range proc.Steps {
		status := StepActive
		if proc.StepsInOrder && i > 0 {
			status = StepWaiting
		}
		out = append(out, CaseStep{Office: st.Office, Name: st.Name, Status: status})
	}
	return out
}

// applicantCorrespondent is the applicant as the sender or recipient of a case's documents.
func applicantCorrespondent(applicant, role string) Correspondent {
	_, kind, _ := ParseApplicant(applicant)
	typ := TypePerson
	if kind == ApplicantBusiness {
		typ = TypeOrganization
	}
	return Correspondent{Role: role, Type: typ, Name: applicant, TaxCode: applicant}
}

// storeForm stores the application as the primary document of its registration: the procedure,
// the applicant and the form, as JSON.
func (s *Service) storeForm(ctx context.Context, proc Procedure, applicant string, form json.RawMessage) (File, error) {
	doc, err := json.MarshalIndent(struct {
		Procedure string          `json:"procedure"`
		Name      string          `json:"name"`
		Applicant string          `json:"applicant"`
		Form      json.RawMessage `json:"form"`
	}{proc.Code, proc.Name, applicant, form}, "", "  ")
	if err != nil {
		return File{}, fmt.Errorf("encode form: %w", err)
	}
	sha, size, err := s.Blobs.Put(ctx, bytes.NewReader(doc))
	if err != nil {
		return File{}, fmt.Errorf("store form: %w", err)
	}
	return File{Filename: "istanza.json", Description: "Istanza: " + proc.Name, MediaType: "application/json", Size: size, SHA256: sha}, nil
}
