package storage_test

import (
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestContentInUse: content may be destroyed by a disposal only when nothing kept still points
// to it — a registration not disposed of, or a daily journal (kept forever).
func TestContentInUse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		r := f.register(t, newRegistration())
		journalPDF := strings.Repeat("ef", 32)
		if err := f.db.CreateJournal(t.Context(), domain.Journal{Register: "PG", Date: "2026-11-27", Registrations: 1,
			JSONSHA256: strings.Repeat("12", 32), PDFSHA256: journalPDF, CreatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name   string
			digest string
			want   bool
		}{
			{"RegistrationDocument", r.Document.SHA256, true},
			{"RegistrationAttachment", r.Attachments[0].SHA256, true},
			{"JournalPDF", journalPDF, true},
			{"Unreferenced", strings.Repeat("99", 32), false},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, err := f.db.ContentInUse(t.Context(), c.digest)
				if err != nil || got != c.want {
					t.Fatalf("ContentInUse = %v, %v; want %v", got, err, c.want)
				}
			})
		}
	})
}
