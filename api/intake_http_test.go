package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// istanza is a message from Anna Bianchi with two attachments, sent on 2026-11-20.
func istanza() (raw []byte, pdf, txt []byte) {
	pdf, txt = apptest.PDF("planimetria"), []byte("elenco dei documenti allegati\n")
	raw = apptest.EML(apptest.Email{MessageID: "istanza-1@example.it", From: "Anna Bianchi <anna@example.it>",
		To: "protocollo@comune.example.it", Subject: "Istanza di accesso agli atti", Text: "Si trasmette l'istanza.",
		Date: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC),
		Attachments: []apptest.MailPart{{Filename: "planimetria.pdf", ContentType: "application/pdf", Content: pdf},
			{Filename: "elenco.txt", ContentType: "text/plain", Content: txt}}})
	return raw, pdf, txt
}

// TestUploadEML registers uploaded messages on both engines (issue 14, must show 3): an .eml
// with two attachments becomes one registration whose document is the message byte-exact and
// whose attachments carry each file's own digest, with sender, subject and received date
// proposed from it (the metadata wins); a PEC envelope is recognised (daticert.xml, the
// certified sender); the channel must say what the message is, and receipts are not
// registered.
func TestUploadEML(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		raw, pdf, txt := istanza()
		upload := func(channel string, content []byte, meta map[string]any) *response {
			if meta == nil {
				meta = map[string]any{}
			}
			meta["direction"], meta["channel"] = "incoming", channel
			return c.register(op, meta, []apptest.Part{{Name: "document", Filename: "istanza.eml", Content: content}})
		}
		var reg api.Registration
		upload("email", raw, nil).decode(t, http.StatusCreated, &reg)
		if reg.Subject != "Istanza di accesso agli atti" || reg.Channel != "email" || reg.ReceivedOn != "2026-11-20" {
			t.Errorf("proposed: subject %q, channel %s, received_on %q", reg.Subject, reg.Channel, reg.ReceivedOn)
		}
		if len(reg.Correspondents) != 1 || reg.Correspondents[0].Name != "Anna Bianchi" ||
			reg.Correspondents[0].DigitalAddress != "anna@example.it" || reg.Correspondents[0].Role != "sender" {
			t.Errorf("correspondents: %+v", reg.Correspondents)
		}
		if reg.Document.SHA256 != digest(raw) || reg.Document.Size != int64(len(raw)) {
			t.Errorf("document %+v is not the message byte-exact", reg.Document)
		}
		got := map[string]string{}
		for _, a := range reg.Attachments {
			got[a.Filename] = a.SHA256
		}
		if got["planimetria.pdf"] != digest(pdf) || got["elenco.txt"] != digest(txt) {
			t.Errorf("attachments %+v: want planimetria.pdf and elenco.txt with their digests", reg.Attachments)
		}
		digests := []string{reg.Document.SHA256}
		for _, a := range reg.Attachments {
			if !slices.Contains(digests, a.SHA256) {
				digests = append(digests, a.SHA256)
			}
		}
		if len(digests) < 3 {
			t.Errorf("%d digests, want the message's and each attachment's", len(digests))
		}
		if content := c.do("GET", refPath(reg)+"/document", op, nil).Body; digest(content) != digest(raw) {
			t.Error("the document read back is not the message")
		}

		t.Run("MetadataWins", func(t *testing.T) {
			var r api.Registration
			upload("email", raw, map[string]any{"subject": "Accesso agli atti - pratica 12", "received_on": "2026-11-21",
				"correspondents": []map[string]any{{"role": "sender", "type": "organization", "name": "Studio Bianchi"}}}).
				decode(t, http.StatusCreated, &r)
			if r.Subject != "Accesso agli atti - pratica 12" || r.ReceivedOn != "2026-11-21" || r.Correspondents[0].Name != "Studio Bianchi" {
				t.Errorf("metadata lost: %+v", r)
			}
		})
		at := time.Date(2026, 11, 25, 16, 45, 0, 0, time.FixedZone("CET", 3600))
		pec := apptest.PECEnvelope(raw, "anna.bianchi@pec.example.it", "protocollo@pec.comune.example.it",
			"Istanza di accesso agli atti", "istanza-1@example.it", at)
		t.Run("PEC", func(t *testing.T) {
			var r api.Registration
			upload("pec", pec, nil).decode(t, http.StatusCreated, &r)
			names := []string{}
			for _, a := range r.Attachments {
				names = append(names, a.Filename)
			}
			if r.Channel != "pec" || r.Document.SHA256 != digest(pec) || !slices.Contains(names, "daticert.xml") ||
				!slices.Contains(names, "planimetria.pdf") || !slices.Contains(names, "elenco.txt") {
				t.Errorf("PEC registered as %s with %v", r.Channel, names)
			}
			if r.Correspondents[0].DigitalAddress != "anna.bianchi@pec.example.it" || r.ReceivedOn != "2026-11-25" ||
				r.Subject != "Istanza di accesso agli atti" {
				t.Errorf("PEC proposed %+v, received_on %q, subject %q", r.Correspondents, r.ReceivedOn, r.Subject)
			}
		})
		t.Run("ErrChannel", func(t *testing.T) {
			namesField(t, upload("email", pec, nil).problem(t, http.StatusUnprocessableEntity, "validation_failed"), "channel", "pec")
			namesField(t, upload("pec", raw, nil).problem(t, http.StatusUnprocessableEntity, "validation_failed"), "channel", "email")
		})
		t.Run("ErrReceipt", func(t *testing.T) {
			receipt := apptest.PECReceipt("avvenuta-consegna", "protocollo@pec.comune.example.it", "ufficio@pec.altro.it",
				"Comunicazione", "nostro-1@comune.example.it", at)
			namesField(t, upload("pec", receipt, nil).problem(t, http.StatusUnprocessableEntity, "validation_failed"), "document", "receipt")
		})
		t.Run("OtherChannelsUnread", func(t *testing.T) {
			var r api.Registration
			meta := apptest.Incoming("Messaggio allegato come file")
			c.register(op, meta, []apptest.Part{{Name: "document", Filename: "istanza.eml", Content: raw}}).decode(t, http.StatusCreated, &r)
			if len(r.Attachments) != 0 || r.Interoperability != nil {
				t.Errorf("a message on channel web was read: %+v", r.Attachments)
			}
		})
	})
}
