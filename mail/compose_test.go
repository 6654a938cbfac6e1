package mail

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
)

// outgoing is a message with non-ASCII subject, names and file name, and a binary file.
func outgoing() domain.OutgoingMail {
	bin := make([]byte, 3000)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	return domain.OutgoingMail{
		MessageID: "prot.2026.0000123.c_h501@pec.comune.example.it",
		From:      domain.MailAddress{Name: "Comune di Città", Address: "protocollo@pec.comune.example.it"},
		To: []domain.MailAddress{
			{Name: "Ufficio Tributi — Regione", Address: "tributi@pec.regione.example.it"},
			{Address: "altro@example.it"},
		},
		Subject:   "Trasmissione atti: determina n. 12 – perché è urgente, con un oggetto lungo abbastanza da essere ripiegato",
		Text:      "Gentile ufficio,\r\nsi trasmette la determina. Città = 100%\r\n" + strings.Repeat("riga lunga ", 20),
		InReplyTo: "abc.123@pec.regione.example.it",
		Date:      time.Date(2026, 12, 6, 16, 5, 7, 0, time.FixedZone("", 3600)),
		Files: []domain.MailFile{
			{Name: "determina n. 12 — firmata.pdf", MediaType: "application/pdf", Content: []byte("%PDF-1.7\n=_sportello_ in the body\n")},
			{Name: "Segnatura.xml", MediaType: "application/xml", Content: []byte("<?xml version=\"1.0\"?><Segnatura/>")},
			{Name: "dati.bin", Content: bin},
		},
	}
}

// Parse reads back what Compose wrote: headers, text and files byte-exact; the same message
// gives the same bytes, with CRLF line endings only.
func TestComposeRoundTrip(t *testing.T) {
	out := outgoing()
	raw, err := Compose(out)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Compose(outgoing())
	if err != nil || !bytes.Equal(raw, again) {
		t.Fatalf("not deterministic (err %v)", err)
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Error("a line ending is not CRLF")
	}
	for _, line := range bytes.Split(raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("line of %d octets", len(line))
		}
	}
	head := string(raw[:bytes.Index(raw, []byte("\r\n\r\n"))])
	if !strings.HasPrefix(head, "Message-ID: <"+out.MessageID+">\r\n") || !strings.Contains(head, "Subject: =?utf-8?") || !strings.Contains(head, "MIME-Version: 1.0") {
		t.Errorf("header:\n%s", head)
	}
	if !bytes.Contains(raw, []byte("filename*=utf-8''determina%20n.%2012%20%E2%80%94%20firmata.pdf")) {
		t.Errorf("file name not RFC 2231 encoded:\n%s", raw)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.MessageID != out.MessageID || m.From != out.From || !reflect.DeepEqual(m.To, out.To) || m.Subject != out.Subject || !m.Date.Equal(out.Date) {
		t.Errorf("headers: %q %+v %+v %q %v", m.MessageID, m.From, m.To, m.Subject, m.Date)
	}
	if m.Text != out.Text {
		t.Errorf("text %q", m.Text)
	}
	if len(m.Attachments) != len(out.Files) {
		t.Fatalf("%d files, want %d", len(m.Attachments), len(out.Files))
	}
	for i, f := range out.Files {
		a := m.Attachments[i]
		if a.Name != f.Name || !bytes.Equal(a.Content, f.Content) {
			t.Errorf("file %d: %q %d bytes, want %q %d bytes", i, a.Name, len(a.Content), f.Name, len(f.Content))
		}
	}
	if m.Attachments[2].MediaType != "application/octet-stream" {
		t.Errorf("media type %q", m.Attachments[2].MediaType)
	}
	if string(m.Segnatura) != string(out.Files[1].Content) {
		t.Errorf("segnatura %q", m.Segnatura)
	}
	if !strings.Contains(head, "In-Reply-To: <"+out.InReplyTo+">") || !strings.Contains(head, "References: <"+out.InReplyTo+">") {
		t.Errorf("no In-Reply-To/References:\n%s", head)
	}
}

// Another Message-ID gives another boundary.
func TestComposeBoundaryFromMessageID(t *testing.T) {
	a, b := outgoing(), outgoing()
	b.MessageID = "other@example.it"
	ra, _ := Compose(a)
	rb, _ := Compose(b)
	if boundary(a.MessageID) == boundary(b.MessageID) || !bytes.Contains(ra, []byte(boundary(a.MessageID))) || !bytes.Contains(rb, []byte(boundary(b.MessageID))) {
		t.Error("boundary not derived from the Message-ID")
	}
}

// A message without its required headers, or with a line break in a header value, is refused.
func TestComposeRefuses(t *testing.T) {
	cases := map[string]func(*domain.OutgoingMail){
		"no message-id":        func(m *domain.OutgoingMail) { m.MessageID = "" },
		"no date":              func(m *domain.OutgoingMail) { m.Date = time.Time{} },
		"no from":              func(m *domain.OutgoingMail) { m.From = domain.MailAddress{} },
		"no to":                func(m *domain.OutgoingMail) { m.To = nil },
		"bracketed id":         func(m *domain.OutgoingMail) { m.MessageID = "<a@b>" },
		"crlf in subject":      func(m *domain.OutgoingMail) { m.Subject = "x\r\nBcc: victim@example.it" },
		"lf in name":           func(m *domain.OutgoingMail) { m.To[0].Name = "x\nBcc: v@example.it" },
		"cr in in-reply-to":    func(m *domain.OutgoingMail) { m.InReplyTo = "a@b\rX: y" },
		"lf in file name":      func(m *domain.OutgoingMail) { m.Files[0].Name = "a\n.pdf" },
		"bad address":          func(m *domain.OutgoingMail) { m.To[1].Address = "not an address" },
		"long message-id":      func(m *domain.OutgoingMail) { m.MessageID = strings.Repeat("a", 990) + "@b" },
		"lf in media type":     func(m *domain.OutgoingMail) { m.Files[0].MediaType = "text/plain\nX: y" },
		"crlf in from address": func(m *domain.OutgoingMail) { m.From.Address = "a@b\r\nX: y" },
	}
	for name, change := range cases {
		m := outgoing()
		change(&m)
		if _, err := Compose(m); !domain.IsCode(err, domain.ECValidation) {
			t.Errorf("%s: got %v, want validation_failed", name, err)
		}
	}
}

// A file name is written as Parse would read it: without its path and without what would read
// as an RFC 2047 word; a file without a name gets a generated one.
func TestComposeFileNames(t *testing.T) {
	m := outgoing()
	m.Files[0].Name = `..\..\x/doc.pdf`
	m.Files[1].Name = ""
	m.Files[2].Name = "=?utf-8?q?x?=.bin"
	raw, err := Compose(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attachments[0].Name != "doc.pdf" || got.Attachments[1].Name != "allegato-2.xml" || got.Attachments[2].Name != "=_utf-8?q?x?=.bin" {
		t.Errorf("names %q", fileNames(got.Attachments))
	}
}
