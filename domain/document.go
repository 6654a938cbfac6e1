package domain

import (
	"strings"
	"time"
)

// KindDocument is the entity kind of unregistered documents in audit events, idempotency
// records and the change feed.
const KindDocument = "document"

// Document is a file kept outside the protocol register: an internal document, the draft of an
// outgoing act. It is classified like a registration and may be filed into dossiers; when a
// registration takes its content (NewRegistration.DocumentID) it points to that registration,
// once and for good. Its content and descriptive fields never change.
type Document struct {
	ID           string
	Subject      string
	Description  string
	Class        string
	Offices      []string
	Confidential bool
	File         File
	CreatedAt    time.Time
	CreatedBy    string
	// Registration is the registration that took the document's content, or nil.
	Registration *DocumentRegistration
	// Dossiers are the identifiers of the dossiers the document is filed in, in filing order.
	Dossiers []string
	// Disposal is the disposal that destroyed the document's content, or nil.
	Disposal *DisposalRef
	Position int64
}

// DocumentRegistration is what a document shows of the registration that took its content.
type DocumentRegistration struct {
	ID         string
	Ref        Ref
	Identifier string
}

// NewDocument is the input of CreateDocument; File describes content already in the blob store.
type NewDocument struct {
	Subject      string
	Description  string
	Class        string
	Offices      []string
	Confidential bool
	File         *File
}

// Validate checks the shape of the input and lists every failing field. A document has no
// register that could allow it unclassified, so its class is always required.
func (in *NewDocument) Validate() error {
	var v Validation
	in.Subject = strings.TrimSpace(in.Subject)
	switch n := len([]rune(in.Subject)); {
	case n == 0:
		v.Add("subject", "is required")
	case n > MaxSubject:
		v.Add("subject", "is longer than %d characters", MaxSubject)
	}
	switch {
	case in.Class == "":
		v.Add("class", "is required")
	case !ValidClass(in.Class):
		v.Add("class", "must be a classification code such as VI.3")
	}
	if in.File == nil {
		v.Add("document", "the document part is required")
	} else {
		validateFile(&v, "document", *in.File)
	}
	return v.Err()
}

// AllowsDocument reports whether d is visible under v, by the rules of registrations: a
// confidential document only to records officers, its offices and whoever created it.
func (v Visibility) AllowsDocument(d *Document) bool {
	return v.Allows(&Registration{Confidential: d.Confidential, CreatedBy: d.CreatedBy, Offices: d.Offices})
}
