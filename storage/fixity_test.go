package storage_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// digestN is the nth test digest: 64 hexadecimal digits, ordered as n.
func digestN(n int) string { return fmt.Sprintf("%064x", n) }

// TestFixityDigests: a fixity run reads every digest the database references — registrations'
// documents and attachments, daily journals' JSON and PDF, received messages, dispatches'
// segnature and receipts, uploaded import zips — once each, in order, page by page; a disposed registration's files
// and content a disposal destroyed are left out. Each digest's references name what holds it.
func TestFixityDigests(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		kept := f.register(t, newRegistration(func(r *domain.Registration) {
			r.Document.SHA256, r.Attachments[0].SHA256 = digestN(1), digestN(2)
		}))
		disposed := f.register(t, newRegistration(func(r *domain.Registration) {
			r.Document.SHA256, r.Attachments[0].SHA256 = digestN(3), digestN(4)
		}))
		for _, stmt := range []struct {
			q    string
			args []any
		}{
			{`INSERT INTO disposals (id, authorization_ref, disposal_date, disposed_by, disposed_by_name, created_at, items)
				VALUES ('d1', 'Soprintendenza 1/2026', '2036-01-01', 'ro', 'Records', ?, '[]')`, []any{tsArg(f)}},
			{`UPDATE registrations SET disposal_id = 'd1', disposed_at = ? WHERE id = ?`, []any{tsArg(f), disposed.ID}},
			{`INSERT INTO disposal_content (disposal_id, sha256, deleted_at) VALUES ('d1', ?, ?)`, []any{digestN(3), tsArg(f)}},
			{`INSERT INTO journals (register_code, journal_date, registrations, json_sha256, pdf_sha256, created_at)
				VALUES ('PG', '2026-11-27', 1, ?, ?, ?)`, []any{digestN(5), digestN(6), tsArg(f)}},
			{`INSERT INTO intake_messages (id, mailbox, uid_validity, uid, message_id, dedupe_key, sha256, size, channel,
				register_code, offices, sender, subject, state, received_at, detail)
				VALUES ('m1', 'pec', 1, 1, '<a@b>', 'k1', ?, 10, 'pec', 'PG', '[]', 'a@b', 'x', 'draft', ?, '')`, []any{digestN(7), tsArg(f)}},
			// The bytes of a destroyed file received again: left out with the file.
			{`INSERT INTO intake_messages (id, mailbox, uid_validity, uid, message_id, dedupe_key, sha256, size, channel,
				register_code, offices, sender, subject, state, received_at, detail)
				VALUES ('m2', 'pec', 1, 2, '<c@b>', 'k2', ?, 10, 'pec', 'PG', '[]', 'a@b', 'x', 'draft', ?, '')`, []any{digestN(3), tsArg(f)}},
			{`INSERT INTO dispatches (id, registration_id, segnatura, created_at, created_by) VALUES ('p1', ?, ?, ?, 'op')`,
				[]any{kept.ID, digestN(8), tsArg(f)}},
			{`INSERT INTO dispatch_recipients (dispatch_id, n, address, name, administration, message_id, state)
				VALUES ('p1', 1, 'x@pec.it', 'X', ?, '<m@x>', 'sent')`, []any{f.postgres()}},
			{`INSERT INTO dispatch_receipts (id, dispatch_id, n, kind, at, provider_id, sha256, size, linked_at)
				VALUES ('x1', 'p1', 1, 'accettazione', ?, 'prov', ?, 10, ?)`, []any{tsArg(f), digestN(9), tsArg(f)}},
			// The zip an importer uploaded, kept in the blob store.
			{`INSERT INTO imports (id, state, filename, sha256, size, created_by, created_at)
				VALUES ('i1', 'done', 'scans.zip', ?, 10, 'importer', ?)`, []any{digestN(10), tsArg(f)}},
		} {
			if err := f.exec(stmt.q, stmt.args...); err != nil {
				t.Fatalf("%s: %v", stmt.q, err)
			}
		}

		want := []string{digestN(1), digestN(2), digestN(5), digestN(6), digestN(7), digestN(8), digestN(9), digestN(10)}
		all, err := f.db.FixityDigests(ctx, "", 100)
		if err != nil || !slices.Equal(all, want) {
			t.Fatalf("digests %v, %v; want %v", all, err, want)
		}
		var paged []string
		for after := ""; ; {
			page, err := f.db.FixityDigests(ctx, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			paged, after = append(paged, page...), page[len(page)-1]
		}
		if !slices.Equal(paged, want) {
			t.Fatalf("paged digests %v, want %v", paged, want)
		}
		if n, err := f.db.CountFixityDigests(ctx); err != nil || n != int64(len(want)) {
			t.Fatalf("count %d, %v; want %d", n, err, len(want))
		}

		ref := func(r *domain.Registration) string { return r.Ref().String() }
		for digest, want := range map[string][]domain.FixityReference{
			digestN(1):  {{Kind: "registration", Identifier: ref(kept), Role: "document"}},
			digestN(2):  {{Kind: "registration", Identifier: ref(kept), Role: "attachment"}},
			digestN(3):  {{Kind: "mail", Identifier: "m2", Role: "message"}, {Kind: "registration", Identifier: ref(disposed), Role: "document"}},
			digestN(6):  {{Kind: "journal", Identifier: "PG 2026-11-27", Role: "pdf"}},
			digestN(7):  {{Kind: "mail", Identifier: "m1", Role: "message"}},
			digestN(8):  {{Kind: "dispatch", Identifier: ref(kept), Role: "segnatura"}},
			digestN(9):  {{Kind: "receipt", Identifier: "x1", Role: "accettazione"}},
			digestN(10): {{Kind: "import", Identifier: "i1", Role: "source"}},
		} {
			got, err := f.db.FixityReferences(ctx, digest)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("references of %s: %+v, %v; want %+v", digest, got, err, want)
			}
		}
	})
}

