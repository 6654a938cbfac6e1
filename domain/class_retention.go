package domain

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// The services in this file use the ports ClassStore and AuditStore (ports.go).

// RetentionChange sets the retention of the class Code: Years (1–MaxRetentionYears), or
// Permanent, or neither to leave it not set. It is the whole new retention, as one row of a
// retention schedule in CSV says it; RetentionPatch changes part of it.
type RetentionChange struct {
	Code      string
	Years     *int
	Permanent bool
}

// RetentionPatch is a merge patch of a class's retention (PATCH /v1/classes/{code}): a member
// that is not Set is left as it is. Setting Years to a number makes the class not permanent;
// setting it to nil removes the period. Setting Permanent to true removes the period; to false
// leaves a period in years as it is.
type RetentionPatch struct {
	SetYears     bool
	Years        *int
	SetPermanent bool
	Permanent    bool
}

// apply returns the retention c has after the patch; field names the member at fault.
func (rp RetentionPatch) apply(c Class) (RetentionChange, error) {
	out := RetentionChange{Code: c.Code, Years: c.RetentionYears, Permanent: c.RetentionPermanent}
	if rp.SetYears && rp.SetPermanent && rp.Years != nil && rp.Permanent {
		return out, Invalid("retention_permanent", "a permanent class has no retention_years: send one or the other")
	}
	if rp.SetYears {
		out.Years = rp.Years
		if rp.Years != nil {
			out.Permanent = false
		}
	}
	if rp.SetPermanent {
		out.Permanent = rp.Permanent
		if rp.Permanent {
			out.Years = nil
		}
	}
	return out, nil
}

// retentionText describes a retention for the history: "10", "permanent" or "" (not set).
func retentionText(years *int, permanent bool) string {
	switch {
	case years != nil:
		return strconv.Itoa(*years)
	case permanent:
		return "permanent"
	}
	return ""
}

// PatchClassRetention changes the retention of one class (records officers and admins) and
// records the change, old and new, in the class's history with reason. Returns forbidden,
// not_found, validation_failed naming the member.
func (s *Service) PatchClassRetention(ctx context.Context, p Principal, code string, patch RetentionPatch, reason string) (Class, error) {
	if err := p.require("setting a class's retention", RoleRecordsOfficer, RoleAdmin); err != nil {
		return Class{}, err
	}
	if !ValidClass(code) {
		return Class{}, Errorf(ECNotFound, "class %q not found: not a classification code", code)
	}
	if !patch.SetYears && !patch.SetPermanent {
		return Class{}, Invalid("body", "nothing to change: send retention_years or permanent")
	}
	if patch.Years != nil && (*patch.Years < 1 || *patch.Years > MaxRetentionYears) {
		return Class{}, Invalid("retention_years", "must be between 1 and %d years, or null to remove it", MaxRetentionYears)
	}
	if err := checkReason(reason); err != nil {
		return Class{}, err
	}
	out, err := s.Store.SetClassRetention(ctx, []string{code}, func(cs []Class) ([]Class, Write, error) {
		rc, err := patch.apply(cs[0])
		if err != nil {
			return nil, Write{}, err
		}
		return s.setRetention(p, cs, []RetentionChange{rc}, reason)
	})
	if err != nil {
		return Class{}, err
	}
	if len(out) == 0 { // nothing changed
		return s.Store.Class(ctx, code)
	}
	return out[0], nil
}

