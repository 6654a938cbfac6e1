package mail

import (
	"bytes"
	"encoding/base64"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
)

// parseFixture parses testdata/name.
func parseFixture(t testing.TB, name string) *domain.MailMessage {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// fileNames are the names of files.
func fileNames(files []domain.MailFile) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

// A posta-certificata envelope: the outer message stays the provider's, daticert.xml is read
// into PEC, and the certified original is parsed from postacert.eml, kept byte-exact.
func TestParsePostaCertificata(t *testing.T) {
	m := parseFixture(t, "pec-posta-certificata.eml")
	if m.Subject != "POSTA CERTIFICATA: Istanza di accesso agli atti" || m.From.Address != "posta-certificata@pec.provider.example.it" {
		t.Errorf("envelope headers %q %+v", m.Subject, m.From)
	}
	if got := fileNames(m.Attachments); !reflect.DeepEqual(got, []string{"daticert.xml", "postacert.eml", "smime.p7s"}) {
		t.Errorf("attachments %q", got)
	}
	p := m.PEC
	if p == nil {
		t.Fatal("no PEC envelope")
	}
	want := domain.PECEnvelope{
		Kind: domain.PECPostaCertificata, Error: "nessuno",
		Provider: "ProviderPEC S.p.A.", ProviderID: "opec21010.20261206101532.04321.12.1.5@pec.provider.example.it",
		MsgID: "20261206101530.ABC123@pec.example.it", Sender: "mario.rossi@pec.example.it",
		Recipients: []domain.PECRecipient{{Address: "protocollo@pec.comune.example.it", Kind: "certificato"}, {Address: "ufficio@example.it", Kind: "esterno"}},
		Subject:    "Istanza di accesso agli atti",
		At:         time.Date(2026, 12, 6, 10, 15, 32, 0, time.FixedZone("", 3600)),
	}
	got := *p
	got.Daticert, got.Original, got.OriginalRaw = nil, nil, nil
	if !got.At.Equal(want.At) {
		t.Errorf("at %v", got.At)
	}
	got.At = want.At
	if !reflect.DeepEqual(got, want) {
		t.Errorf("envelope\n got %+v\nwant %+v", got, want)
	}
	if !bytes.HasPrefix(p.Daticert, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("daticert %q", p.Daticert)
	}
	original, err := os.ReadFile("testdata/pec-original.eml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.OriginalRaw, original) {
		t.Errorf("OriginalRaw is not postacert.eml byte-exact:\n%q", p.OriginalRaw)
	}
	o := p.Original
	if o == nil {
		t.Fatal("original not parsed")
	}
	if o.MessageID != p.MsgID || o.From.Address != "mario.rossi@pec.example.it" || o.Subject != "Istanza di accesso agli atti" {
		t.Errorf("original headers %q %+v %q", o.MessageID, o.From, o.Subject)
	}
	if got := fileNames(o.Attachments); !reflect.DeepEqual(got, []string{"istanza.pdf", "Segnatura.xml"}) {
		t.Errorf("original attachments %q", got)
	}
	if !bytes.Contains(o.Segnatura, []byte("<Segnatura ")) || m.Segnatura != nil {
		t.Errorf("segnatura: original %q, envelope %q", o.Segnatura, m.Segnatura)
	}
}

// The receipts: their kind, the original's msgid, the recipient a delivery is about, the error;
// a complete delivery receipt carries the original.
func TestParsePECReceipts(t *testing.T) {
	cases := []struct {
		file, kind, err, detail, delivery, subject string
		original                                   bool
	}{
		{"pec-accettazione.eml", domain.PECAccettazione, "nessuno", "", "", "ACCETTAZIONE: Istanza di accesso agli atti", false},
		{"pec-avvenuta-consegna.eml", domain.PECAvvenutaConsegna, "nessuno", "", "protocollo@pec.comune.example.it", "CONSEGNA: Istanza di accesso agli atti", true},
		{"pec-errore-consegna.eml", domain.PECErroreConsegna, "no-dest", "5.1.1 - ProviderPEC S.p.A. - indirizzo non valido", "protocollo@pec.comune.example.it", "AVVISO DI MANCATA CONSEGNA: Istanza di accesso agli atti", false},
	}
	for _, c := range cases {
		m := parseFixture(t, c.file)
		p := m.PEC
		if p == nil {
			t.Errorf("%s: no PEC envelope", c.file)
			continue
		}
		if p.Kind != c.kind || p.Error != c.err || p.ErrorDetail != c.detail || p.Delivery != c.delivery || p.MsgID != "20261206101530.ABC123@pec.example.it" || m.Subject != c.subject {
			t.Errorf("%s: %+v subject %q", c.file, *p, m.Subject)
		}
		if (p.Original != nil) != c.original || c.original && p.Original.MessageID != p.MsgID {
			t.Errorf("%s: original %v, want %v", c.file, p.Original != nil, c.original)
		}
		if p.At.IsZero() || m.Text == "" {
			t.Errorf("%s: at %v text %q", c.file, p.At, m.Text)
		}
	}
}

// Without a kind in daticert.xml, the X-Ricevuta header gives it; without a msgid, the
// X-Riferimento-Message-ID header.
func TestParsePECKindFromHeaders(t *testing.T) {
	raw, err := os.ReadFile("testdata/pec-accettazione.eml")
	if err != nil {
		t.Fatal(err)
	}
	dati := parseFixture(t, "pec-accettazione.eml").PEC.Daticert
	bare := bytes.Replace(dati, []byte(` tipo="accettazione"`), nil, 1)
	bare = bytes.Replace(bare, []byte("<msgid>&lt;20261206101530.ABC123@pec.example.it&gt;</msgid>"), nil, 1)
	changed := bytes.Replace(raw, []byte(b64Lines(dati)), []byte(b64Lines(bare)), 1)
	if bytes.Equal(changed, raw) || bytes.Equal(bare, dati) {
		t.Fatal("the fixture's daticert.xml was not replaced")
	}
	raw = changed
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.PEC == nil || m.PEC.Kind != domain.PECAccettazione || m.PEC.MsgID != "20261206101530.ABC123@pec.example.it" {
		t.Errorf("envelope %+v", m.PEC)
	}
}

// An S/MIME signed message (Thunderbird): the signed content is the message, the signature a
// file smime.p7s; a forwarded message is NAME.eml, two files of the same name stay distinct, a
// path is dropped from a name, and segnatura.XML is the Segnatura.
func TestParseSMIMESigned(t *testing.T) {
	m := parseFixture(t, "smime-signed.eml")
	if m.Text != "Inoltro il parere dell'ufficio tecnico di Città di Castello e la segnatura." {
		t.Errorf("text %q", m.Text)
	}
	if got := fileNames(m.Bodies); !reflect.DeepEqual(got, []string{"body.txt", "body.html"}) {
		t.Errorf("bodies %q", got)
	}
	want := []string{"Parere favorevole - pratica edilizia n° 7.eml", "documento.pdf", "documento (2).pdf", "segnatura.XML", "smime.p7s"}
	if got := fileNames(m.Attachments); !reflect.DeepEqual(got, want) {
		t.Errorf("attachments\n got %q\nwant %q", got, want)
	}
	if len(m.Attachments) == len(want) {
		if bytes.Equal(m.Attachments[1].Content, m.Attachments[2].Content) || m.Attachments[4].MediaType != "application/pkcs7-signature" {
			t.Error("duplicate names: the two files are not kept apart, or the signature's type is lost")
		}
		if !bytes.Contains(m.Attachments[0].Content, []byte("Si esprime parere favorevole. Citt\xe0")) {
			t.Errorf("forwarded message not byte-exact: %q", m.Attachments[0].Content)
		}
	}
	if !bytes.Contains(m.Segnatura, []byte(`versione="3.0.0"`)) {
		t.Errorf("segnatura %q", m.Segnatura)
	}
	if m.PEC != nil {
		t.Error("an ordinary message read as a PEC envelope")
	}
}

// b64Lines is data base64-encoded in lines of 76 as the fixtures are (CRLF).
func b64Lines(data []byte) string {
	e := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for i := 0; i < len(e); i += 76 {
		if i > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString(e[i:min(i+76, len(e))])
	}
	return b.String()
}
