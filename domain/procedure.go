package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Audience says who may apply to a procedure: citizens, businesses, or both.
type Audience string

// Audiences of the service catalogue.
const (
	AudienceCitizen  Audience = "citizen"
	AudienceBusiness Audience = "business"
	AudienceBoth     Audience = "both"
)

// Audiences lists every audience.
var Audiences = []Audience{AudienceCitizen, AudienceBusiness, AudienceBoth}

// Reaches reports whether a procedure for a serves the audience want (a procedure for both
// serves either).
func (a Audience) Reaches(want Audience) bool {
	return want == "" || a == want || a == AudienceBoth || want == AudienceBoth
}

// RequiredDocument is one document an application must (Mandatory) or may carry, with the media
// types accepted for it (any, when Formats is empty).
type RequiredDocument struct {
	Name      string   `json:"name"`
	Mandatory bool     `json:"mandatory"`
	Formats   []string `json:"formats"`
}

// Step is one office involved in handling a case beside the responsible office: it gives an
// opinion or clearance (parere, nulla osta) and sees the case in its worklist.
type Step struct {
	Office string `json:"office"`
	Name   string `json:"name"`
	// Instructions tell the involved office how to carry out its step; that office's editors
	// maintain them (see Service.DraftProcedureVersion).
	Instructions string `json:"instructions,omitempty"`
}

// Procedure is a service of the catalogue (procedimento amministrativo): what an applicant may
// ask for, with the structured form (modello strutturato, a JSON Schema) and documents the
// application needs, the office responsible, the offices involved and the legal deadline of
// L. 241/1990 art. 2. Silence is consent (silenzio assenso, art. 20) when SilenceIsConsent.
type Procedure struct {
	Code              string             `json:"code"`
	Name              string             `json:"name"`
	Audience          Audience           `json:"audience"`
	Description       string             `json:"description"`
	RequiredDocuments []RequiredDocument `json:"required_documents"`
	FormSchema        json.RawMessage    `json:"form_schema"`
	Office            string             `json:"office"`
	Class             string             `json:"class"`
	DeadlineDays      int                `json:"deadline_days"`
	SilenceIsConsent  bool               `json:"silence_is_consent"`
	// Steps are the involved offices; StepsInOrder says whether each waits for the one before
	// (in order) or all run at once (in parallel).
	Steps        []Step `json:"steps"`
	StepsInOrder bool   `json:"steps_in_order"`
	// Info is the rest of the information sheet the law wants published (InfoSheet).
	Info InfoSheet `json:"info"`
	// Version numbers the procedure's versions from 1; Status says whether it is a draft or
	// published. A case is handled by the version it was submitted under.
	Version     int        `json:"version"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by"`
	PublishedAt *time.Time `json:"published_at"`
	PublishedBy string     `json:"published_by"`
}

// KindProcedure is the entity kind of procedures in audit events and idempotency records.
const KindProcedure = "procedure"

var procedureCodePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// MaxDeadlineDays bounds a procedure's legal deadline (L. 241/1990 allows up to 180 days).
const MaxDeadlineDays = 180

// Validate checks a new procedure's shape, including that its form schema compiles as JSON
// Schema; whether its office and class exist is the service's concern.
func (p *Procedure) Validate() error {
	var v Validation
	p.Code, p.Name = strings.TrimSpace(p.Code), strings.TrimSpace(p.Name)
	if !procedureCodePattern.MatchString(p.Code) {
		v.Add("code", "must be 1-64 letters, digits, '_', '.' or '-'")
	}
	if p.Name == "" {
		v.Add("name", "is required")
	}
	if !slices.Contains(Audiences, p.Audience) {
		v.Add("audience", "must be one of %v", Audiences)
	}
	names := map[string]bool{}
	for i, d := range p.RequiredDocuments {
		field := fmt.Sprintf("required_documents[%d]", i)
		if strings.TrimSpace(d.Name) == "" {
			v.Add(field+".name", "is required")
		} else if names[d.Name] {
			v.Add(field+".name", "%q is listed twice", d.Name)
		}
		names[d.Name] = true
		for j, f := range d.Formats {
			if !strings.Contains(f, "/") {
				v.Add(fmt.Sprintf("%s.formats[%d]", field, j), "must be a media type such as application/pdf")
			}
		}
		if p.RequiredDocuments[i].Formats == nil {
			p.RequiredDocuments[i].Formats = []string{}
		}
	}
	if len(p.FormSchema) == 0 {
		v.Add("form_schema", "is required (a JSON Schema; {} accepts any form)")
	} else if _, err := compileForm(p.FormSchema); err != nil {
		addFieldErrors(&v, err)
	}
	if p.Office == "" {
		v.Add("office", "is required")
	}
	if !ValidClass(p.Class) {
		v.Add("class", "must be a classification code such as VI.3")
	}
	if p.DeadlineDays < 1 || p.DeadlineDays > MaxDeadlineDays {
		v.Add("deadline_days", "must be between 1 and %d", MaxDeadlineDays)
	}
	for i, s := range p.Steps {
		if s.Office == "" {
			v.Add(fmt.Sprintf("steps[%d].office", i), "is required")
		}
	}
	if p.RequiredDocuments == nil {
		p.RequiredDocuments = []RequiredDocument{}
	}
	if p.Steps == nil {
		p.Steps = []Step{}
	}
	return v.Err()
}

// ValidateForm checks an application's form against the procedure's schema. Each failure is a
// field error named "form" followed by the JSON pointer of the failing value ("form/address/zip").
func (p *Procedure) ValidateForm(form json.RawMessage) error {
	schema, err := compiledForm(p.FormSchema)
	if err != nil {
		// A published schema compiled when it was published: failing now is the server's fault,
		// not the applicant's.
		return fmt.Errorf("form schema of %s: %v", p.Code, err)
	}
	return validateForm(schema, form)
}

// validateForm checks form against a compiled schema.
func validateForm(schema *jsonschema.Schema, form json.RawMessage) error {
	var v Validation
	if len(form) == 0 {
		form = json.RawMessage(`{}`)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(form))
	if err != nil {
		v.Add("form", "is not valid JSON: %v", err)
		return v.Err()
	}
	err = schema.Validate(inst)
	var ve *jsonschema.ValidationError
	if err == nil {
		return nil
	}
	if !errors.As(err, &ve) {
		return fmt.Errorf("validate form: %w", err)
	}
	addLeaves(&v, ve)
	return v.Err()
}

// addLeaves records the innermost causes of a schema failure: they name the failing values.
func addLeaves(v *Validation, e *jsonschema.ValidationError) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			addLeaves(v, c)
		}
		return
	}
	field := formPointer(e.InstanceLocation)
	if req, ok := e.ErrorKind.(*kind.Required); ok {
		// A missing property is named itself, not the object that lacks it.
		for _, name := range req.Missing {
			v.Add(formPointer(append(slices.Clone(e.InstanceLocation), name)), "is required")
		}
		return
	}
	v.Add(field, "%s", e.ErrorKind.LocalizedString(englishPrinter))
}

// englishPrinter renders schema errors; API messages are in English.
var englishPrinter = message.NewPrinter(language.English)

// formPointer names a value of the form: "form" and its JSON pointer (RFC 6901).
func formPointer(location []string) string { return "form" + pointer(location) }
