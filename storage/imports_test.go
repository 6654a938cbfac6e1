package storage_test

import (
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestImports: an import is stored with its job; its rows are stored once when it starts, each
// goes from pending to done or failed once, and the counts follow; it ends once (a second end
// is a conflict); the database refuses a done row without its registration.
func TestImports(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		im := &domain.Import{ID: domain.NewID(), State: domain.ImportQueued, Filename: "scansioni.zip",
			SHA256: strings.Repeat("ab", 32), Size: 1234, CreatedBy: "imp", CreatedAt: testNow}
		if err := f.db.CreateImport(ctx, im, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		if n := f.queryInt(t, `SELECT count(*) FROM river_job WHERE kind = 'run_import' AND queue = 'imports'`); n != 1 {
			t.Errorf("%d import jobs queued, want 1", n)
		}
		got, err := f.db.Import(ctx, im.ID)
		if err != nil || got.State != domain.ImportQueued || got.RowsTotal != nil || !got.CreatedAt.Equal(im.CreatedAt) || got.StartedAt != nil {
			t.Fatalf("read back %+v, %v", got, err)
		}
		rows := []domain.ImportRow{{N: 0, Line: 2, State: domain.RowPending}, {N: 1, Line: 3, State: domain.RowFailed, Reason: "subject: is empty"},
			{N: 2, Line: 5, State: domain.RowPending}}
		for range 2 { // the second start changes nothing
			if err := f.db.StartImport(ctx, im.ID, seqOf(rows), testNow); err != nil {
				t.Fatal(err)
			}
		}
		r := f.register(t, newRegistration())
		if err := f.db.RecordImportRows(ctx, im.ID, []domain.ImportRow{{N: 0, State: domain.RowDone, RegistrationID: r.ID}}); err != nil {
			t.Fatal(err)
		}
		// A row no longer pending is left as it is.
		if err := f.db.RecordImportRows(ctx, im.ID, []domain.ImportRow{{N: 0, State: domain.RowFailed, Reason: "late"}}); err != nil {
			t.Fatal(err)
		}
		got, err = f.db.Import(ctx, im.ID)
		if err != nil || got.State != domain.ImportRunning || *got.RowsTotal != 3 || got.RowsDone != 1 || got.RowsFailed != 1 ||
			got.RowsPending() != 1 || got.StartedAt == nil {
			t.Fatalf("after one row: %+v, %v", got, err)
		}
		pending, err := f.db.ImportRows(ctx, im.ID, domain.RowPending, -1, 10)
		if err != nil || len(pending) != 1 || pending[0].N != 2 || pending[0].Line != 5 {
			t.Errorf("pending %+v, %v", pending, err)
		}
		all, err := f.db.ImportRows(ctx, im.ID, "", -1, 10)
		if err != nil || len(all) != 3 || all[0].RegistrationID != r.ID || all[1].Reason != "subject: is empty" {
			t.Errorf("rows %+v, %v", all, err)
		}
		t.Run("ErrDoneWithoutRegistration", func(t *testing.T) {
			if err := f.exec(`UPDATE import_rows SET state = 'done' WHERE n = 2`); err == nil {
				t.Error("a done row without its registration was stored")
			}
		})
		if err := f.db.EndImport(ctx, im.ID, domain.ImportCancelled, "", testNow, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.db.EndImport(ctx, im.ID, domain.ImportDone, "", testNow, domain.Write{}), domain.ECConflict)
		wantCode(t, f.db.StartImport(ctx, im.ID, seqOf(rows), testNow), domain.ECConflict)
		got, _ = f.db.Import(ctx, im.ID)
		if got.State != domain.ImportCancelled || got.FinishedAt == nil || got.RowsPending() != 1 {
			t.Errorf("cancelled: %+v", got)
		}
		list, err := f.db.Imports(ctx, "imp", 10)
		if err != nil || len(list) != 1 || list[0].ID != im.ID {
			t.Errorf("imports of imp: %+v, %v", list, err)
		}
		if list, _ := f.db.Imports(ctx, "other", 10); len(list) != 0 {
			t.Errorf("imports of other: %+v", list)
		}
		_, err = f.db.Import(ctx, "nope")
		wantCode(t, err, domain.ECNotFound)
	})
}

