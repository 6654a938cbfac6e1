package storage_test

import (
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestProcedureVersions, on both engines: a procedure is created as its version 1,
// published; a draft takes the next number (a taken number is a conflict); publishing makes
// it the version in force, with its content, while version 1 stays as it was; a version
// older than the one in force, or not a draft, cannot be published; and the database refuses,
// whoever connects, to change a published version, to change a draft's content in place, to
// delete a version, or to move a case to another version.
func TestProcedureVersions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withCatalogue(t)
		ctx := t.Context()
		v1, err := f.db.Procedure(ctx, "cila")
		if err != nil || v1.Version != 1 || v1.Status != domain.VersionPublished || v1.PublishedAt == nil {
			t.Fatalf("procedure after creation: %+v, %v", v1, err)
		}
		draft := v1
		draft.Version, draft.Status, draft.Name, draft.DeadlineDays = 2, domain.VersionDraft, "CILA 2", 45
		draft.CreatedBy, draft.PublishedAt, draft.PublishedBy = "editor", nil, ""
		draft.Info.Remedies = "Ricorso al TAR"
		if err := f.db.CreateProcedureVersion(ctx, draft, domain.Write{}); err != nil {
			t.Fatalf("draft: %v", err)
		}
		t.Run("ErrNumberTaken", func(t *testing.T) {
			wantCode(t, f.db.CreateProcedureVersion(ctx, draft, domain.Write{}), domain.ECConflict)
		})
		if p, _ := f.db.Procedure(ctx, "cila"); p.Version != 1 || p.Name != "CILA" {
			t.Fatalf("a draft changed the version in force: %+v", p)
		}
		at := testNow.Add(time.Hour).Truncate(time.Microsecond)
		if err := f.db.PublishProcedureVersion(ctx, "cila", 2, at, "records", domain.Write{}); err != nil {
			t.Fatalf("publish: %v", err)
		}
		p, err := f.db.Procedure(ctx, "cila")
		if err != nil || p.Version != 2 || p.Name != "CILA 2" || p.DeadlineDays != 45 || p.Info.Remedies != "Ricorso al TAR" ||
			p.PublishedBy != "records" || p.PublishedAt == nil || !p.PublishedAt.Equal(at) || p.CreatedBy != "editor" {
			t.Fatalf("in force after publishing: %+v, %v", p, err)
		}
		if old, _ := f.db.ProcedureVersion(ctx, "cila", 1); old.Name != "CILA" || old.DeadlineDays != 30 || old.Status != domain.VersionPublished {
			t.Errorf("version 1 after version 2 was published: %+v", old)
		}
		if vs, _ := f.db.ProcedureVersions(ctx, "cila"); len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 {
			t.Errorf("versions %+v", vs)
		}
		t.Run("ErrNotADraft", func(t *testing.T) {
			wantCode(t, f.db.PublishProcedureVersion(ctx, "cila", 2, at, "records", domain.Write{}), domain.ECConflict)
		})
		t.Run("ErrOlderThanInForce", func(t *testing.T) {
			d3 := draft
			d3.Version = 3
			if err := f.db.CreateProcedureVersion(ctx, d3, domain.Write{}); err != nil {
				t.Fatal(err)
			}
			d4 := draft
			d4.Version = 4
			if err := f.db.CreateProcedureVersion(ctx, d4, domain.Write{}); err != nil {
				t.Fatal(err)
			}
			if err := f.db.PublishProcedureVersion(ctx, "cila", 4, at, "records", domain.Write{}); err != nil {
				t.Fatal(err)
			}
			wantCode(t, f.db.PublishProcedureVersion(ctx, "cila", 3, at, "records", domain.Write{}), domain.ECConflict)
			if v, _ := f.db.ProcedureVersion(ctx, "cila", 3); v.Status != domain.VersionDraft {
				t.Errorf("version 3 is %s after a refused publication", v.Status)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			wantCode(t, f.db.PublishProcedureVersion(ctx, "cila", 99, at, "records", domain.Write{}), domain.ECNotFound)
			_, err := f.db.ProcedureVersion(ctx, "cila", 99)
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("GuardsRefuse", func(t *testing.T) {
			for _, q := range []string{
				`UPDATE procedure_versions SET name = 'altro' WHERE procedure_code = 'cila' AND version = 1`,
				`UPDATE procedure_versions SET status = 'draft', published_at = NULL, published_by = NULL WHERE procedure_code = 'cila' AND version = 2`,
				`UPDATE procedure_versions SET info = '{}' WHERE procedure_code = 'cila' AND version = 3`,
				`DELETE FROM procedure_versions WHERE procedure_code = 'cila' AND version = 3`,
			} {
				if err := f.exec(q); err == nil {
					t.Errorf("the database accepted %s", q)
				}
			}
			c, r, d := newCase("cila", "12345678903", "2026-12-28")
			if err := f.db.CreateCase(ctx, c, r, d, domain.Write{Actor: "portal", At: testNow}); err != nil {
				t.Fatal(err)
			}
			if err := f.exec(`UPDATE cases SET procedure_version = 2 WHERE id = ?`, c.ID); err == nil {
				t.Error("the database moved a case to another version")
			}
			c2, r2, d2 := newCase("cila", "12345678903", "2026-12-28")
			c2.ProcedureVersion = 99
			if err := f.db.CreateCase(ctx, c2, r2, d2, domain.Write{Actor: "portal", At: testNow}); err == nil {
				t.Error("a case was stored under a version that does not exist")
			}
		})
	})
}
