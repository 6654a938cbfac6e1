package api

import "time"

// RequiredDocument is a document an application to a procedure must or may carry.
type RequiredDocument struct {
	Name      string   `json:"name" example:"Planimetria dei locali"`
	Mandatory bool     `json:"mandatory"`
	Formats   []string `json:"formats" example:"application/pdf"` // accepted media types; empty accepts any
}

// ProcedureStep is an office involved in handling the cases of a procedure.
type ProcedureStep struct {
	Office string `json:"office" example:"PM"`
	Name   string `json:"name" example:"Parere igienico-sanitario"`
}

// NewProcedure is the body of POST /v1/procedures.
type NewProcedure struct {
	Code              string             `json:"code" example:"scia-avvio-attivita"`
	Name              string             `json:"name" example:"SCIA - Avvio di attività commerciale"`
	Audience          string             `json:"audience" enums:"citizen,business,both"`
	Description       string             `json:"description"`
	RequiredDocuments []RequiredDocument `json:"required_documents"`
	FormSchema        map[string]any     `json:"form_schema" swaggertype:"object"` // JSON Schema (2020-12 unless $schema says otherwise) of the structured form (modello strutturato)
	Office            string             `json:"office" example:"SUAP"`            // responsible office
	Class             string             `json:"class" example:"VIII.4"`           // class of the cases' registrations and dossiers
	DeadlineDays      int                `json:"deadline_days" example:"60"`       // legal deadline in days (L. 241/1990 art. 2)
	SilenceIsConsent  bool               `json:"silence_is_consent"`               // silenzio assenso (art. 20)
	Steps             []ProcedureStep    `json:"steps,omitempty"`                  // involved offices
	StepsInOrder      bool               `json:"steps_in_order,omitempty"`         // true: each step waits for the one before; false: in parallel
}

// Procedure is a service of the catalogue (procedimento amministrativo).
type Procedure struct {
	Code              string             `json:"code" example:"scia-avvio-attivita"`
	Name              string             `json:"name"`
	Audience          string             `json:"audience" enums:"citizen,business,both"`
	Description       string             `json:"description"`
	RequiredDocuments []RequiredDocument `json:"required_documents"`
	FormSchema        map[string]any     `json:"form_schema" swaggertype:"object"`
	Office            string             `json:"office"`
	Class             string             `json:"class"`
	DeadlineDays      int                `json:"deadline_days"`
	SilenceIsConsent  bool               `json:"silence_is_consent"`
	Steps             []ProcedureStep    `json:"steps"`
	StepsInOrder      bool               `json:"steps_in_order"`
	CreatedAt         time.Time          `json:"created_at"`
}

// ProcedureList is the service catalogue.
type ProcedureList struct {
	Items []Procedure `json:"items"`
}
