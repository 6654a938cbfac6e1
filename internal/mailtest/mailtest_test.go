package mailtest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"github.com/digitorus/pkcs7"

	"github.com/sportello/sportello/internal/mailtest"
	"github.com/sportello/sportello/mail/smtpsend"
)

const (
	sender = "aoo-a@pec.test"
	rcpt   = "aoo-b@pec.test"
	absent = "aoo-c@altro.test"
)

var original = []byte("From: <" + sender + ">\r\nTo: <" + rcpt + ">, <" + absent + ">\r\nSubject: Trasmissione protocollo\r\n" +
	"Message-ID: <prot-1@pec.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nallegato originale\r\n")

// pecMessage is a provider's message as read back: its headers and its parts by file name.
type pecMessage struct {
	header mail.Header
	parts  map[string][]byte
	dc     struct {
		Tipo        string `xml:"tipo,attr"`
		Errore      string `xml:"errore,attr"`
		Mittente    string `xml:"intestazione>mittente"`
		Destinatari []struct {
			Tipo    string `xml:"tipo,attr"`
			Address string `xml:",chardata"`
		} `xml:"intestazione>destinatari"`
		Oggetto  string `xml:"intestazione>oggetto"`
		Gestore  string `xml:"dati>gestore-emittente"`
		Giorno   string `xml:"dati>data>giorno"`
		Ident    string `xml:"dati>identificativo"`
		MsgID    string `xml:"dati>msgid"`
		Consegna string `xml:"dati>consegna"`
		Esteso   string `xml:"dati>errore-esteso"`
	}
}

// readPEC reads a provider's message, checking that it is multipart/signed by the provider;
// signed is whether the signature verifies.
func readPEC(t *testing.T, srv *mailtest.Server, raw []byte) (p pecMessage, signed bool) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	p = pecMessage{header: m.Header, parts: map[string][]byte{}}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/signed" || params["protocol"] != "application/pkcs7-signature" {
		t.Fatalf("Content-Type %q, %v; want multipart/signed", m.Header.Get("Content-Type"), err)
	}
	body, _ := io.ReadAll(m.Body)
	// The signed content is the bytes between the first delimiter line and the CRLF before the next.
	delim := []byte("--" + params["boundary"])
	rest := body[bytes.Index(body, delim)+len(delim)+2:]
	inner := rest[:bytes.Index(rest, append([]byte("\r\n"), delim...))]
	sigPart := parts(t, bytes.NewReader(body), params["boundary"])
	der, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(sigPart["smime.p7s"]), "\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	p7.Content = inner
	signed = p7.Verify() == nil && len(p7.Signers) == 1 && p7.GetOnlySigner().Equal(srv.ProviderCertificate())
	im, err := mail.ReadMessage(bytes.NewReader(inner))
	if err != nil {
		t.Fatal(err)
	}
	_, ip, err := mime.ParseMediaType(im.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	p.parts = parts(t, im.Body, ip["boundary"])
	if err := xml.Unmarshal(p.parts["daticert.xml"], &p.dc); err != nil {
		t.Fatalf("daticert.xml: %v\n%s", err, p.parts["daticert.xml"])
	}
	return p, signed
}

// parts returns the parts of a multipart body by file name.
func parts(t *testing.T, body io.Reader, boundary string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	r := multipart.NewReader(body, boundary)
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		out[part.FileName()] = b
	}
}

func startPEC(t *testing.T) (*mailtest.Server, *smtpsend.Sender) {
	srv := mailtest.Start(t, mailtest.PEC)
	srv.AddUser(sender, "pw-a")
	srv.AddUser(rcpt, "pw-b")
	srv.FailDelivery(absent)
	s, err := smtpsend.New(smtpsend.Config{URL: srv.SMTPURL(), Username: sender, Password: "pw-a"})
	if err != nil {
		t.Fatal(err)
	}
	return srv, s
}

