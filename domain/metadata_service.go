package domain

import (
	"context"
	"fmt"
	"time"
)

// The services in this file use the ports InstallationStore, RegisterStore, ClassStore, DossierStore, OfficeStore and ClientStore (ports.go).

// MetaPianoDiClassificazione names the classification scheme in the metadata
// (PianoDiClassificazione): the AOO's titolario.
const MetaPianoDiClassificazione = "Titolario di classificazione"

// RegistrationMetadata returns the Allegato 5 metadata of the registration at ref and of its
// attachments, to the principals who may see it (not_found otherwise).
func (s *Service) RegistrationMetadata(ctx context.Context, p Principal, ref Ref) (RegistrationMetadata, error) {
	r, err := s.Registration(ctx, p, ref)
	if err != nil {
		return RegistrationMetadata{}, err
	}
	return s.MetadataOf(ctx, r)
}

// MetadataOf returns the Allegato 5 metadata of r, read by a caller that already decided it may
// (an archive package of registrations a records officer chose): it reads the AOO, r's register,
// class, dossiers (named by their identifiers, as the registration itself names them), the
// offices and the client that registered r, and builds the metadata from them.
func (s *Service) MetadataOf(ctx context.Context, r *Registration) (RegistrationMetadata, error) {
	ref := r.Ref()
	in := MetadataInput{Registration: r, Scheme: MetaPianoDiClassificazione, Loc: s.location()}
	var err error
	if in.AOO, err = s.Store.AOO(ctx); err != nil {
		return RegistrationMetadata{}, fmt.Errorf("metadata of %s: %w", ref, err)
	}
	if in.Register, err = s.Store.Register(ctx, r.Register); err != nil {
		return RegistrationMetadata{}, fmt.Errorf("metadata of %s: %w", ref, err)
	}
	if r.Class != "" {
		c, err := s.Store.Class(ctx, r.Class)
		if err != nil {
			return RegistrationMetadata{}, fmt.Errorf("metadata of %s: %w", ref, err)
		}
		in.Class = &c
	}
	for _, key := range r.Dossiers {
		d, err := s.Store.Dossier(ctx, key)
		if err != nil {
			return RegistrationMetadata{}, fmt.Errorf("metadata of %s: %w", ref, err)
		}
		in.Dossiers = append(in.Dossiers, d.Identifier)
	}
	if in.Offices, err = s.officeNames(ctx); err != nil {
		return RegistrationMetadata{}, fmt.Errorf("metadata of %s: %w", ref, err)
	}
	if in.Operator, err = s.clientName(ctx, r.CreatedBy); err != nil {
		return RegistrationMetadata{}, fmt.Errorf("metadata of %s: %w", ref, err)
	}
	return BuildRegistrationMetadata(in)
}

// DossierAggregateMetadata returns the Allegato 5 metadata of the dossier key (id or
// identifier), to the principals who may see it (not_found otherwise), computed from the items
// they may see, as the dossier's own metadata are.
func (s *Service) DossierAggregateMetadata(ctx context.Context, p Principal, key string) (AggregazioneDocumentaliInformatiche, error) {
	d, err := s.Dossier(ctx, p, key)
	if err != nil {
		return AggregazioneDocumentaliInformatiche{}, err
	}
	in := AggregateInput{View: s.ViewDossier(p, d), Scheme: MetaPianoDiClassificazione, Loc: s.location()}
	if in.AOO, err = s.Store.AOO(ctx); err != nil {
		return AggregazioneDocumentaliInformatiche{}, fmt.Errorf("metadata of dossier %s: %w", d.Identifier, err)
	}
	if in.Class, err = s.Store.Class(ctx, d.Class); err != nil {
		return AggregazioneDocumentaliInformatiche{}, fmt.Errorf("metadata of dossier %s: %w", d.Identifier, err)
	}
	if in.Offices, err = s.officeNames(ctx); err != nil {
		return AggregazioneDocumentaliInformatiche{}, fmt.Errorf("metadata of dossier %s: %w", d.Identifier, err)
	}
	return BuildAggregateMetadata(in)
}

// DocumentMetadata returns the Allegato 5 metadata of the unregistered document id, to the
// principals who may see it (not_found otherwise).
func (s *Service) DocumentMetadata(ctx context.Context, p Principal, id string) (DocumentMetadata, error) {
	d, err := s.Document(ctx, p, id)
	if err != nil {
		return DocumentMetadata{}, err
	}
	in := DocumentInput{Document: d, Scheme: MetaPianoDiClassificazione, Loc: s.location()}
	if in.AOO, err = s.Store.AOO(ctx); err != nil {
		return DocumentMetadata{}, fmt.Errorf("metadata of document %s: %w", id, err)
	}
	switch c, err := s.Store.Class(ctx, d.Class); {
	case err == nil:
		in.Class = &c
	case !IsCode(err, ECNotFound):
		return DocumentMetadata{}, fmt.Errorf("metadata of document %s: %w", id, err)
	}
	if in.Offices, err = s.officeNames(ctx); err != nil {
		return DocumentMetadata{}, fmt.Errorf("metadata of document %s: %w", id, err)
	}
	if in.Operator, err = s.clientName(ctx, d.CreatedBy); err != nil {
		return DocumentMetadata{}, fmt.Errorf("metadata of document %s: %w", id, err)
	}
	return BuildDocumentMetadata(in)
}

// clientName returns the name of the API client id, "" if there is none such.
func (s *Service) clientName(ctx context.Context, id string) (string, error) {
	c, err := s.Store.Client(ctx, id)
	if IsCode(err, ECNotFound) {
		return "", nil
	}
	return c.Name, err
}

func (s *Service) officeNames(ctx context.Context) (map[string]string, error) {
	offices, err := s.Store.Offices(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(offices))
	for _, o := range offices {
		names[o.Code] = o.Name
	}
	return names, nil
}

func (s *Service) location() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}
