package domain_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// draft records a message kept as a draft in mailbox "pec" under UID uid.
func draft(t *testing.T, s *domain.Service, uid uint32) *domain.IntakeMessage {
	t.Helper()
	m := &domain.IntakeMessage{ID: domain.NewID(), Mailbox: "pec", UIDValidity: 1, UID: uid, MessageID: "m" + string(rune('a'+uid)),
		DedupeKey: "message-id:m" + string(rune('a'+uid)), SHA256: strings.Repeat("0f", 32), Size: 10, Channel: domain.ChannelPEC,
		Register: domain.DefaultRegister, State: domain.IntakeDraft, ReceivedAt: s.Now()}
	if _, err := s.Store.RecordIntake(context.Background(), m, nil, domain.Write{}); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestInboxAccessAndDiscard: records officers and protocol operators read the inbox and decide
// drafts; a discard needs a reason, is recorded with who and when and an audit event, and
// happens once; a draft without a mail parser cannot be registered.
func TestInboxAccessAndDiscard(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := newService(t, url)
		ctx := context.Background()
		m := draft(t, s, 1)
		clerk := domain.Principal{ID: "cl", Roles: []domain.Role{domain.RoleClerk}, Offices: []string{"TEC"}}
		if _, err := s.Inbox(ctx, clerk, domain.IntakeFilter{}); domain.CodeOf(err) != domain.ECForbidden {
			t.Errorf("a clerk reads the inbox: %v", err)
		}
		if _, err := s.DiscardIntake(ctx, clerk, m.ID, "spam"); domain.CodeOf(err) != domain.ECForbidden {
			t.Errorf("a clerk discards: %v", err)
		}
		if _, err := s.Inbox(ctx, operator, domain.IntakeFilter{State: "lost"}); domain.CodeOf(err) != domain.ECValidation {
			t.Errorf("an unknown state: %v", err)
		}
		page, err := s.Inbox(ctx, officer, domain.IntakeFilter{State: domain.IntakeDraft})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != m.ID {
			t.Fatalf("drafts: %+v, %v", page, err)
		}
		if _, err := s.DiscardIntake(ctx, operator, m.ID, "  "); domain.CodeOf(err) != domain.ECValidation {
			t.Errorf("a discard without a reason: %v", err)
		}
		got, err := s.DiscardIntake(ctx, operator, m.ID, "pubblicità")
		if err != nil || got.State != domain.IntakeDiscarded || got.Detail != "pubblicità" || got.DecidedBy != operator.ID || got.DecidedAt == nil {
			t.Fatalf("discarded: %+v, %v", got, err)
		}
		if _, err := s.DiscardIntake(ctx, operator, m.ID, "di nuovo"); domain.CodeOf(err) != domain.ECConflict {
			t.Errorf("discarded twice: %v", err)
		}
		events, err := s.Store.Audit(ctx, domain.KindIntake, m.ID)
		if err != nil || len(events) != 1 || events[0].Action != "intake.discarded" || events[0].Actor != operator.ID {
			t.Errorf("audit: %+v, %v", events, err)
		}
		other := draft(t, s, 2)
		if _, _, err := s.RegisterIntake(ctx, operator, other.ID, domain.IntakeOverrides{}, domain.Idempotency{}); domain.CodeOf(err) != domain.ECUnavailable {
			t.Errorf("registered without a mail parser: %v", err)
		}
		if _, _, err := s.RegisterIntake(ctx, operator, m.ID, domain.IntakeOverrides{}, domain.Idempotency{}); domain.CodeOf(err) != domain.ECConflict {
			t.Errorf("a discarded message registered: %v", err)
		}
	})
}
