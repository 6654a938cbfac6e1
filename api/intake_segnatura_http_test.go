package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// segnaturaMessage registers, on sender (another AOO), an outgoing registration to this AOO
// with two attachments, gets its sealed segnatura, and returns the PEC message carrying it,
// the document and the attachments — the second one altered when alter is set — and the
// registration.
func segnaturaMessage(t *testing.T, sender *apptest.Server, alter bool) ([]byte, api.Registration) {
	t.Helper()
	c := newClient(t, sender)
	op := sender.NewClient(t, "operator", []string{"protocol_operator"})
	doc, planimetria, relazione := apptest.PDF("parere favorevole"), apptest.PDF("planimetria"), apptest.PDF("relazione tecnica")
	meta := map[string]any{"direction": "outgoing", "channel": "pec", "subject": "Trasmissione parere", "class": "VI.3",
		"correspondents": []map[string]any{{"role": "recipient", "type": "administration", "name": "Comune demo",
			"ipa_code": "demo", "aoo_code": "DEMOAOO", "digital_address": "protocollo@pec.demo.example"}}}
	var reg api.Registration
	c.register(op, meta, []apptest.Part{{Name: "document", Filename: "parere.pdf", Content: doc},
		{Name: "attachment", Filename: "planimetria.pdf", Content: planimetria},
		{Name: "attachment", Filename: "relazione.pdf", Content: relazione}}).decode(t, http.StatusCreated, &reg)
	resp := c.do("GET", refPath(reg)+"/segnatura", op, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("segnatura: %d %s", resp.Status, resp.Body)
	}
	if alter {
		relazione = apptest.PDF("relazione tecnica, modificata in viaggio")
	}
	inner := apptest.EML(apptest.Email{MessageID: "prot-" + reg.NumberFormatted + "@pec.a.example",
		From: "Comune A <protocollo@pec.a.example>", To: "protocollo@pec.demo.example", Subject: "Prot. " + reg.Identifier,
		Text: "Si trasmette il documento protocollato.", Attachments: []apptest.MailPart{
			{Filename: "parere.pdf", ContentType: "application/pdf", Content: doc},
			{Filename: "planimetria.pdf", ContentType: "application/pdf", Content: planimetria},
			{Filename: "relazione.pdf", ContentType: "application/pdf", Content: relazione},
			{Filename: "Segnatura.xml", ContentType: "application/xml", Content: resp.Body}}})
	return apptest.PECEnvelope(inner, "protocollo@pec.a.example", "protocollo@pec.demo.example", "Prot. "+reg.Identifier,
		"prot-"+reg.NumberFormatted+"@pec.a.example", time.Now()), reg
}

// TestUploadSegnatura: an uploaded PEC carrying the segnatura of another AOO is registered with
// that AOO as the sender (an administration, at the certified sender's address), its protocol
// identifier as sender_reference, and its interoperability: the Allegato 6 anomalies found
// (002 for a file altered in transit) and the answer due, a NotificaEccezione.
func TestUploadSegnatura(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		sender := apptest.Start(t, testdb.URL(t, testdb.SQLite), apptest.WithConfig(func(c *app.Config) {
			c.IPACode, c.AOOCode, c.AOOName = "c_a123", "AOOA001", "Comune A"
		}))
		s := apptest.Start(t, url)
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		for _, alter := range []bool{false, true} {
			raw, sent := segnaturaMessage(t, sender, alter)
			var reg api.Registration
			c.register(op, map[string]any{"direction": "incoming", "channel": "pec"},
				[]apptest.Part{{Name: "document", Filename: "messaggio.eml", Content: raw}}).decode(t, http.StatusCreated, &reg)
			in := reg.Interoperability
			if in == nil {
				t.Fatalf("no interoperability: %+v", reg)
			}
			if in.Version != "3.0.0" || in.Sender.IPACode != "c_a123" || in.Sender.AOOCode != "AOOA001" ||
				in.Sender.Number != sent.NumberFormatted || in.Sender.Date != sent.Date || in.Sender.Address != "protocollo@pec.a.example" {
				t.Errorf("sender %+v, want %s", in.Sender, sent.Identifier)
			}
			if reg.SenderReference == nil || reg.SenderReference.Number != sent.NumberFormatted || reg.SenderReference.Date != sent.Date {
				t.Errorf("sender_reference %+v", reg.SenderReference)
			}
			co := reg.Correspondents[0]
			if co.Type != "administration" || co.IPACode != "c_a123" || co.AOOCode != "AOOA001" || co.DigitalAddress != "protocollo@pec.a.example" {
				t.Errorf("correspondent %+v", co)
			}
			codes := []string{}
			for _, a := range in.Anomalies {
				codes = append(codes, a.Code)
			}
			switch {
			case !alter && len(codes) != 0:
				t.Errorf("anomalies %v in an unaltered message", in.Anomalies)
			case alter && !slices.Contains(codes, "002"):
				t.Errorf("anomalies %v, want 002 for the altered file", in.Anomalies)
			case alter && (in.Answer == nil || in.Answer.Kind != "NotificaEccezione" || in.Answer.State != "pending"):
				t.Errorf("answer %+v, want a NotificaEccezione pending", in.Answer)
			}
			var again api.Registration
			c.do("GET", refPath(reg), op, nil).decode(t, http.StatusOK, &again)
			if again.Interoperability == nil || len(again.Interoperability.Anomalies) != len(in.Anomalies) {
				t.Errorf("read back: %+v", again.Interoperability)
			}
		}
	})
}
