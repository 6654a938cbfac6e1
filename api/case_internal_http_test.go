package api_test

import (
	"net/http"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestCaseInternalNoteWithDocument: staff attach a document to an internal note; it is registered
// internal, sent by the writer's office (every registration names a correspondent, and the
// schema requires one: both engines answered 500 when the note had none), and filed in the
// case's dossier.
func TestCaseInternalNoteWithDocument(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		portal := s.NewClient(t, "portale imprese", []string{"portal"})
		suap := s.NewClient(t, "istruttore SUAP", []string{"clerk"}, "SUAP")
		cs := c.mustSubmitSCIA(portal, bizApplicant)
		c.transition(suap, cs.ID, "in_progress", "Avvio del procedimento").expect(t, http.StatusOK)

		var note api.CaseMessage
		c.message(suap, cs.ID, map[string]any{"text": "Verbale del sopralluogo", "internal": true},
			[]apptest.Part{{Name: "document", Filename: "verbale.pdf", Content: apptest.PDF("Verbale del sopralluogo")}}).
			decode(t, http.StatusCreated, &note)
		reg := note.Registration
		if !note.Internal || reg == nil || reg.Direction != "internal" {
			t.Fatalf("internal note %+v, registration %+v", note, reg)
		}
		if cs := reg.Correspondents; len(cs) != 1 || cs[0].Role != "sender" || cs[0].Type != "administration" || cs[0].Name != "Sportello unico per le attività produttive" {
			t.Errorf("correspondents %+v, want the SUAP office as sender", cs)
		}
		var stored api.Registration
		c.do("GET", refPath(*reg), suap, nil).decode(t, http.StatusOK, &stored)
		if stored.ID != reg.ID || stored.Direction != "internal" || len(stored.Dossiers) != 1 {
			t.Errorf("stored registration %+v, want the internal note's, filed in the case's dossier", stored)
		}
	})
}
