package mail

import (
	"os"
	"testing"

	"github.com/sportello/sportello/domain"
)

// An .eml with two attachments gives its correspondent, subject and three files: the body and
// the two attachments, with RFC 2047 and RFC 2231 names and ISO-8859-1 text decoded.
func TestParseTwoAttachments(t *testing.T) {
	raw, err := os.ReadFile("testdata/two-attachments.eml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.MessageID != "20261206.1@comune.example.it" || m.From.Name != "Mario Rosà" || m.From.Address != "mario.rosa@example.it" {
		t.Errorf("headers: %q %+v", m.MessageID, m.From)
	}
	if m.Subject != "Richiesta di accesso agli atti – pratica 42" {
		t.Errorf("subject %q", m.Subject)
	}
	if m.Text != "Si allega la richiesta firmata e il documento d'identità." {
		t.Errorf("text %q", m.Text)
	}
	if len(m.Bodies) != 1 || len(m.Attachments) != 2 {
		t.Fatalf("bodies %d attachments %d", len(m.Bodies), len(m.Attachments))
	}
	if a := m.Attachments[1]; a.Name != "carta d'identità.jpg" || a.MediaType != "image/jpeg" {
		t.Errorf("second attachment %q %q", a.Name, a.MediaType)
	}
}

// Bytes that are not a message are a validation error.
func TestParseNotMessage(t *testing.T) {
	if _, err := Parse([]byte("\x00\x01 not a message")); !domain.IsCode(err, domain.ECValidation) {
		t.Errorf("got %v, want validation_failed", err)
	}
}
