package mail

import (
	"bytes"
	"encoding/xml"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"

	"github.com/sportello/sportello/domain"
)

// daticert is daticert.xml as the technical rules of PEC (DM 2 November 2005) define it: the
// provider's statement about a certified message or a receipt.
type daticert struct {
	Kind        string              `xml:"tipo,attr"`
	Error       string              `xml:"errore,attr"`
	Sender      string              `xml:"intestazione>mittente"`
	Recipients  []daticertRecipient `xml:"intestazione>destinatari"`
	Subject     string              `xml:"intestazione>oggetto"`
	Provider    string              `xml:"dati>gestore-emittente"`
	Date        daticertDate        `xml:"dati>data"`
	ProviderID  string              `xml:"dati>identificativo"`
	MsgID       string              `xml:"dati>msgid"`
	Delivery    string              `xml:"dati>consegna"`
	ErrorDetail string              `xml:"dati>errore-esteso"`
}

// daticertRecipient is a destinatari element.
type daticertRecipient struct {
	Kind    string `xml:"tipo,attr"`
	Address string `xml:",chardata"`
}

// daticertDate is the data element: day, time and the zone's offset.
type daticertDate struct {
	Zone string `xml:"zona,attr"`
	Day  string `xml:"giorno"`
	Time string `xml:"ora"`
}

// pec recognises a PEC provider's envelope, a message with a daticert.xml part, and sets m.PEC
// from it; a certified message (and a complete delivery receipt) carries the original as
// postacert.eml, read as a message in turn. A daticert.xml that is not XML leaves the message
// an ordinary one.
func (p *parser) pec(m *domain.MailMessage, h message.Header, depth int) error {
	var dati, original []byte
	for _, a := range m.Attachments {
		switch strings.ToLower(a.Name) {
		case "daticert.xml":
			if dati == nil {
				dati = a.Content
			}
		case "postacert.eml":
			if original == nil {
				original = a.Content
			}
		}
	}
	if dati == nil {
		return nil
	}
	var d daticert
	dec := xml.NewDecoder(bytes.NewReader(dati))
	dec.CharsetReader = charset.Reader
	if err := dec.Decode(&d); err != nil {
		return nil
	}
	env := &domain.PECEnvelope{
		Kind: strings.TrimSpace(d.Kind), Error: strings.TrimSpace(d.Error),
		ErrorDetail: strings.TrimSpace(d.ErrorDetail),
		Provider:    strings.TrimSpace(d.Provider), ProviderID: strings.TrimSpace(d.ProviderID),
		MsgID:    strings.Trim(d.MsgID, "<> \t\r\n"),
		Sender:   strings.TrimSpace(d.Sender),
		Subject:  strings.TrimSpace(d.Subject),
		At:       d.Date.time(),
		Delivery: strings.TrimSpace(d.Delivery),
		Daticert: dati,
	}
	for _, r := range d.Recipients {
		env.Recipients = append(env.Recipients, domain.PECRecipient{Address: strings.TrimSpace(r.Address), Kind: strings.TrimSpace(r.Kind)})
	}
	if env.Kind == "" { // the headers say it too
		env.Kind = headerKind(h)
	}
	if env.MsgID == "" {
		env.MsgID = strings.Trim(h.Get("X-Riferimento-Message-ID"), "<> ")
	}
	if original != nil {
		orig, err := p.message(original, depth+1)
		if isBudget(err) {
			return err
		}
		env.Original, env.OriginalRaw = orig, original
	}
	m.PEC = env
	return nil
}

// headerKind is the envelope's type from its headers: X-Ricevuta for a receipt, X-Trasporto
// for a certified message (posta-certificata) or a notice of a transport error.
func headerKind(h message.Header) string {
	if k := strings.TrimSpace(h.Get("X-Ricevuta")); k != "" {
		return strings.ToLower(k)
	}
	return strings.ToLower(strings.TrimSpace(h.Get("X-Trasporto")))
}

// time is the moment of the data element, zero when unreadable.
func (d daticertDate) time() time.Time {
	zone := strings.TrimSpace(d.Zone)
	if zone == "" {
		zone = "+0000"
	}
	t, err := time.Parse("02/01/2006 15:04:05 -0700", strings.TrimSpace(d.Day)+" "+strings.TrimSpace(d.Time)+" "+zone)
	if err != nil {
		return time.Time{}
	}
	return t
}
