package domain

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The services in this file use the ports ClassStore, DossierStore, HoldStore and DisposalStore (ports.go).

// Retention (C4). A dossier is kept for its class's RetentionYears from the day it was closed:
// it is due for disposal on closed_at's date in Rome plus that many years. A registration
// filed in a dossier follows the dossier. A registration in no dossier follows its own class,
// counted from its registration date, since it has no closing of its own; one without class
// is never due (it must be classified first). A class without RetentionYears — permanent, or
// with its retention not set yet (Class.RetentionSet) — is never due.

// DueItem is one entry of the disposal worklist: a closed dossier or an unfiled registration
// whose retention has run out.
type DueItem struct {
	Kind       string // ItemDossier or ItemRegistration
	ID         string
	Identifier string
	// Reference is the registration's PG/2026/0000042; empty for dossiers.
	Reference      string
	Class          string
	ClosedAt       *time.Time
	Date           string // the registration date; empty for dossiers
	RetentionYears int
	DueOn          string
}

// ItemDossier is the kind of a dossier in the disposal worklist and records.
const ItemDossier = "dossier"

// retention holds what deciding disposal needs: the classes' retention periods and the
// active holds, read once.
type retention struct {
	years map[string]*int
	holds []Hold
	loc   *time.Location
}

func (s *Service) loadRetention(ctx context.Context) (retention, error) {
	classes, err := s.Store.Classes(ctx, ClassFilter{})
	if err != nil {
		return retention{}, fmt.Errorf("load retention periods: %w", err)
	}
	holds, err := s.Store.ActiveHolds(ctx)
	if err != nil {
		return retention{}, fmt.Errorf("load holds: %w", err)
	}
	rt := retention{years: make(map[string]*int, len(classes)), holds: holds, loc: s.Location}
	for _, c := range classes {
		rt.years[c.Code] = c.RetentionYears
	}
	return rt, nil
}

// dueOn returns the date the retention of class runs out, counted from start (YYYY-MM-DD), or
// "" if the class keeps its documents permanently or is unknown.
func (rt retention) dueOn(class, start string) (string, int) {
	years := rt.years[class]
	if years == nil {
		return "", 0
	}
	t, err := time.Parse(time.DateOnly, start)
	if err != nil {
		return "", 0
	}
	return t.AddDate(*years, 0, 0).Format(time.DateOnly), *years
}

// dossierHold returns the active hold that covers d, its ancestors (given by parents) or its
// class, or nil.
func (rt retention) dossierHold(d *Dossier, parents []string) *Hold {
	for i, h := range rt.holds {
		if h.coversClass(d.Class) || (h.Dossier != "" && (h.Dossier == d.ID || slices.Contains(parents, h.Dossier))) {
			return &rt.holds[i]
		}
	}
	return nil
}

// classHold returns the active hold on class or one of its ancestors, or nil.
func (rt retention) classHold(class string) *Hold {
	for i, h := range rt.holds {
		if h.coversClass(class) {
			return &rt.holds[i]
		}
	}
	return nil
}

// describe names a hold in an error message.
func (h *Hold) describe() string {
	what := "class " + h.Class
	if h.Dossier != "" {
		what = "dossier " + h.DossierIdentifier
	}
	return fmt.Sprintf("legal hold %s on %s (%s)", h.ID, what, strings.TrimSpace(h.Reference+" "+h.Reason))
}

// DueForDisposal lists the closed dossiers and unfiled registrations whose retention has run
// out on the date on (YYYY-MM-DD), leaving out anything under an active hold: the worklist of
// the scarto. Records officers only. Returns forbidden, validation_failed.
func (s *Service) DueForDisposal(ctx context.Context, p Principal, on string) ([]DueItem, error) {
	if err := p.require("listing what is due for disposal", RoleRecordsOfficer); err != nil {
		return nil, err
	}
	if on == "" {
		on = s.now().In(s.Location).Format(time.DateOnly)
	} else if !ValidDate(on) {
		return nil, Invalid("on", "must be a date YYYY-MM-DD")
	}
	rt, err := s.loadRetention(ctx)
	if err != nil {
		return nil, err
	}
	dossiers, regs, err := s.Store.DisposalCandidates(ctx, rt.cutoffs(on))
	if err != nil {
		return nil, fmt.Errorf("disposal candidates: %w", err)
	}
	out := []DueItem{}
	for _, d := range dossiers {
		// The store selected only what is due (rt.cutoffs); dueOn says since when, for the list.
		due, years := rt.dueOn(d.Class, d.ClosedAt.In(s.Location).Format(time.DateOnly))
		parents, err := s.ancestors(ctx, d)
		if err != nil {
			return nil, err
		}
		if rt.dossierHold(d, parents) != nil {
			continue
		}
		out = append(out, DueItem{Kind: ItemDossier, ID: d.ID, Identifier: d.Identifier, Class: d.Class,
			ClosedAt: d.ClosedAt, RetentionYears: years, DueOn: due})
	}
	for _, r := range regs {
		due, years := rt.dueOn(r.Class, r.Date)
		if rt.classHold(r.Class) != nil {
			continue
		}
		out = append(out, DueItem{Kind: ItemRegistration, ID: r.ID, Identifier: r.Identifier, Reference: r.Ref().String(),
			Class: r.Class, Date: r.Date, RetentionYears: years, DueOn: due})
	}
	slices.SortStableFunc(out, func(a, b DueItem) int { return strings.Compare(a.DueOn, b.DueOn) })
	return out, nil
}

// cutoffs returns, for every retention period in use, what is due on the date on: the last
// start date whose due date (dueOn) is not after on — found exactly, since adding years to a
// 29 February is not undone by subtracting them — as a date for registrations and as the
// instant that day ends in rt.loc for dossiers' closing times.
func (rt retention) cutoffs(on string) DueCutoffs {
	day, err := time.Parse(time.DateOnly, on)
	if err != nil {
		return DueCutoffs{}
	}
	out := DueCutoffs{}
	for _, years := range rt.years {
		if years == nil {
			continue
		}
		if _, ok := out[*years]; ok {
			continue
		}
		last := day.AddDate(-*years, 0, 0)
		for last.AddDate(*years, 0, 0).After(day) {
			last = last.AddDate(0, 0, -1)
		}
		for !last.AddDate(0, 0, 1).AddDate(*years, 0, 0).After(day) {
			last = last.AddDate(0, 0, 1)
		}
		next := last.AddDate(0, 0, 1)
		out[*years] = DueCutoff{
			ClosedBefore: time.Date(next.Year(), next.Month(), next.Day(), 0, 0, 0, 0, rt.loc),
			DatedBy:      last.Format(time.DateOnly),
		}
	}
	return out
}

// ancestors returns the ids of d's parent dossiers, nearest first, since a hold on a dossier
// also holds its sub-dossiers.
func (s *Service) ancestors(ctx context.Context, d *Dossier) ([]string, error) {
	var out []string
	for id := d.Parent; id != "" && !slices.Contains(out, id); {
		out = append(out, id)
		p, err := s.Store.Dossier(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("parent dossier %s of %s: %w", id, d.Identifier, err)
		}
		id = p.Parent
	}
	return out, nil
}
