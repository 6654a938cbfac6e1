package domain

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The emergency register (DPR 445/2000 art. 63, docs/compliance.md E1). When the protocol
// system cannot be used, the AOO writes its registrations on an emergency register, under an
// act that authorises it; once the system is back, each entry is loaded and takes the next
// ordinary number at that moment, keeping its emergency number and date for ever.

// The services in this file use the port EmergencyStore (ports.go).

// Entity kinds of the emergency register, in audit events, idempotency records and the feed.
const (
	KindOutage = "emergency_outage"
	// KindEmergencyLoad names the idempotency record of a batch of loaded entries; its resource
	// is the outage.
	KindEmergencyLoad = "emergency_load"
)

// MaxEmergencyBatch is the most entries one JSON load may carry.
const MaxEmergencyBatch = 500

// Emergency is what a registration loaded from the emergency register keeps of its entry
// there: the outage (Register, the id of the emergency register the entry was written on),
// the entry's emergency number and its date (YYYY-MM-DD). Immutable like every other fact of
// the registration (M1).
type Emergency struct {
	Register string `json:"register"`
	Number   int64  `json:"number"`
	Date     string `json:"date"`
}

// Outage is an interruption of a register during which its entries were written on the
// emergency register: why, from when to when, and under which authorising act. It is recorded
// once and never changed.
type Outage struct {
	ID            string
	Register      string
	Cause         string
	Start, End    time.Time
	Authorization string
	CreatedBy     string
	CreatedAt     time.Time
	// Entries are the identifiers of the registrations loaded from the outage's entries, in
	// emergency-number order, filled by Service.Outage; EntryCount is their number, filled by
	// the store.
	Entries    []string
	EntryCount int
}

// NewOutage is what recording an outage needs.
type NewOutage struct {
	Cause         string
	Start, End    time.Time
	Authorization string
}

// Dates returns the first and last dates of o, reckoned in loc: the range an entry's
// emergency date must fall in.
func (o *Outage) Dates(loc *time.Location) (first, last string) {
	return o.Start.In(loc).Format(time.DateOnly), o.End.In(loc).Format(time.DateOnly)
}

// recordingOutages lists the roles that may record an outage.
var recordingOutages = []Role{RoleAdmin, RoleRecordsOfficer}

// CreateOutage records an outage of register (art. 63): cause and authorising act are
// required, the end is after the start and both are past. An outage that overlaps another of the
// same register is a conflict (checked by the store in its transaction). Returns forbidden,
// validation_failed (also for an unknown register), conflict.
func (s *Service) CreateOutage(ctx context.Context, p Principal, register string, in NewOutage, idem Idempotency) (*Outage, bool, error) {
	if err := p.require("recording an outage of the protocol register", recordingOutages...); err != nil {
		return nil, false, err
	}
	now := s.now()
	var v Validation
	in.Cause, in.Authorization = strings.TrimSpace(in.Cause), strings.TrimSpace(in.Authorization)
	if in.Cause == "" {
		v.Add("cause", "is required")
	}
	if in.Authorization == "" {
		v.Add("authorization", "the reference of the act authorising the emergency register is required")
	}
	switch {
	case in.Start.IsZero():
		v.Add("start", "is required")
	case in.Start.After(now):
		v.Add("start", "is in the future")
	}
	switch {
	case in.End.IsZero():
		v.Add("end", "is required")
	case !in.End.After(in.Start):
		v.Add("end", "must be after start")
	case in.End.After(now):
		v.Add("end", "is in the future: record an outage once it is over")
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	return idempotent(ctx, s, p, idem, KindOutage, s.Store.Outage, func() (*Outage, error) {
		if _, err := s.register(ctx, register); IsCode(err, ECNotFound) {
			return nil, Errorf(ECNotFound, "register %s not found", register)
		} else if err != nil {
			return nil, err
		}
		o := &Outage{ID: NewID(), Register: register, Cause: in.Cause, Start: in.Start.UTC(), End: in.End.UTC(),
			Authorization: in.Authorization, CreatedBy: p.ID, CreatedAt: now, Entries: []string{}}
		e := audit(p, now, "emergency_outage.created", KindOutage, o.ID)
		e.Detail = fmt.Sprintf("%s: %s (%s – %s)", o.Authorization, o.Cause,
			o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339))
		err := s.Store.CreateOutage(ctx, o, Write{Audit: []AuditEvent{e}, Idempotency: idem.record(p, KindOutage, o.ID, now)})
		if err != nil {
			return nil, err
		}
		return o, nil
	})
}

