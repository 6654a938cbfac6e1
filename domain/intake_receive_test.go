package domain_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/mail"
	"github.com/sportello/sportello/signing"
)

// mailService is newService reading mail with the real parser and segnatura reader.
func mailService(t testing.TB, url string) *domain.Service {
	s := newService(t, url)
	s.Mail = domain.MailIntake{Parse: mail.Parse, ReadSegnatura: signing.ReadSegnatura,
		ReadProtocolMessage: signing.ReadProtocolMessage}
	return s
}

func plainMail(id, from, subject string, files ...apptest.MailPart) []byte {
	return apptest.EML(apptest.Email{MessageID: id, From: from, To: "protocollo@pec.demo.example", Subject: subject,
		Text: "Testo del messaggio.", Attachments: files})
}

// TestReceiveMail follows each kind of message a PEC mailbox in register mode yields: a
// certified message is registered (by the system, with the mailbox's register and offices),
// once even when read again; the same message under another UID is a duplicate; an ordinary
// message is kept as a draft; a receipt answering nothing is unmatched; bytes that are no
// message are rejected; an AnnullamentoProtocollazione from the sender of a registration
// marks it, and does not annul it.
func TestReceiveMail(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := mailService(t, url)
		ctx := context.Background()
		box := domain.MailboxSettings{Name: "pec", Channel: domain.ChannelPEC, Mode: domain.MailboxRegister,
			Register: domain.DefaultRegister, Offices: []string{"TEC"}, Class: "VI.3"}
		receive := func(uid uint32, raw []byte) (*domain.IntakeMessage, bool) {
			t.Helper()
			m, recorded, err := s.ReceiveMail(ctx, box, 5, domain.MailboxMessage{UID: uid, Raw: raw})
			if err != nil {
				t.Fatalf("message %d: %v", uid, err)
			}
			return m, recorded
		}
		inner := plainMail("istanza-1@example.it", "Anna Bianchi <anna@example.it>", "Istanza di accesso",
			apptest.MailPart{Filename: "domanda.pdf", ContentType: "application/pdf", Content: apptest.PDF("domanda")})
		pec := apptest.PECEnvelope(inner, "anna@pec.example.it", "protocollo@pec.demo.example", "Istanza di accesso",
			"istanza-1@example.it", time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))

		m, recorded := receive(1, pec)
		if !recorded || m.State != domain.IntakeRegistered || m.Channel != domain.ChannelPEC || m.Sender != "anna@pec.example.it" {
			t.Fatalf("certified message: %+v", m)
		}
		r, err := s.Store.RegistrationByID(ctx, m.RegistrationID)
		if err != nil {
			t.Fatal(err)
		}
		if r.CreatedBy != "system" || r.Channel != domain.ChannelPEC || r.Class != "VI.3" || r.Offices[0] != "TEC" ||
			r.Document.SHA256 != m.SHA256 || r.Subject != "Istanza di accesso" || r.Correspondents[0].DigitalAddress != "anna@pec.example.it" {
			t.Errorf("registration: %+v", r)
		}
		if _, recorded := receive(1, pec); recorded {
			t.Error("the same UID recorded twice")
		}
		if m, _ := receive(2, pec); m.State != domain.IntakeDuplicate {
			t.Errorf("the same message under another UID: %s", m.State)
		}
		plain := plainMail("ciao@example.it", "Mario <mario@example.it>", "Informazioni")
		if m, _ := receive(3, plain); m.State != domain.IntakeDraft || !strings.Contains(m.Detail, "email") {
			t.Errorf("an ordinary message in a PEC mailbox: %s %q", m.State, m.Detail)
		}
		receipt := apptest.PECReceipt("accettazione", "protocollo@pec.demo.example", "altro@pec.example.it", "Nostra",
			"nostro-1@demo.example", time.Now())
		if m, _ := receive(4, receipt); m.State != domain.IntakeUnmatched {
			t.Errorf("a receipt answering nothing: %s", m.State)
		}
		if m, _ := receive(5, []byte("\x00\x01 not a message")); m.State != domain.IntakeRejected {
			t.Errorf("not a message: %s", m.State)
		}

		// A registration received from AOO c_a123 with its segnatura, then its annulment.
		theirs := domain.ProtocolID{IPACode: "c_a123", AOOCode: "AOOA001", Register: "PG", Number: "0000007", Date: "2026-11-20"}
		received := *r
		received.ID, received.Interoperability = domain.NewID(), &domain.Interoperability{Version: "3.0.0", Sender: theirs,
			SenderAddress: "protocollo@pec.a.example"}
		if err := s.Store.CreateRegistration(ctx, &received, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		xml, err := signing.WriteProtocolMessage(domain.ProtocolMessage{Kind: domain.ProtocolAnnullamento, Identifier: &theirs,
			Reason: "errore materiale", Provision: "determina 12/2026"})
		if err != nil {
			t.Fatal(err)
		}
		annulment := plainMail("ann-1@pec.a.example", "protocollo@pec.a.example", "Annullamento",
			apptest.MailPart{Filename: "Annullamento.xml", ContentType: "application/xml", Content: xml})
		stranger := plainMail("ann-2@pec.b.example", "protocollo@pec.b.example", "Annullamento",
			apptest.MailPart{Filename: "Annullamento.xml", ContentType: "application/xml", Content: xml})
		if m, _ := receive(6, stranger); m.State != domain.IntakeUnmatched {
			t.Errorf("an annulment from another sender: %s", m.State)
		}
		if m, _ := receive(7, annulment); m.State != domain.IntakeReceipt {
			t.Errorf("the sender's annulment: %s %q", m.State, m.Detail)
		}
		got, _ := s.Store.RegistrationByID(ctx, received.ID)
		if a := got.Interoperability.AnnulledBySender; a == nil || a.Reason != "errore materiale" || a.Provision != "determina 12/2026" ||
			got.Status != domain.StatusActive {
			t.Errorf("after the annulment: %+v, %s", a, got.Status)
		}
		if validity, uid, _ := s.MailboxCursor(ctx, "pec"); validity != 5 || uid != 7 {
			t.Errorf("cursor %d, %d", validity, uid)
		}
	})
}

