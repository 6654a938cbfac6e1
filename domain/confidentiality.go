package domain

import (
	"context"
	"strings"
)

// The services in this file use the port RegistrationStore (ports.go).

// ConfidentialityChange is what changing a registration's confidentiality needs: the new value
// and why.
type ConfidentialityChange struct {
	Confidential bool
	Reason       string
}

// ChangeConfidentiality marks a registration confidential (riservato) or lifts the mark. Only a
// records officer may, and only with a reason: the change is recorded in the registration's
// history as a change of field "confidential" whose detail is the reason, in the transaction
// that makes it. Setting the value it already has is a conflict, so that the history holds only
// real changes. Visibility follows at once (VisibilityOf). Returns forbidden,
// validation_failed, not_found, conflict (annulled, disposed of, or unchanged).
func (s *Service) ChangeConfidentiality(ctx context.Context, p Principal, ref Ref, in ConfidentialityChange) (*Registration, error) {
	if err := p.require("changing confidentiality", RoleRecordsOfficer); err != nil {
		return nil, err
	}
	var v Validation
	if strings.TrimSpace(in.Reason) == "" {
		v.Add("reason", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	current, err := s.Registration(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	return s.Store.UpdateRegistration(ctx, current.ID, func(r *Registration) (Write, error) {
		if r.Status == StatusAnnulled {
			return Write{}, Errorf(ECConflict, "registration %s is annulled", ref)
		}
		if r.Disposal != nil {
			return Write{}, Errorf(ECConflict, "registration %s is disposed of (disposal %s)", ref, r.Disposal.ID)
		}
		if r.Confidential == in.Confidential {
			return Write{}, Errorf(ECConflict, "registration %s already has confidential=%t", ref, in.Confidential)
		}
		now := s.now()
		e, err := change(p, now, KindRegistration, r.ID, "confidential", r.Confidential, in.Confidential)
		if err != nil {
			return Write{}, err
		}
		e.Detail = strings.TrimSpace(in.Reason)
		r.Confidential = in.Confidential
		return Write{Actor: p.ID, At: now, Audit: []AuditEvent{e}}, nil
	})
}
