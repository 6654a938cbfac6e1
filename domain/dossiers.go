package domain

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The services in this file use the ports OfficeStore, DossierStore and AuditStore (ports.go).

// handlingDossiers lists the roles that may open, file into and close any dossier; a clerk may
// do so for the dossiers of its own offices (mayHandle).
var handlingDossiers = []Role{RoleProtocolOperator, RoleRecordsOfficer, RoleClerk}

// mayHandle returns forbidden unless p may change dossiers assigned to office.
func mayHandle(p Principal, action, office string) error {
	if p.Has(RoleProtocolOperator, RoleRecordsOfficer) || (p.Has(RoleClerk) && slices.Contains(p.Offices, office)) {
		return nil
	}
	return Errorf(ECForbidden, "%s requires the role protocol_operator or records_officer, or clerk of office %s", action, office)
}

// CreateDossier opens a dossier (C3). Its year is the current year in Rome and its number the
// next of the (class, year) counter, taken in the creating transaction, so numbers have no gaps.
// The class must exist and be valid today; the office must exist; a parent must exist, be open
// and have the same class, since a sub-dossier (sottofascicolo) subdivides its parent's matter
// under the same voce di titolario. Returns forbidden, validation_failed, conflict.
func (s *Service) CreateDossier(ctx context.Context, p Principal, in NewDossier, idem Idempotency) (*Dossier, bool, error) {
	if err := p.require("opening a dossier", handlingDossiers...); err != nil {
		return nil, false, err
	}
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	if err := mayHandle(p, "opening a dossier", in.Office); err != nil {
		return nil, false, err
	}
	return idempotent(ctx, s, p, idem, KindDossier, s.Store.Dossier, func() (*Dossier, error) {
		if err := s.checkOffice(ctx, "office", in.Office); err != nil {
			return nil, err
		}
		if err := s.checkMember(ctx, "responsible", in.Responsible, in.Office); err != nil {
			return nil, err
		}
		now := s.now()
		local := now.In(s.Location)
		if err := s.checkClass(ctx, "class", in.Class, local.Format(time.DateOnly)); err != nil {
			return nil, err
		}
		d := &Dossier{
			ID: NewID(), Year: local.Year(), Class: in.Class, Subject: in.Subject, Type: in.Type,
			Office: in.Office, Responsible: in.Responsible, Status: DossierOpen, OpenedAt: now.UTC(), CreatedBy: p.ID, Items: []DossierItem{},
		}
		if in.Parent != "" {
			parent, err := s.Store.Dossier(ctx, in.Parent)
			switch {
			case IsCode(err, ECNotFound):
				return nil, Invalid("parent", "unknown dossier %s", in.Parent)
			case err != nil:
				return nil, fmt.Errorf("parent dossier %s: %w", in.Parent, err)
			case parent.Status != DossierOpen:
				return nil, Invalid("parent", "dossier %s is closed: a sub-dossier needs an open parent", parent.Identifier)
			case parent.Class != in.Class:
				return nil, Invalid("parent", "dossier %s has class %s: a sub-dossier shares its parent's class", parent.Identifier, parent.Class)
			}
			d.Parent = parent.ID
		}
		w := Write{
			Audit:       []AuditEvent{audit(p, now, "dossier.created", KindDossier, d.ID)},
			Idempotency: idem.record(p, KindDossier, d.ID, now),
		}
		if err := s.Store.CreateDossier(ctx, d, w); err != nil {
			return nil, fmt.Errorf("open dossier in %s: %w", in.Class, err)
		}
		return d, nil
	})
}

// checkOffice returns validation_failed naming field unless the office exists.
func (s *Service) checkOffice(ctx context.Context, field, code string) error {
	offices, err := s.Store.Offices(ctx)
	if err != nil {
		return fmt.Errorf("check office %s: %w", code, err)
	}
	if !slices.ContainsFunc(offices, func(o Office) bool { return o.Code == code }) {
		return Invalid(field, "unknown office %q", code)
	}
	return nil
}

