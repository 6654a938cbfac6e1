package domain

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// The services in this file use the ports RegistrationStore and CaseStore (ports.go).

// loadCase returns a case with its submission's registration.
func (s *Service) loadCase(ctx context.Context, id string) (*Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Registration, err = s.Store.RegistrationByID(ctx, c.RegistrationID); err != nil {
		return nil, fmt.Errorf("case %s: %w", id, err)
	}
	return c, nil
}

// Case returns one case p may see (a portal must name the applicant). Returns not_found, also
// for a case p may not see, forbidden, validation_failed.
func (s *Service) Case(ctx context.Context, p Principal, id string) (*Case, error) {
	if p.Has(RolePortal) {
		if err := requireApplicant(p, "reading a case"); err != nil {
			return nil, err
		}
	}
	c, err := s.loadCase(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CaseVisibilityOf(p).Allows(c) {
		return nil, Errorf(ECNotFound, "case %s not found", id)
	}
	return c, nil
}

// Today is the current date in the instance's time zone, which deadlines are reckoned in.
func (s *Service) Today() string { return s.now().In(s.Location).Format(time.DateOnly) }

// CaseQuery is what a list of cases may ask for: the filters and whether only overdue cases.
type CaseQuery struct {
	Procedure string
	Status    CaseStatus
	Office    string
	Overdue   bool
	Limit     int
	Cursor    string
}

// Cases lists the cases p may see, newest first: a portal its cases for the applicant it names,
// a clerk those in its offices' hands (the worklist; Overdue keeps the cases past their
// deadline). Returns forbidden, validation_failed.
func (s *Service) Cases(ctx context.Context, p Principal, q CaseQuery) (Page[*Case], error) {
	if p.Has(RolePortal) {
		if err := requireApplicant(p, "listing cases"); err != nil {
			return Page[*Case]{}, err
		}
	}
	var v Validation
	if q.Status != "" && !slices.Contains(CaseStatuses, q.Status) {
		v.Add("status", "must be one of %v", CaseStatuses)
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		v.Add("limit", "must be between 1 and %d", MaxLimit)
	}
	if err := v.Err(); err != nil {
		return Page[*Case]{}, err
	}
	f := CaseFilter{Procedure: q.Procedure, Status: q.Status, Office: q.Office, Limit: q.Limit, Cursor: q.Cursor,
		Visibility: CaseVisibilityOf(p)}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	if q.Overdue {
		f.OverdueOn = s.Today()
	}
	return s.Store.Cases(ctx, f)
}
