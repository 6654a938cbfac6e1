package domain

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The services in this file use the ports ClassStore, DossierStore and HoldStore (ports.go).

// KindHold is the entity kind of legal holds in audit events and idempotency records.
const KindHold = "hold"

// Hold is a legal hold (C4): while active it blocks the disposal of a dossier (and its
// sub-dossiers) or of everything in a class and its descendants, for litigation, audits or
// inquiries. A hold is never deleted; releasing it records who, when and why.
type Hold struct {
	ID string
	// Dossier is the id of the held dossier and DossierIdentifier its identifier; Class the
	// held class. Exactly one of Dossier and Class is set.
	Dossier           string
	DossierIdentifier string
	Class             string
	Reason            string
	// Reference names the act or proceeding the hold comes from.
	Reference     string
	CreatedAt     time.Time
	CreatedBy     string
	ReleasedAt    *time.Time
	ReleasedBy    string
	ReleaseReason string
}

// Active reports whether the hold still blocks disposal.
func (h Hold) Active() bool { return h.ReleasedAt == nil }

// coversClass reports whether h holds the class code: the held class itself or a descendant.
func (h Hold) coversClass(code string) bool {
	return h.Class != "" && code != "" && (code == h.Class || strings.HasPrefix(code, h.Class+"."))
}

// NewHold is the input of PlaceHold: a dossier (id or identifier) or a class, and why.
type NewHold struct {
	Dossier   string
	Class     string
	Reason    string
	Reference string
}

// PlaceHold places a legal hold on a dossier or a class: records officers only. The hold and
// its reason are audited. Returns forbidden, validation_failed (also for an unknown dossier
// or class).
func (s *Service) PlaceHold(ctx context.Context, p Principal, in NewHold, idem Idempotency) (Hold, bool, error) {
	if err := p.require("placing a legal hold", RoleRecordsOfficer); err != nil {
		return Hold{}, false, err
	}
	var v Validation
	in.Reason, in.Reference = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Reference)
	if (in.Dossier == "") == (in.Class == "") {
		v.Add("dossier", "give either a dossier or a class")
	}
	if in.Class != "" && !ValidClass(in.Class) {
		v.Add("class", "must be a classification code such as VI.3")
	}
	if in.Reason == "" {
		v.Add("reason", "is required")
	}
	if err := v.Err(); err != nil {
		return Hold{}, false, err
	}
	return idempotent(ctx, s, p, idem, KindHold, s.Store.Hold, func() (Hold, error) {
		now := s.now()
		h := Hold{ID: NewID(), Class: in.Class, Reason: in.Reason, Reference: in.Reference, CreatedAt: now, CreatedBy: p.ID}
		if in.Dossier != "" {
			d, err := s.Store.Dossier(ctx, in.Dossier)
			if IsCode(err, ECNotFound) {
				return Hold{}, Invalid("dossier", "unknown dossier %s", in.Dossier)
			}
			if err != nil {
				return Hold{}, fmt.Errorf("hold dossier %s: %w", in.Dossier, err)
			}
			h.Dossier, h.DossierIdentifier = d.ID, d.Identifier
		} else if _, err := s.Store.Class(ctx, in.Class); IsCode(err, ECNotFound) {
			return Hold{}, Invalid("class", "unknown class %s", in.Class)
		} else if err != nil {
			return Hold{}, fmt.Errorf("hold class %s: %w", in.Class, err)
		}
		e := audit(p, now, "hold.placed", KindHold, h.ID)
		e.Detail = h.Reference + ": " + h.Reason
		w := Write{Audit: []AuditEvent{e}, Idempotency: idem.record(p, KindHold, h.ID, now)}
		if err := s.Store.CreateHold(ctx, h, w); err != nil {
			return Hold{}, fmt.Errorf("place hold: %w", err)
		}
		return s.Store.Hold(ctx, h.ID)
	})
}

// ReleaseHold releases an active hold, with a reason: records officers only; audited. The hold
// stays stored. Returns forbidden, validation_failed, not_found, conflict (already released).
func (s *Service) ReleaseHold(ctx context.Context, p Principal, id, reason string, idem Idempotency) (Hold, bool, error) {
	if err := p.require("releasing a legal hold", RoleRecordsOfficer); err != nil {
		return Hold{}, false, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Hold{}, false, Invalid("reason", "is required")
	}
	return idempotent(ctx, s, p, idem, KindHold, s.Store.Hold, func() (Hold, error) {
		return s.Store.ReleaseHold(ctx, id, func(h *Hold) (Write, error) {
			if !h.Active() {
				return Write{}, Errorf(ECConflict, "hold %s is already released", h.ID)
			}
			now := s.now()
			h.ReleasedAt, h.ReleasedBy, h.ReleaseReason = &now, p.ID, reason
			e := audit(p, now, "hold.released", KindHold, h.ID)
			e.Detail = reason
			return Write{Audit: []AuditEvent{e}, Idempotency: idem.record(p, KindHold, h.ID, now)}, nil
		})
	})
}

// HoldFilter selects holds: Active, when set, keeps only active (true) or released (false)
// holds.
type HoldFilter struct {
	Active *bool
	Limit  int
	Cursor string
}

// Holds lists the legal holds, newest first; records officers only. Returns forbidden,
// validation_failed.
func (s *Service) Holds(ctx context.Context, p Principal, f HoldFilter) (Page[Hold], error) {
	if err := p.require("reading legal holds", RoleRecordsOfficer); err != nil {
		return Page[Hold]{}, err
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		return Page[Hold]{}, Invalid("limit", "must be between 1 and %d", MaxLimit)
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	return s.Store.Holds(ctx, f)
}

// Hold returns one hold (not_found); records officers only, like the rest of disposal.
func (s *Service) Hold(ctx context.Context, p Principal, id string) (Hold, error) {
	if err := p.require("reading legal holds", RoleRecordsOfficer); err != nil {
		return Hold{}, err
	}
	return s.Store.Hold(ctx, id)
}
