package domain

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The services in this file use the ports RegistrationStore and DossierStore (ports.go).

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
	p := &disposalPlanner{s: s, rt: rt, date: in.Date, heldClasses: map[string]string{}}
	for _, key := range in.Items {
		if err := p.addItem(ctx, strings.TrimSpace(key)); err != nil {
			return p.plan, err
		}
	}
	for _, d := range p.dossiers {
		if err := p.addContents(ctx, d); err != nil {
			return p.plan, err
		}
	}
	p.plan.checkHolds = p.checkHolds
	return p.plan, nil
}

// disposalPlanner builds a disposalPlan: first the items the disposal names, then what the
// dossiers among them hold. It remembers what the holds must be checked on again under the
// locks, since a hold may be placed between the plan and the transaction.
type disposalPlanner struct {
	s    *Service
	rt   retention
	date string
	plan disposalPlan
	// dossiers are the dossiers being disposed of.
	dossiers     []*Dossier
	heldDossiers []func(rt retention) error
	heldClasses  map[string]string // class → what it is the class of, for the message
}

// addItem adds one item the disposal names: a registration reference or a dossier identifier.
func (p *disposalPlanner) addItem(ctx context.Context, key string) error {
	if ref, ok := ParseRef(key); ok {
		return p.addRegistration(ctx, key, ref)
	}
	return p.addDossier(ctx, key)
}

// addRegistration adds an unfiled registration due for disposal.
func (p *disposalPlanner) addRegistration(ctx context.Context, key string, ref Ref) error {
	r, err := p.s.Store.Registration(ctx, ref)
	if err != nil {
		return fmt.Errorf("item %s: %w", key, err)
	}
	if err := p.rt.checkRegistration(r, p.date); err != nil {
		return err
	}
	if !slices.Contains(p.plan.registrations, r.ID) {
		p.plan.registrations = append(p.plan.registrations, r.ID)
		p.plan.items = append(p.plan.items, disposedRegistration(r, ""))
		p.lockClass(r.Class, "registration "+r.Ref().String())
	}
	return nil
}

// addDossier adds a closed dossier due for disposal; its contents are added later, once every
// dossier being disposed of is known.
func (p *disposalPlanner) addDossier(ctx context.Context, key string) error {
	d, err := p.s.Store.Dossier(ctx, key)
	if err != nil {
		return fmt.Errorf("item %s: %w", key, err)
	}
	parents, err := p.s.ancestors(ctx, d)
	if err != nil {
		return err
	}
	if err := p.rt.checkDossier(d, parents, p.date); err != nil {
		return err
	}
	if slices.Contains(p.plan.dossiers, d.ID) {
		return nil
	}
	p.plan.dossiers = append(p.plan.dossiers, d.ID)
	p.plan.items = append(p.plan.items, DisposedItem{Kind: ItemDossier, ID: d.ID, Identifier: d.Identifier})
	p.dossiers = append(p.dossiers, d)
	for _, id := range append([]string{d.ID}, parents...) {
		if !slices.Contains(p.plan.lockDossiers, id) {
			p.plan.lockDossiers = append(p.plan.lockDossiers, id)
		}
	}
	p.lockClass(d.Class, "dossier "+d.Identifier)
	p.heldDossiers = append(p.heldDossiers, func(rt retention) error {
		if h := rt.dossierHold(d, parents); h != nil {
			return Errorf(ECConflict, "dossier %s is under %s", d.Identifier, h.describe())
		}
		return nil
	})
	return nil
}

// addContents adds the registrations and documents filed in the dossier d being disposed of.
func (p *disposalPlanner) addContents(ctx context.Context, d *Dossier) error {
	for _, it := range d.Items {
		var err error
		if it.Document != nil {
			err = p.addDocument(ctx, d, it.Document)
		} else {
			err = p.addFiledRegistration(ctx, d, it.Registration)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// addFiledRegistration adds the registration r filed in the dossier d being disposed of, unless
// it is disposed of already or filed in a dossier that is kept.
func (p *disposalPlanner) addFiledRegistration(ctx context.Context, d *Dossier, r *Registration) error {
	if r.Disposal != nil || slices.Contains(p.plan.registrations, r.ID) {
		return nil
	}
	if h := p.rt.classHold(r.Class); h != nil {
		return Errorf(ECConflict, "registration %s in dossier %s is under %s", r.Ref(), d.Identifier, h.describe())
	}
	keep, err := p.s.filedElsewhere(ctx, r.Dossiers, p.dossiers)
	if err != nil || keep {
		return err
	}
	p.plan.registrations = append(p.plan.registrations, r.ID)
	p.plan.items = append(p.plan.items, disposedRegistration(r, d.Identifier))
	p.lockClass(r.Class, "registration "+r.Ref().String()+" in dossier "+d.Identifier)
	return nil
}

// addDocument adds the unregistered document doc filed in the dossier d being disposed of,
// unless it is disposed of already, registered (its registration is the record and governs its
// content), or filed in a dossier that is kept.
func (p *disposalPlanner) addDocument(ctx context.Context, d *Dossier, doc *Document) error {
	if doc.Disposal != nil || doc.Registration != nil || slices.Contains(p.plan.documents, doc.ID) {
		return nil
	}
	if h := p.rt.classHold(doc.Class); h != nil {
		return Errorf(ECConflict, "document %s in dossier %s is under %s", doc.ID, d.Identifier, h.describe())
	}
	keep, err := p.s.filedElsewhere(ctx, doc.Dossiers, p.dossiers)
	if err != nil || keep {
		return err
	}
	p.plan.documents = append(p.plan.documents, doc.ID)
	p.plan.items = append(p.plan.items, DisposedItem{Kind: ItemDocument, ID: doc.ID, Identifier: doc.ID, Dossier: d.Identifier,
		Files: []DisposedFile{{Filename: doc.File.Filename, SHA256: doc.File.SHA256}}})
	p.lockClass(doc.Class, "document "+doc.ID+" in dossier "+d.Identifier)
	return nil
}

// lockClass records that the disposal depends on class and the classes above it staying free
// of holds; what names the first item of that class, for the message.
func (p *disposalPlanner) lockClass(class, what string) {
	if _, ok := p.heldClasses[class]; !ok {
		p.heldClasses[class] = what
	}
	for _, c := range classAndAncestors(class) {
		if !slices.Contains(p.plan.lockClasses, c) {
			p.plan.lockClasses = append(p.plan.lockClasses, c)
		}
	}
}

// checkHolds checks again, against the holds active under the locks, every dossier and class
// the plan depends on.
func (p *disposalPlanner) checkHolds(active []Hold) error {
	now := retention{holds: active}
	for _, check := range p.heldDossiers {
		if err := check(now); err != nil {
			return err
		}
	}
	for class, what := range p.heldClasses {
		if h := now.classHold(class); h != nil {
			return Errorf(ECConflict, "%s is under %s", what, h.describe())
		}
	}
	return nil
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
