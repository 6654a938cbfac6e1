package domain

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The services in this file use the port DisposalStore (ports.go).

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
// it is filed in is disposed; so is an unregistered document filed in it. In one transaction,
// which first locks what the holds are placed on and checks the holds again, the record is
// stored, the dossiers, registrations and documents are marked disposed and the authorisation
// is audited on each. After the commit the content is destroyed, except content still used by
// something kept (the blob store is content-addressed); what a crash leaves undestroyed is
// finished by FinishDisposals. Returns forbidden, validation_failed, not_found, conflict.
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
