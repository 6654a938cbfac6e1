package domain

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// KindDisposal is the entity kind of disposal records in audit events and idempotency records.
const KindDisposal = "disposal"

// Disposal is the record of a scarto (C4), kept forever: the authorisation (the
// Soprintendenza's reference), who and when, and what was destroyed with every file's digest,
// so that what existed stays provable after its content is gone.
type Disposal struct {
	ID            string         `json:"id"`
	Authorization string         `json:"authorization"`
	Date          string         `json:"date"`
	By            string         `json:"by"`
	ByName        string         `json:"by_name"`
	At            time.Time      `json:"at"`
	Items         []DisposedItem `json:"items"`
}

// DisposedItem is one dossier, registration or unregistered document in a disposal record
// (Identifier is a document's id). A registration or document disposed with its dossier names
// it in Dossier.
type DisposedItem struct {
	Kind       string         `json:"kind"`
	ID         string         `json:"id"`
	Identifier string         `json:"identifier"`
	Dossier    string         `json:"dossier,omitempty"`
	Files      []DisposedFile `json:"files,omitempty"`
}

// DisposedFile is one destroyed file: its name and SHA-256 (hex).
type DisposedFile struct {
	Filename string `json:"filename"`
	SHA256   string `json:"sha256"`
}

// DisposalRef is what a disposed registration shows of its disposal.
type DisposalRef struct {
	ID            string    `json:"id"`
	Authorization string    `json:"authorization"`
	At            time.Time `json:"at"`
}

// NewDisposal is the input of Dispose: the authorisation, the date the retention is checked
// on (today when empty, never in the future), and the items: dossier ids or identifiers and
// registration references (PG/2026/42).
type NewDisposal struct {
	Authorization string
	Date          string
	Items         []string
}

// Dispose carries out a scarto: records officers only, only with the authorisation. Every
// item must be due on the date, closed (dossiers), not already disposed and under no hold;
// a registration filed in a dossier is disposed with the dossier, and only once every dossier
// it is filed in is disposed. In one transaction the record is stored, the dossiers and
// registrations are marked disposed and the authorisation is audited on each. After the commit
// the content is destroyed, except content still used by a registration not disposed (the blob
// store is content-addressed). Returns forbidden, validation_failed, not_found, conflict.
func (s *Service) Dispose(ctx context.Context, p Principal, in NewDisposal, idem Idempotency) (*Disposal, bool, error) {
	if err := p.require("disposal", RoleRecordsOfficer); err != nil {
		return nil, false, err
	}
	today := s.now().In(s.Location).Format(time.DateOnly)
	var v Validation
	in.Authorization = strings.TrimSpace(in.Authorization)
	if in.Authorization == "" {
		v.Add("authorization", "the reference of the Soprintendenza's authorisation is required")
	}
	switch {
	case in.Date == "":
		in.Date = today
	case !ValidDate(in.Date):
		v.Add("date", "must be a date YYYY-MM-DD")
	case in.Date > today:
		v.Add("date", "cannot be in the future")
	}
	if len(in.Items) == 0 {
		v.Add("items", "name at least one dossier or registration")
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	var content []string
	d, replayed, err := idempotent(ctx, s, p, idem, KindDisposal, s.Store.Disposal, func() (*Disposal, error) {
		plan, err := s.planDisposal(ctx, in)
		if err != nil {
			return nil, err
		}
		now := s.now()
		d := &Disposal{ID: NewID(), Authorization: in.Authorization, Date: in.Date, By: p.ID, ByName: p.Name, At: now, Items: plan.items}
		detail := fmt.Sprintf("disposal %s authorised by %s", d.ID, d.Authorization)
		e := audit(p, now, "disposal.recorded", KindDisposal, d.ID)
		e.Detail = detail
		w := Write{Audit: []AuditEvent{e}, Idempotency: idem.record(p, KindDisposal, d.ID, now), Actor: p.ID, At: now}
		for _, group := range []struct {
			action, kind string
			ids          []string
		}{{"dossier.disposed", KindDossier, plan.dossiers}, {"registration.disposed", KindRegistration, plan.registrations},
			{"document.disposed", KindDocument, plan.documents}} {
			for _, id := range group.ids {
				e := audit(p, now, group.action, group.kind, id)
				e.Detail = detail
				w.Audit = append(w.Audit, e)
			}
		}
		for _, it := range d.Items {
			for _, f := range it.Files {
				if !slices.Contains(content, f.SHA256) {
					content = append(content, f.SHA256)
				}
			}
		}
		t := DisposalTargets{
			Dossiers: plan.dossiers, Registrations: plan.registrations, Documents: plan.documents,
			LockDossiers: plan.lockDossiers, LockClasses: plan.lockClasses, CheckHolds: plan.checkHolds, Content: content,
		}
		if err := s.Store.CreateDisposal(ctx, d, t, w); err != nil {
			return nil, fmt.Errorf("record disposal: %w", err)
		}
		return d, nil
	})
	if err != nil || replayed {
		return d, replayed, err
	}
	return d, false, s.destroyContent(ctx, content)
}

// destroyContent deletes the disposed content unless something kept (a registration or
// document not disposed of, a journal) uses the same bytes; a concurrent registration of the
// same bytes is excluded while each check and deletion runs (Store.DeleteUnusedContent), which
// also marks the disposal's pending deletion done. A failure leaves the deletion pending for
// FinishDisposals and is reported, never hidden.
func (s *Service) destroyContent(ctx context.Context, digests []string) error {
	for _, sha := range digests {
		_, err := s.Store.DeleteUnusedContent(ctx, sha, func() error { return s.Blobs.Delete(ctx, sha) })
		if err != nil {
			return fmt.Errorf("disposal is recorded but content %s was not destroyed (it stays pending): %w", sha, err)
		}
	}
	return nil
}

// FinishDisposals destroys the content of committed disposals that was not destroyed yet (a
// crash or a failing blob store right after the commit), and reports how many digests it
// handled. The server runs it at start and periodically.
func (s *Service) FinishDisposals(ctx context.Context) (int, error) {
	pending, err := s.Store.PendingContent(ctx)
	if err != nil {
		return 0, fmt.Errorf("pending disposal content: %w", err)
	}
	if err := s.destroyContent(ctx, pending); err != nil {
		return 0, err
	}
	return len(pending), nil
}

// Disposal returns one disposal record (not_found); records officers only.
func (s *Service) Disposal(ctx context.Context, p Principal, id string) (*Disposal, error) {
	if err := p.require("reading disposal records", RoleRecordsOfficer); err != nil {
		return nil, err
	}
	return s.Store.Disposal(ctx, id)
}

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
