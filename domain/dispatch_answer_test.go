package domain_test

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/mail"
	"github.com/sportello/sportello/signing"
)

// TestLinkRealConferma: a ConfermaRicezione written as pec_message.xsd has it, in a message
// answering the dispatch, read by mail.Parse and signing.ReadProtocolMessage, confirms the
// recipient with the answering AOO's identifier.
func TestLinkRealConferma(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s, _ := sendingService(t, url)
		s.Mail.ReadProtocolMessage = signing.ReadProtocolMessage
		ctx := t.Context()
		r, d := dispatched(t, s)
		xml, err := signing.WriteProtocolMessage(domain.ProtocolMessage{Kind: domain.ProtocolConferma,
			Identifier: &domain.ProtocolID{IPACode: "c_f205", AOOCode: "AOO1", Register: "PG", Number: "0000007", Date: r.Date},
			Received:   &domain.ProtocolID{IPACode: "c_h501", AOOCode: "A1B2C3D", Register: "PG", Number: fmt.Sprintf("%07d", r.Number), Date: r.Date}})
		if err != nil {
			t.Fatal(err)
		}
		raw := []byte("From: protocollo@pec.comune.milano.example\r\nTo: protocollo@pec.comune.example\r\n" +
			"Subject: Conferma di ricezione\r\nMessage-ID: <c1@pec.comune.milano.example>\r\n" +
			"In-Reply-To: <" + d.Recipients[0].MessageID + ">\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nConferma.\r\n" +
			"--b\r\nContent-Type: application/xml\r\nContent-Disposition: attachment; filename=Conferma.xml\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(xml) + "\r\n--b--\r\n")
		msg, err := mail.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if linked, err := s.LinkMailReceipt(ctx, msg, raw); err != nil || !linked {
			t.Fatalf("linked %v, %v", linked, err)
		}
		got, err := s.Store.Dispatch(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		rc := got.Recipients[0]
		if rc.State != domain.DispatchConfirmed || rc.Protocol == nil || rc.Protocol.Identifier != "c_f205-AOO1-PG-"+r.Date[:4]+"-0000007" ||
			len(rc.Receipts) != 1 || rc.Receipts[0].Size != int64(len(raw)) {
			t.Errorf("recipient %+v %+v", rc, rc.Protocol)
		}
	})
}
