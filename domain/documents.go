package domain

import (
	"context"
	"fmt"
	"io"
	"time"
)

// The services in this file use the ports RegistrationStore and DocumentStore (ports.go).

// handlingDocuments lists the roles that may create unregistered documents: those who register
// on staff's side. Portals and importers submit registrations, not drafts.
var handlingDocuments = []Role{RoleProtocolOperator, RoleRecordsOfficer}

// CreateDocument stores an unregistered document whose content is already in the blob store
// (StoreContent). Its class must exist and be valid today, as for a registration; its offices
// must exist. One transaction stores it with its audit and change-feed events. A retry with the
// same idempotency key returns the first document and replayed=true. Returns forbidden,
// validation_failed, conflict.
func (s *Service) CreateDocument(ctx context.Context, p Principal, in NewDocument, idem Idempotency) (*Document, bool, error) {
	if err := p.require("creating a document", handlingDocuments...); err != nil {
		return nil, false, err
	}
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	return idempotent(ctx, s, p, idem, KindDocument, s.Store.Document, func() (*Document, error) {
		if err := s.checkOffices(ctx, in.Offices); err != nil {
			return nil, err
		}
		if err := s.checkContent(ctx, []File{*in.File}); err != nil {
			return nil, err
		}
		now := s.now()
		if err := s.checkClass(ctx, "class", in.Class, now.In(s.Location).Format(time.DateOnly)); err != nil {
			return nil, err
		}
		d := &Document{
			ID: NewID(), Subject: in.Subject, Description: in.Description, Class: in.Class,
			Offices: uniq(in.Offices), Confidential: in.Confidential, File: *in.File,
			CreatedAt: now.UTC(), CreatedBy: p.ID, Dossiers: []string{},
		}
		w := Write{
			Audit:       []AuditEvent{audit(p, now, "document.created", KindDocument, d.ID)},
			Idempotency: idem.record(p, KindDocument, d.ID, now),
			// Checked again under the content lock: a disposal may have destroyed the same bytes
			// since the check above.
			Verify: func(ctx context.Context) error { return s.checkContent(ctx, []File{d.File}) },
		}
		if err := s.Store.CreateDocument(ctx, d, w); err != nil {
			return nil, fmt.Errorf("create document: %w", err)
		}
		return d, nil
	})
}

// Document returns one document the principal may see, by the visibility rules of
// registrations. Returns not_found also when it exists but is not visible.
func (s *Service) Document(ctx context.Context, p Principal, id string) (*Document, error) {
	d, err := s.Store.Document(ctx, id)
	if err != nil {
		return nil, err
	}
	if !VisibilityOf(p).AllowsDocument(d) {
		return nil, Errorf(ECNotFound, "document %s not found", id)
	}
	return d, nil
}

// OpenDocument returns the content of a document the principal may see. Content destroyed by a
// disposal is gone: the document's own, or that of the registration that took it over.
// Returns not_found, gone.
func (s *Service) OpenDocument(ctx context.Context, p Principal, id string) (File, io.ReadCloser, error) {
	d, err := s.Document(ctx, p, id)
	if err != nil {
		return File{}, nil, err
	}
	if d.Disposal != nil {
		return File{}, nil, Errorf(ECGone, "the content of document %s was destroyed by disposal %s (authorisation %s)",
			id, d.Disposal.ID, d.Disposal.Authorization)
	}
	if d.Registration != nil {
		r, err := s.Store.RegistrationByID(ctx, d.Registration.ID)
		if err != nil {
			return File{}, nil, fmt.Errorf("registration of document %s: %w", id, err)
		}
		if r.Disposal != nil {
			return File{}, nil, Errorf(ECGone, "the content of document %s was destroyed with registration %s by disposal %s (authorisation %s)",
				id, r.Ref(), r.Disposal.ID, r.Disposal.Authorization)
		}
	}
	rc, err := s.Blobs.Open(ctx, d.File.SHA256)
	if err != nil {
		return File{}, nil, fmt.Errorf("open %s of document %s: %w", d.File.SHA256, id, err)
	}
	s.recordAccess(p, ActionDownload, KindDocument, id, d.File.SHA256)
	return d.File, rc, nil
}

// documentForRegistration returns the document whose content a registration takes, checked
// for the principal: visible, not disposed of and not registered yet. Storage checks the last
// again inside the registration's transaction, which is what holds under concurrency.
func (s *Service) documentForRegistration(ctx context.Context, p Principal, id string) (*Document, error) {
	d, err := s.Document(ctx, p, id)
	if IsCode(err, ECNotFound) {
		return nil, Invalid("document_id", "unknown document %s", id)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case d.Disposal != nil:
		return nil, Errorf(ECConflict, "document %s is disposed of (disposal %s)", id, d.Disposal.ID)
	case d.Registration != nil:
		return nil, errRegisteredTwice(d)
	}
	return d, nil
}

// errRegisteredTwice is the conflict of registering a document a second time.
func errRegisteredTwice(d *Document) error {
	return Errorf(ECConflict, "document %s is already registered as %s: a document is registered at most once",
		d.ID, d.Registration.Identifier)
}
