package storage_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestPackageStore: a package is stored building with its build job, finished once (ready with a
// package.built change event, or failed without), and the database refuses to change what a
// built package is or to delete one.
func TestPackageStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		req := domain.PackageRequest{Kind: domain.PackageAIP, Registrations: []string{"PG/2026/1"}}
		p := &domain.ArchivePackage{ID: domain.NewID(), Kind: domain.PackageAIP, State: domain.PackageBuilding, Request: req,
			Items: 1, CreatedBy: "ro", CreatedAt: testNow}
		if err := f.db.CreatePackage(ctx, p, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		if n := f.queryInt(t, `SELECT count(*) FROM river_job WHERE kind = 'build_package'`); n != 1 {
			t.Fatalf("%d build jobs", n)
		}
		got, err := f.db.ArchivePackage(ctx, p.ID)
		if err != nil || got.State != domain.PackageBuilding || got.Request.Registrations[0] != "PG/2026/1" || got.BuiltAt != nil || got.SHA256 != "" {
			t.Fatalf("package %+v, %v", got, err)
		}
		_, err = f.db.ArchivePackage(ctx, domain.NewID())
		wantCode(t, err, domain.ECNotFound)
		res := domain.PackageResult{State: domain.PackageReady, Items: 1, Files: 7, Size: 1234, SHA256: strings.Repeat("a", 64),
			IndexSHA256: strings.Repeat("b", 64), At: testNow}
		if err := f.db.FinishPackage(ctx, p.ID, res); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.db.FinishPackage(ctx, p.ID, res), domain.ECConflict)
		got, err = f.db.ArchivePackage(ctx, p.ID)
		if err != nil || got.State != domain.PackageReady || got.Size != 1234 || got.Files != 7 || got.BuiltAt == nil || got.IndexSHA256 != res.IndexSHA256 {
			t.Fatalf("ready package %+v, %v", got, err)
		}
		if n := f.queryInt(t, `SELECT count(*) FROM change_events WHERE kind = 'package.built' AND entity_id = '`+p.ID+`'`); n != 1 {
			t.Fatalf("%d package.built events", n)
		}
		if ds, err := f.db.FixityDigests(ctx, "", 100); err != nil || !slices.Contains(ds, res.SHA256) {
			t.Errorf("fixity digests %v, %v: no package zip", ds, err)
		}
		if refs, err := f.db.FixityReferences(ctx, res.SHA256); err != nil || len(refs) != 1 || refs[0].Kind != "package" || refs[0].Identifier != p.ID {
			t.Errorf("fixity references %+v, %v", refs, err)
		}
		for _, q := range []string{`UPDATE archive_packages SET sha256 = index_sha256`, `UPDATE archive_packages SET size = 1`,
			`UPDATE archive_packages SET request = '{}'`, `DELETE FROM archive_packages`} {
			if err := f.exec(q); err == nil {
				t.Errorf("%s: the database accepted it", q)
			}
		}
		if f.postgres() {
			if err := f.exec(`TRUNCATE archive_packages`); err == nil {
				t.Error("TRUNCATE archive_packages: the database accepted it")
			}
		}
		if err := f.exec(`UPDATE archive_packages SET state = 'sent', sent_at = built_at, destination = 'x'`); err != nil {
			t.Errorf("a ready package's state may change: %v", err)
		}

		failed := &domain.ArchivePackage{ID: domain.NewID(), Kind: domain.PackageDIP, State: domain.PackageBuilding, Request: req,
			CreatedBy: "ro", CreatedAt: testNow}
		if err := f.db.CreatePackage(ctx, failed, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		if err := f.db.FinishPackage(ctx, failed.ID, domain.PackageResult{State: domain.PackageFailed, Reason: "blob missing", At: testNow}); err != nil {
			t.Fatal(err)
		}
		got, err = f.db.ArchivePackage(ctx, failed.ID)
		if err != nil || got.State != domain.PackageFailed || got.Reason != "blob missing" || got.SHA256 != "" {
			t.Fatalf("failed package %+v, %v", got, err)
		}
		if err := f.exec(`UPDATE archive_packages SET sha256 = ? WHERE id = ?`, strings.Repeat("c", 64), failed.ID); err == nil {
			t.Error("a failed package got a digest")
		}
	})
}
