package domain

import (
	"context"
	"fmt"
	"slices"
)

// The services in this file use the ports RegistrationStore, DossierStore and DocumentStore (ports.go).

// DossierItemRequest names what to file into a dossier: a registration, by reference
// (`PG/2026/42`), or an unregistered document by id. Exactly one is given.
type DossierItemRequest struct {
	Registration string
	Document     string
}

// FileInDossier files a registration or an unregistered document into a dossier
// (fascicolazione). Either may be in several dossiers; filing it again where it already is
// changes nothing and answers the dossier as it is, so that a retry is harmless. The change is
// recorded in the item's history and in the dossier's. Returns forbidden, validation_failed
// (also for an item the principal cannot see), not_found, conflict (the dossier is closed, the
// registration annulled, the document disposed of).
func (s *Service) FileInDossier(ctx context.Context, p Principal, key string, in DossierItemRequest, idem Idempotency) (*Dossier, bool, error) {
	if err := p.require("filing into a dossier", handlingDossiers...); err != nil {
		return nil, false, err
	}
	var v Validation
	ref, ok := ParseRef(in.Registration)
	switch {
	case in.Document != "" && in.Registration != "":
		v.Add("body", "give either registration or document, not both")
	case in.Document != "":
	case in.Registration == "":
		v.Add("registration", "is required: a reference such as PG/2026/42")
	case !ok:
		v.Add("registration", "must be a reference such as PG/2026/42 or PG/2026/0000042, not %q", in.Registration)
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	return idempotent(ctx, s, p, idem, KindDossier, s.Store.Dossier, func() (*Dossier, error) {
		d, err := s.Dossier(ctx, p, key)
		if err != nil {
			return nil, err
		}
		if err := mayHandle(p, "filing into a dossier", d.Office); err != nil {
			return nil, err
		}
		if d.Status != DossierOpen {
			return nil, errClosed(d.Identifier)
		}
		if in.Document != "" {
			return s.fileDocument(ctx, p, d, in.Document, idem)
		}
		r, err := s.Registration(ctx, p, ref)
		if IsCode(err, ECNotFound) {
			return nil, Invalid("registration", "registration %s not found", ref)
		}
		if err != nil {
			return nil, err
		}
		_, err = s.Store.UpdateRegistration(ctx, r.ID, func(r *Registration) (Write, error) {
			now := s.now()
			w := Write{Idempotency: idem.record(p, KindDossier, d.ID, now), Actor: p.ID, At: now}
			if slices.Contains(r.Dossiers, d.Identifier) {
				return w, nil
			}
			return s.refile(p, r, append(slices.Clone(r.Dossiers), d.Identifier), map[string]string{d.Identifier: d.ID}, w)
		})
		if err != nil {
			return nil, fmt.Errorf("file %s in dossier %s: %w", ref, d.Identifier, err)
		}
		return s.Store.Dossier(ctx, d.ID)
	})
}

// fileDocument files the document with id into the open dossier d.
func (s *Service) fileDocument(ctx context.Context, p Principal, d *Dossier, id string, idem Idempotency) (*Dossier, error) {
	doc, err := s.Document(ctx, p, id)
	if IsCode(err, ECNotFound) {
		return nil, Invalid("document", "document %s not found", id)
	}
	if err != nil {
		return nil, err
	}
	if doc.Disposal != nil {
		return nil, Errorf(ECConflict, "document %s is disposed of (disposal %s)", id, doc.Disposal.ID)
	}
	now := s.now()
	added := audit(p, now, "dossier.item_added", KindDossier, d.ID)
	added.Detail = "document " + doc.ID
	filed := audit(p, now, "document.filed", KindDocument, doc.ID)
	filed.Detail = d.Identifier
	w := Write{Audit: []AuditEvent{added, filed}, Idempotency: idem.record(p, KindDossier, d.ID, now), Actor: p.ID, At: now}
	if _, err := s.Store.FileDocument(ctx, d.ID, doc.ID, w); err != nil {
		return nil, fmt.Errorf("file document %s in dossier %s: %w", id, d.Identifier, err)
	}
	return s.Store.Dossier(ctx, d.ID)
}

// errClosed is the conflict of changing a closed dossier's index.
func errClosed(identifier string) error {
	return Errorf(ECConflict, "dossier %s is closed: a closed dossier accepts no new items (a records officer may reopen it)", identifier)
}

// refile sets r's dossiers to identifiers and adds to w the audit events of the change: one on
// the registration (field dossiers, old and new) and one on each dossier entered or left, whose
// ids are in ids by identifier. Storage adds and removes the dossier items, and refuses any
// change to a closed dossier. r must not be annulled.
func (s *Service) refile(p Principal, r *Registration, identifiers []string, ids map[string]string, w Write) (Write, error) {
	if r.Status == StatusAnnulled {
		return w, Errorf(ECConflict, "registration %s is annulled", r.Ref())
	}
	e, err := change(p, w.At, KindRegistration, r.ID, "dossiers", r.Dossiers, identifiers)
	if err != nil {
		return w, err
	}
	w.Audit = append(w.Audit, e)
	note := func(action, identifier string) {
		if id, ok := ids[identifier]; ok {
			e := audit(p, w.At, action, KindDossier, id)
			e.Detail = r.Ref().String() + " " + r.Identifier
			w.Audit = append(w.Audit, e)
		}
	}
	for _, id := range identifiers {
		if !slices.Contains(r.Dossiers, id) {
			note("dossier.item_added", id)
		}
	}
	for _, id := range r.Dossiers {
		if !slices.Contains(identifiers, id) {
			note("dossier.item_removed", id)
		}
	}
	r.Dossiers = identifiers
	return w, nil
}

// checkDossiers validates a new list of dossiers for a registration: each must exist, and every
// dossier entered or left must be open. It returns the list without repetitions and the ids of
// the dossiers named in either list, by identifier.
func (s *Service) checkDossiers(ctx context.Context, identifiers, current []string) ([]string, map[string]string, error) {
	var v Validation
	for i, id := range identifiers {
		if !IsDossierIdentifier(id) {
			v.Add(fmt.Sprintf("dossiers[%d]", i), "must be a dossier identifier such as 2026-VI.3-000012, not %q", id)
		}
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	out := uniq(identifiers)
	ids := map[string]string{}
	for i, id := range out {
		d, err := s.Store.Dossier(ctx, id)
		if IsCode(err, ECNotFound) {
			v.Add(fmt.Sprintf("dossiers[%d]", i), "unknown dossier %s", id)
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("check dossier %s: %w", id, err)
		}
		if d.Status != DossierOpen && !slices.Contains(current, id) {
			return nil, nil, errClosed(id)
		}
		ids[id] = d.ID
	}
	for _, id := range current {
		if slices.Contains(out, id) {
			continue
		}
		d, err := s.Store.Dossier(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("check dossier %s: %w", id, err)
		}
		if d.Status != DossierOpen {
			return nil, nil, Errorf(ECConflict, "dossier %s is closed: a closed dossier loses no item (a records officer may reopen it)", id)
		}
		ids[id] = d.ID
	}
	return out, ids, v.Err()
}

// sameDossiers reports whether a and b hold the same identifiers, in any order.
func sameDossiers(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b) || (len(a) == 0 && len(b) == 0)
}