// readingOutages lists the roles that may read the outages: those who record them and those
// who load their entries.
var readingOutages = append(slices.Clone(recordingOutages), RoleProtocolOperator, RoleImporter)

// Outages lists the outages of register, oldest first. Returns forbidden, not_found for an
// unknown register.
func (s *Service) Outages(ctx context.Context, p Principal, register string) ([]Outage, error) {
	if err := p.require("reading the outages of a register", readingOutages...); err != nil {
		return nil, err
	}
	if _, err := s.register(ctx, register); err != nil {
		return nil, err
	}
	return s.Store.Outages(ctx, register)
}

// Outage returns one outage of register, with the identifiers of its loaded entries that p may
// see. Returns forbidden, not_found, also for an outage of another register.
func (s *Service) Outage(ctx context.Context, p Principal, register, id string) (*Outage, error) {
	if err := p.require("reading the outages of a register", readingOutages...); err != nil {
		return nil, err
	}
	o, err := s.Store.Outage(ctx, id)
	if err != nil {
		return nil, err
	}
	if o.Register != register {
		return nil, Errorf(ECNotFound, "outage %s of register %s not found", id, register)
	}
	if o.Entries, err = s.visibleEntries(ctx, p, o.ID); err != nil {
		return nil, err
	}
	return o, nil
}

// visibleEntries returns the identifiers of the registrations loaded from outage id that p
// may see, in emergency-number order.
func (s *Service) visibleEntries(ctx context.Context, p Principal, id string) ([]string, error) {
	rs, err := s.Store.EmergencyEntries(ctx, id, nil)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rs))
	vis := VisibilityOf(p)
	for _, r := range rs {
		if vis.Allows(r) {
			out = append(out, r.Identifier)
		}
	}
	return out, nil
}

// checkEmergency checks the emergency entry of in against its outage: it exists, is of in's
// register, and the emergency date is within it. field prefixes the fields named. An entry that
// names no outage gets the one of its register whose dates contain its emergency date
// (outageOn), set in in.Emergency.
func (s *Service) checkEmergency(ctx context.Context, field string, in NewRegistration) error {
	e := in.Emergency
	if e.Register == "" {
		o, err := s.outageOn(ctx, field, cmp.Or(in.Register, DefaultRegister), e.Date)
		if err != nil {
			return err
		}
		e.Register = o.ID
		return nil
	}
	o, err := s.Store.Outage(ctx, e.Register)
	if IsCode(err, ECNotFound) {
		return Invalid(field+".outage", "unknown outage %s", e.Register)
	}
	if err != nil {
		return err
	}
	register := cmp.Or(in.Register, DefaultRegister)
	if o.Register != register {
		return Invalid(field+".outage", "outage %s is of register %s, not %s", o.ID, o.Register, register)
	}
	return emergencyDateIn(field+".date", e.Date, o, s.Location)
}

