package storage_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// readyPackage stores a package and finishes it ready.
func (f *fixture) readyPackage(t *testing.T, kind, key string, at time.Time) *domain.ArchivePackage {
	t.Helper()
	p := &domain.ArchivePackage{ID: domain.NewID(), Kind: kind, State: domain.PackageBuilding, ScheduleKey: key,
		Request: domain.PackageRequest{Kind: kind, Registrations: []string{"PG/2026/1"}}, Items: 1, CreatedBy: "ro", CreatedAt: at}
	if err := f.db.CreatePackage(t.Context(), p, domain.Write{}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.FinishPackage(t.Context(), p.ID, domain.PackageResult{State: domain.PackageReady, Items: 1, Files: 3, Size: 10,
		SHA256: strings.Repeat("a", 64), IndexSHA256: strings.Repeat("b", 64), At: at}); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPackageSending: a package's state moves forward only, with its sending and outcome
// recorded once, in the database whoever writes; a ready archival package gets its sending job
// once; a schedule key names one package.
func TestPackageSending(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		p := f.readyPackage(t, domain.PackageAIP, "journal/PG/2026-11-27", testNow)
		dip := f.readyPackage(t, domain.PackageDIP, "", testNow)
		sends := `SELECT count(*) FROM river_job WHERE kind = 'send_package'`
		if n := f.queryInt(t, sends); n != 1 {
			t.Errorf("%d send jobs after one archival and one distribution package were built", n)
		}
		if n, err := f.db.EnqueuePackageSends(ctx, 10); err != nil || n != 1 || f.queryInt(t, sends) != 1 {
			t.Errorf("enqueue sends: saw %d, %v; %d jobs: a waiting job was doubled", n, err, f.queryInt(t, sends))
		}

		t.Run("ErrScheduleKeyTaken", func(t *testing.T) {
			again := &domain.ArchivePackage{ID: domain.NewID(), Kind: domain.PackageAIP, State: domain.PackageBuilding,
				ScheduleKey: p.ScheduleKey, Request: p.Request, CreatedBy: "system", CreatedAt: testNow}
			wantCode(t, f.db.CreatePackage(ctx, again, domain.Write{}), domain.ECConflict)
		})
		t.Run("GuardsRefuse", func(t *testing.T) {
			for _, q := range []string{
				`UPDATE archive_packages SET state = 'sent' WHERE id = ?`,         // no sent_at
				`UPDATE archive_packages SET state = 'acknowledged' WHERE id = ?`, // no report
				`UPDATE archive_packages SET state = 'building' WHERE id = ?`,
				`UPDATE archive_packages SET schedule_key = 'journal/PG/2026-11-26' WHERE id = ?`,
				`UPDATE archive_packages SET state = 'refused', settled_at = created_at WHERE id = ?`, // no reason
			} {
				if err := f.exec(q, p.ID); err == nil {
					t.Errorf("%s: the database accepted it", q)
				}
			}
		})

		sent, err := f.db.UpdatePackage(ctx, p.ID, func(k *domain.ArchivePackage) (domain.Write, error) {
			at := testNow.Add(time.Minute)
			k.State, k.SentAt, k.Destination = domain.PackageSent, &at, "file:///srv/versamenti"
			return domain.Write{Audit: []domain.AuditEvent{{At: at, Actor: "system", Action: "package.sent", EntityKind: domain.KindPackage, EntityID: k.ID}}}, nil
		})
		if err != nil || sent.State != domain.PackageSent {
			t.Fatalf("sent %+v, %v", sent, err)
		}
		got, err := f.db.ArchivePackage(ctx, p.ID)
		if err != nil || got.State != domain.PackageSent || got.SentAt == nil || !got.SentAt.Equal(testNow.Add(time.Minute).Truncate(time.Microsecond)) ||
			got.Destination != "file:///srv/versamenti" || got.ScheduleKey != p.ScheduleKey || got.Report != nil {
			t.Fatalf("sent package %+v, %v", got, err)
		}
		if n := f.queryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'package.sent' AND entity_id = '`+p.ID+`'`); n != 1 {
			t.Errorf("%d package.sent audit events", n)
		}
		report := strings.Repeat("c", 64)
		_, err = f.db.UpdatePackage(ctx, p.ID, func(k *domain.ArchivePackage) (domain.Write, error) {
			at := testNow.Add(time.Hour)
			k.State, k.SettledAt = domain.PackageAcknowledged, &at
			k.Report = &domain.PackageReport{SHA256: report, MediaType: domain.ReportXML, Size: 42}
			return domain.Write{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = f.db.ArchivePackage(ctx, p.ID)
		if got.State != domain.PackageAcknowledged || got.Report == nil || got.Report.SHA256 != report || got.Report.Size != 42 || got.SettledAt == nil {
			t.Fatalf("acknowledged package %+v", got)
		}
		for _, q := range []string{
			`UPDATE archive_packages SET state = 'refused', outcome_reason = 'no' WHERE id = ?`,
			`UPDATE archive_packages SET state = 'sent' WHERE id = ?`,
			`UPDATE archive_packages SET report_sha256 = NULL WHERE id = ?`,
			`UPDATE archive_packages SET destination = 'elsewhere' WHERE id = ?`,
			`UPDATE archive_packages SET settled_at = sent_at WHERE id = ?`,
		} {
			if err := f.exec(q, p.ID); err == nil {
				t.Errorf("%s on an acknowledged package: the database accepted it", q)
			}
		}
		if refs, err := f.db.FixityReferences(ctx, report); err != nil || len(refs) != 1 || refs[0].Identifier != p.ID || refs[0].Role != "report" {
			t.Errorf("fixity references of the report %+v, %v", refs, err)
		}
		if ds, err := f.db.FixityDigests(ctx, "", 100); err != nil || !slices.Contains(ds, report) {
			t.Errorf("fixity digests %v, %v: no report", ds, err)
		}
		// A distribution package refused straight from ready is allowed by the database; the
		// domain keeps distribution packages out of sending.
		if _, err := f.db.UpdatePackage(ctx, dip.ID, func(k *domain.ArchivePackage) (domain.Write, error) {
			at := testNow
			k.State, k.SettledAt, k.OutcomeReason = domain.PackageRefused, &at, "HTTP 400 Bad Request"
			return domain.Write{}, nil
		}); err != nil {
			t.Fatal(err)
		}
		_, err = f.db.UpdatePackage(ctx, domain.NewID(), func(*domain.ArchivePackage) (domain.Write, error) { return domain.Write{}, nil })
		wantCode(t, err, domain.ECNotFound)

		st, err := f.db.ConservationStatus(ctx)
		if err != nil || st.States[domain.PackageAcknowledged] != 1 || st.States[domain.PackageRefused] != 1 || st.OldestUnsentJournal != "" {
			t.Errorf("status %+v, %v", st, err)
		}
	})
}

// TestArchivePackagesList: newest first, filtered by state and kind, pages that neither
// repeat nor skip, and only the server's cursors.
func TestArchivePackagesList(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		var want []string
		for i := range 5 {
			kind := domain.PackageAIP
			if i == 2 {
				kind = domain.PackageDIP
			}
			// Two share a creation time: the id breaks the tie.
			p := f.readyPackage(t, kind, "", testNow.Add(time.Duration(min(i, 3))*time.Second))
			want = append(want, p.ID)
		}
		slices.Reverse(want)
		if want[0] < want[1] { // the two of the same time are listed by id, descending
			want[0], want[1] = want[1], want[0]
		}
		var got []string
		cursor := ""
		for {
			page, err := f.db.ArchivePackages(ctx, domain.PackageFilter{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Items {
				got = append(got, p.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages %v, want %v", got, want)
		}
		page, err := f.db.ArchivePackages(ctx, domain.PackageFilter{Kind: domain.PackageDIP})
		if err != nil || len(page.Items) != 1 || page.Items[0].Kind != domain.PackageDIP {
			t.Errorf("dip %+v, %v", page.Items, err)
		}
		page, err = f.db.ArchivePackages(ctx, domain.PackageFilter{State: domain.PackageSent})
		if err != nil || len(page.Items) != 0 {
			t.Errorf("sent %+v, %v", page.Items, err)
		}
		_, err = f.db.ArchivePackages(ctx, domain.PackageFilter{Cursor: "MTIz"})
		wantCode(t, err, domain.ECValidation)
	})
}

// TestConservationDue: journals before a date without their scheduled package, oldest first;
// closed dossiers holding a registration without a scheduled package since a time.
func TestConservationDue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withClasses(t)
		ctx := t.Context()
		for _, date := range []string{"2026-11-25", "2026-11-26", "2026-11-27"} {
			if err := f.db.CreateJournal(ctx, domain.Journal{Register: "PG", Date: date, Registrations: 1,
				JSONSHA256: strings.Repeat("1", 64), PDFSHA256: strings.Repeat("2", 64), CreatedAt: testNow}); err != nil {
				t.Fatal(err)
			}
		}
		f.readyPackage(t, domain.PackageAIP, domain.JournalScheduleKey("PG", "2026-11-25"), testNow)
		days, err := f.db.DueJournals(ctx, "2026-11-27", 10)
		if err != nil || len(days) != 1 || days[0] != (domain.JournalDay{Register: "PG", Date: "2026-11-26"}) {
			t.Errorf("due journals %+v, %v", days, err)
		}
		if st, err := f.db.ConservationStatus(ctx); err != nil || st.OldestUnsentJournal != "2026-11-25" {
			t.Errorf("oldest unsent journal %+v, %v: the package of 2026-11-25 is ready, not sent", st, err)
		}

		r := f.register(t, newRegistration())
		full := f.openDossier(t, newDossier())
		if err := f.exec(`INSERT INTO dossier_items (dossier_id, kind, registration_id, added_at, added_by)
			SELECT id, 'registration', ?, opened_at, 'x' FROM dossiers WHERE id = ?`, r.ID, full.ID); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{full.ID} {
			if _, err := f.db.UpdateDossier(ctx, id, func(d *domain.Dossier) (domain.Write, error) { return domain.Write{}, d.Close(testNow) }); err != nil {
				t.Fatal(err)
			}
		}
		f.closedDossier(t)             // empty: nothing to send
		f.openDossier(t, newDossier()) // open: not yet
		yearAgo := testNow.AddDate(-1, 0, 0)
		ids, err := f.db.DueDossiers(ctx, yearAgo, 10)
		if err != nil || !slices.Equal(ids, []string{full.ID}) {
			t.Fatalf("due dossiers %v, %v", ids, err)
		}
		f.readyPackage(t, domain.PackageAIP, domain.DossierScheduleKey(full.ID, 2025), testNow.AddDate(0, -13, 0))
		if ids, _ := f.db.DueDossiers(ctx, yearAgo, 10); len(ids) != 1 {
			t.Errorf("due dossiers %v: a package of 13 months ago does not count", ids)
		}
		f.readyPackage(t, domain.PackageAIP, domain.DossierScheduleKey(full.ID, 2026), testNow.AddDate(0, -1, 0))
		if ids, _ := f.db.DueDossiers(ctx, yearAgo, 10); len(ids) != 0 {
			t.Errorf("due dossiers %v: sent last month", ids)
		}
	})
}
