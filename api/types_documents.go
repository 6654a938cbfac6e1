package api

import (
	"time"

	"github.com/sportello/sportello/domain"
)

// DocumentMetadata describes an unregistered document (the `metadata` part of POST
// /v1/documents).
type DocumentMetadata struct {
	Subject      string   `json:"subject" example:"Bozza di determina" maxLength:"2000"`         // oggetto
	Class        string   `json:"class" example:"VI.3" extensions:"x-pattern=class"`             // voce di titolario, valid today
	Offices      []string `json:"offices,omitempty" example:"TEC" extensions:"x-pattern=office"` // UOR codes the document is assigned to
	Confidential bool     `json:"confidential,omitempty"`                                        // riservato: visible only to its offices and records officers
	Description  string   `json:"description,omitempty" example:"Prima bozza"`                   // free text
}

// Document is a document not (yet) registered: an internal document, the draft of an outgoing
// act. Once a registration takes its content, `registration` names it.
type Document struct {
	ID           string                `json:"id" format:"uuid"`
	Subject      string                `json:"subject"`
	Description  string                `json:"description"`
	Class        string                `json:"class" example:"VI.3"`
	Offices      []string              `json:"offices"`
	Confidential bool                  `json:"confidential"`
	Document     File                  `json:"document"`
	CreatedAt    time.Time             `json:"created_at" format:"date-time"`
	CreatedBy    string                `json:"created_by"`
	Registration *DocumentRegistration `json:"registration" extensions:"x-nullable"`
	Dossiers     []string              `json:"dossiers"`           // identifiers of the dossiers it is filed in
	Disposal     *DisposalRef          `json:"disposal,omitempty"` // set once its content was destroyed by a disposal
	Position     int64                 `json:"position" example:"1234"`
}

// DocumentRegistration names the registration that took a document's content.
type DocumentRegistration struct {
	ID         string `json:"id" format:"uuid"`
	Identifier string `json:"identifier" example:"c_h501-A1B2C3D-PG-2026-0000042"`
	Reference  string `json:"reference" example:"PG/2026/0000042"`
}

func toDocument(d *domain.Document) Document {
	out := Document{
		ID: d.ID, Subject: d.Subject, Description: d.Description, Class: d.Class, Offices: nonNil(d.Offices),
		Confidential: d.Confidential, Document: toFile(d.File), CreatedAt: utc(d.CreatedAt), CreatedBy: d.CreatedBy,
		Dossiers: nonNil(d.Dossiers), Position: d.Position,
	}
	if r := d.Registration; r != nil {
		out.Registration = &DocumentRegistration{ID: r.ID, Identifier: r.Identifier, Reference: r.Ref.String()}
	}
	if p := d.Disposal; p != nil {
		out.Disposal = &DisposalRef{ID: p.ID, Authorization: p.Authorization, At: utc(p.At)}
	}
	return out
}