// SetClassRetentions applies a retention schedule (piano di conservazione, ParseRetentionCSV)
// to existing classes, all or nothing, and records each change in its class's history with
// reason; a row that changes nothing is left out. lines are the CSV lines of the rows, to
// name them in errors (nil for none). Records officers and admins. Returns the classes
// changed, in the order given. Returns forbidden, validation_failed naming the row.
func (s *Service) SetClassRetentions(ctx context.Context, p Principal, changes []RetentionChange, lines []int, reason string) ([]Class, error) {
	if err := p.require("setting a class's retention", RoleRecordsOfficer, RoleAdmin); err != nil {
		return nil, err
	}
	row := func(i int) string {
		if i < len(lines) {
			return fmt.Sprintf("line %d: ", lines[i])
		}
		return fmt.Sprintf("[%d].", i)
	}
	var v Validation
	codes := make([]string, len(changes))
	for i, rc := range changes {
		codes[i] = rc.Code
		if !ValidClass(rc.Code) {
			v.Add(row(i)+"code", "must be a classification code such as VI or VI.3, not %q", rc.Code)
		}
		if rc.Years != nil && (*rc.Years < 1 || *rc.Years > MaxRetentionYears) {
			v.Add(row(i)+"retention_years", "must be between 1 and %d years, \"permanent\" or empty (not set)", MaxRetentionYears)
		}
		if rc.Years != nil && rc.Permanent {
			v.Add(row(i)+"retention_years", "a permanent class has no retention period in years")
		}
	}
	if len(changes) == 0 {
		v.Add("body", "no class to change")
	}
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// Classes are never deleted, so a code found now is there when the changes are written.
	all, err := s.Store.Classes(ctx, ClassFilter{})
	if err != nil {
		return nil, fmt.Errorf("set retention of classes: %w", err)
	}
	known := make(map[string]bool, len(all))
	for _, c := range all {
		known[c.Code] = true
	}
	for i, rc := range changes {
		if !known[rc.Code] {
			v.Add(row(i)+"code", "unknown class %s", rc.Code)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.Store.SetClassRetention(ctx, codes, func(cs []Class) ([]Class, Write, error) {
		return s.setRetention(p, cs, changes, reason)
	})
}

// setRetention applies changes[i] (checked already) to cs[i] under the store's lock and records
// each actual change; a change that changes nothing is left out.
func (s *Service) setRetention(p Principal, cs []Class, changes []RetentionChange, reason string) ([]Class, Write, error) {
	now := s.now()
	w := Write{}
	var out []Class
	for i, rc := range changes {
		c := cs[i]
		old := retentionText(c.RetentionYears, c.RetentionPermanent)
		c.RetentionYears, c.RetentionPermanent = rc.Years, rc.Permanent
		nw := retentionText(c.RetentionYears, c.RetentionPermanent)
		if nw == old {
			continue
		}
		e, err := change(p, now, KindClass, c.Code, "retention", old, nw)
		if err != nil {
			return nil, Write{}, err
		}
		e.Action = "class.retention_changed"
		e.Detail = strings.TrimSpace(reason)
		w.Audit = append(w.Audit, e)
		out = append(out, c)
	}
	if out == nil {
		out = []Class{}
	}
	return out, w, nil
}

// MaxRetentionReason is the longest reason a retention change may carry.
const MaxRetentionReason = 500

// checkReason refuses a reason longer than MaxRetentionReason or with control characters.
func checkReason(reason string) error {
	if len([]rune(reason)) > MaxRetentionReason {
		return Invalid("reason", "must be at most %d characters", MaxRetentionReason)
	}
	if strings.ContainsRune(reason, 0) {
		return Invalid("reason", "must not contain NUL")
	}
	return nil
}

// ClassesWithoutRetention lists, in scheme order, the classes whose retention is not set yet:
// the worklist of the piano di conservazione, beside the disposal worklist (nothing under them
// is ever due). Records officers only.
func (s *Service) ClassesWithoutRetention(ctx context.Context, p Principal) ([]Class, error) {
	if err := p.require("listing the classes without retention", RoleRecordsOfficer); err != nil {
		return nil, err
	}
	cs, err := s.Store.Classes(ctx, ClassFilter{})
	if err != nil {
		return nil, fmt.Errorf("classes without retention: %w", err)
	}
	out := make([]Class, 0)
	for _, c := range cs {
		if !c.RetentionSet() {
			out = append(out, c)
		}
	}
	SortClasses(out)
	return out, nil
}

// ClassHistory returns every audit event of a class, oldest first: its creation, closing and
// retention changes. Records officers and admins. Returns forbidden, not_found.
func (s *Service) ClassHistory(ctx context.Context, p Principal, code string) ([]AuditEvent, error) {
	if err := p.require("reading a class's history", RoleRecordsOfficer, RoleAdmin); err != nil {
		return nil, err
	}
	if _, err := s.Store.Class(ctx, code); err != nil {
		return nil, err
	}
	return s.Store.Audit(ctx, KindClass, code)
}
