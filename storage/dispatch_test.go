package storage_test

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// newDispatch returns a dispatch of r to two recipients, queued.
func newDispatch(r *domain.Registration) *domain.Dispatch {
	d := &domain.Dispatch{ID: domain.NewID(), RegistrationID: r.ID, CreatedAt: testNow, CreatedBy: "operator",
		Segnatura: strings.Repeat("ef", 32)}
	for n, addr := range []string{"protocollo@pec.comune.example", "anna@example.org"} {
		d.Recipients = append(d.Recipients, domain.DispatchRecipient{N: n + 1, Address: addr, Name: "R" + addr[:4],
			Administration: n == 0, MessageID: d.ID + "." + string(rune('1'+n)) + "@pec.aoo.example", State: domain.DispatchQueued,
			Receipts: []domain.DispatchReceipt{}})
	}
	return d
}

// TestCreateDispatch: a dispatch, its recipients and one send job per recipient are written
// together, and nothing of them when the write fails (a taken idempotency key).
func TestCreateDispatch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		r := f.register(t, newRegistration(func(r *domain.Registration) { r.Direction = domain.Outgoing }))
		d := newDispatch(r)
		key := &domain.IdempotencyRecord{PrincipalID: "operator", Key: "k1", RequestHash: "h", Kind: domain.KindDispatch,
			ResourceID: d.ID, CreatedAt: testNow}
		if err := f.db.CreateDispatch(ctx, d, domain.Write{Idempotency: key}); err != nil {
			t.Fatal(err)
		}
		got, err := f.db.Dispatch(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Registration != r.Identifier || got.Segnatura != d.Segnatura || !got.CreatedAt.Equal(testNow.Truncate(time.Microsecond)) ||
			len(got.Recipients) != 2 || got.Recipients[0].Address != "protocollo@pec.comune.example" || !got.Recipients[0].Administration ||
			got.Recipients[1].Administration || got.Recipients[1].MessageID != d.Recipients[1].MessageID || got.Recipients[1].State != domain.DispatchQueued {
			t.Errorf("stored dispatch %+v", got)
		}
		if jobs, err := f.db.DispatchJobs(ctx, d.ID); err != nil || !maps.Equal(jobs, map[string]int{"available": 2}) {
			t.Errorf("jobs %v, %v; want two available", jobs, err)
		}

		again := newDispatch(r)
		key2 := *key
		key2.ResourceID = again.ID
		wantCode(t, f.db.CreateDispatch(ctx, again, domain.Write{Idempotency: &key2}), domain.ECConflict)
		if _, err := f.db.Dispatch(ctx, again.ID); domain.CodeOf(err) != domain.ECNotFound {
			t.Errorf("the refused dispatch was stored: %v", err)
		}
		if jobs, err := f.db.DispatchJobs(ctx, again.ID); err != nil || len(jobs) != 0 {
			t.Errorf("the refused dispatch has jobs %v, %v", jobs, err)
		}
		if list, err := f.db.Dispatches(ctx, r.ID); err != nil || len(list) != 1 || list[0].ID != d.ID {
			t.Errorf("dispatches of the registration %v, %v", list, err)
		}
		if targets, err := f.db.DispatchTargetsByMessageID(ctx, []string{d.Recipients[1].MessageID, "other@x"}); err != nil ||
			len(targets) != 1 || targets[0] != (domain.DispatchTarget{Dispatch: d.ID, N: 2}) {
			t.Errorf("targets by message id %v, %v", targets, err)
		}
	})
}

