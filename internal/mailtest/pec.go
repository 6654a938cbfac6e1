package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"math/big"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/digitorus/pkcs7"
)

// PEC makes the relay a PEC provider, after the technical rules of DM 2 November 2005. For each
// message it accepts from sender S (its Message-ID M, its Subject O) it:
//
//  1. puts an acceptance receipt in S's mailbox (if S is a user): Subject "ACCETTAZIONE: O",
//     X-Ricevuta: accettazione;
//  2. delivers to every recipient R not marked by FailDelivery a certified-mail envelope:
//     Subject "POSTA CERTIFICATA: O", From "Per conto di: S" <posta-certificata@PROVIDER>,
//     Reply-To S, X-Trasporto: posta-certificata, a multipart/mixed of a text/plain notice,
//     daticert.xml (application/xml, tipo="posta-certificata") and postacert.eml
//     (message/rfc822, the message's bytes unaltered and unencoded);
//  3. puts in S's mailbox, for each recipient, a delivery receipt — Subject "CONSEGNA: O",
//     X-Ricevuta: avvenuta-consegna, daticert's consegna = R — or, for a recipient marked by
//     FailDelivery, a notice of failed delivery: Subject "AVVISO DI MANCATA CONSEGNA: O",
//     X-Ricevuta: errore-consegna, errore="no-dest" with an errore-esteso.
//
// Two more of the provider's notices are made on request. NotAccept refuses a message at
// acceptance: instead of 1–3, S gets a notice of non-acceptance, Subject "AVVISO DI NON
// ACCETTAZIONE: O", X-Ricevuta: non-accettazione, with the errore and errore-esteso NotAccept's
// hook gave, and nothing is delivered. VirusAt makes the delivery to R find a virus: instead of
// R's envelope and delivery receipt, S gets a notice of a virus found, Subject "PROBLEMA DI
// SICUREZZA: O", X-Ricevuta: rilevazione-virus, consegna = R, errore="virus" (the rules have the
// recipient's provider send it to the sender's, here one and the same relay, which forwards it
// to S; a real sender's provider may send S a mancata consegna instead, as FailDelivery does).
//
// Every envelope and receipt has X-Riferimento-Message-ID: <M>, a Message-ID of the provider's
// (also daticert's identificativo) and daticert.xml attached:
//
//	<postacert tipo="…" errore="nessuno">
//	  <intestazione><mittente>S</mittente><destinatari tipo="certificato">R</destinatari>…
//	    <risposte>S</risposte><oggetto>O</oggetto></intestazione>
//	  <dati><gestore-emittente>PEC Test</gestore-emittente>
//	    <data zona="+0000"><giorno>dd/mm/yyyy</giorno><ora>hh:mm:ss</ora></data>
//	    <identificativo>…</identificativo><msgid>&lt;M&gt;</msgid>
//	    [<ricevuta tipo="completa"/><consegna>R</consegna>] [<errore-esteso>…</errore-esteso>]</dati>
//	</postacert>
//
// The envelope and every receipt are S/MIME multipart/signed (RFC 8551): the headers above,
// then a multipart/signed of the multipart/mixed entity and its detached CMS signature
// (smime.p7s, SHA-256, ECDSA) by a self-signed provider certificate made at Start
// (ProviderCertificate). An Alter that changes the envelope breaks that signature, as tampering
// in transit would. Recipients of a domain with no user are refused at RCPT as in plain mode,
// unless marked by FailDelivery. The Alter hook changes the envelope as delivered to the
// recipients (postacert.eml is in it verbatim), not the receipts.
func PEC(s *Server) { s.pec = true }

// ProviderName is the gestore-emittente of PEC mode's envelopes and receipts.
const ProviderName = "PEC Test"

