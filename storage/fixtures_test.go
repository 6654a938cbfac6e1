package storage_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage"
	"github.com/sportello/sportello/storage/storagetest"
)

var (
	testAOO = domain.AOO{IPACode: "c_h501", Code: "A1B2C3D", Name: "Comune di Roma"}
	// testNow is a fixed clock reading with nanoseconds, to check that storage keeps microseconds.
	testNow = time.Date(2026, 11, 28, 20, 1, 2, 123456789, time.UTC)
)

// fixture is a migrated, bootstrapped store with the offices TEC, RAG and URP, and a raw
// connection to the same database for checking what the database itself stores and refuses.
type fixture struct {
	db  *storage.DB
	raw *sql.DB
	url string
}

func newFixture(t testing.TB, url string) *fixture {
	t.Helper()
	db := storagetest.Open(t, url)
	aoo := testAOO
	aoo.CreatedAt = testNow
	if _, err := db.Bootstrap(t.Context(), aoo, domain.Register{Code: "PG", Name: "Protocollo generale", CreatedAt: testNow}); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	for _, code := range []string{"TEC", "RAG", "URP"} {
		if err := db.CreateOffice(t.Context(), domain.Office{Code: code, Name: "Ufficio " + code, CreatedAt: testNow}, domain.Write{}); err != nil {
			t.Fatalf("create office %s: %v", code, err)
		}
	}
	return &fixture{db: db, raw: testdb.RawDB(t, url), url: url}
}

func (f *fixture) postgres() bool { return testdb.IsPostgres(f.url) }

// exec runs raw SQL written with ? placeholders on either engine.
func (f *fixture) exec(q string, args ...any) error {
	if f.postgres() {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	_, err := f.raw.Exec(q, args...)
	return err
}

// queryInt runs a raw query returning one integer.
func (f *fixture) queryInt(t testing.TB, q string) int64 {
	t.Helper()
	var n int64
	if err := f.raw.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// newRegistration returns a valid, unnumbered registration in register PG of 2026, with
// changes applied.
func newRegistration(changes ...func(r *domain.Registration)) *domain.Registration {
	r := &domain.Registration{
		ID: domain.NewID(), Register: "PG", Year: 2026, RegisteredAt: testNow, Date: "2026-11-28",
		Direction: domain.Incoming, Channel: domain.ChannelWeb, Subject: "Richiesta di accesso agli atti",
		Correspondents: []domain.Correspondent{{Role: domain.RoleSender, Type: domain.TypePerson, Name: "Mario Rossi",
			TaxCode: "RSSMRA80A01H501U", Email: "mario@example.org"}},
		SenderReference: &domain.SenderReference{Number: "42/2026", Date: "2026-11-20"},
		Document: domain.File{Filename: "domanda.pdf", MediaType: "application/pdf", Size: 1234,
			SHA256: strings.Repeat("ab", 32)},
		Attachments: []domain.File{{Filename: "allegato.txt", Description: "nota", MediaType: "text/plain", Size: 5,
			SHA256: strings.Repeat("cd", 32)}},
		Class: "VI.3", Offices: []string{"TEC"}, Dossiers: []string{}, Status: domain.StatusActive, CreatedBy: "operator",
	}
	for _, c := range changes {
		c(r)
	}
	return r
}

// created is the Write of a registration's creation.
func created(r *domain.Registration) domain.Write {
	return domain.Write{Audit: []domain.AuditEvent{{At: testNow, Actor: r.CreatedBy, ActorName: "Operator",
		Action: "registration.created", EntityKind: domain.KindRegistration, EntityID: r.ID}}}
}

// register creates r in f and fails the test on error.
func (f *fixture) register(t testing.TB, r *domain.Registration) *domain.Registration {
	t.Helper()
	if err := f.db.CreateRegistration(t.Context(), r, created(r)); err != nil {
		t.Fatalf("create registration: %v", err)
	}
	return r
}

func wantCode(t testing.TB, err error, code domain.ErrorCode) {
	t.Helper()
	if got := domain.CodeOf(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}