// TestFixityRunStore: one running run at a time, held by its lease; a failure recorded again
// keeps its first time, and a run's end resolves the failures it did not find.
func TestFixityRunStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		claim := func(holder, id string, now time.Time) *domain.FixityRun {
			t.Helper()
			run, err := f.db.ClaimFixityRun(ctx, domain.FixityClaim{Holder: holder, Now: now, LeaseUntil: now.Add(time.Minute),
				DueAt: now.Add(-30 * time.Minute), NewID: id, StartedBy: domain.FixityBySchedule}) // a run every 30 minutes
			if err != nil {
				t.Fatal(err)
			}
			return run
		}
		first := claim("a", "r1", testNow)
		if first == nil || first.ID != "r1" {
			t.Fatalf("first claim: %+v", first)
		}
		if other := claim("b", "r2", testNow.Add(time.Second)); other != nil {
			t.Fatalf("claim while a holds the lease: %+v, want none", other)
		}
		at := testNow.Add(time.Second).Truncate(time.Microsecond) // as stored
		fail := &domain.FixityFailure{SHA256: digestN(1), Problem: domain.FixityMissing, Detail: "gone",
			References: []domain.FixityReference{{Kind: "document", Identifier: "x", Role: "document"}}, FirstSeen: at, LastSeen: at, LastRun: "r1"}
		if err := f.db.RecordFixityFailure(ctx, fail); err != nil {
			t.Fatal(err)
		}
		first.Cursor, first.Blobs, first.Failures = digestN(5), 5, 1
		if err := f.db.FinishFixityRun(ctx, first, "b", at); !domain.IsCode(err, domain.ECConflict) {
			t.Fatalf("finish by a process that does not hold it: %v, want conflict", err)
		}
		if err := f.db.FinishFixityRun(ctx, first, "a", at); err != nil {
			t.Fatal(err)
		}
		if again := claim("b", "r2", at); again != nil {
			t.Fatalf("claim within the interval: %+v, want none", again)
		}

		// The lease of a run a process left expires: another takes it over.
		second := claim("b", "r2", at.Add(time.Hour))
		if second == nil || second.ID != "r2" {
			t.Fatalf("second run: %+v", second)
		}
		later := at.Add(2 * time.Hour)
		if taken := claim("c", "r3", later); taken == nil || taken.ID != "r2" {
			t.Fatalf("take-over after the lease: %+v, want r2", taken)
		}
		fail.LastSeen, fail.FirstSeen, fail.LastRun, fail.Problem = later, later, "r2", domain.FixityMismatch
		if err := f.db.RecordFixityFailure(ctx, fail); err != nil {
			t.Fatal(err)
		}
		fails, open, err := f.db.FixityFailures(ctx, domain.FixityFailureFilter{Limit: 10})
		if err != nil || open != 1 || len(fails) != 1 || !fails[0].FirstSeen.Equal(at) || !fails[0].LastSeen.Equal(later) ||
			fails[0].Problem != domain.FixityMismatch {
			t.Fatalf("failure seen again: %+v, %d, %v; want first seen %s, last %s, mismatch", fails, open, err, at, later)
		}
		if err := f.db.FinishFixityRun(ctx, second, "b", later); !domain.IsCode(err, domain.ECConflict) {
			t.Fatalf("finish by the process that lost the lease: %v, want conflict", err)
		}
		if err := f.db.FinishFixityRun(ctx, second, "c", later); err != nil {
			t.Fatal(err)
		}
		if _, open, _ := f.db.FixityFailures(ctx, domain.FixityFailureFilter{Limit: 10}); open != 1 {
			t.Fatalf("%d open after the run that found it, want 1", open)
		}
		third := claim("c", "r3", later.Add(time.Hour))
		if err := f.db.FinishFixityRun(ctx, third, "c", later.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		fails, open, err = f.db.FixityFailures(ctx, domain.FixityFailureFilter{Resolved: true, Limit: 10})
		if err != nil || open != 0 || len(fails) != 1 || fails[0].ResolvedRun != "r3" || fails[0].ResolvedAt == nil {
			t.Fatalf("after a run that did not find it: %+v, %d open, %v; want resolved by r3", fails, open, err)
		}
		runs, err := f.db.FixityRuns(ctx, 10)
		if err != nil || len(runs) != 3 || runs[0].ID != "r3" || runs[2].ID != "r1" || runs[2].Blobs != 5 || runs[2].Cursor != digestN(5) {
			t.Fatalf("runs %+v, %v", runs, err)
		}
	})
}
