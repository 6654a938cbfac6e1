package storage_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// intakeRecord returns the record of message uid of mailbox "pec" under UIDVALIDITY validity,
// registered (its registration r, not yet numbered) unless r is nil (then a draft).
func intakeRecord(validity, uid uint32, messageID string, r *domain.Registration) *domain.IntakeMessage {
	m := &domain.IntakeMessage{ID: domain.NewID(), Mailbox: "pec", UIDValidity: validity, UID: uid, MessageID: messageID,
		DedupeKey: "message-id:" + messageID, SHA256: strings.Repeat("0f", 32), Size: 100, Channel: domain.ChannelPEC,
		Register: "PG", Offices: []string{"TEC"}, Sender: "mittente@pec.example.org", Subject: "Istanza",
		State: domain.IntakeDraft, ReceivedAt: testNow}
	if r != nil {
		m.State, m.RegistrationID = domain.IntakeRegistered, r.ID
	}
	return m
}

// TestIntakeExactlyOnce records the same 30 messages from two workers at once, each making its
// own registration of each: every message is recorded once and registered once, the losing
// worker's registrations leave no number behind, and the mailbox's cursor is the highest UID.
func TestIntakeExactlyOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		const n = 30
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			recorded int
		)
		for range 2 {
			wg.Go(func() {
				for uid := uint32(1); uid <= n; uid++ {
					r := newRegistration(func(r *domain.Registration) { r.Channel = domain.ChannelPEC })
					ok, err := f.db.RecordIntake(t.Context(), intakeRecord(7, uid, fmt.Sprintf("m%d@example.org", uid), r), r, created(r))
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						mu.Lock()
						recorded++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		if recorded != n {
			t.Errorf("recorded %d times, want %d", recorded, n)
		}
		if got := f.queryInt(t, `SELECT count(*) FROM registrations`); got != n {
			t.Errorf("%d registrations, want %d", got, n)
		}
		if got := f.queryInt(t, `SELECT count(*) FROM intake_messages WHERE state = 'registered'`); got != n {
			t.Errorf("%d records, want %d", got, n)
		}
		if got := f.queryInt(t, `SELECT max(last_number) FROM register_counters`); got != n {
			t.Errorf("counter at %d, want %d: a losing worker consumed numbers", got, n)
		}
		validity, uid, err := f.db.IntakeCursor(t.Context(), "pec")
		if err != nil || validity != 7 || uid != n {
			t.Errorf("cursor = %d, %d, %v; want 7, %d", validity, uid, err, n)
		}
		if validity, uid, err := f.db.IntakeCursor(t.Context(), "other"); err != nil || validity != 0 || uid != 0 {
			t.Errorf("cursor of an unread mailbox = %d, %d, %v", validity, uid, err)
		}
	})
}

// TestIntakeSameMessageTwice: the same Message-ID arriving again in the mailbox — under another
// UID, or after a change of UIDVALIDITY — is recorded as a duplicate of the first and not
// registered again; in another mailbox it is a message of its own.
func TestIntakeSameMessageTwice(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		r := newRegistration()
		first := intakeRecord(7, 1, "same@example.org", r)
		if ok, err := f.db.RecordIntake(ctx, first, r, created(r)); !ok || err != nil {
			t.Fatalf("first: %v, %v", ok, err)
		}
		for _, again := range []struct{ validity, uid uint32 }{{7, 2}, {8, 1}} {
			r2 := newRegistration()
			m := intakeRecord(again.validity, again.uid, "same@example.org", r2)
			if ok, err := f.db.RecordIntake(ctx, m, r2, created(r2)); !ok || err != nil {
				t.Fatalf("again: %v, %v", ok, err)
			}
			if m.State != domain.IntakeDuplicate || m.DuplicateOf != first.ID || m.RegistrationID != "" {
				t.Errorf("again: state %s of %s (registration %q), want a duplicate of %s", m.State, m.DuplicateOf, m.RegistrationID, first.ID)
			}
			if _, err := f.db.RegistrationByID(ctx, r2.ID); domain.CodeOf(err) != domain.ECNotFound {
				t.Errorf("the duplicate's registration was stored: %v", err)
			}
		}
		if validity, uid, _ := f.db.IntakeCursor(ctx, "pec"); validity != 8 || uid != 1 {
			t.Errorf("cursor after the new UIDVALIDITY = %d, %d; want 8, 1", validity, uid)
		}
		other := intakeRecord(7, 1, "same@example.org", nil)
		other.Mailbox = "protocollo"
		if ok, err := f.db.RecordIntake(ctx, other, nil, domain.Write{}); !ok || err != nil || other.State != domain.IntakeDraft {
			t.Errorf("another mailbox: %v, %v, %s", ok, err, other.State)
		}
		if got := f.queryInt(t, `SELECT count(*) FROM registrations`); got != 1 {
			t.Errorf("%d registrations, want 1", got)
		}
		got, err := f.db.IntakeMessage(ctx, first.ID)
		if err != nil || got.RegistrationID != r.ID || got.State != domain.IntakeRegistered || got.UIDValidity != 7 ||
			!got.ReceivedAt.Equal(testNow.Truncate(time.Microsecond)) || len(got.Offices) != 1 {
			t.Errorf("read back: %+v, %v", got, err)
		}
	})
}

