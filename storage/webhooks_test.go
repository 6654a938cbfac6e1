package storage_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestWebhookDeliveriesOfOneApplicant: a portal's delivery log is read one applicant at a time,
// and lists only the deliveries of that applicant's cases.
func TestWebhookDeliveriesOfOneApplicant(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withCatalogue(t)
		ctx := t.Context()
		if err := f.db.SetWebhook(ctx, domain.Webhook{ClientID: "portal", URL: "https://portal.example/hook", Secret: "s", CreatedAt: testNow}, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		cases := map[string]string{} // applicant → case id
		for _, applicant := range []string{"12345678903", "00743110157"} {
			c, r, d := newCase("cila", applicant, "2026-12-28")
			if err := f.db.CreateCase(ctx, c, r, d, domain.Write{Actor: "portal", At: testNow}); err != nil {
				t.Fatal(err)
			}
			cases[applicant] = c.ID
		}
		due, err := f.db.DueWebhookEvents(ctx, testNow.Add(time.Minute), 10)
		if err != nil || len(due) != 2 {
			t.Fatalf("due events %d, %v", len(due), err)
		}
		for _, e := range due {
			d := domain.WebhookDelivery{Attempt: 1, AttemptedAt: testNow, StatusCode: 204, Delivered: true}
			if err := f.db.RecordWebhookAttempt(ctx, e, d, testNow); err != nil {
				t.Fatal(err)
			}
		}
		for applicant, caseID := range cases {
			got, err := f.db.WebhookDeliveries(ctx, "portal", applicant, 10)
			var ids []string
			for _, d := range got {
				ids = append(ids, d.CaseID)
			}
			if err != nil || !slices.Equal(ids, []string{caseID}) {
				t.Errorf("deliveries for %s: cases %v, %v; want %s", applicant, ids, err, caseID)
			}
		}
		if got, err := f.db.WebhookDeliveries(ctx, "portal", "RSSMRA80A01H501U", 10); err != nil || len(got) != 0 {
			t.Errorf("deliveries for an applicant without cases: %+v, %v", got, err)
		}
	})
}
