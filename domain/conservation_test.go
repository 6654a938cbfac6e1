package domain_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestWorkingDay: weekends and the Italian national holidays are not working days, Easter
// Monday included, whatever its date.
func TestWorkingDay(t *testing.T) {
	for _, c := range []struct {
		date    string
		working bool
	}{
		{"2026-12-04", true},  // Friday
		{"2026-12-05", false}, // Saturday
		{"2026-12-06", false}, // Sunday
		{"2026-12-07", true},
		{"2026-12-08", false}, // Immacolata, a Tuesday
		{"2026-12-25", false},
		{"2026-12-28", true},
		{"2026-01-01", false},
		{"2026-01-06", false},
		{"2026-04-06", false}, // Easter Monday 2026
		{"2026-04-07", true},
		{"2025-04-21", false}, // Easter Monday 2025
		{"2025-04-25", false}, // Liberazione, a Friday
		{"2024-04-01", false}, // Easter Monday 2024
		{"2038-04-26", false}, // Easter Monday 2038 (Easter on 25 April)
		{"2026-06-02", false},
		{"2026-06-03", true},
		{"2026-08-14", true},
		{"2025-08-15", false},
		{"2026-11-02", true},
		{"2027-11-01", false},
		{"2025-05-01", false},
	} {
		d, _ := time.Parse(time.DateOnly, c.date)
		if got := domain.WorkingDay(d); got != c.working {
			t.Errorf("WorkingDay(%s %s) = %v", c.date, d.Weekday(), got)
		}
	}
	for y, want := range map[int]string{2000: "04-23", 2008: "03-23", 2011: "04-24", 2019: "04-21", 2024: "03-31", 2026: "04-05", 2038: "04-25"} {
		m, d := domain.Easter(y)
		if got := fmt.Sprintf("%02d-%02d", m, d); got != want {
			t.Errorf("Easter(%d) = %s, want %s", y, got, want)
		}
	}
}

