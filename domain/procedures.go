package domain

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sportello/sportello/domain/catalogue"
)

// The services in this file use the ports OfficeStore, ClassStore and ProcedureStore (ports.go).

// CreateProcedure publishes a procedure in the service catalogue; only admins manage it. The
// form schema must compile as JSON Schema; the office, every step's office and the class must
// exist (the class valid today). Returns forbidden, validation_failed, conflict (code taken).
func (s *Service) CreateProcedure(ctx context.Context, p Principal, in Procedure, idem Idempotency) (Procedure, bool, error) {
	if err := p.require("managing the service catalogue", RoleAdmin); err != nil {
		return Procedure{}, false, err
	}
	if err := in.Validate(); err != nil {
		return Procedure{}, false, err
	}
	return idempotent(ctx, s, p, idem, KindProcedure, s.Store.Procedure, func() (Procedure, error) {
		if err := s.checkProcedureRefs(ctx, in); err != nil {
			return Procedure{}, err
		}
		now := s.now()
		in.published(p.ID, now)
		w := Write{
			Audit:       []AuditEvent{audit(p, now, "procedure.created", KindProcedure, in.Code)},
			Idempotency: idem.record(p, KindProcedure, in.Code, now),
		}
		if err := s.Store.CreateProcedures(ctx, []Procedure{in}, w); err != nil {
			return Procedure{}, fmt.Errorf("publish procedure %s: %w", in.Code, err)
		}
		return in, nil
	})
}

// published makes p the first version of a new procedure, published by who at now.
func (p *Procedure) published(who string, now time.Time) {
	p.Version, p.Status, p.CreatedAt, p.CreatedBy, p.PublishedAt, p.PublishedBy = 1, VersionPublished, now, who, &now, who
}

// checkProcedureRefs checks that what a procedure names exists: its offices and its class.
func (s *Service) checkProcedureRefs(ctx context.Context, in Procedure) error {
	if err := s.checkOffice(ctx, "office", in.Office); err != nil {
		return err
	}
	for i, st := range in.Steps {
		if err := s.checkOffice(ctx, fmt.Sprintf("steps[%d].office", i), st.Office); err != nil {
			return err
		}
	}
	return s.checkClass(ctx, "class", in.Class, s.now().In(s.Location).Format(time.DateOnly))
}

// Procedures lists the catalogue (the version in force of each procedure), by code, for any
// authenticated caller (portals show it to applicants), optionally only the procedures that
// serve audience and, with words q, only those whose information sheet has every word (in
// Italian analysis: "apertura" finds "aperture"), best match first. Returns validation_failed,
// unavailable (no catalogue index).
func (s *Service) Procedures(ctx context.Context, audience Audience, q string) ([]Procedure, error) {
	if audience != "" && !slices.Contains(Audiences, audience) {
		return nil, Invalid("audience", "must be one of %v", Audiences)
	}
	all, err := s.Store.Procedures(ctx)
	if err != nil {
		return nil, err
	}
	if q = strings.TrimSpace(q); q != "" {
		if all, err = s.searchCatalogue(all, q); err != nil {
			return nil, err
		}
	}
	out := []Procedure{}
	for _, p := range all {
		if p.Audience.Reaches(audience) {
			out = append(out, p)
		}
	}
	return out, nil
}

// searchCatalogue returns the procedures of all that match q, in the index's order. The index
// is rebuilt first when the catalogue changed since it was built (a new procedure or version):
// each process keeps its own, small, index.
func (s *Service) searchCatalogue(all []Procedure, q string) ([]Procedure, error) {
	if s.Catalogue == nil {
		return nil, Errorf(ECUnavailable, "the catalogue search is not configured")
	}
	var fp strings.Builder
	byCode := map[string]Procedure{}
	for _, p := range all {
		fmt.Fprintf(&fp, "%s/%d\n", p.Code, p.Version)
		byCode[p.Code] = p
	}
	s.catalogue.Lock()
	defer s.catalogue.Unlock()
	if s.Catalogue.Fingerprint() != fp.String() {
		if err := s.Catalogue.Rebuild(all, fp.String()); err != nil {
			return nil, fmt.Errorf("index the catalogue: %w", err)
		}
	}
	codes, err := s.Catalogue.Search(q)
	if err != nil {
		return nil, fmt.Errorf("search the catalogue: %w", err)
	}
	out := make([]Procedure, 0, len(codes))
	for _, c := range codes {
		if p, ok := byCode[c]; ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// Procedure returns one procedure of the catalogue (not_found).
func (s *Service) Procedure(ctx context.Context, code string) (Procedure, error) {
	return s.Store.Procedure(ctx, code)
}

// seedProcedures loads the shipped catalogue (package catalogue) if the catalogue is empty,
// creating the offices it names that do not exist. Procedures whose class the installation's
// scheme lacks are left out: an administration with its own titolario publishes its own.
func (s *Service) seedProcedures(ctx context.Context) error {
	existing, err := s.Store.Procedures(ctx)
	if err != nil || len(existing) > 0 {
		return err
	}
	var shipped struct {
		Offices    []Office    `json:"offices"`
		Procedures []Procedure `json:"procedures"`
	}
	if err := json.Unmarshal(catalogue.Procedures, &shipped); err != nil {
		return fmt.Errorf("parse shipped catalogue: %w", err)
	}
	now := s.now()
	for _, o := range shipped.Offices {
		o.CreatedAt = now
		w := Write{Audit: []AuditEvent{audit(system, now, "office.created", KindOffice, o.Code)}}
		if err := s.Store.CreateOffice(ctx, o, w); err != nil && !IsCode(err, ECConflict) {
			return fmt.Errorf("shipped office %s: %w", o.Code, err)
		}
	}
	var ps []Procedure
	w := Write{}
	for _, p := range shipped.Procedures {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("shipped procedure %s: %w", p.Code, err)
		}
		if _, err := s.Store.Class(ctx, p.Class); IsCode(err, ECNotFound) {
			continue
		} else if err != nil {
			return err
		}
		p.published(system.ID, now)
		ps = append(ps, p)
		e := audit(system, now, "procedure.created", KindProcedure, p.Code)
		e.Detail = "shipped catalogue"
		w.Audit = append(w.Audit, e)
	}
	if len(ps) == 0 {
		return nil
	}
	err = s.Store.CreateProcedures(ctx, ps, w)
	if IsCode(err, ECConflict) {
		return nil // another process seeded it first
	}
	return err
}
