package domain

import (
	"reflect"
	"strings"
	"testing"
)

// pecMessage is a PEC envelope of kind around a certified message with files.
func pecMessage(kind string, files ...MailFile) *MailMessage {
	inner := &MailMessage{MessageID: "orig@a.it", From: MailAddress{Name: "Ufficio", Address: "ufficio@a.it"},
		Subject: "Istanza", Attachments: files}
	env := &MailMessage{MessageID: "opec.1@pec.it", Subject: "POSTA CERTIFICATA: Istanza",
		PEC: &PECEnvelope{Kind: kind, Sender: "protocollo@pec.a.it", Subject: "Istanza"}}
	if kind == PECPostaCertificata {
		env.PEC.Original = inner
	}
	return env
}

// TestCheckMailChannel: pec takes a certified message only, email a message that is no PEC;
// receipts and protocol messages are never registered, whatever the channel.
func TestCheckMailChannel(t *testing.T) {
	plain := &MailMessage{Subject: "Domanda", From: MailAddress{Address: "a@b.it"}}
	conferma := &MailMessage{Attachments: []MailFile{{Name: "Conferma.xml", Content: []byte("<ConfermaRicezione/>")}}}
	broken := pecMessage(PECPostaCertificata)
	broken.PEC.Original = nil
	for _, c := range []struct {
		name    string
		msg     *MailMessage
		channel Channel
		field   string // "" when accepted
	}{
		{"pec on pec", pecMessage(PECPostaCertificata), ChannelPEC, ""},
		{"plain on email", plain, ChannelEmail, ""},
		{"pec on email", pecMessage(PECPostaCertificata), ChannelEmail, "channel"},
		{"plain on pec", plain, ChannelPEC, "channel"},
		{"receipt", pecMessage(PECAvvenutaConsegna), ChannelPEC, "document"},
		{"protocol message", conferma, ChannelEmail, "document"},
		{"envelope without postacert.eml", broken, ChannelPEC, "document"},
	} {
		err := checkMailChannel(c.msg, c.channel, nil)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", c.name, err)
			}
			continue
		}
		var e *Error
		if !asError(err, &e) || e.Code != ECValidation || len(e.Fields) != 1 || e.Fields[0].Field != c.field {
			t.Errorf("%s: %v, want validation_failed naming %s", c.name, err, c.field)
		}
	}
}

// TestClassify: receipts by their envelope, protocol messages by their file, a message with a
// segnatura is a document even with a Conferma.xml-named file beside it.
func TestClassify(t *testing.T) {
	if k, _ := classify(pecMessage(PECAccettazione), nil); k != kindReceipt {
		t.Errorf("accettazione: %v", k)
	}
	xml := []byte("<AnnullamentoProtocollazione/>")
	if k, got := classify(pecMessage(PECPostaCertificata, MailFile{Name: "ANNULLAMENTO.XML", Content: xml}), nil); k != kindProtocol || string(got) != string(xml) {
		t.Errorf("annullamento in a PEC: %v %q", k, got)
	}
	withSeg := pecMessage(PECPostaCertificata, MailFile{Name: "Conferma.xml"})
	withSeg.PEC.Original.Segnatura = []byte("<Segnatura/>")
	if k, _ := classify(withSeg, nil); k != kindDocument {
		t.Errorf("with a segnatura: %v", k)
	}
	other := pecMessage(PECPostaCertificata, MailFile{Name: "risposta.xml", Content: xml}, MailFile{Name: "daticert.xml"})
	if k, _ := classify(other, nil); k != kindDocument {
		t.Errorf("an XML file without a reader: %v", k)
	}
}

