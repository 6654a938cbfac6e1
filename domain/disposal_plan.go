package domain

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// disposalPlan is what one disposal marks: dossier, registration and document ids, and the
// record items; what it locks, and the re-check of holds it runs under those locks.
type disposalPlan struct {
	dossiers, registrations, documents []string
	items                              []DisposedItem
	lockDossiers, lockClasses          []string
	checkHolds                         func(active []Hold) error
}

// planDisposal checks every item of in and returns what to mark disposed.
func (s *Service) planDisposal(ctx context.Context, in NewDisposal) (disposalPlan, error) {
	rt, err := s.loadRetention(ctx)
	if err != nil {
		return disposalPlan{}, err
	}
	var (
		plan     disposalPlan
		dossiers []*Dossier
		// held lists what the holds are checked on again inside the transaction.
		heldDossiers []func(rt retention) error
		heldClasses  = map[string]string{} // class → what it is the class of, for the message
	)
	lockClass := func(class, what string) {
		if _, ok := heldClasses[class]; !ok {
			heldClasses[class] = what
		}
		for _, c := range classAndAncestors(class) {
			if !slices.Contains(plan.lockClasses, c) {
				plan.lockClasses = append(plan.lockClasses, c)
			}
		}
	}
	for _, key := range in.Items {
		key = strings.TrimSpace(key)
		if ref, ok := ParseRef(key); ok {
			r, err := s.Store.Registration(ctx, ref)
			if err != nil {
				return plan, fmt.Errorf("item %s: %w", key, err)
			}
			if err := rt.checkRegistration(r, in.Date); err != nil {
				return plan, err
			}
			if !slices.Contains(plan.registrations, r.ID) {
				plan.registrations = append(plan.registrations, r.ID)
				plan.items = append(plan.items, disposedRegistration(r, ""))
				lockClass(r.Class, "registration "+r.Ref().String())
			}
			continue
		}
		d, err := s.Store.Dossier(ctx, key)
		if err != nil {
			return plan, fmt.Errorf("item %s: %w", key, err)
		}
		parents, err := s.ancestors(ctx, d)
		if err != nil {
			return plan, err
		}
		if err := rt.checkDossier(d, parents, in.Date); err != nil {
			return plan, err
		}
		if !slices.Contains(plan.dossiers, d.ID) {
			plan.dossiers = append(plan.dossiers, d.ID)
			plan.items = append(plan.items, DisposedItem{Kind: ItemDossier, ID: d.ID, Identifier: d.Identifier})
			dossiers = append(dossiers, d)
			for _, id := range append([]string{d.ID}, parents...) {
				if !slices.Contains(plan.lockDossiers, id) {
					plan.lockDossiers = append(plan.lockDossiers, id)
				}
			}
			lockClass(d.Class, "dossier "+d.Identifier)
			heldDossiers = append(heldDossiers, func(rt retention) error {
				if h := rt.dossierHold(d, parents); h != nil {
					return Errorf(ECConflict, "dossier %s is under %s", d.Identifier, h.describe())
				}
				return nil
			})
		}
	}
	for _, d := range dossiers {
		for _, it := range d.Items {
			if it.Document != nil {
				added, err := s.planDocument(ctx, rt, &plan, d, it.Document, dossiers)
				if err != nil {
					return plan, err
				}
				if added {
					lockClass(it.Document.Class, "document "+it.Document.ID+" in dossier "+d.Identifier)
				}
				continue
			}
			r := it.Registration
			if r.Disposal != nil || slices.Contains(plan.registrations, r.ID) {
				continue
			}
			if h := rt.classHold(r.Class); h != nil {
				return plan, Errorf(ECConflict, "registration %s in dossier %s is under %s", r.Ref(), d.Identifier, h.describe())
			}
			keep, err := s.filedElsewhere(ctx, r.Dossiers, dossiers)
			if err != nil {
				return plan, err
			}
			if !keep {
				plan.registrations = append(plan.registrations, r.ID)
				plan.items = append(plan.items, disposedRegistration(r, d.Identifier))
				lockClass(r.Class, "registration "+r.Ref().String()+" in dossier "+d.Identifier)
			}
		}
	}
	plan.checkHolds = func(active []Hold) error {
		now := retention{holds: active}
		for _, check := range heldDossiers {
			if err := check(now); err != nil {
				return err
			}
		}
		for class, what := range heldClasses {
			if h := now.classHold(class); h != nil {
				return Errorf(ECConflict, "%s is under %s", what, h.describe())
			}
		}
		return nil
	}
	return plan, nil
}