// NotAccept sets, in PEC mode, the provider's check at acceptance: a message for which fn
// returns a non-empty errore (altro, virus …, daticert's errore attribute) is not accepted, and
// the sender gets a non-accettazione notice with errore and detail (errore-esteso); nil removes
// the check.
func (s *Server) NotAccept(fn func(raw []byte) (errore, detail string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notAccept = fn
}

// VirusAt makes the delivery to addr find a virus in PEC mode: the sender gets a
// rilevazione-virus notice instead of a delivery receipt, and addr nothing.
func (s *Server) VirusAt(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.virus[strings.ToLower(addr)] = true
}

// FailDelivery makes the delivery to addr fail in PEC mode: the sender gets an errore-consegna
// notice instead of a delivery receipt.
func (s *Server) FailDelivery(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing[strings.ToLower(addr)] = true
}

// daticert is daticert.xml.
type daticert struct {
	XMLName      xml.Name       `xml:"postacert"`
	Tipo         string         `xml:"tipo,attr"`
	Errore       string         `xml:"errore,attr"`
	Mittente     string         `xml:"intestazione>mittente"`
	Destinatari  []destinatario `xml:"intestazione>destinatari"`
	Risposte     string         `xml:"intestazione>risposte"`
	Oggetto      string         `xml:"intestazione>oggetto"`
	Gestore      string         `xml:"dati>gestore-emittente"`
	Data         datiData       `xml:"dati>data"`
	Ident        string         `xml:"dati>identificativo"`
	MsgID        string         `xml:"dati>msgid"`
	Ricevuta     *ricevuta      `xml:"dati>ricevuta,omitempty"`
	Consegna     string         `xml:"dati>consegna,omitempty"`
	ErroreEsteso string         `xml:"dati>errore-esteso,omitempty"`
}

type destinatario struct {
	Tipo    string `xml:"tipo,attr"`
	Address string `xml:",chardata"`
}

type datiData struct {
	Zona   string `xml:"zona,attr"`
	Giorno string `xml:"giorno"`
	Ora    string `xml:"ora"`
}

type ricevuta struct {
	Tipo string `xml:"tipo,attr"`
}

// original is what the provider reads of a message it accepts.
type original struct {
	from, msgID, subject, rawSubject string
	to                               []string
	at                               time.Time
}

func readOriginal(from string, to []string, raw []byte) original {
	o := original{from: from, to: to, at: time.Now()}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return o
	}
	o.rawSubject = m.Header.Get("Subject")
	o.subject = o.rawSubject
	if d, err := new(mime.WordDecoder).DecodeHeader(o.rawSubject); err == nil {
		o.subject = d
	}
	o.msgID = strings.Trim(strings.TrimSpace(m.Header.Get("Message-ID")), "<>")
	return o
}

// certify is the relay's work in PEC mode.
func (s *Server) certify(from string, to []string, raw []byte) error {
	o := readOriginal(from, to, raw)
	if o.msgID == "" {
		o.msgID = s.newID(from)
	}
	s.mu.Lock()
	check := s.notAccept
	s.mu.Unlock()
	if check != nil {
		if errore, detail := check(raw); errore != "" {
			return s.receipt(o, "non-accettazione", "AVVISO DI NON ACCETTAZIONE: ", "", errore, detail)
		}
	}
	if err := s.receipt(o, "accettazione", "ACCETTAZIONE: ", "", "", ""); err != nil {
		return err
	}
	var ok, failed, infected []string
	s.mu.Lock()
	for _, r := range to {
		switch {
		case s.failing[strings.ToLower(r)]:
			failed = append(failed, r)
		case s.virus[strings.ToLower(r)]:
			infected = append(infected, r)
		default:
			ok = append(ok, r)
		}
	}
	s.mu.Unlock()
	if len(ok) > 0 {
		env, err := s.envelope(o, raw)
		if err != nil {
			return err
		}
		if err := s.deliver(provider(from), ok, s.altered(env)); err != nil {
			return err
		}
	}
	for _, r := range ok {
		if err := s.receipt(o, "avvenuta-consegna", "CONSEGNA: ", r, "", ""); err != nil {
			return err
		}
	}
	for _, r := range failed {
		if err := s.receipt(o, "errore-consegna", "AVVISO DI MANCATA CONSEGNA: ", r, "no-dest", "5.1.1 - casella "+r+" inesistente"); err != nil {
			return err
		}
	}
	for _, r := range infected {
		if err := s.receipt(o, "rilevazione-virus", "PROBLEMA DI SICUREZZA: ", r, "virus", "virus informatico rilevato nel messaggio per "+r); err != nil {
			return err
		}
	}
	return nil
}