// TestDispatchRecipientTransitions: a change is stored with its receipt, or not at all when
// the change fails or reports nothing; the same receipt is linked to a recipient once.
func TestDispatchRecipientTransitions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		r := f.register(t, newRegistration(func(r *domain.Registration) { r.Direction = domain.Outgoing }))
		d := newDispatch(r)
		if err := f.db.CreateDispatch(ctx, d, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		sent := testNow.Add(time.Minute).Truncate(time.Microsecond)
		err := f.db.UpdateDispatchRecipient(ctx, d.ID, 1, func(_ *domain.Dispatch, rc *domain.DispatchRecipient) (domain.RecipientChange, error) {
			rc.State, rc.Attempts, rc.SentAt = domain.DispatchSent, 1, &sent
			return domain.RecipientChange{Changed: true}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err = f.db.UpdateDispatchRecipient(ctx, d.ID, 1, func(_ *domain.Dispatch, rc *domain.DispatchRecipient) (domain.RecipientChange, error) {
			rc.State = domain.DispatchFailed
			return domain.RecipientChange{Changed: true}, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("a failed change: %v", err)
		}
		if err := f.db.UpdateDispatchRecipient(ctx, d.ID, 1, func(_ *domain.Dispatch, rc *domain.DispatchRecipient) (domain.RecipientChange, error) {
			rc.State = domain.DispatchFailed
			return domain.RecipientChange{}, nil
		}); err != nil {
			t.Fatal(err)
		}
		receipt := func() func(*domain.Dispatch, *domain.DispatchRecipient) (domain.RecipientChange, error) {
			return func(_ *domain.Dispatch, rc *domain.DispatchRecipient) (domain.RecipientChange, error) {
				rc.State = domain.DispatchAccepted
				rc.Protocol = &domain.DispatchProtocol{Kind: domain.ProtocolConferma, Identifier: "x-y-PG-2026-0000001"}
				return domain.RecipientChange{Changed: true, Receipt: &domain.DispatchReceipt{ID: domain.NewID(), Kind: domain.PECAccettazione,
					At: sent, ProviderID: "opec.1", SHA256: strings.Repeat("01", 32), Size: 77}}, nil
			}
		}
		if err := f.db.UpdateDispatchRecipient(ctx, d.ID, 1, receipt()); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.db.UpdateDispatchRecipient(ctx, d.ID, 1, receipt()), domain.ECConflict)
		if err := f.db.UpdateDispatchRecipient(ctx, d.ID, 2, receipt()); err != nil {
			t.Errorf("the same receipt for another recipient: %v", err)
		}
		wantCode(t, f.db.UpdateDispatchRecipient(ctx, d.ID, 3, receipt()), domain.ECNotFound)

		got, err := f.db.Dispatch(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		rc := got.Recipients[0]
		if rc.State != domain.DispatchAccepted || rc.Attempts != 1 || rc.SentAt == nil || !rc.SentAt.Equal(sent) ||
			len(rc.Receipts) != 1 || rc.Receipts[0].ProviderID != "opec.1" || rc.Receipts[0].Size != 77 ||
			rc.Protocol == nil || rc.Protocol.Identifier != "x-y-PG-2026-0000001" {
			t.Errorf("recipient 1 %+v", rc)
		}
		if n := f.queryInt(t, `SELECT count(*) FROM dispatch_receipts`); n != 2 {
			t.Errorf("%d receipts stored, want 2", n)
		}
	})
}

// TestDispatchWebhookEvent: a change of a recipient of a dispatch of a case's registration is
// a case.dispatch event in the outbox of the case's portal, in the change's transaction.
func TestDispatchWebhookEvent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url).withCatalogue(t)
		ctx := t.Context()
		if err := f.db.SetWebhook(ctx, domain.Webhook{ClientID: "portal", URL: "https://portal.example/hook", Secret: "s", CreatedAt: testNow}, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		c, r, dossier := newCase("cila", "12345678903", "2026-12-28")
		if err := f.db.CreateCase(ctx, c, r, dossier, domain.Write{Actor: "portal", At: testNow}); err != nil {
			t.Fatal(err)
		}
		other := f.register(t, newRegistration(func(r *domain.Registration) { r.Direction = domain.Outgoing }))
		for _, reg := range []*domain.Registration{r, other} {
			d := newDispatch(reg)
			if err := f.db.CreateDispatch(ctx, d, domain.Write{}); err != nil {
				t.Fatal(err)
			}
			err := f.db.UpdateDispatchRecipient(ctx, d.ID, 2, func(d *domain.Dispatch, rc *domain.DispatchRecipient) (domain.RecipientChange, error) {
				rc.State = domain.DispatchDelivered
				return domain.RecipientChange{Changed: true, Event: &domain.DispatchEvent{ID: d.ID, Address: rc.Address,
					State: rc.State, Receipt: domain.PECAvvenutaConsegna}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		due, err := f.db.DueWebhookEvents(ctx, testNow.Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		var dispatchEvents []domain.WebhookEvent
		for _, e := range due {
			if e.Kind == domain.EventCaseDispatch {
				dispatchEvents = append(dispatchEvents, e)
			}
		}
		if n := f.queryInt(t, `SELECT count(*) FROM webhook_events WHERE kind = 'case.dispatch'`); n != 1 || len(dispatchEvents) > 1 {
			t.Fatalf("%d case.dispatch events, want 1 (only the case's registration has a portal)", n)
		}
		if len(dispatchEvents) == 1 {
			p := string(dispatchEvents[0].Payload)
			if !strings.Contains(p, `"state":"delivered"`) || !strings.Contains(p, `"receipt":"avvenuta-consegna"`) || !strings.Contains(p, c.ID) {
				t.Errorf("payload %s", p)
			}
		}
	})
}
