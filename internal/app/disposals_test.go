package app_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage/blob"
	"github.com/sportello/sportello/storage/storagetest"
)

// TestDisposalSweepAtStart: a process that died between a disposal's commit and the deletion
// of its content leaves the deletion pending in the database; the next start destroys it.
func TestDisposalSweepAtStart(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		data := t.TempDir()
		storagetest.Open(t, url) // migrated, as the crashed process left it
		blobs, err := blob.NewFS(filepath.Join(data, "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		digest, _, err := blobs.Put(ctx, bytes.NewReader([]byte("contenuto scartato")))
		if err != nil {
			t.Fatal(err)
		}
		raw := testdb.RawDB(t, url)
		q := `INSERT INTO disposals (id, authorization_ref, disposal_date, disposed_by, disposed_by_name, created_at, items)
			VALUES ('d1', 'Soprintendenza 1/2036', '2036-01-01', 'ro', 'RO', '2036-01-01T10:00:00.000000Z', '[]')`
		q2 := `INSERT INTO disposal_content (disposal_id, sha256) VALUES ('d1', '` + digest + `')`
		for _, stmt := range []string{q, q2} {
			if _, err := raw.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}

		apptest.StartIn(t, data, url)
		deadline := time.Now().Add(30 * time.Second)
		for {
			var pending int
			if err := raw.QueryRow(`SELECT count(*) FROM disposal_content WHERE deleted_at IS NULL`).Scan(&pending); err != nil {
				t.Fatal(err)
			}
			if pending == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the sweep at start did not finish the pending disposal")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if ok, err := blobs.Exists(ctx, digest); err != nil || ok {
			t.Fatalf("disposed content still stored after the sweep: %v, %v", ok, err)
		}
	})
}
