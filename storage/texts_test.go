package storage_test

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

func TestRegistrationText(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		r := f.register(t, newRegistration())
		if r.TextStatus != domain.TextPending {
			t.Fatalf("text_status %q after registration, want pending", r.TextStatus)
		}
		if _, err := f.db.DispatchTexts(ctx, 100); err != nil {
			t.Fatal(err)
		}
		if n := f.queryInt(t, `SELECT count(*) FROM river_job WHERE kind = 'extract_text' AND state = 'available'`); n != 1 {
			t.Fatalf("%d extraction jobs enqueued for the registration, want 1", n)
		}

		if got, _ := f.db.RegistrationByID(ctx, r.ID); got.Signatures != nil {
			t.Fatalf("signatures %+v before the job ran", got.Signatures)
		}
		at := testNow.Add(-time.Hour)
		sigs := domain.FileSignatures{r.Document.SHA256: {
			{Format: domain.SignatureCAdES, Signer: "Mario Rossi", SigningTime: &at, Valid: true},
			{Format: domain.SignatureCAdES, Signer: "Anna Bianchi", Reason: "the signature does not hold: digest"},
		}}
		t.Run("FailedAttemptIsVisible", func(t *testing.T) {
			if err := f.db.TextFailed(ctx, r.ID, 1, "pdftotext: exit status 1", sigs); err != nil {
				t.Fatal(err)
			}
			got, err := f.db.RegistrationByID(ctx, r.ID)
			if err != nil || got.TextStatus != domain.TextFailed {
				t.Fatalf("text_status %q (%v), want failed", got.TextStatus, err)
			}
			st, _ := f.db.Text(ctx, r.ID)
			if st.Attempts != 1 || st.LastError != "pdftotext: exit status 1" {
				t.Fatalf("text row %+v", st)
			}
			mustSignatures(t, got.Signatures, sigs)
		})
		t.Run("StoredTextIsAChange", func(t *testing.T) {
			before := f.queryInt(t, `SELECT max(position) FROM change_events`)
			if err := f.db.StoreText(ctx, r.ID, domain.TextDone, "Verbale di sopralluogo\x00", nil, 2); err != nil {
				t.Fatal(err)
			}
			got, err := f.db.RegistrationByID(ctx, r.ID)
			if err != nil || got.TextStatus != domain.TextDone || got.Position <= before {
				t.Fatalf("after StoreText: status %q position %d (was %d), %v", got.TextStatus, got.Position, before, err)
			}
			if pos := f.queryInt(t, `SELECT max(position) FROM change_events WHERE kind = 'registration.text' AND entity_id = '`+r.ID+`'`); pos != got.Position {
				t.Fatalf("text change at %d, registration position %d", pos, got.Position)
			}
			texts, err := f.db.RegistrationTexts(ctx, []string{r.ID, "nope"})
			if err != nil || len(texts) != 1 || texts[r.ID] != "Verbale di sopralluogo" {
				t.Fatalf("texts %q, %v", texts, err)
			}
			if st, _ := f.db.Text(ctx, r.ID); st.Attempts != 2 || st.LastError != "" {
				t.Fatalf("text row %+v", st)
			}
			mustSignatures(t, got.Signatures, sigs) // none stored this time: those found before stay
			checked := domain.FileSignatures{}
			if err := f.db.StoreText(ctx, r.ID, domain.TextDone, "Verbale di sopralluogo", checked, 2); err != nil {
				t.Fatal(err)
			}
			got, _ = f.db.RegistrationByID(ctx, r.ID)
			mustSignatures(t, got.Signatures, checked)
		})
		t.Run("DisposalTakesTheText", func(t *testing.T) {
			d := &domain.Disposal{ID: "d1", Authorization: "Soprintendenza 1/2026", Date: "2036-01-01", By: "ro",
				ByName: "Records", At: testNow}
			if err := f.db.CreateDisposal(ctx, d, domain.DisposalTargets{Registrations: []string{r.ID}}, domain.Write{}); err != nil {
				t.Fatal(err)
			}
			if st, _ := f.db.Text(ctx, r.ID); st.Status != domain.TextNone || st.Text != "" {
				t.Fatalf("text row after disposal %+v", st)
			}
			// A job that read the content before the disposal stores nothing.
			if err := f.db.StoreText(ctx, r.ID, domain.TextDone, "Verbale di sopralluogo", nil, 3); err != nil {
				t.Fatal(err)
			}
			if texts, _ := f.db.RegistrationTexts(ctx, []string{r.ID}); len(texts) != 0 {
				t.Fatalf("texts of a disposed registration %q", texts)
			}
		})
		t.Run("ErrUnknownRegistration", func(t *testing.T) {
			wantCode(t, f.db.StoreText(ctx, "nope", domain.TextNone, "", nil, 1), domain.ECNotFound)
		})
	})
}

