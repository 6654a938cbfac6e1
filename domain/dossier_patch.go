package domain

import (
	"context"
	"strings"
)

// The services in this file use the port DossierStore (ports.go).

// DossierPatch changes what of a dossier may change after it is opened: its responsible
// person. A nil field stays as it is.
type DossierPatch struct {
	// Responsible is a user id of an active member of the dossier's office, or "" for none.
	Responsible *string
}

// PatchDossier changes a dossier's responsible person (responsabile del procedimento), who must
// be an active member of the dossier's office ("" removes it). Who may do it is who may close
// the dossier (mayHandle): protocol operators, records officers, clerks of the dossier's
// office. A closed dossier is conflict. The change is in the dossier's history with its old and
// new value; a patch that changes nothing records nothing. Returns forbidden,
// validation_failed, not_found, conflict.
func (s *Service) PatchDossier(ctx context.Context, p Principal, key string, patch DossierPatch) (*Dossier, error) {
	const action = "changing a dossier"
	if err := p.require(action, handlingDossiers...); err != nil {
		return nil, err
	}
	if patch.Responsible == nil {
		return nil, Invalid("body", "nothing to change: send responsible")
	}
	responsible := strings.TrimSpace(*patch.Responsible)
	current, err := s.Dossier(ctx, p, key)
	if err != nil {
		return nil, err
	}
	if err := mayHandle(p, action, current.Office); err != nil {
		return nil, err
	}
	if err := s.checkMember(ctx, "responsible", responsible, current.Office); err != nil {
		return nil, err
	}
	return s.Store.UpdateDossier(ctx, current.ID, func(d *Dossier) (Write, error) {
		if d.Status != DossierOpen {
			return Write{}, Errorf(ECConflict, "dossier %s is %s: its responsible cannot change", d.Identifier, d.Status)
		}
		if d.Responsible == responsible {
			return Write{}, nil
		}
		now := s.now()
		e, err := change(p, now, KindDossier, d.ID, "responsible", d.Responsible, responsible)
		d.Responsible = responsible
		return Write{Actor: p.ID, At: now, Audit: []AuditEvent{e}}, err
	})
}