// Dossier returns one dossier by id or identifier, with its index, if p may see it. Items that
// are registrations p may not see keep their place in the index but lose their subject and
// correspondents (see DossierView). Returns not_found, also for a dossier p may not see.
func (s *Service) Dossier(ctx context.Context, p Principal, key string) (*Dossier, error) {
	d, err := s.Store.Dossier(ctx, key)
	if err != nil {
		return nil, err
	}
	if !DossierVisibilityOf(p).AllowsDossier(d) {
		return nil, Errorf(ECNotFound, "dossier %s not found", key)
	}
	return d, nil
}

// Dossiers lists the dossiers p may see, newest first. Returns validation_failed.
func (s *Service) Dossiers(ctx context.Context, p Principal, f DossierFilter) (Page[*Dossier], error) {
	var v Validation
	if f.Class != "" && !ValidClass(f.Class) {
		v.Add("class", "must be a classification code such as VI.3")
	}
	if f.Status != "" && f.Status != DossierOpen && f.Status != DossierClosed && f.Status != DossierDisposed {
		v.Add("status", "must be open, closed or disposed")
	}
	if f.Type != "" && !slices.Contains(DossierTypes, f.Type) {
		v.Add("type", "must be one of %v", DossierTypes)
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		v.Add("limit", "must be between 1 and %d", MaxLimit)
	}
	if err := v.Err(); err != nil {
		return Page[*Dossier]{}, err
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	f.Visibility = DossierVisibilityOf(p)
	return s.Store.Dossiers(ctx, f)
}

// DossierClosing is the reason for closing or reopening a dossier, kept in the audit trail.
type DossierClosing struct {
	Reason string
}

// CloseDossier closes a dossier: its index becomes final and it accepts no new item. Who, when
// and why are audited. Returns forbidden, validation_failed, not_found, conflict (closed).
func (s *Service) CloseDossier(ctx context.Context, p Principal, key string, in DossierClosing, idem Idempotency) (*Dossier, bool, error) {
	return s.setDossierStatus(ctx, p, key, in, idem, DossierClosed)
}

// ReopenDossier reopens a closed dossier: records officers only, with a reason, since it lets
// a final index change again. The earlier closing stays in the audit trail. Returns forbidden,
// validation_failed, not_found, conflict (open).
func (s *Service) ReopenDossier(ctx context.Context, p Principal, key string, in DossierClosing, idem Idempotency) (*Dossier, bool, error) {
	if err := p.require("reopening a dossier", RoleRecordsOfficer); err != nil {
		return nil, false, err
	}
	return s.setDossierStatus(ctx, p, key, in, idem, DossierOpen)
}

func (s *Service) setDossierStatus(ctx context.Context, p Principal, key string, in DossierClosing, idem Idempotency, to DossierStatus) (*Dossier, bool, error) {
	action := map[DossierStatus]string{DossierClosed: "closing a dossier", DossierOpen: "reopening a dossier"}[to]
	if err := p.require(action, handlingDossiers...); err != nil {
		return nil, false, err
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return nil, false, Invalid("reason", "is required")
	}
	return idempotent(ctx, s, p, idem, KindDossier, s.Store.Dossier, func() (*Dossier, error) {
		current, err := s.Dossier(ctx, p, key)
		if err != nil {
			return nil, err
		}
		if err := mayHandle(p, action, current.Office); err != nil {
			return nil, err
		}
		return s.Store.UpdateDossier(ctx, current.ID, func(d *Dossier) (Write, error) {
			now := s.now()
			from := d.Status
			var err error
			if to == DossierClosed {
				err = d.Close(now)
			} else {
				err = d.Reopen()
			}
			if err != nil {
				return Write{}, err
			}
			e, err := change(p, now, KindDossier, d.ID, "status", from, to)
			e.Action = map[DossierStatus]string{DossierClosed: "dossier.closed", DossierOpen: "dossier.reopened"}[to]
			e.Detail = reason
			return Write{Audit: []AuditEvent{e}, Idempotency: idem.record(p, KindDossier, d.ID, now)}, err
		})
	})
}

// DossierHistory returns every audit event of a dossier p may see: its opening, each filing and
// unfiling, each closing and reopening with who, when and why.
func (s *Service) DossierHistory(ctx context.Context, p Principal, key string) ([]AuditEvent, error) {
	d, err := s.Dossier(ctx, p, key)
	if err != nil {
		return nil, err
	}
	return s.Store.Audit(ctx, KindDossier, d.ID)
}
