package domain

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// The services in this file use the port ProcedureStore (ports.go).

// CaseTime is what monitoring reads of a case: when it was submitted and closed, how, and its
// deadline (DueDate already moved by the days it awaited the applicant) and the legal days of
// the version it was submitted under.
type CaseTime struct {
	Procedure    string
	Office       string
	Status       CaseStatus
	SubmittedAt  time.Time
	ClosedAt     *time.Time
	DueDate      string
	PausedOn     string
	DeadlineDays int
}

// ProcedureStat is one row of the monitoring of procedural times (L. 190/2012 art. 1 c. 28)
// for a procedure and its responsible office over a period: the cases received, those
// concluded (approved or rejected) and of them those concluded by their deadline and late, the
// median and 90th percentile of their durations in days net of the time spent awaiting the
// applicant (nil when none concluded), and the cases open today past their deadline.
type ProcedureStat struct {
	Procedure   string
	Office      string
	Received    int
	Concluded   int
	InTime      int
	Late        int
	P50Days     *int
	P90Days     *int
	OpenOverdue int
}

// StatsPeriod is a period of days in the instance's time zone, both included (YYYY-MM-DD).
type StatsPeriod struct {
	From, To string
}

// StatsPeriod returns q with its defaults filled: from the first of January of this year to
// today. Returns validation_failed.
func (s *Service) StatsPeriod(q StatsPeriod) (StatsPeriod, error) {
	q, _, _, err := s.period(q)
	return q, err
}

// period checks q, filling the defaults, and returns the instants it spans: [from, to).
func (s *Service) period(q StatsPeriod) (StatsPeriod, time.Time, time.Time, error) {
	today := s.Today()
	if q.From == "" {
		q.From = today[:4] + "-01-01"
	}
	if q.To == "" {
		q.To = today
	}
	var v Validation
	from, errF := time.ParseInLocation(time.DateOnly, q.From, s.Location)
	to, errT := time.ParseInLocation(time.DateOnly, q.To, s.Location)
	if errF != nil {
		v.Add("from", "must be a date YYYY-MM-DD")
	}
	if errT != nil {
		v.Add("to", "must be a date YYYY-MM-DD")
	}
	if errF == nil && errT == nil && q.To < q.From {
		v.Add("to", "must not be before from")
	}
	return q, from, to.AddDate(0, 0, 1), v.Err()
}

// seesStats lists who reads the monitoring: the offices' staff and those who answer for it.
var seesStats = []Role{RoleAdmin, RoleRecordsOfficer, RoleClerk, RoleEditor}

// ProcedureStats monitors procedural times over q, per procedure and responsible office,
// optionally of one office: a case counts as received on its submission's day in the period,
// as concluded on the day it was approved or rejected in the period (in time when that day is
// not after its deadline); its net duration is the days from submission to conclusion less
// those it awaited the applicant; open overdue are the cases open today past their deadline and
// not awaiting the applicant. Percentiles are nearest-rank. Rows are ordered by procedure and
// office. Returns forbidden, validation_failed.
func (s *Service) ProcedureStats(ctx context.Context, p Principal, q StatsPeriod, office string) ([]ProcedureStat, error) {
	if err := p.require("reading the monitoring of procedural times", seesStats...); err != nil {
		return nil, err
	}
	q, from, to, err := s.period(q)
	if err != nil {
		return nil, err
	}
	cases, err := s.Store.CaseTimes(ctx, from, to)
	if err != nil {
		return nil, err
	}
	today := s.Today()
	type key struct{ procedure, office string }
	rows := map[key]*ProcedureStat{}
	durations := map[key][]int{}
	for _, c := range cases {
		if office != "" && c.Office != office {
			continue
		}
		k := key{c.Procedure, c.Office}
		r := rows[k]
		if r == nil {
			r = &ProcedureStat{Procedure: c.Procedure, Office: c.Office}
		}
		counted := false
		if day := s.day(c.SubmittedAt); day >= q.From && day <= q.To {
			r.Received++
			counted = true
		}
		if c.ClosedAt != nil && (c.Status == CaseApproved || c.Status == CaseRejected) {
			if day := s.day(*c.ClosedAt); day >= q.From && day <= q.To {
				r.Concluded++
				if day <= c.DueDate {
					r.InTime++
				} else {
					r.Late++
				}
				durations[k] = append(durations[k], c.DeadlineDays+daysBetween(c.DueDate, day))
				counted = true
			}
		}
		if c.ClosedAt == nil && c.PausedOn == "" && c.DueDate < today {
			r.OpenOverdue++
			counted = true
		}
		if counted {
			rows[k] = r
		}
	}
	out := make([]ProcedureStat, 0, len(rows))
	for k, r := range rows {
		d := durations[k]
		slices.Sort(d)
		r.P50Days, r.P90Days = nearestRank(d, 50), nearestRank(d, 90)
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b ProcedureStat) int {
		return cmp.Or(cmp.Compare(a.Procedure, b.Procedure), cmp.Compare(a.Office, b.Office))
	})
	return out, nil
}

// day is the date of t in the instance's time zone.
func (s *Service) day(t time.Time) string { return t.In(s.Location).Format(time.DateOnly) }

// nearestRank is the pth percentile of sorted by the nearest-rank method: the smallest value
// with at least p% of the values at or below it; nil for no values.
func nearestRank(sorted []int, p int) *int {
	if len(sorted) == 0 {
		return nil
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	v := sorted[max(rank, 1)-1]
	return &v
}

// OverdueCases counts, per procedure of the catalogue (0 for none), the cases open today past
// their deadline and not awaiting the applicant: the gauge operators watch
// (sportello_cases_overdue).
func (s *Service) OverdueCases(ctx context.Context) (map[string]int, error) {
	today := s.Now().In(s.Location)
	cases, err := s.Store.CaseTimes(ctx, today, today)
	if err != nil {
		return nil, err
	}
	ps, err := s.Store.Procedures(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, p := range ps {
		out[p.Code] = 0
	}
	day := today.Format(time.DateOnly)
	for _, c := range cases {
		if c.ClosedAt == nil && c.PausedOn == "" && c.DueDate < day {
			out[c.Procedure]++
		}
	}
	return out, nil
}

// RegistrationCount is how many registrations one day had in one register, direction, channel
// and office (the first office a registration is assigned to; "" for none).
type RegistrationCount struct {
	Date      string
	Register  string
	Direction Direction
	Channel   string
	Office    string
	Count     int
}

// RegistrationStats counts the registrations of the period per day, register, direction,
// channel and office, in that order; annulled ones count, as their numbers were taken.
// Records officers, admins and protocol operators read it. Returns forbidden,
// validation_failed.
func (s *Service) RegistrationStats(ctx context.Context, p Principal, q StatsPeriod) ([]RegistrationCount, error) {
	if err := p.require("reading registration statistics", RoleAdmin, RoleRecordsOfficer, RoleProtocolOperator); err != nil {
		return nil, err
	}
	q, _, _, err := s.period(q)
	if err != nil {
		return nil, err
	}
	out, err := s.Store.RegistrationCounts(ctx, q.From, q.To)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b RegistrationCount) int {
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.Register, b.Register), cmp.Compare(a.Direction, b.Direction),
			cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Office, b.Office))
	})
	return out, nil
}