// outageOn returns the one outage of register whose dates, in the AOO's time zone, contain
// date: the outage an emergency entry that names none was written during. None is
// validation_failed naming field.date; several (two outages of one day) validation_failed
// naming field.outage, which must then say which.
func (s *Service) outageOn(ctx context.Context, field, register, date string) (*Outage, error) {
	all, err := s.Store.Outages(ctx, register)
	if err != nil {
		return nil, err
	}
	var found []*Outage
	for i := range all {
		if first, last := all[i].Dates(s.Location); first <= date && date <= last {
			found = append(found, &all[i])
		}
	}
	switch len(found) {
	case 0:
		return nil, Invalid(field+".date", "no outage of register %s covers %s", register, date)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, o := range found {
		ids[i] = o.ID
	}
	return nil, Invalid(field+".outage", "%d outages of register %s cover %s (%s): name the one the entry was written during",
		len(found), register, date, strings.Join(ids, ", "))
}

// emergencyDateIn returns validation_failed naming field unless date is within o.
func emergencyDateIn(field, date string, o *Outage, loc *time.Location) error {
	first, last := o.Dates(loc)
	if date < first || date > last {
		return Invalid(field, "%s is outside the outage %s, from %s to %s", date, o.ID, first, last)
	}
	return nil
}

// validateEmergency checks the shape of an emergency entry. Its outage may be left out: the
// service finds it from the date (checkEmergency).
func validateEmergency(v *Validation, field string, e *Emergency) {
	if e.Number <= 0 {
		v.Add(field+".number", "must be a positive emergency number")
	}
	if !ValidDate(e.Date) {
		v.Add(field+".date", "must be a date YYYY-MM-DD")
	}
}

// LoadEmergencyEntries registers the entries of the emergency register written during outage id
// of register (art. 63): each takes the next ordinary number now, in emergency-number order, in
// one transaction, and keeps its emergency number and date. An entry comes with no file: its
// primary document is a short text the system writes, saying that the original is the paper
// entry. Each entry is checked as Register checks a registration, and its emergency date must be
// within the outage. A retry with the same idempotency key answers the same registrations and
// takes no number. Returns forbidden, not_found (the outage, also of another register),
// validation_failed (naming entries[i].…), conflict (an emergency number already loaded).
func (s *Service) LoadEmergencyEntries(ctx context.Context, p Principal, register, id string, ins []NewRegistration, idem Idempotency) ([]*Registration, bool, error) {
	if err := MayRegister(p); err != nil {
		return nil, false, err
	}
	if err := validateBatch(p, register, id, ins); err != nil {
		return nil, false, err
	}
	numbers := make([]int64, len(ins))
	for i, in := range ins {
		numbers[i] = in.Emergency.Number
	}
	load := func(ctx context.Context, outage string) ([]*Registration, error) {
		return s.Store.EmergencyEntries(ctx, outage, numbers)
	}
	return idempotent(ctx, s, p, idem, KindEmergencyLoad, load, func() ([]*Registration, error) {
		o, err := s.Outage(ctx, p, register, id)
		if err != nil {
			return nil, err
		}
		now := s.now()
		date := now.In(s.Location).Format(time.DateOnly)
		for i := range ins {
			if err := s.checkEntry(ctx, fmt.Sprintf("entries[%d]", i), &ins[i], o, date); err != nil {
				return nil, err
			}
		}
		slices.SortStableFunc(ins, func(a, b NewRegistration) int { return cmp.Compare(a.Emergency.Number, b.Emergency.Number) })
		rs := make([]*Registration, len(ins))
		w := Write{Idempotency: idem.record(p, KindEmergencyLoad, o.ID, now)}
		for i, in := range ins {
			rs[i] = newRegistration(p, in, now, s.Location)
			e := audit(p, now, "registration.created", KindRegistration, rs[i].ID)
			e.Detail = fmt.Sprintf("emergency register %s, entry %d of %s", o.ID, in.Emergency.Number, in.Emergency.Date)
			w.Audit = append(w.Audit, e)
		}
		if err := s.Store.CreateRegistrations(ctx, rs, w); err != nil {
			return nil, err
		}
		return rs, nil
	})
}

// validateBatch checks what a batch of emergency entries states, before anything is read.
func validateBatch(p Principal, register, id string, ins []NewRegistration) error {
	var v Validation
	switch {
	case len(ins) == 0:
		v.Add("entries", "at least one entry is required")
	case len(ins) > MaxEmergencyBatch:
		v.Add("entries", "at most %d entries in one load", MaxEmergencyBatch)
	}
	seen := map[int64]int{}
	for i := range ins {
		in := &ins[i]
		f := fmt.Sprintf("entries[%d]", i)
		in.Register = cmp.Or(in.Register, register)
		in.Channel = cmp.Or(in.Channel, ChannelPaper)
		if in.Register != register {
			v.Add(f+".register", "must be %s, the register of the outage", register)
		}
		if in.Emergency == nil {
			in.Emergency = &Emergency{}
		}
		in.Emergency.Register = id
		if err := mayRegisterDirection(p, *in); err != nil {
			v.Add(f+".direction", "an importer registers incoming documents only")
		}
		if err := in.validateEntry(); err != nil {
			for _, fe := range fieldErrors(err) {
				v.Add(f+"."+fe.Field, "%s", fe.Message)
			}
		}
		if j, ok := seen[in.Emergency.Number]; ok {
			v.Add(f+".emergency_number", "repeats entries[%d]", j)
		}
		seen[in.Emergency.Number] = i
	}
	return v.Err()
}

// validateEntry is Validate for an entry loaded without a file: its document is written later
// (entryDocument), so a placeholder stands in for it here. The emergency fields are named as the
// JSON entry names them.
func (in *NewRegistration) validateEntry() error {
	probe := *in
	probe.Document = &File{Filename: "x", SHA256: strings.Repeat("0", 64)}
	probe.DocumentID = ""
	err := probe.Validate()
	in.Register, in.Channel, in.Subject = probe.Register, probe.Channel, probe.Subject
	var v Validation
	for _, fe := range fieldErrors(err) {
		switch fe.Field {
		case "emergency.number":
			fe.Field = "emergency_number"
		case "emergency.date":
			fe.Field = "emergency_date"
		}
		v.Add(fe.Field, "%s", fe.Message)
	}
	return v.Err()
}

// prefixed returns err with field before each field it names, when it is a validation error.
func prefixed(field string, err error) error {
	var de *Error
	if !errors.As(err, &de) || de.Code != ECValidation || len(de.Fields) == 0 {
		return err
	}
	var v Validation
	for _, fe := range de.Fields {
		v.Add(field+"."+fe.Field, "%s", fe.Message)
	}
	return v.Err()
}

// fieldErrors returns the fields of a validation error, or one field "" for another error.
func fieldErrors(err error) []FieldError {
	if err == nil {
		return nil
	}
	var de *Error
	if errors.As(err, &de) && len(de.Fields) > 0 {
		return de.Fields
	}
	return []FieldError{{Message: err.Error()}}
}

// checkEntry checks one entry against the stored state, as Register checks a registration, and
// writes its document: offices, class (valid on the protocol date, or the register allows none),
// the emergency date within o.
func (s *Service) checkEntry(ctx context.Context, field string, in *NewRegistration, o *Outage, date string) error {
	if err := emergencyDateIn(field+".emergency_date", in.Emergency.Date, o, s.Location); err != nil {
		return err
	}
	if err := s.checkOffices(ctx, in.Offices); err != nil {
		return prefixed(field, err)
	}
	if err := s.checkUnclassified(ctx, *in); err != nil {
		return prefixed(field, err)
	}
	if in.Class != "" {
		if err := s.checkClass(ctx, field+".class", in.Class, date); err != nil {
			return err
		}
	}
	if in.ReceivedOn > date {
		return Invalid(field+".received_on", "is after the protocol date %s", date)
	}
	doc, err := s.entryDocument(ctx, o, *in.Emergency)
	if err != nil {
		return err
	}
	in.Document = &doc
	return nil
}

// entryDocument writes the primary document of an entry loaded without a file: a plain text
// saying that the original is the paper entry of the emergency register, whose digest the
// registration then fixes like any other.
func (s *Service) entryDocument(ctx context.Context, o *Outage, e Emergency) (File, error) {
	text := fmt.Sprintf("Registrazione riportata dal registro di emergenza (DPR 445/2000 art. 63).\n"+
		"Registro: %s\nInterruzione: %s\nAutorizzazione: %s\nNumero di emergenza: %d\nData di emergenza: %s\n"+
		"Il documento originale e' la registrazione cartacea sul registro di emergenza.\n",
		o.Register, o.ID, o.Authorization, e.Number, e.Date)
	sum, size, err := s.Blobs.Put(ctx, strings.NewReader(text))
	if err != nil {
		return File{}, fmt.Errorf("document of emergency entry %d: %w", e.Number, err)
	}
	return File{Filename: fmt.Sprintf("emergenza-%d.txt", e.Number), MediaType: "text/plain; charset=utf-8",
		Size: size, SHA256: sum}, nil
}