func TestPEC(t *testing.T) {
	srv, s := startPEC(t)
	if err := s.Send(context.Background(), sender, []string{rcpt, absent}, original); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages(t, rcpt)
	if len(got) != 1 {
		t.Fatalf("%s has %d messages; want the envelope", rcpt, len(got))
	}
	env, signed := readPEC(t, srv, got[0])
	if !signed {
		t.Error("the envelope's signature does not verify")
	}
	if h := env.header; h.Get("X-Trasporto") != "posta-certificata" || h.Get("Subject") != "POSTA CERTIFICATA: Trasmissione protocollo" ||
		h.Get("X-Riferimento-Message-ID") != "<prot-1@pec.test>" || h.Get("Reply-To") != sender {
		t.Errorf("envelope headers %v", h)
	}
	if !bytes.Equal(env.parts["postacert.eml"], original) {
		t.Errorf("postacert.eml =\n%q\nwant the original", env.parts["postacert.eml"])
	}
	dc := env.dc
	if dc.Tipo != "posta-certificata" || dc.Errore != "nessuno" || dc.Mittente != sender || dc.MsgID != "<prot-1@pec.test>" ||
		dc.Oggetto != "Trasmissione protocollo" || dc.Gestore != mailtest.ProviderName || dc.Ident == "" || dc.Giorno == "" ||
		len(dc.Destinatari) != 2 || dc.Destinatari[0].Address != rcpt || dc.Destinatari[0].Tipo != "certificato" {
		t.Errorf("envelope daticert %+v", dc)
	}
	if !strings.Contains(string(env.parts["daticert.xml"]), "<msgid>&lt;prot-1@pec.test&gt;</msgid>") {
		t.Errorf("daticert.xml does not name the msgid in angle brackets:\n%s", env.parts["daticert.xml"])
	}

	receipts := srv.Messages(t, sender)
	want := []struct{ kind, subject, consegna string }{
		{"accettazione", "ACCETTAZIONE: Trasmissione protocollo", ""},
		{"avvenuta-consegna", "CONSEGNA: Trasmissione protocollo", rcpt},
		{"errore-consegna", "AVVISO DI MANCATA CONSEGNA: Trasmissione protocollo", absent},
	}
	if len(receipts) != len(want) {
		t.Fatalf("%s has %d messages; want %d receipts", sender, len(receipts), len(want))
	}
	for i, w := range want {
		r, signed := readPEC(t, srv, receipts[i])
		if !signed {
			t.Errorf("receipt %s: the signature does not verify", w.kind)
		}
		if r.header.Get("X-Ricevuta") != w.kind || r.header.Get("Subject") != w.subject || r.dc.Tipo != w.kind ||
			r.dc.Consegna != w.consegna || r.dc.MsgID != "<prot-1@pec.test>" ||
			r.header.Get("X-Riferimento-Message-ID") != "<prot-1@pec.test>" {
			t.Errorf("receipt %d: headers %v, daticert %+v; want %+v", i, r.header, r.dc, w)
		}
		if wantErr := map[bool]string{true: "no-dest", false: "nessuno"}[w.kind == "errore-consegna"]; r.dc.Errore != wantErr {
			t.Errorf("receipt %s: errore=%q, want %q", w.kind, r.dc.Errore, wantErr)
		}
	}
}

func TestPECAlter(t *testing.T) {
	srv, s := startPEC(t)
	srv.Alter(func(raw []byte) []byte {
		return bytes.Replace(raw, []byte("allegato originale"), []byte("allegato alterato!"), 1)
	})
	if err := s.Send(context.Background(), sender, []string{rcpt}, original); err != nil {
		t.Fatal(err)
	}
	env, signed := readPEC(t, srv, srv.Messages(t, rcpt)[0])
	if signed {
		t.Error("the altered envelope's signature still verifies")
	}
	if eml := env.parts["postacert.eml"]; !bytes.Contains(eml, []byte("allegato alterato!")) || env.dc.MsgID != "<prot-1@pec.test>" {
		t.Errorf("postacert.eml after Alter =\n%s", eml)
	}
}

// Plain mode delivers the message itself, with Dovecot's Return-Path only.
func TestPlain(t *testing.T) {
	srv := mailtest.Start(t)
	srv.AddUser(sender, "pw-a")
	srv.AddUser(rcpt, "pw-b")
	s, _ := smtpsend.New(smtpsend.Config{URL: srv.SMTPURL()})
	if err := s.Send(context.Background(), sender, []string{rcpt}, original); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages(t, rcpt)
	if want := append([]byte("Return-Path: <"+sender+">\r\n"), original...); len(got) != 1 || !bytes.Equal(got[0], want) {
		t.Fatalf("%s got %q", rcpt, got)
	}
	if got := srv.Messages(t, sender); len(got) != 0 {
		t.Fatalf("plain mode sent %d messages to the sender", len(got))
	}
}