// planDocument adds to plan the unregistered document doc filed in the dossier d being
// disposed of, unless it is disposed of already, registered (its registration is the record
// and governs its content), or filed in a dossier that is kept, and reports whether it did.
func (s *Service) planDocument(ctx context.Context, rt retention, plan *disposalPlan, d *Dossier, doc *Document, disposing []*Dossier) (bool, error) {
	if doc.Disposal != nil || doc.Registration != nil || slices.Contains(plan.documents, doc.ID) {
		return false, nil
	}
	if h := rt.classHold(doc.Class); h != nil {
		return false, Errorf(ECConflict, "document %s in dossier %s is under %s", doc.ID, d.Identifier, h.describe())
	}
	keep, err := s.filedElsewhere(ctx, doc.Dossiers, disposing)
	if err != nil || keep {
		return false, err
	}
	plan.documents = append(plan.documents, doc.ID)
	plan.items = append(plan.items, DisposedItem{Kind: ItemDocument, ID: doc.ID, Identifier: doc.ID, Dossier: d.Identifier,
		Files: []DisposedFile{{Filename: doc.File.Filename, SHA256: doc.File.SHA256}}})
	return true, nil
}

// classAndAncestors returns code and the codes above it (`VI.3.2` → VI, VI.3, VI.3.2): a hold
// on any of them covers code.
func classAndAncestors(code string) []string {
	if code == "" {
		return nil
	}
	parts := strings.Split(code, ".")
	out := make([]string, len(parts))
	for i := range parts {
		out[i] = strings.Join(parts[:i+1], ".")
	}
	return out
}

// filedElsewhere reports whether an item filed in the dossiers identifiers is also filed in
// a dossier that is not disposed and not among those being disposed: its content must then be
// kept.
func (s *Service) filedElsewhere(ctx context.Context, identifiers []string, disposing []*Dossier) (bool, error) {
	for _, ident := range identifiers {
		if slices.ContainsFunc(disposing, func(d *Dossier) bool { return d.Identifier == ident }) {
			continue
		}
		other, err := s.Store.Dossier(ctx, ident)
		if err != nil {
			return false, fmt.Errorf("dossier %s: %w", ident, err)
		}
		if other.Status != DossierDisposed {
			return true, nil
		}
	}
	return false, nil
}

// checkDossier returns conflict unless d may be disposed of on date.
func (rt retention) checkDossier(d *Dossier, parents []string, date string) error {
	switch d.Status {
	case DossierOpen:
		return Errorf(ECConflict, "dossier %s is open: only a closed dossier can be disposed of", d.Identifier)
	case DossierDisposed:
		return Errorf(ECConflict, "dossier %s is already disposed of (disposal %s)", d.Identifier, d.DisposalID)
	}
	if h := rt.dossierHold(d, parents); h != nil {
		return Errorf(ECConflict, "dossier %s is under %s", d.Identifier, h.describe())
	}
	due, _ := rt.dueOn(d.Class, d.ClosedAt.In(rt.loc).Format(time.DateOnly))
	if due == "" {
		return Errorf(ECConflict, "dossier %s: class %s is kept permanently", d.Identifier, d.Class)
	}
	if due > date {
		return Errorf(ECConflict, "dossier %s is not due for disposal until %s", d.Identifier, due)
	}
	return nil
}

// checkRegistration returns conflict unless the unfiled registration r may be disposed of on
// date.
func (rt retention) checkRegistration(r *Registration, date string) error {
	switch {
	case r.Disposal != nil:
		return Errorf(ECConflict, "registration %s is already disposed of (disposal %s)", r.Ref(), r.Disposal.ID)
	case len(r.Dossiers) > 0:
		return Errorf(ECConflict, "registration %s is filed in dossier %s: it is disposed of with its dossier", r.Ref(), r.Dossiers[0])
	case r.Class == "":
		return Errorf(ECConflict, "registration %s has no class, so no retention period", r.Ref())
	}
	if h := rt.classHold(r.Class); h != nil {
		return Errorf(ECConflict, "registration %s is under %s", r.Ref(), h.describe())
	}
	due, _ := rt.dueOn(r.Class, r.Date)
	if due == "" {
		return Errorf(ECConflict, "registration %s: class %s is kept permanently", r.Ref(), r.Class)
	}
	if due > date {
		return Errorf(ECConflict, "registration %s is not due for disposal until %s", r.Ref(), due)
	}
	return nil
}

func disposedRegistration(r *Registration, dossier string) DisposedItem {
	it := DisposedItem{Kind: ItemRegistration, ID: r.ID, Identifier: r.Identifier, Dossier: dossier,
		Files: []DisposedFile{{Filename: r.Document.Filename, SHA256: r.Document.SHA256}}}
	for _, a := range r.Attachments {
		it.Files = append(it.Files, DisposedFile{Filename: a.Filename, SHA256: a.SHA256})
	}
	return it
}
