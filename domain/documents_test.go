package domain_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestDocumentAuditTrail: creating, filing and registering a document each leave an audit
// event on it, written with the change.
func TestDocumentAuditTrail(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s, d, doc := disposable(t, url) // doc is filed in d
		in := input(t, s, "Determina")
		in.Document, in.DocumentID, in.Class = nil, doc.ID, "VI.3.9"
		in.Direction = domain.Outgoing
		in.Correspondents[0].Role = domain.RoleRecipient
		r, _, err := s.Register(ctx, operator, in, domain.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Document.SHA256 != doc.File.SHA256 {
			t.Errorf("registration document %+v, want the document's content", r.Document)
		}
		events, err := s.Store.Audit(ctx, domain.KindDocument, doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
		}
		if !slices.Equal(actions, []string{"document.created", "document.filed", "document.registered"}) {
			t.Errorf("document audit %v", actions)
		}
		if events[1].Detail != d.Identifier || events[2].Detail != r.ID {
			t.Errorf("details %q, %q", events[1].Detail, events[2].Detail)
		}
	})
}
