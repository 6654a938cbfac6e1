package domain

import (
	"context"
	"fmt"
	"time"
)

// The services in this file use the port PackageStore (ports.go).

// The conservation schedule makes the archival packages the law asks for without anyone
// requesting them: each register's daily journal goes out by the next working day (the
// journal of a day is packaged on the first working day after it), and every closed dossier
// goes out at least once a year (CAD art. 44). Each scheduled package has a key naming its
// item (ScheduleKey), unique in the database, so an item gets one package however often and in
// however many processes the schedule runs.

// DossierResendAfter is how long a closed dossier may go without a scheduled package.
const DossierResendAfter = 12 // months

// ScheduleBatch bounds the packages one run of the schedule requests of each kind: a backlog
// (journals of the years before the schedule existed) drains over several runs.
const ScheduleBatch = 50

// JournalScheduleKey is the schedule key of a register's journal of date.
func JournalScheduleKey(register, date string) string { return "journal/" + register + "/" + date }

// DossierScheduleKey is the schedule key of a dossier's package of a year.
func DossierScheduleKey(id string, year int) string { return fmt.Sprintf("dossier/%s/%d", id, year) }

// ScheduleResult says what a run of the schedule did.
type ScheduleResult struct {
	Journals, Dossiers int // packages requested
	Sends              int // ready archival packages whose sending was enqueued
	// Skipped says why items could not be packaged (a dossier of more registrations than a
	// package holds); they stay due, for the records officer to see in the log.
	Skipped []string
}

// ScheduleConservation requests the packages that are due at the service's clock: on a
// working day (in Location) one package per journal of an earlier day that has none; any day,
// one per closed dossier without a scheduled package in the last DossierResendAfter months.
// With send, it also enqueues the sending of every ready archival package (whose job may have
// given up, or run before a destination was configured). Safe to run repeatedly and in
// several processes at once.
func (s *Service) ScheduleConservation(ctx context.Context, send bool) (ScheduleResult, error) {
	var res ScheduleResult
	now := s.now()
	today := now.In(s.Location)
	if WorkingDay(today) {
		days, err := s.Store.DueJournals(ctx, today.Format(time.DateOnly), ScheduleBatch)
		if err != nil {
			return res, fmt.Errorf("schedule journals: %w", err)
		}
		for _, d := range days {
			req := PackageRequest{Kind: PackageAIP, Journals: &PackageJournals{Register: d.Register, From: d.Date, To: d.Date}}
			ok, err := s.schedulePackage(ctx, req, JournalScheduleKey(d.Register, d.Date))
			if IsCode(err, ECValidation) {
				res.Skipped = append(res.Skipped, err.Error())
				continue
			}
			if err != nil {
				return res, err
			}
			if ok {
				res.Journals++
			}
		}
	}
	dossiers, err := s.Store.DueDossiers(ctx, now.AddDate(0, -DossierResendAfter, 0), ScheduleBatch)
	if err != nil {
		return res, fmt.Errorf("schedule dossiers: %w", err)
	}
	for _, id := range dossiers {
		ok, err := s.schedulePackage(ctx, PackageRequest{Kind: PackageAIP, Dossier: id}, DossierScheduleKey(id, today.Year()))
		if IsCode(err, ECValidation) {
			res.Skipped = append(res.Skipped, err.Error())
			continue
		}
		if err != nil {
			return res, err
		}
		if ok {
			res.Dossiers++
		}
	}
	if send {
		if res.Sends, err = s.Store.EnqueuePackageSends(ctx, ScheduleBatch); err != nil {
			return res, fmt.Errorf("schedule sending: %w", err)
		}
	}
	return res, nil
}

// schedulePackage stores the package of a scheduled item as building, by the system; false
// when the item has one already.
func (s *Service) schedulePackage(ctx context.Context, req PackageRequest, key string) (bool, error) {
	if err := req.Validate(); err != nil {
		return false, fmt.Errorf("schedule %s: %w", key, err)
	}
	items, err := s.packageItems(ctx, req)
	if err != nil {
		return false, fmt.Errorf("schedule %s: %w", key, err)
	}
	now := s.now()
	pkg := &ArchivePackage{ID: NewID(), Kind: req.Kind, State: PackageBuilding, Request: req, Items: items,
		CreatedBy: system.ID, CreatedAt: now, ScheduleKey: key}
	e := audit(system, now, "package.scheduled", KindPackage, pkg.ID)
	e.Detail = key
	err = s.Store.CreatePackage(ctx, pkg, Write{Audit: []AuditEvent{e}})
	if IsCode(err, ECConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("schedule %s: %w", key, err)
	}
	return true, nil
}

// ConservationStatus is what the metrics show of sending: packages by state, and the protocol
// date of the oldest journal whose scheduled package is not sent yet ("" when none).
type ConservationStatus struct {
	States              map[string]int
	OldestUnsentJournal string
}

// WorkingDay reports whether day (its date, wherever it is) is a working day in Italy: not a
// Saturday or Sunday, nor a national holiday (legge 260/1949 and later): 1 and 6 January,
// Easter Monday, 25 April, 1 May, 2 June, 15 August, 1 November, 8, 25 and 26 December.
func WorkingDay(day time.Time) bool {
	switch day.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	y, m, d := day.Date()
	switch {
	case m == time.January && (d == 1 || d == 6),
		m == time.April && d == 25,
		m == time.May && d == 1,
		m == time.June && d == 2,
		m == time.August && d == 15,
		m == time.November && d == 1,
		m == time.December && (d == 8 || d == 25 || d == 26):
		return false
	}
	em, ed := Easter(y)
	monday := time.Date(y, em, ed+1, 0, 0, 0, 0, time.UTC)
	return !(m == monday.Month() && d == monday.Day())
}

// Easter returns the month and day of Easter Sunday of year y in the Gregorian calendar (the
// anonymous Gregorian algorithm, Meeus/Jones/Butcher).
func Easter(y int) (time.Month, int) {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Month(month), day
}

// ConservationStatus returns the packages by state and the oldest unsent journal, for the
// metrics.
func (s *Service) ConservationStatus(ctx context.Context) (ConservationStatus, error) {
	return s.Store.ConservationStatus(ctx)
}