func mustSignatures(t *testing.T, got, want domain.FileSignatures) {
	t.Helper()
	if got == nil || !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("signatures %+v, want %+v", got, want)
	}
	for sha, sigs := range want {
		for i, s := range sigs {
			g := got[sha][i]
			if s.SigningTime != nil && (g.SigningTime == nil || !g.SigningTime.Equal(*s.SigningTime)) {
				t.Fatalf("signing time %v, want %v", g.SigningTime, s.SigningTime)
			}
		}
	}
}

// TestDispatchTexts: the dispatcher enqueues one extraction per registration, after it
// commits, following the feed — none twice, however often or from however many processes it
// runs — and none for a registration disposed of before it got there.
func TestDispatchTexts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		jobs := func() int64 { return f.queryInt(t, `SELECT count(*) FROM river_job WHERE kind = 'extract_text'`) }
		first := f.register(t, newRegistration())
		if n := jobs(); n != 0 {
			t.Fatalf("%d jobs before dispatching: the registration transaction enqueues none", n)
		}
		if got, _ := f.db.RegistrationByID(ctx, first.ID); got.TextStatus != domain.TextPending {
			t.Fatalf("text_status before dispatching %q, want pending", got.TextStatus)
		}
		if n, err := f.db.DispatchTexts(ctx, 100); err != nil || n == 0 {
			t.Fatalf("dispatch read %d events (%v)", n, err)
		}
		if n, err := f.db.DispatchTexts(ctx, 100); err != nil || n != 0 {
			t.Fatalf("second dispatch read %d events (%v), want 0", n, err)
		}
		if n := jobs(); n != 1 {
			t.Fatalf("%d jobs, want 1", n)
		}

		// Disposed of before the dispatcher reached it: "none", no job.
		gone := f.register(t, newRegistration())
		d := &domain.Disposal{ID: "d1", Authorization: "Soprintendenza 1/2026", Date: "2036-01-01", By: "ro",
			ByName: "Records", At: testNow}
		if err := f.db.CreateDisposal(ctx, d, domain.DisposalTargets{Registrations: []string{gone.ID}}, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		// Many at once, dispatched by concurrent dispatchers.
		var ids []string
		for range 20 {
			ids = append(ids, f.register(t, newRegistration()).ID)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				for {
					n, err := f.db.DispatchTexts(ctx, 3)
					if err != nil || n == 0 {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := jobs(); n != 21 {
			t.Fatalf("%d jobs, want 21 (one per registration not disposed of)", n)
		}
		if got, _ := f.db.RegistrationByID(ctx, gone.ID); got.TextStatus != domain.TextNone {
			t.Fatalf("text_status of a registration disposed of before dispatch %q, want none", got.TextStatus)
		}
		for _, id := range ids {
			if n := f.queryInt(t, `SELECT count(*) FROM river_job WHERE kind = 'extract_text' AND CAST(args AS TEXT) LIKE '%`+id+`%'`); n != 1 {
				t.Fatalf("registration %s has %d jobs, want 1", id, n)
			}
		}
	})
}