// NotAccept refuses a message at acceptance: the sender gets a non-accettazione notice with the
// hook's errore and detail, and nothing else is sent to anyone.
func TestPECNotAccepted(t *testing.T) {
	srv, s := startPEC(t)
	srv.NotAccept(func(raw []byte) (string, string) {
		if bytes.Contains(raw, []byte("Trasmissione")) {
			return "virus", "virus informatico rilevato"
		}
		return "", ""
	})
	if err := s.Send(context.Background(), sender, []string{rcpt}, original); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(t, rcpt); len(got) != 0 {
		t.Fatalf("%s received %d messages of a message not accepted", rcpt, len(got))
	}
	receipts := srv.Messages(t, sender)
	if len(receipts) != 1 {
		t.Fatalf("%s has %d messages; want the non-accettazione notice alone", sender, len(receipts))
	}
	r, signed := readPEC(t, srv, receipts[0])
	if !signed || r.header.Get("X-Ricevuta") != "non-accettazione" ||
		r.header.Get("Subject") != "AVVISO DI NON ACCETTAZIONE: Trasmissione protocollo" || r.dc.Tipo != "non-accettazione" ||
		r.dc.Errore != "virus" || r.dc.Esteso != "virus informatico rilevato" || r.dc.MsgID != "<prot-1@pec.test>" || r.dc.Consegna != "" {
		t.Errorf("notice: signed %v, headers %v, daticert %+v", signed, r.header, r.dc)
	}
}

// VirusAt: the delivery to one recipient finds a virus; the sender gets accettazione, then a
// rilevazione-virus notice naming that recipient, who receives nothing.
func TestPECVirus(t *testing.T) {
	srv, s := startPEC(t)
	srv.VirusAt(rcpt)
	if err := s.Send(context.Background(), sender, []string{rcpt}, original); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(t, rcpt); len(got) != 0 {
		t.Fatalf("%s received %d messages", rcpt, len(got))
	}
	receipts := srv.Messages(t, sender)
	if len(receipts) != 2 {
		t.Fatalf("%s has %d messages; want accettazione and rilevazione-virus", sender, len(receipts))
	}
	r, signed := readPEC(t, srv, receipts[1])
	if !signed || r.header.Get("X-Ricevuta") != "rilevazione-virus" ||
		r.header.Get("Subject") != "PROBLEMA DI SICUREZZA: Trasmissione protocollo" || r.dc.Tipo != "rilevazione-virus" ||
		r.dc.Errore != "virus" || r.dc.Consegna != rcpt || r.dc.MsgID != "<prot-1@pec.test>" {
		t.Errorf("notice: signed %v, headers %v, daticert %+v", signed, r.header, r.dc)
	}
}

// RequireAuth: a sender that does not authenticate is refused; Submissions records the user of
// each message accepted.
func TestRequireAuth(t *testing.T) {
	srv := mailtest.Start(t, mailtest.RequireAuth)
	srv.AddUser(sender, "pw-a")
	srv.AddUser(rcpt, "pw-b")
	anon, _ := smtpsend.New(smtpsend.Config{URL: srv.SMTPURL()})
	if err := anon.Send(context.Background(), sender, []string{rcpt}, original); err == nil || !strings.Contains(err.Error(), "530") {
		t.Fatalf("a send without AUTH: %v; want 530", err)
	}
	s, _ := smtpsend.New(smtpsend.Config{URL: srv.SMTPURL(), Username: sender, Password: "pw-a"})
	if err := s.Send(context.Background(), sender, []string{rcpt}, original); err != nil {
		t.Fatal(err)
	}
	if subs := srv.Submissions(); len(subs) != 1 || subs[0].User != sender || subs[0].From != sender || subs[0].To[0] != rcpt {
		t.Fatalf("submissions %+v", subs)
	}
}