// provider is the provider's own address in the sender's domain.
func provider(from string) string { return "posta-certificata@" + domainOf(from) }

func (s *Server) newID(from string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return "opec." + hex.EncodeToString(b) + "@" + domainOf(from)
}

// daticert writes daticert.xml of kind about o; errore and failure (errore-esteso) say what
// went wrong, for a notice of failure.
func (s *Server) daticert(o original, id, kind, delivery, errore, failure string) []byte {
	d := daticert{
		Tipo: kind, Errore: "nessuno", Mittente: o.from, Risposte: o.from, Oggetto: o.subject,
		Gestore: ProviderName, Ident: id, MsgID: "<" + o.msgID + ">", Consegna: delivery,
		Data: datiData{Zona: o.at.Format("-0700"), Giorno: o.at.Format("02/01/2006"), Ora: o.at.Format("15:04:05")},
	}
	for _, r := range o.to {
		d.Destinatari = append(d.Destinatari, destinatario{Tipo: "certificato", Address: r})
	}
	if kind == "avvenuta-consegna" {
		d.Ricevuta = &ricevuta{Tipo: "completa"}
	}
	if errore != "" {
		d.Errore, d.ErroreEsteso = errore, failure
	}
	b, err := xml.MarshalIndent(d, "", "  ")
	if err != nil {
		panic(err) // the struct always marshals
	}
	return append([]byte(xml.Header), append(b, '\n')...)
}

// envelope writes the posta-certificata envelope of raw.
func (s *Server) envelope(o original, raw []byte) ([]byte, error) {
	id := s.newID(o.from)
	notice := fmt.Sprintf("Messaggio di posta certificata\r\n\r\nIl giorno %s alle ore %s (%s) il messaggio\r\n"+
		"\"%s\" è stato inviato da \"%s\"\r\nindirizzato a:\r\n%s\r\n"+
		"Il messaggio originale è incluso in allegato.\r\nIdentificativo messaggio: %s\r\n",
		o.at.Format("02/01/2006"), o.at.Format("15:04:05"), o.at.Format("-0700"), o.subject, o.from,
		strings.Join(o.to, "\r\n"), id)
	h := []string{
		"From", mime.QEncoding.Encode("utf-8", "Per conto di: "+o.from) + " <" + provider(o.from) + ">",
		"Reply-To", o.from,
		"To", strings.Join(o.to, ", "),
		"Subject", "POSTA CERTIFICATA: " + o.rawSubject,
		"X-Trasporto", "posta-certificata",
	}
	return s.message(o, id, h, notice, s.daticert(o, id, "posta-certificata", "", "", ""), raw)
}

// receipt puts a receipt of kind about o in the sender's mailbox, if the sender is a user.
func (s *Server) receipt(o original, kind, prefix, delivery, errore, failure string) error {
	if s.Password(o.from) == "" {
		return nil
	}
	id := s.newID(o.from)
	notice := fmt.Sprintf("Ricevuta di %s\r\n\r\nIl giorno %s alle ore %s (%s) il messaggio \"%s\"\r\n"+
		"inviato da \"%s\"%s\r\nIdentificativo messaggio: %s\r\n", kind, o.at.Format("02/01/2006"),
		o.at.Format("15:04:05"), o.at.Format("-0700"), o.subject, o.from, receiptLine(kind, delivery, failure), id)
	h := []string{
		"From", provider(o.from),
		"To", o.from,
		"Subject", prefix + o.rawSubject,
		"X-Ricevuta", kind,
	}
	b, err := s.message(o, id, h, notice, s.daticert(o, id, kind, delivery, errore, failure), nil)
	if err != nil {
		return err
	}
	return s.deliver(provider(o.from), []string{o.from}, b)
}

func receiptLine(kind, delivery, failure string) string {
	switch {
	case kind == "non-accettazione":
		return " non è stato accettato: " + failure
	case kind == "rilevazione-virus":
		return " non è stato consegnato a \"" + delivery + "\": " + failure
	case failure != "":
		return " non è stato consegnato a \"" + delivery + "\": " + failure
	case delivery != "":
		return " è stato consegnato nella casella di destinazione \"" + delivery + "\""
	}
	return " è stato accettato dal sistema"
}

