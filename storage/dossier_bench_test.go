package storage_test

import (
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkDossierList reads pages of 50 dossiers out of 100,000 (half in VI.3, half in VII.1,
// spread over three offices), as a records officer, filtered by class and status, and as a clerk
// of one office. It reports milliseconds per page.
//
//	go test ./storage -run '^$' -bench DossierList -benchtime 200x
func BenchmarkDossierList(b *testing.B) {
	testdb.EachB(b, func(b *testing.B, url string) {
		f := newFixture(b, url).withClasses(b)
		start := time.Now()
		f.bulkDossiers(b, 100_000)
		b.Logf("inserted 100,000 dossiers in %v", time.Since(start).Round(time.Millisecond))
		filters := []struct {
			name string
			f    domain.DossierFilter
		}{
			{"All", domain.DossierFilter{Visibility: domain.Visibility{All: true}}},
			{"ClassAndStatus", domain.DossierFilter{Class: "VI", Status: domain.DossierOpen, Visibility: domain.Visibility{All: true}}},
			{"ClerkOfOneOffice", domain.DossierFilter{Visibility: domain.Visibility{CreatedBy: "clerk", Offices: []string{"URP"}}}},
		}
		for _, fl := range filters {
			b.Run(fl.name, func(b *testing.B) {
				fl.f.Limit = 50
				cursor := ""
				for b.Loop() {
					fl.f.Cursor = cursor
					p, err := f.db.Dossiers(b.Context(), fl.f)
					if err != nil || len(p.Items) != 50 {
						b.Fatalf("%d items, %v", len(p.Items), err)
					}
					cursor = p.NextCursor // walk deeper pages, back to the first at the end
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
			})
		}
	})
}

// bulkDossiers inserts n open dossiers of 2025 with one statement, bypassing the counter: the
// benchmark reads them and never numbers more in that year.
func (f *fixture) bulkDossiers(b *testing.B, n int) {
	b.Helper()
	rows := `SELECT 'bench-' || g.n, '2025-' || (CASE WHEN g.n % 2 = 0 THEN 'VI.3' ELSE 'VII.1' END) || '-' || g.n,
			2025, CASE WHEN g.n % 2 = 0 THEN 'VI.3' ELSE 'VII.1' END, g.n, 'Pratica ' || g.n, 'procedimento',
			CASE g.n % 3 WHEN 0 THEN 'TEC' WHEN 1 THEN 'RAG' ELSE 'URP' END, 'open', ?, 'bench', 0`
	insert := `INSERT INTO dossiers (id, identifier, year, class, number, subject, type, office, status, opened_at, created_by, position) `
	q := insert + `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?) ` + rows + ` FROM g`
	args := []any{n, "2025-03-01T09:00:00.000000Z"}
	if f.postgres() {
		q = insert + rows + ` FROM generate_series(1, ?) AS g(n)`
		args = []any{testNow, n}
	}
	if err := f.exec(q, args...); err != nil {
		b.Fatalf("bulk insert: %v", err)
	}
	if err := f.exec(`ANALYZE`); err != nil {
		b.Fatalf("analyze: %v", err)
	}
}