// TestRegisterDraft: a message of a mailbox in draft mode waits; an operator registers it with
// the offices they choose — a subject only when the message has none — and the record says
// who and when.
func TestRegisterDraft(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := mailService(t, url)
		ctx := context.Background()
		box := domain.MailboxSettings{Name: "posta", Channel: domain.ChannelEmail, Mode: domain.MailboxDraft, Register: domain.DefaultRegister}
		raw := plainMail("q@example.it", "Mario Rossi <mario@example.it>", "Richiesta di informazioni")
		m, _, err := s.ReceiveMail(ctx, box, 1, domain.MailboxMessage{UID: 1, Raw: raw})
		if err != nil || m.State != domain.IntakeDraft {
			t.Fatalf("draft: %+v, %v", m, err)
		}
		if _, _, err := s.RegisterIntake(ctx, operator, m.ID, domain.IntakeOverrides{Subject: "Altro"}, domain.Idempotency{}); domain.CodeOf(err) != domain.ECValidation {
			t.Errorf("a subject replacing the message's: %v", err)
		}
		offices := []string{"TEC"}
		r, _, err := s.RegisterIntake(ctx, operator, m.ID, domain.IntakeOverrides{Offices: &offices, Class: "VI.3"}, domain.Idempotency{Key: "k1", Hash: "h"})
		if err != nil {
			t.Fatal(err)
		}
		if r.CreatedBy != operator.ID || r.Channel != domain.ChannelEmail || r.Subject != "Richiesta di informazioni" ||
			r.Offices[0] != "TEC" || r.Document.Filename != domain.MessageFilename {
			t.Errorf("registration %+v", r)
		}
		again, replayed, err := s.RegisterIntake(ctx, operator, m.ID, domain.IntakeOverrides{Offices: &offices, Class: "VI.3"}, domain.Idempotency{Key: "k1", Hash: "h"})
		if err != nil || !replayed || again.ID != r.ID {
			t.Errorf("replay: %v, %v", replayed, err)
		}
		rec, _ := s.IntakeMessage(ctx, officer, m.ID)
		if rec.State != domain.IntakeRegistered || rec.RegistrationID != r.ID || rec.DecidedBy != operator.ID || rec.DecidedAt == nil {
			t.Errorf("record %+v", rec)
		}
		if _, _, err := s.RegisterIntake(ctx, operator, m.ID, domain.IntakeOverrides{}, domain.Idempotency{}); domain.CodeOf(err) != domain.ECConflict {
			t.Errorf("registered twice: %v", err)
		}
	})
}