// message writes a provider's message: headers h (name, value pairs), the notice, daticert.xml
// and, when eml is set, postacert.eml.
func (s *Server) message(o original, id string, h []string, notice string, dc, eml []byte) ([]byte, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	var buf bytes.Buffer
	for i := 0; i+1 < len(h); i += 2 {
		fmt.Fprintf(&buf, "%s: %s\r\n", h[i], h[i+1])
	}
	fmt.Fprintf(&buf, "X-Riferimento-Message-ID: <%s>\r\nMessage-ID: <%s>\r\nDate: %s\r\nMIME-Version: 1.0\r\n", o.msgID, id, o.at.Format(time.RFC1123Z))
	parts := []struct {
		header textproto.MIMEHeader
		data   []byte
	}{
		{textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Transfer-Encoding": {"8bit"}}, []byte(notice)},
		{textproto.MIMEHeader{"Content-Type": {"application/xml; name=daticert.xml"}, "Content-Transfer-Encoding": {"8bit"},
			"Content-Disposition": {"inline; filename=daticert.xml"}}, dc},
	}
	if eml != nil {
		parts = append(parts, struct {
			header textproto.MIMEHeader
			data   []byte
		}{textproto.MIMEHeader{"Content-Type": {"message/rfc822; name=postacert.eml"},
			"Content-Disposition": {"inline; filename=postacert.eml"}}, eml})
	}
	for _, p := range parts {
		pw, err := w.CreatePart(p.header)
		if err != nil {
			return nil, err
		}
		if _, err := pw.Write(p.data); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	inner := append([]byte(fmt.Sprintf("Content-Type: multipart/mixed; boundary=%q\r\n\r\n", w.Boundary())), body.Bytes()...)
	// Canonical CRLF line ends (RFC 8551 §3.1.1), as the mailbox will serve them: daticert.xml
	// is written with LF.
	inner = bytes.ReplaceAll(bytes.ReplaceAll(inner, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	signed, boundary, err := s.sign(inner)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(&buf, "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=%q\r\n\r\n", boundary)
	buf.Write(signed)
	return buf.Bytes(), nil
}

// sign returns the body of a multipart/signed entity (RFC 8551) of inner: inner itself, then
// its detached CMS signature by the provider's certificate.
func (s *Server) sign(inner []byte) ([]byte, string, error) {
	sd, err := pkcs7.NewSignedData(inner)
	if err != nil {
		return nil, "", err
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSigner(s.provider.Leaf, s.provider.PrivateKey, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, "", err
	}
	sd.Detach()
	sig, err := sd.Finish()
	if err != nil {
		return nil, "", err
	}
	var out bytes.Buffer
	w := multipart.NewWriter(&out)
	pw, err := w.CreatePart(nil)
	if err != nil {
		return nil, "", err
	}
	// CreatePart(nil) wrote an empty header block: inner brings its own, so drop the blank line.
	out.Truncate(out.Len() - 2)
	pw.Write(inner)
	pw, err = w.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/pkcs7-signature; name=smime.p7s"},
		"Content-Transfer-Encoding": {"base64"}, "Content-Disposition": {"attachment; filename=smime.p7s"}})
	if err != nil {
		return nil, "", err
	}
	enc := base64.StdEncoding.EncodeToString(sig)
	for len(enc) > 76 {
		fmt.Fprintf(pw, "%s\r\n", enc[:76])
		enc = enc[76:]
	}
	fmt.Fprintf(pw, "%s\r\n", enc)
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return out.Bytes(), w.Boundary(), nil
}

// ProviderCertificate is the certificate PEC mode signs envelopes and receipts with (self-signed,
// generated at Start).
func (s *Server) ProviderCertificate() *x509.Certificate { return s.provider.Leaf }

// newProvider generates the provider's signing certificate.
func newProvider() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: ProviderName, Organization: []string{ProviderName}},
		EmailAddresses: []string{"posta-certificata@pec.test"},
		NotBefore:      time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, err
}
