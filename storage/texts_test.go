package storage_test

import (
	"testing"

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
		if n := f.queryInt(t, `SELECT count(*) FROM river_job WHERE kind = 'extract_text' AND state = 'available'`); n != 1 {
			t.Fatalf("%d extraction jobs enqueued with the registration, want 1", n)
		}

		t.Run("FailedAttemptIsVisible", func(t *testing.T) {
			if err := f.db.TextFailed(ctx, r.ID, 1, "pdftotext: exit status 1"); err != nil {
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
		})
		t.Run("StoredTextIsAChange", func(t *testing.T) {
			before := f.queryInt(t, `SELECT max(position) FROM change_events`)
			if err := f.db.StoreText(ctx, r.ID, domain.TextDone, "Verbale di sopralluogo\x00", 2); err != nil {
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
			if err := f.db.StoreText(ctx, r.ID, domain.TextDone, "Verbale di sopralluogo", 3); err != nil {
				t.Fatal(err)
			}
			if texts, _ := f.db.RegistrationTexts(ctx, []string{r.ID}); len(texts) != 0 {
				t.Fatalf("texts of a disposed registration %q", texts)
			}
		})
		t.Run("ErrUnknownRegistration", func(t *testing.T) {
			wantCode(t, f.db.StoreText(ctx, "nope", domain.TextNone, "", 1), domain.ECNotFound)
		})
	})
}

func TestEnqueueMissingTexts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		r := f.register(t, newRegistration())
		old := f.register(t, newRegistration())
		// As stored before text extraction existed.
		if err := f.exec(`DELETE FROM registration_texts WHERE registration_id = ?`, old.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.db.RegistrationByID(ctx, old.ID); got.TextStatus != domain.TextNone {
			t.Fatalf("text_status without a text row %q, want none", got.TextStatus)
		}
		for i, want := range []int{1, 0} { // the second run finds nothing left
			n, err := f.db.EnqueueMissingTexts(ctx)
			if err != nil || n != want {
				t.Fatalf("run %d: enqueued %d (%v), want %d", i, n, err, want)
			}
		}
		if got, _ := f.db.RegistrationByID(ctx, old.ID); got.TextStatus != domain.TextPending {
			t.Fatalf("text_status after the backfill %q, want pending", got.TextStatus)
		}
		if n := f.queryInt(t, `SELECT count(*) FROM river_job WHERE kind = 'extract_text'`); n != 3 {
			t.Fatalf("%d extraction jobs, want 3 (%s, %s and the backfilled one)", n, r.ID, old.ID)
		}
	})
}
