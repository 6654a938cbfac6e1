package domain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/domain/titolario"
)

// The services in this file use the port ClassStore (ports.go).

// KindClass is the entity kind of classes in audit events and idempotency records.
const KindClass = "class"

// Classes lists the classes in scheme order, filtered by f. Every authenticated principal may
// read the scheme. Returns validation_failed for a malformed date or code.
func (s *Service) Classes(ctx context.Context, _ Principal, f ClassFilter) ([]Class, error) {
	var v Validation
	if f.On != "" && !ValidDate(f.On) {
		v.Add("on", "must be a date YYYY-MM-DD")
	}
	if f.Under != "" && !ValidClass(f.Under) {
		v.Add("under", "must be a classification code such as VI or VI.3")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	cs, err := s.Store.Classes(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list classes: %w", err)
	}
	SortClasses(cs)
	return cs, nil
}

// Class returns one class, whatever its validity (old codes always resolve), with its
// ancestors and direct children. Returns not_found.
func (s *Service) Class(ctx context.Context, _ Principal, code string) (ClassDetail, error) {
	if !ValidClass(code) {
		return ClassDetail{}, Errorf(ECNotFound, "class %q not found", code)
	}
	c, err := s.Store.Class(ctx, code)
	if err != nil {
		return ClassDetail{}, err
	}
	d := ClassDetail{Class: c, Ancestors: []Class{}, Children: []Class{}}
	for p := c.Parent; p != ""; p = ClassParent(p) {
		a, err := s.Store.Class(ctx, p)
		if err != nil {
			return ClassDetail{}, fmt.Errorf("ancestor %s of class %s: %w", p, code, err)
		}
		d.Ancestors = append([]Class{a}, d.Ancestors...)
	}
	sub, err := s.Store.Classes(ctx, ClassFilter{Under: code})
	if err != nil {
		return ClassDetail{}, fmt.Errorf("children of class %s: %w", code, err)
	}
	SortClasses(sub)
	for _, ch := range sub {
		if ch.Parent == code {
			d.Children = append(d.Children, ch)
		}
	}
	return d, nil
}

// CreateClasses adds classes to the scheme, all or none: the batch is checked as a whole tree
// against the stored scheme (each parent exists in the batch or the store and is valid over its
// child's validity; a replacement code exists). An empty valid_from is today (Rome). Fields are named `[i].field` after the index
// in cs. Admin only. Returns forbidden, validation_failed, conflict (a code that exists, or
// twice in cs).
func (s *Service) CreateClasses(ctx context.Context, p Principal, cs []Class, idem Idempotency) ([]Class, bool, error) {
	if err := p.require("changing the classification scheme", RoleAdmin); err != nil {
		return nil, false, err
	}
	if len(cs) == 0 {
		return nil, false, Errorf(ECValidation, "no class to create")
	}
	cs = append([]Class(nil), cs...)
	today := s.now().In(s.Location).Format(time.DateOnly)
	var v Validation
	for i := range cs {
		if cs[i].ValidFrom == "" {
			cs[i].ValidFrom = today
		}
		cs[i].Validate(&v, fmt.Sprintf("[%d].", i))
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	load := func(ctx context.Context, key string) ([]Class, error) {
		var out []Class
		for _, code := range strings.Split(key, ",") {
			c, err := s.Store.Class(ctx, code)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	}
	return idempotent(ctx, s, p, idem, KindClass, load, func() ([]Class, error) {
		now := s.now()
		w := Write{Idempotency: idem.record(p, KindClass, classKey(cs), now)}
		for i := range cs {
			cs[i].CreatedAt = now
			w.Audit = append(w.Audit, audit(p, now, "class.created", KindClass, cs[i].Code))
		}
		check := func(existing []Class) error { return checkClassTree(cs, existing) }
		if err := s.Store.CreateClasses(ctx, cs, check, w); err != nil {
			return nil, fmt.Errorf("create %d classes: %w", len(cs), err)
		}
		return cs, nil
	})
}

// checkClassTree checks a batch of new classes against the stored scheme.
func checkClassTree(cs, existing []Class) error {
	byCode := make(map[string]Class, len(existing)+len(cs))
	for _, c := range existing {
		byCode[c.Code] = c
	}
	var dup Validation
	first := map[string]int{}
	for i, c := range cs {
		if _, ok := byCode[c.Code]; ok {
			dup.Add(fmt.Sprintf("[%d].code", i), "class %s already exists", c.Code)
		} else if j, ok := first[c.Code]; ok {
			dup.Add(fmt.Sprintf("[%d].code", i), "class %s is also at [%d]", c.Code, j)
		} else {
			first[c.Code] = i
		}
	}
	if err := dup.Err(); err != nil {
		var e *Error
		errors.As(err, &e)
		e.Code = ECConflict
		return e
	}
	for _, c := range cs {
		byCode[c.Code] = c
	}
	var v Validation
	for i, c := range cs {
		if c.Parent != "" {
			parent, ok := byCode[c.Parent]
			switch {
			case !ok:
				v.Add(fmt.Sprintf("[%d].parent", i), "unknown parent %s", c.Parent)
			case !parent.covers(c):
				v.Add(fmt.Sprintf("[%d].valid_from", i), "%s must lie within the validity of its parent %s (%s)",
					c.Code, parent.Code, parent.validityText())
			}
		}
		if c.ReplacedBy != "" {
			if _, ok := byCode[c.ReplacedBy]; !ok {
				v.Add(fmt.Sprintf("[%d].replaced_by", i), "unknown class %s", c.ReplacedBy)
			}
		}
	}
	return v.Err()
}

// ClassClosing closes a class: from is the first day it may no longer be used.
type ClassClosing struct {
	From       string
	ReplacedBy string
	Reason     string
}

// CloseClass closes a class from a date (versioning, C2): it stays resolvable for the documents
// classified under it, but new classifications dated from then on are refused. Its children
// must be closed first, so that a parent is always valid over its children. Admin only;
// audited with the reason. Returns forbidden, validation_failed, not_found, conflict (already
// closed, or children still open).
func (s *Service) CloseClass(ctx context.Context, p Principal, code string, in ClassClosing, idem Idempotency) (Class, bool, error) {
	if err := p.require("changing the classification scheme", RoleAdmin); err != nil {
		return Class{}, false, err
	}
	var v Validation
	if !ValidDate(in.From) {
		v.Add("from", "must be a date YYYY-MM-DD")
	}
	if in.ReplacedBy != "" && (!ValidClass(in.ReplacedBy) || in.ReplacedBy == code) {
		v.Add("replaced_by", "must be another classification code")
	}
	if err := v.Err(); err != nil {
		return Class{}, false, err
	}
	load := func(ctx context.Context, code string) (Class, error) { return s.Store.Class(ctx, code) }
	return idempotent(ctx, s, p, idem, KindClass, load, func() (Class, error) {
		if in.ReplacedBy != "" {
			repl, err := s.Store.Class(ctx, in.ReplacedBy)
			if IsCode(err, ECNotFound) {
				return Class{}, Invalid("replaced_by", "unknown class %s", in.ReplacedBy)
			}
			if err != nil {
				return Class{}, err
			}
			if !repl.ValidOn(in.From) {
				return Class{}, Invalid("replaced_by", "%s is not valid on %s (%s)", repl.Code, in.From, repl.validityText())
			}
		}
		return s.Store.CloseClass(ctx, code, func(c *Class, children []Class) (Write, error) {
			return s.closeClass(p, c, children, in, idem)
		})
	})
}

// closeClass applies a closing to c, under the store's lock.
func (s *Service) closeClass(p Principal, c *Class, children []Class, in ClassClosing, idem Idempotency) (Write, error) {
	if c.ValidTo != "" {
		return Write{}, Errorf(ECConflict, "class %s is already closed (%s)", c.Code, c.validityText())
	}
	if in.From <= c.ValidFrom {
		return Write{}, Invalid("from", "must be after %s, when class %s became valid", c.ValidFrom, c.Code)
	}
	from, _ := time.Parse(time.DateOnly, in.From)
	last := from.AddDate(0, 0, -1).Format(time.DateOnly)
	for _, ch := range children {
		if ch.ValidTo == "" || ch.ValidTo > last {
			return Write{}, Errorf(ECConflict, "class %s has child %s valid after %s: close it first", c.Code, ch.Code, last)
		}
	}
	now := s.now()
	e, err := change(p, now, KindClass, c.Code, "valid_to", nil, last)
	e.Action = "class.closed"
	e.Detail = strings.TrimSpace(in.Reason)
	if in.ReplacedBy != "" {
		e.Detail = strings.TrimSpace("replaced by " + in.ReplacedBy + ". " + e.Detail)
	}
	c.ValidTo, c.ReplacedBy = last, in.ReplacedBy
	return Write{Audit: []AuditEvent{e}, Idempotency: idem.record(p, KindClass, c.Code, now)}, err
}

// checkClass returns validation_failed naming field unless code is a class valid on date.
func (s *Service) checkClass(ctx context.Context, field, code, date string) error {
	c, err := s.Store.Class(ctx, code)
	if IsCode(err, ECNotFound) {
		return Invalid(field, "unknown class %s", code)
	}
	if err != nil {
		return fmt.Errorf("check class %s: %w", code, err)
	}
	if !c.ValidOn(date) {
		return Invalid(field, "class %s is not valid on %s (%s)", code, date, c.validityText())
	}
	return nil
}

// errSchemeExists tells seedClasses that a scheme is already stored.
var errSchemeExists = errors.New("a classification scheme exists")

// seedClasses loads the shipped titolario (package titolario) if no class exists yet, in one
// transaction. Retention is left not set until the administration enters its piano di
// conservazione (SetRetention): until then the classes are on the disposal worklist of classes
// without retention, and nothing under them is ever due.
func (s *Service) seedClasses(ctx context.Context) error {
	cs, _, err := ParseClassesCSV(bytes.NewReader(titolario.Comuni2005), titolario.Comuni2005ValidFrom)
	if err != nil {
		return fmt.Errorf("parse shipped titolario: %w", err)
	}
	now := s.now()
	var v Validation
	w := Write{}
	for i := range cs {
		cs[i].Validate(&v, fmt.Sprintf("[%d].", i))
		cs[i].CreatedAt = now
		e := audit(system, now, "class.created", KindClass, cs[i].Code)
		e.Detail = "shipped titolario: Piano di classificazione per gli archivi dei Comuni italiani (2005)"
		w.Audit = append(w.Audit, e)
	}
	if err := v.Err(); err != nil {
		return fmt.Errorf("shipped titolario: %w", err)
	}
	check := func(existing []Class) error {
		if len(existing) > 0 {
			return errSchemeExists
		}
		return checkClassTree(cs, nil)
	}
	err = s.Store.CreateClasses(ctx, cs, check, w)
	if errors.Is(err, errSchemeExists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load shipped titolario: %w", err)
	}
	return nil
}