// seqOf is a sequence of rows for StartImport.
func seqOf(rows []domain.ImportRow) iter.Seq2[domain.ImportRow, error] {
	return func(yield func(domain.ImportRow, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// TestImportRowsStreamed: StartImport stores rows as its sequence gives them, across several
// INSERTs, and an error in the sequence stores nothing; ImportRows reads them a page at a time.
func TestImportRowsStreamed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		im := &domain.Import{ID: domain.NewID(), State: domain.ImportQueued, Filename: "grande.zip",
			SHA256: strings.Repeat("cd", 32), Size: 1, CreatedBy: "imp", CreatedAt: testNow}
		if err := f.db.CreateImport(ctx, im, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		const n = 1234 // more than two INSERTs
		rows := func(fail error) iter.Seq2[domain.ImportRow, error] {
			return func(yield func(domain.ImportRow, error) bool) {
				for i := range n {
					if i == n-1 && fail != nil {
						yield(domain.ImportRow{}, fail)
						return
					}
					if !yield(domain.ImportRow{N: i, Line: i + 2, State: domain.RowPending}, nil) {
						return
					}
				}
			}
		}
		broken := errors.New("manifest.csv: bare quote")
		t.Run("ErrInSequence", func(t *testing.T) {
			if err := f.db.StartImport(ctx, im.ID, rows(broken), testNow); !errors.Is(err, broken) {
				t.Fatalf("start: %v, want the sequence's error", err)
			}
			if got := f.queryInt(t, `SELECT count(*) FROM import_rows`); got != 0 {
				t.Fatalf("%d rows stored by a start that failed", got)
			}
		})
		if err := f.db.StartImport(ctx, im.ID, rows(nil), testNow); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.db.Import(ctx, im.ID); got == nil || *got.RowsTotal != n {
			t.Fatalf("import %+v, want %d rows", got, n)
		}
		seen, after := 0, -1
		for {
			page, err := f.db.ImportRows(ctx, im.ID, domain.RowPending, after, 500)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, r := range page {
				if r.N != seen || r.Line != seen+2 {
					t.Fatalf("row %+v, want n %d", r, seen)
				}
				seen++
			}
			after = page[len(page)-1].N
		}
		if seen != n {
			t.Fatalf("%d rows read by pages, want %d", seen, n)
		}
	})
}

// TestCreateRegistrationBatch: a batch takes consecutive numbers in the order given, each
// registration with its own idempotency record and audit; a batch one of whose keys is taken
// fails whole and consumes no number.
func TestCreateRegistrationBatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		f.register(t, newRegistration())
		batch := func(keys ...string) ([]*domain.Registration, []domain.Write) {
			var rs []*domain.Registration
			var ws []domain.Write
			for _, k := range keys {
				r := newRegistration()
				w := created(r)
				w.Idempotency = &domain.IdempotencyRecord{PrincipalID: "imp", Key: k, RequestHash: "h-" + k,
					Kind: domain.KindRegistration, ResourceID: r.ID, CreatedAt: testNow}
				rs, ws = append(rs, r), append(ws, w)
			}
			return rs, ws
		}
		rs, ws := batch("k1", "k2", "k3")
		if err := f.db.CreateRegistrationBatch(ctx, rs, ws); err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			if r.Number != int64(2+i) {
				t.Errorf("registration %d took number %d, want %d", i, r.Number, 2+i)
			}
			rec, err := f.db.Idempotency(ctx, "imp", fmt.Sprintf("k%d", i+1))
			if err != nil || rec.ResourceID != r.ID {
				t.Errorf("key k%d: %+v, %v", i+1, rec, err)
			}
		}
		if n := f.queryInt(t, `SELECT count(*) FROM audit_events WHERE action = 'registration.created'`); n != 4 {
			t.Errorf("%d audit events, want 4", n)
		}
		rs, ws = batch("k4", "k2")
		wantCode(t, f.db.CreateRegistrationBatch(ctx, rs, ws), domain.ECConflict)
		if n := f.queryInt(t, `SELECT last_number FROM register_counters WHERE register_code = 'PG'`); n != 4 {
			t.Errorf("counter at %d after a failed batch, want 4", n)
		}
		if rs[0].Number != 0 {
			t.Errorf("a failed batch left number %d", rs[0].Number)
		}
	})
}