// TestReceiveTooLarge: a message a mailbox did not download, being above its size limit, is
// recorded as rejected with its size and the limit, its Message-ID, sender and subject read
// from its header (kept in the blob store); the same message under another UIDVALIDITY is a
// duplicate of it, and the cursor goes past it.
func TestReceiveTooLarge(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := mailService(t, url)
		ctx := context.Background()
		box := domain.MailboxSettings{Name: "pec", Channel: domain.ChannelPEC, Mode: domain.MailboxRegister, Register: domain.DefaultRegister}
		raw := plainMail("grande-1@example.it", "Anna Bianchi <anna@example.it>", "Planimetrie",
			apptest.MailPart{Filename: "tavola.pdf", ContentType: "application/pdf", Content: apptest.PDF("tavola")})
		header := raw[:bytes.Index(raw, []byte("\r\n\r\n"))+4]
		big := domain.MailboxMessage{UID: 9, Raw: header, TooLarge: &domain.MessageTooLarge{Size: 73_400_320, Max: 52_428_800}}
		m, recorded, err := s.ReceiveMail(ctx, box, 5, big)
		if err != nil || !recorded {
			t.Fatalf("too large: %v, %v", recorded, err)
		}
		if m.State != domain.IntakeRejected || m.MessageID != "grande-1@example.it" || m.Sender != "anna@example.it" ||
			m.Subject != "Planimetrie" || m.Size != 73_400_320 || m.RegistrationID != "" ||
			!strings.Contains(m.Detail, "73400320 bytes") || !strings.Contains(m.Detail, "52428800") {
			t.Fatalf("record %+v", m)
		}
		rc, err := s.Blobs.Open(ctx, m.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		kept, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(kept, header) {
			t.Errorf("kept %q; want the header", kept)
		}
		got, _ := s.Inbox(ctx, officer, domain.IntakeFilter{State: domain.IntakeRejected})
		if len(got.Items) != 1 || got.Items[0].ID != m.ID {
			t.Errorf("inbox of rejected messages: %+v", got.Items)
		}
		if validity, uid, _ := s.MailboxCursor(ctx, "pec"); validity != 5 || uid != 9 {
			t.Errorf("cursor %d, %d; want past the message", validity, uid)
		}
		again, _, err := s.ReceiveMail(ctx, box, 6, domain.MailboxMessage{UID: 1, Raw: header, TooLarge: big.TooLarge})
		if err != nil || again.State != domain.IntakeDuplicate || again.DuplicateOf != m.ID {
			t.Errorf("the same message after a change of UIDVALIDITY: %+v, %v", again, err)
		}
		// A header that cannot be read still makes a record.
		odd, _, err := s.ReceiveMail(ctx, box, 6, domain.MailboxMessage{UID: 2, Raw: []byte("\x00\x01"), TooLarge: big.TooLarge})
		if err != nil || odd.State != domain.IntakeRejected || odd.MessageID != "" {
			t.Errorf("an unreadable header: %+v, %v", odd, err)
		}
	})
}
