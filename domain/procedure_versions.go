package domain

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The services in this file use the port ProcedureStore (ports.go).

// Statuses of a procedure version: a draft is being written; a published version is in force
// from its publication for the cases submitted under it, and never changes.
const (
	VersionDraft     = "draft"
	VersionPublished = "published"
)

// KindProcedureVersion is the entity kind of procedure versions in audit events and
// idempotency records; the id is "<code>/<version>".
const KindProcedureVersion = "procedure_version"

// ProcedureApproval says who approves the publication of a procedure version in this AOO:
// records officers when Office is empty (the default), otherwise the clerks and editors of the
// coordinating office Office (SPORTELLO_PROCEDURE_APPROVER_OFFICE).
type ProcedureApproval struct {
	Office string
}

// mayApprove returns forbidden unless p approves publications under a.
func (a ProcedureApproval) mayApprove(p Principal) error {
	if a.Office == "" {
		return p.require("publishing a procedure version", RoleRecordsOfficer)
	}
	if p.Has(RoleClerk, RoleEditor) && slices.Contains(p.Offices, a.Office) {
		return nil
	}
	return Errorf(ECForbidden, "publishing a procedure version requires the role clerk or editor of the coordinating office %s", a.Office)
}

// versionID is the id of a version in audit events and idempotency records.
func versionID(code string, version int) string { return code + "/" + strconv.Itoa(version) }

// loadVersion reads a version by its versionID.
func (s *Service) loadVersion(ctx context.Context, id string) (Procedure, error) {
	i := strings.LastIndexByte(id, '/')
	n, err := strconv.Atoi(id[i+1:])
	if i < 0 || err != nil {
		return Procedure{}, fmt.Errorf("procedure version id %q", id)
	}
	return s.Store.ProcedureVersion(ctx, id[:i], n)
}

// seesDrafts reports whether p may read draft versions: staff, not portals or importers.
func seesDrafts(p Principal) bool {
	return p.Applicant == "" && p.Has(RoleAdmin, RoleRecordsOfficer, RoleProtocolOperator, RoleClerk, RoleEditor)
}

// ProcedureVersions lists the versions of a procedure, oldest first: staff see drafts too,
// portals and importers the published ones. Returns not_found.
func (s *Service) ProcedureVersions(ctx context.Context, p Principal, code string) ([]Procedure, error) {
	if _, err := s.Store.Procedure(ctx, code); err != nil {
		return nil, err
	}
	all, err := s.Store.ProcedureVersions(ctx, code)
	if err != nil {
		return nil, err
	}
	out := []Procedure{}
	for _, v := range all {
		if v.Status == VersionPublished || seesDrafts(p) {
			out = append(out, v)
		}
	}
	return out, nil
}

// ProcedureVersion returns one version of a procedure; a draft only to staff. Returns
// not_found.
func (s *Service) ProcedureVersion(ctx context.Context, p Principal, code string, version int) (Procedure, error) {
	v, err := s.Store.ProcedureVersion(ctx, code, version)
	if err == nil && v.Status != VersionPublished && !seesDrafts(p) {
		return Procedure{}, Errorf(ECNotFound, "procedure %s has no published version %d", code, version)
	}
	return v, err
}

// DraftProcedureVersion stores in as a new draft version of procedure code, numbered after the
// last one. Editors of the responsible office (and admins) may change anything; an editor of
// an involved office only the instructions of its own steps: anything else it changes is
// forbidden. The draft is checked like a new procedure (Validate, offices and class exist);
// its information sheet may still be incomplete (publishing checks it). Returns not_found,
// forbidden, validation_failed, conflict (another draft took the number first).
func (s *Service) DraftProcedureVersion(ctx context.Context, p Principal, code string, in Procedure, idem Idempotency) (Procedure, bool, error) {
	if err := p.require("drafting a procedure version", RoleEditor, RoleAdmin); err != nil {
		return Procedure{}, false, err
	}
	current, err := s.Store.Procedure(ctx, code)
	if err != nil {
		return Procedure{}, false, err
	}
	in.Code = code
	if err := in.Validate(); err != nil {
		return Procedure{}, false, err
	}
	if err := mayEdit(p, current, in); err != nil {
		return Procedure{}, false, err
	}
	return idempotent(ctx, s, p, idem, KindProcedureVersion, s.loadVersion, func() (Procedure, error) {
		if err := s.checkProcedureRefs(ctx, in); err != nil {
			return Procedure{}, err
		}
		versions, err := s.Store.ProcedureVersions(ctx, code)
		if err != nil {
			return Procedure{}, err
		}
		now := s.now()
		in.Version, in.Status, in.CreatedAt, in.CreatedBy = len(versions)+1, VersionDraft, now, p.ID
		in.PublishedAt, in.PublishedBy = nil, ""
		id := versionID(code, in.Version)
		w := Write{
			Audit:       []AuditEvent{audit(p, now, "procedure.version_drafted", KindProcedureVersion, id)},
			Idempotency: idem.record(p, KindProcedureVersion, id, now),
		}
		if err := s.Store.CreateProcedureVersion(ctx, in, w); err != nil {
			return Procedure{}, fmt.Errorf("draft %s: %w", id, err)
		}
		return in, nil
	})
}