// TestIntakeDrafts: a draft is registered (its registration stored in the same transaction,
// the record pointing to it, who and when) or discarded, once; the list filters by state.
func TestIntakeDrafts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		var ids []string
		for uid := uint32(1); uid <= 3; uid++ {
			m := intakeRecord(1, uid, fmt.Sprintf("d%d@example.org", uid), nil)
			if _, err := f.db.RecordIntake(ctx, m, nil, domain.Write{}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		at := testNow.Add(time.Hour)
		r := newRegistration()
		_, err := f.db.DecideIntake(ctx, ids[0], func(m *domain.IntakeMessage) (*domain.Registration, domain.Write, error) {
			m.State, m.RegistrationID, m.DecidedBy, m.DecidedAt = domain.IntakeRegistered, r.ID, "operator", &at
			return r, created(r), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.DecideIntake(ctx, ids[1], func(m *domain.IntakeMessage) (*domain.Registration, domain.Write, error) {
			m.State, m.Detail, m.DecidedBy, m.DecidedAt = domain.IntakeDiscarded, "spam", "operator", &at
			return nil, domain.Write{Audit: []domain.AuditEvent{{At: at, Actor: "operator", Action: "intake.discarded",
				EntityKind: domain.KindIntake, EntityID: m.ID}}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		refused := domain.Errorf(domain.ECConflict, "no")
		if _, err := f.db.DecideIntake(ctx, ids[2], func(m *domain.IntakeMessage) (*domain.Registration, domain.Write, error) {
			m.State = domain.IntakeDiscarded
			return nil, domain.Write{}, refused
		}); err == nil {
			t.Fatal("a refused change was stored")
		}
		got, _ := f.db.IntakeMessage(ctx, ids[0])
		if got.State != domain.IntakeRegistered || got.RegistrationID != r.ID || got.DecidedBy != "operator" || got.DecidedAt == nil {
			t.Errorf("registered draft: %+v", got)
		}
		if _, err := f.db.RegistrationByID(ctx, r.ID); err != nil {
			t.Errorf("the draft's registration: %v", err)
		}
		page, err := f.db.IntakeMessages(ctx, domain.IntakeFilter{State: domain.IntakeDraft, Limit: 10})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != ids[2] {
			t.Errorf("drafts: %+v, %v", page, err)
		}
		page, err = f.db.IntakeMessages(ctx, domain.IntakeFilter{Limit: 2})
		if err != nil || len(page.Items) != 2 || page.Items[0].ID != ids[2] || page.NextCursor == "" {
			t.Fatalf("first page: %+v, %v", page, err)
		}
		page, err = f.db.IntakeMessages(ctx, domain.IntakeFilter{Limit: 2, Cursor: page.NextCursor})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != ids[0] || page.NextCursor != "" {
			t.Errorf("second page: %+v, %v", page, err)
		}
		if _, err := f.db.DecideIntake(ctx, "nope", nil); domain.CodeOf(err) != domain.ECNotFound {
			t.Errorf("unknown record: %v", err)
		}
	})
}

// interopRegistration returns a registration received with a segnatura of c_a123/AOO1 number
// 0000123 of 2026-11-27, owing a NotificaEccezione.
func interopRegistration() *domain.Registration {
	return newRegistration(func(r *domain.Registration) {
		r.Channel = domain.ChannelPEC
		r.Interoperability = &domain.Interoperability{Version: "3.0.0",
			Sender:        domain.ProtocolID{IPACode: "c_a123", AOOCode: "AOO1", Register: "REG", Number: "0000123", Date: "2026-11-27"},
			SenderAddress: "protocollo@pec.a123.it", MessageID: "orig@a123.it", ConfirmationRequested: true,
			Anomalies: []domain.Anomaly{{Code: domain.AnomalyDigest, Detail: "allegato.pdf"}},
			Answer: &domain.InteropAnswer{Kind: domain.ProtocolEccezione, MessageID: "notificaeccezione." + r.ID + "@x",
				State: domain.AnswerPending}}
	})
}

// TestInteroperability stores a registration's interoperability with it, enqueues its answer in
// the same transaction, reads it back with the registration, records the answer's outcome and
// an annulment by the sender (once, from that sender only).
func TestInteroperability(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		r := f.register(t, interopRegistration())
		plain := f.register(t, newRegistration())
		if got := f.queryInt(t, `SELECT count(*) FROM river_job WHERE kind = 'send_interop_answer'`); got != 1 {
			t.Errorf("%d answer jobs, want 1", got)
		}
		got, err := f.db.RegistrationByID(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		in := got.Interoperability
		if in == nil || in.Version != "3.0.0" || in.Sender.Number != "0000123" || !in.ConfirmationRequested ||
			len(in.Anomalies) != 1 || in.Anomalies[0].Code != "002" || in.Answer == nil || in.Answer.State != domain.AnswerPending ||
			in.AnnulledBySender != nil {
			t.Fatalf("read back: %+v", in)
		}
		if p, _ := f.db.RegistrationByID(ctx, plain.ID); p.Interoperability != nil {
			t.Errorf("a registration without a segnatura: %+v", p.Interoperability)
		}
		sent := testNow.Add(time.Minute)
		if err := f.db.AnswerOutcome(ctx, r.ID, domain.AnswerPending, "relay down", 1, sent); err != nil {
			t.Fatal(err)
		}
		if err := f.db.AnswerOutcome(ctx, r.ID, domain.AnswerSent, "", 2, sent); err != nil {
			t.Fatal(err)
		}
		got, _ = f.db.RegistrationByID(ctx, r.ID)
		if a := got.Interoperability.Answer; a.State != domain.AnswerSent || a.Attempts != 2 || a.SentAt == nil || !a.SentAt.Equal(sent.Truncate(time.Microsecond)) {
			t.Errorf("answer: %+v", a)
		}
		id := r.Interoperability.Sender
		if _, err := f.db.AnnulledBySender(ctx, id, "altro@pec.example.org", domain.SenderAnnulment{Reason: "x"}); domain.CodeOf(err) != domain.ECNotFound {
			t.Errorf("an annulment from another address: %v", err)
		}
		a := domain.SenderAnnulment{Reason: "errore materiale", Provision: "det. 5/2026", MessageID: "ann@a123.it", At: sent}
		if regID, err := f.db.AnnulledBySender(ctx, id, "PROTOCOLLO@pec.a123.it", a); err != nil || regID != r.ID {
			t.Fatalf("annulment: %q, %v", regID, err)
		}
		if _, err := f.db.AnnulledBySender(ctx, id, "protocollo@pec.a123.it", domain.SenderAnnulment{Reason: "altro"}); err != nil {
			t.Fatal(err)
		}
		got, _ = f.db.RegistrationByID(ctx, r.ID)
		if b := got.Interoperability.AnnulledBySender; b == nil || b.Reason != a.Reason || b.Provision != a.Provision ||
			got.Status != domain.StatusActive {
			t.Errorf("annulled by sender: %+v, status %s", b, got.Status)
		}
	})
}

// TestIntakeGuards: the database itself keeps what was received: no record or interoperability
// row is deleted, what was received is never changed, only a draft changes state, a sender's
// annulment is recorded once.
func TestIntakeGuards(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		r := f.register(t, interopRegistration())
		reg := newRegistration()
		m := intakeRecord(1, 1, "g@example.org", reg)
		if _, err := f.db.RecordIntake(ctx, m, reg, created(reg)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.AnnulledBySender(ctx, r.Interoperability.Sender, "protocollo@pec.a123.it", domain.SenderAnnulment{Reason: "x"}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`DELETE FROM intake_messages WHERE id = '` + m.ID + `'`,
			`UPDATE intake_messages SET uid = 99 WHERE id = '` + m.ID + `'`,
			`UPDATE intake_messages SET sha256 = '` + strings.Repeat("aa", 32) + `' WHERE id = '` + m.ID + `'`,
			`UPDATE intake_messages SET state = 'discarded', registration_id = NULL WHERE id = '` + m.ID + `'`,
			`DELETE FROM registration_interop WHERE registration_id = '` + r.ID + `'`,
			`UPDATE registration_interop SET anomalies = '[]' WHERE registration_id = '` + r.ID + `'`,
			`UPDATE registration_interop SET sender_number = '1' WHERE registration_id = '` + r.ID + `'`,
			`UPDATE registration_interop SET annulled_by_sender = '{}' WHERE registration_id = '` + r.ID + `'`,
		} {
			if err := f.exec(q); err == nil {
				t.Errorf("%s: not refused", q)
			}
		}
		if err := f.exec(`UPDATE registration_interop SET answer_state = 'sent' WHERE registration_id = ?`, r.ID); err != nil {
			t.Errorf("the answer's state is not fixed: %v", err)
		}
	})
}
