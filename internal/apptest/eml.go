package apptest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"
	"time"
)

// Email is a test message: what EML writes as RFC 5322 MIME bytes.
type Email struct {
	MessageID, From, To, Subject string
	Date                         time.Time
	Text                         string
	Attachments                  []MailPart
	// Headers are added as they are (Disposition-Notification-To …).
	Headers map[string]string
}

// MailPart is an attachment of a test message; a message/rfc822 one is written as it is,
// any other base64-encoded.
type MailPart struct {
	Filename, ContentType string
	Content               []byte
}

// EML writes m as a multipart/mixed message: its text, then each attachment base64-encoded.
func EML(m Email) []byte {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	text, _ := w.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"8bit"}})
	text.Write([]byte(m.Text))
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h := textproto.MIMEHeader{"Content-Type": {ct},
			"Content-Disposition": {fmt.Sprintf("attachment; filename=%q", a.Filename)}}
		if ct == "message/rfc822" {
			p, _ := w.CreatePart(h)
			p.Write(a.Content)
			continue
		}
		h.Set("Content-Transfer-Encoding", "base64")
		p, _ := w.CreatePart(h)
		p.Write([]byte(wrap(base64.StdEncoding.EncodeToString(a.Content))))
	}
	w.Close()
	var out bytes.Buffer
	date := m.Date
	if date.IsZero() {
		date = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	}
	fmt.Fprintf(&out, "Message-ID: <%s>\r\nDate: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\n",
		m.MessageID, date.Format(time.RFC1123Z), m.From, m.To, m.Subject)
	for k, v := range m.Headers {
		fmt.Fprintf(&out, "%s: %s\r\n", k, v)
	}
	fmt.Fprintf(&out, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n", w.Boundary())
	out.Write(body.Bytes())
	return out.Bytes()
}

// wrap breaks base64 into lines of 76 characters.
func wrap(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s + "\r\n")
	return b.String()
}

// PECEnvelope wraps the certified message inner (its bytes) as a PEC provider does for a
// posta-certificata (DM 2 November 2005): a text saying so, postacert.eml, daticert.xml. The
// provider's S/MIME signature is left out.
func PECEnvelope(inner []byte, sender, recipient, subject, innerMessageID string, at time.Time) []byte {
	return pecEnvelope("posta-certificata", "POSTA CERTIFICATA: "+subject, inner, sender, recipient, subject, innerMessageID, at)
}

// PECReceipt is a provider's receipt of kind (accettazione, avvenuta-consegna …) about the
// message innerMessageID.
func PECReceipt(kind, sender, recipient, subject, innerMessageID string, at time.Time) []byte {
	return pecEnvelope(kind, strings.ToUpper(kind)+": "+subject, nil, sender, recipient, subject, innerMessageID, at)
}

func pecEnvelope(kind, envSubject string, inner []byte, sender, recipient, subject, innerMessageID string, at time.Time) []byte {
	zone := at.Format("-0700")
	daticert := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<postacert tipo=%q errore="nessuno">
  <intestazione>
    <mittente>%s</mittente>
    <destinatari tipo="certificato">%s</destinatari>
    <risposte>%s</risposte>
    <oggetto>%s</oggetto>
  </intestazione>
  <dati>
    <gestore-emittente>Gestore di prova</gestore-emittente>
    <data zona=%q>
      <giorno>%s</giorno>
      <ora>%s</ora>
    </data>
    <identificativo>opec.%d@pec.gestore.example</identificativo>
    <msgid>&lt;%s&gt;</msgid>
  </dati>
</postacert>
`, kind, sender, recipient, sender, subject, zone, at.Format("02/01/2006"), at.Format("15:04:05"), at.UnixNano(), innerMessageID)
	parts := []MailPart{}
	if inner != nil {
		parts = append(parts, MailPart{Filename: "postacert.eml", ContentType: "message/rfc822", Content: inner})
	}
	parts = append(parts, MailPart{Filename: "daticert.xml", ContentType: "application/xml", Content: []byte(daticert)})
	return EML(Email{MessageID: fmt.Sprintf("opec.%d@pec.gestore.example", at.UnixNano()),
		From: "\"Per conto di: " + sender + "\" <posta-certificata@pec.gestore.example>", To: recipient,
		Subject: envSubject, Date: at, Text: "Messaggio di posta certificata", Attachments: parts,
		Headers: map[string]string{"X-Trasporto": kind, "X-Riferimento-Message-ID": "<" + innerMessageID + ">"}})
}