// mayEdit returns forbidden unless p may propose next as the new content of current: an admin
// or an editor of the responsible office anything, an editor of an involved office only the
// instructions of its own steps.
func mayEdit(p Principal, current, next Procedure) error {
	if p.Has(RoleAdmin) || (p.Has(RoleEditor) && slices.Contains(p.Offices, current.Office)) {
		return nil
	}
	own := slices.ContainsFunc(current.Steps, func(st Step) bool { return slices.Contains(p.Offices, st.Office) })
	if p.Has(RoleEditor) && own && len(next.Steps) == len(current.Steps) {
		// Take back the instructions of p's own steps: what is left must be what is in force.
		probe := next
		probe.Steps = slices.Clone(next.Steps)
		for i, st := range probe.Steps {
			if st.Office == current.Steps[i].Office && slices.Contains(p.Offices, st.Office) {
				probe.Steps[i].Instructions = current.Steps[i].Instructions
			}
		}
		if sameContent(probe, current) {
			return nil
		}
		return Errorf(ECForbidden, "an editor of an involved office changes only the instructions of its own steps; the rest of procedure %s is office %s's", current.Code, current.Office)
	}
	return Errorf(ECForbidden, "changing procedure %s requires the role editor of its office %s", current.Code, current.Office)
}

// sameContent reports whether two versions say the same: every field but the version's
// number, status and history.
func sameContent(a, b Procedure) bool {
	strip := func(p Procedure) string {
		p.Version, p.Status, p.CreatedBy, p.PublishedBy, p.PublishedAt = 0, "", "", "", nil
		p.CreatedAt = b.CreatedAt
		var schema any
		_ = json.Unmarshal(p.FormSchema, &schema) // compare the schema's meaning, not its spacing
		p.FormSchema, _ = json.Marshal(schema)
		out, _ := json.Marshal(p)
		return string(out)
	}
	return strip(a) == strip(b)
}

// PublishProcedureVersion publishes a draft: from then on the catalogue shows it and new cases
// are submitted under it, while the cases submitted before keep their version. The approver
// is configured per AOO (ProcedureApproval) and may not be who wrote the draft. The
// information sheet must be complete (D.Lgs. 33/2013 art. 35): validation_failed names every
// missing field. Returns not_found, forbidden, validation_failed, conflict (not a draft, or not
// newer than the version in force).
func (s *Service) PublishProcedureVersion(ctx context.Context, p Principal, code string, version int, note string, idem Idempotency) (Procedure, bool, error) {
	if err := s.ProcedureApproval.mayApprove(p); err != nil {
		return Procedure{}, false, err
	}
	return idempotent(ctx, s, p, idem, KindProcedureVersion, s.loadVersion, func() (Procedure, error) {
		v, err := s.Store.ProcedureVersion(ctx, code, version)
		if err != nil {
			return Procedure{}, err
		}
		if v.Status != VersionDraft {
			return Procedure{}, Errorf(ECConflict, "version %d of %s is %s, not a draft", version, code, v.Status)
		}
		current, err := s.Store.Procedure(ctx, code)
		if err != nil {
			return Procedure{}, err
		}
		if current.Version > version {
			return Procedure{}, Errorf(ECConflict, "version %d of %s is older than version %d, in force", version, code, current.Version)
		}
		if v.CreatedBy == p.ID {
			return Procedure{}, Errorf(ECForbidden, "version %d of %s was drafted by the caller: another person approves it", version, code)
		}
		if err := v.checkInfoComplete(); err != nil {
			return Procedure{}, err
		}
		if err := s.checkProcedureRefs(ctx, v); err != nil {
			return Procedure{}, err
		}
		now := s.now()
		id := versionID(code, version)
		e := audit(p, now, "procedure.version_published", KindProcedureVersion, id)
		e.Detail = strings.TrimSpace(note)
		w := Write{
			Audit:       []AuditEvent{e},
			Idempotency: idem.record(p, KindProcedureVersion, id, now),
		}
		if err := s.Store.PublishProcedureVersion(ctx, code, version, now, p.ID, w); err != nil {
			return Procedure{}, fmt.Errorf("publish %s: %w", id, err)
		}
		return s.Store.ProcedureVersion(ctx, code, version)
	})
}