// TestScheduleConservation: on a working day in Rome every earlier journal gets one package,
// on a weekend or holiday none; a closed dossier gets one a year; a second run adds nothing.
func TestScheduleConservation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := newService(t, url)
		journals := s.Store.(domain.JournalStore)
		for _, date := range []string{"2026-12-04", "2026-12-05", "2026-12-07"} {
			if err := journals.CreateJournal(ctx, domain.Journal{Register: "PG", Date: date, Registrations: 1,
				JSONSHA256: strings.Repeat("1", 64), PDFSHA256: strings.Repeat("2", 64), CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		r, _, err := s.Register(ctx, operator, input(t, s, "Da fascicolare"), domain.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		d, _, err := s.CreateDossier(ctx, operator, domain.NewDossier{Class: "VI.3", Subject: "Pratica", Type: domain.DossierAffare, Office: "TEC"}, domain.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.FileInDossier(ctx, operator, d.ID, domain.DossierItemRequest{Registration: r.Ref().String()}, domain.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CloseDossier(ctx, operator, d.ID, domain.DossierClosing{Reason: "Concluso"}, domain.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		run := func(at time.Time) domain.ScheduleResult {
			t.Helper()
			s.Now = func() time.Time { return at }
			res, err := s.ScheduleConservation(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		// Saturday 5 December: no journal goes out; the closed dossier does.
		if res := run(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)); res.Journals != 0 || res.Dossiers != 1 {
			t.Errorf("Saturday: %+v", res)
		}
		// 23:30 UTC on Sunday is 00:30 on Monday 7 December in Rome: Friday's and Saturday's
		// journals go out, Monday's is today's.
		if res := run(time.Date(2026, 12, 6, 23, 30, 0, 0, time.UTC)); res.Journals != 2 || res.Dossiers != 0 {
			t.Errorf("Monday in Rome: %+v", res)
		}
		if res := run(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)); res.Journals != 0 || res.Dossiers != 0 {
			t.Errorf("again on Monday: %+v", res)
		}
		// Tuesday 8 December is a holiday: Monday's journal waits for Wednesday.
		if res := run(time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)); res.Journals != 0 {
			t.Errorf("holiday: %+v", res)
		}
		if res := run(time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC)); res.Journals != 1 {
			t.Errorf("Wednesday: %+v", res)
		}
		// Eleven months on the dossier is not due; thirteen months on it is, once.
		if res := run(time.Date(2027, 11, 5, 10, 0, 0, 0, time.UTC)); res.Dossiers != 0 {
			t.Errorf("eleven months on: %+v", res)
		}
		if res := run(time.Date(2028, 1, 5, 10, 0, 0, 0, time.UTC)); res.Dossiers != 1 {
			t.Errorf("thirteen months on: %+v", res)
		}
		if res := run(time.Date(2028, 1, 5, 10, 5, 0, 0, time.UTC)); res.Dossiers != 0 {
			t.Errorf("again: %+v", res)
		}
		page, err := s.ArchivePackages(ctx, officer, domain.PackageFilter{})
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for _, p := range page.Items {
			if p.Kind != domain.PackageAIP || p.State != domain.PackageBuilding || p.CreatedBy != "system" || keys[p.ScheduleKey] {
				t.Errorf("scheduled package %+v", p)
			}
			keys[p.ScheduleKey] = true
		}
		for _, k := range []string{"journal/PG/2026-12-04", "journal/PG/2026-12-05", "journal/PG/2026-12-07",
			"dossier/" + d.ID + "/2026", "dossier/" + d.ID + "/2028"} {
			if !keys[k] {
				t.Errorf("no package %s among %v", k, keys)
			}
		}
		if len(keys) != 5 {
			t.Errorf("%d scheduled packages: %v", len(keys), keys)
		}
		if _, err := s.ArchivePackages(ctx, operator, domain.PackageFilter{}); !domain.IsCode(err, domain.ECForbidden) {
			t.Errorf("an operator lists packages: %v", err)
		}
		if _, err := s.ArchivePackages(ctx, officer, domain.PackageFilter{State: "lost"}); !domain.IsCode(err, domain.ECValidation) {
			t.Errorf("state lost: %v", err)
		}
	})
}

// destination is a ConservationDestination that answers what it is told and keeps what it got.
type destination struct {
	err  error
	got  [][]byte
	name string
}

func (d *destination) Deliver(ctx context.Context, p domain.Parcel) error {
	rc, err := p.Open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	d.got = append(d.got, b)
	return d.err
}

func (d *destination) String() string { return d.name }

// readyPackage stores an archival package built from zip, ready.
func readyPackage(t *testing.T, s *domain.Service, kind string, zip []byte) *domain.ArchivePackage {
	t.Helper()
	ctx := context.Background()
	sum, size, err := s.Blobs.Put(ctx, bytes.NewReader(zip))
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := s.Register(ctx, operator, input(t, s, "Da conservare "+domain.NewID()), domain.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := s.RequestPackage(ctx, officer, domain.PackageRequest{Kind: kind, Registrations: []string{r.Ref().String()}}, domain.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Store.FinishPackage(ctx, p.ID, domain.PackageResult{State: domain.PackageReady, Items: 1, Files: 1, Size: size,
		SHA256: sum, IndexSHA256: strings.Repeat("b", 64), At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSendAndSettlePackage: a delivery makes a ready archival package sent, a refusal refused
// with the destination's reason, a temporary failure leaves it ready; the conservator's report
// (XML or PDF, nothing else) acknowledges a sent one, and a settled package moves no more.
func TestSendAndSettlePackage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := newService(t, url)
		p := readyPackage(t, s, domain.PackageAIP, []byte("zip of the package"))

		down := &destination{err: errors.New("503 Service Unavailable"), name: "https://conservatore.example/"}
		if err := s.SendPackage(ctx, p.ID, down); err == nil {
			t.Fatal("a temporary failure is not an error: the job would not try again")
		}
		if got, _ := s.ArchivePackage(ctx, officer, p.ID); got.State != domain.PackageReady {
			t.Fatalf("after a temporary failure: %s", got.State)
		}
		up := &destination{name: "file:///srv/versamenti"}
		if err := s.SendPackage(ctx, p.ID, up); err != nil {
			t.Fatal(err)
		}
		got, _ := s.ArchivePackage(ctx, officer, p.ID)
		if got.State != domain.PackageSent || got.Destination != "file:///srv/versamenti" || got.SentAt == nil ||
			len(up.got) != 1 || string(up.got[0]) != "zip of the package" {
			t.Fatalf("sent %+v; delivered %q", got, up.got)
		}
		if err := s.SendPackage(ctx, p.ID, up); err != nil || len(up.got) != 1 {
			t.Errorf("a second job sent the package again: %v, %d deliveries", err, len(up.got))
		}

		refusing := &destination{err: &domain.DeliveryRefused{Reason: "HTTP 400 Bad Request: indice non valido"}, name: "x"}
		refused := readyPackage(t, s, domain.PackageAIP, []byte("another zip"))
		if err := s.SendPackage(ctx, refused.ID, refusing); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ArchivePackage(ctx, officer, refused.ID); got.State != domain.PackageRefused || !strings.Contains(got.OutcomeReason, "indice non valido") {
			t.Errorf("refused %+v", got)
		}
		dip := readyPackage(t, s, domain.PackageDIP, []byte("dip"))
		if err := s.SendPackage(ctx, dip.ID, up); err != nil || len(up.got) != 1 {
			t.Errorf("a distribution package was sent: %v", err)
		}

		store := func(content string) *domain.File {
			sum, size, err := s.StoreContent(ctx, officer, strings.NewReader(content))
			if err != nil {
				t.Fatal(err)
			}
			return &domain.File{Filename: "rapporto", SHA256: sum, Size: size}
		}
		xmlReport := store(`<?xml version="1.0"?><RapportoVersamento><Esito>positivo</Esito></RapportoVersamento>`)
		for _, c := range []struct {
			name  string
			o     domain.PackageOutcome
			field string
		}{
			{"ErrOutcome", domain.PackageOutcome{Outcome: "maybe", Report: xmlReport}, "outcome"},
			{"ErrNoReport", domain.PackageOutcome{Outcome: domain.OutcomeAcknowledged}, "report"},
			{"ErrNoReason", domain.PackageOutcome{Outcome: domain.OutcomeRefused, Reason: "  "}, "reason"},
			{"ErrReasonAcknowledged", domain.PackageOutcome{Outcome: domain.OutcomeAcknowledged, Report: xmlReport, Reason: "ok"}, "reason"},
			{"ErrText", domain.PackageOutcome{Outcome: domain.OutcomeAcknowledged, Report: store("tutto bene")}, "report"},
			{"ErrMalformedXML", domain.PackageOutcome{Outcome: domain.OutcomeAcknowledged, Report: store("<a><b></a>")}, "report"},
			{"ErrLongReason", domain.PackageOutcome{Outcome: domain.OutcomeRefused, Reason: strings.Repeat("è", domain.MaxReasonLength+1)}, "reason"},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.SettlePackage(ctx, officer, p.ID, c.o)
				var e *domain.Error
				if !errors.As(err, &e) || e.Code != domain.ECValidation || len(e.Fields) == 0 || e.Fields[0].Field != c.field {
					t.Errorf("%v, want a refusal naming %s", err, c.field)
				}
			})
		}
		if _, err := s.SettlePackage(ctx, operator, p.ID, domain.PackageOutcome{Outcome: domain.OutcomeAcknowledged, Report: xmlReport}); !domain.IsCode(err, domain.ECForbidden) {
			t.Errorf("an operator settles: %v", err)
		}
		settled, err := s.SettlePackage(ctx, officer, p.ID, domain.PackageOutcome{Outcome: domain.OutcomeAcknowledged, Report: xmlReport})
		if err != nil || settled.State != domain.PackageAcknowledged || settled.Report == nil || settled.Report.MediaType != domain.ReportXML ||
			settled.Report.SHA256 != xmlReport.SHA256 || settled.SettledAt == nil {
			t.Fatalf("acknowledged %+v, %v", settled, err)
		}
		if _, err := s.SettlePackage(ctx, officer, p.ID, domain.PackageOutcome{Outcome: domain.OutcomeRefused, Reason: "ripensamento"}); !domain.IsCode(err, domain.ECConflict) {
			t.Errorf("an acknowledged package refused: %v", err)
		}
		if _, err := s.SettlePackage(ctx, officer, dip.ID, domain.PackageOutcome{Outcome: domain.OutcomeRefused, Reason: "no"}); !domain.IsCode(err, domain.ECConflict) {
			t.Errorf("a distribution package settled: %v", err)
		}
		// Handed over by hand: a ready package is refused by the conservator, with its PDF report.
		byHand := readyPackage(t, s, domain.PackageAIP, []byte("third zip"))
		pdf := store("%PDF-1.7\n% rapporto\n")
		got, err = s.SettlePackage(ctx, officer, byHand.ID, domain.PackageOutcome{Outcome: domain.OutcomeRefused, Reason: "Firma non valida", Report: pdf})
		if err != nil || got.State != domain.PackageRefused || got.OutcomeReason != "Firma non valida" || got.Report.MediaType != domain.ReportPDF {
			t.Errorf("refused by hand %+v, %v", got, err)
		}
		history, err := s.Store.(domain.JournalStore).Audit(ctx, domain.KindPackage, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range history {
			actions = append(actions, e.Action+":"+string(e.Old)+">"+string(e.New))
		}
		if want := `package.requested:>,package.sent:"ready">"sent",package.acknowledged:"sent">"acknowledged"`; strings.Join(actions, ",") != want {
			t.Errorf("history %s, want %s", strings.Join(actions, ","), want)
		}
	})
}