// TestProposeMetadataWins: what the metadata states stays; what it leaves out is proposed; the
// message's files come first among the attachments.
func TestProposeMetadataWins(t *testing.T) {
	sender := Correspondent{Role: RoleSender, Type: TypePerson, Name: "Ufficio", DigitalAddress: "ufficio@a.it"}
	c := mailContent{attachments: []File{{Filename: "body.txt"}}, subject: "Dal messaggio", sender: &sender,
		receivedOn: "2026-11-20", senderRef: &SenderReference{Number: "7", Date: "2026-11-19"}}
	in := NewRegistration{Attachments: []File{{Filename: "extra.pdf"}}}
	c.propose(&in)
	if in.Subject != "Dal messaggio" || !reflect.DeepEqual(in.Correspondents, []Correspondent{sender}) ||
		in.ReceivedOn != "2026-11-20" || in.SenderReference.Number != "7" ||
		len(in.Attachments) != 2 || in.Attachments[0].Filename != "body.txt" {
		t.Errorf("proposed: %+v", in)
	}
	stated := Correspondent{Role: RoleSender, Type: TypeOrganization, Name: "Ditta"}
	in = NewRegistration{Subject: "Dai metadati", Correspondents: []Correspondent{stated}, ReceivedOn: "2026-11-21",
		SenderReference: &SenderReference{Number: "9"}}
	c.propose(&in)
	if in.Subject != "Dai metadati" || in.Correspondents[0].Name != "Ditta" || in.ReceivedOn != "2026-11-21" || in.SenderReference.Number != "9" {
		t.Errorf("metadata lost: %+v", in)
	}
}

// TestInteropFrom: the sender AOO becomes an administration correspondent and the sender
// reference; anomalies ask for a NotificaEccezione, a clean segnatura asking for it a
// ConfermaRicezione, and without an address nothing is sent.
func TestInteropFrom(t *testing.T) {
	rs := ReceivedSegnatura{Version: "3.0.0", ConfirmationRequested: true,
		Sender:      ProtocolID{IPACode: "c_a123", AOOCode: "AOO1", Register: "REG", Number: "0000123", Date: "2026-11-27"},
		SenderParty: SegnaturaParty{Kind: PartyAdministration, Name: "Comune di A"}}
	in, sender, ref := interopFrom(rs, "protocollo@pec.a.it", "orig@a.it")
	if in.Answer == nil || in.Answer.Kind != ProtocolConferma || in.Answer.State != AnswerPending || len(in.Anomalies) != 0 {
		t.Errorf("clean, confirmation asked: %+v", in)
	}
	want := Correspondent{Role: RoleSender, Type: TypeAdministration, Name: "Comune di A", IPACode: "c_a123", AOOCode: "AOO1",
		DigitalAddress: "protocollo@pec.a.it"}
	if *sender != want || *ref != (SenderReference{Number: "0000123", Date: "2026-11-27"}) || in.MessageID != "orig@a.it" {
		t.Errorf("sender %+v, reference %+v", sender, ref)
	}
	rs.Anomalies = []Anomaly{{Code: AnomalyNone}, {Code: AnomalyDigest, Detail: "allegato.pdf"}}
	rs.ConfirmationRequested = false
	if in, _, _ := interopFrom(rs, "protocollo@pec.a.it", ""); in.Answer == nil || in.Answer.Kind != ProtocolEccezione ||
		len(in.Anomalies) != 1 || in.Anomalies[0].Code != AnomalyDigest {
		t.Errorf("anomalies: %+v", in)
	}
	if in, _, _ := interopFrom(rs, "", ""); in.Answer != nil {
		t.Errorf("no address, yet an answer: %+v", in.Answer)
	}
	rs.Anomalies = nil
	if in, _, _ := interopFrom(rs, "protocollo@pec.a.it", ""); in.Answer != nil {
		t.Errorf("no confirmation asked, yet an answer: %+v", in.Answer)
	}
}

// TestAnswerMessageID is the same for a registration at every attempt, and differs by kind.
func TestAnswerMessageID(t *testing.T) {
	a := AnswerMessageID(ProtocolConferma, "r1", "c_h501")
	if a != AnswerMessageID(ProtocolConferma, "r1", "c_h501") || a == AnswerMessageID(ProtocolEccezione, "r1", "c_h501") ||
		!strings.HasPrefix(a, "confermaricezione.r1@") {
		t.Errorf("message id %q", a)
	}
}

// TestIsMessageFile: sniffed as message/rfc822, or named .eml in any case.
func TestIsMessageFile(t *testing.T) {
	for f, want := range map[File]bool{
		{Filename: "x.bin", MediaType: "message/rfc822"}:  true,
		{Filename: "Posta.EML", MediaType: "text/plain"}:  true,
		{Filename: "x.pdf", MediaType: "application/pdf"}: false,
	} {
		if IsMessageFile(f) != want {
			t.Errorf("%+v: %v", f, !want)
		}
	}
}
