package domain_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// The tests of this file hold the rules of dispatches: who may, what can be dispatched, to
// whom, when a message is sent and how receipts move it. The ports that reach a mail relay are
// replaced here by a recorder of what the domain hands them: no protocol is spoken, the rules
// are the domain's.

// sentMail records what the service handed to its MailSender, and answers with err.
type sentMail struct {
	mu   sync.Mutex
	raws [][]byte
	to   []string
	err  error
}

func (m *sentMail) Send(_ context.Context, _ string, to []string, raw []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.raws, m.to = append(m.raws, raw), append(m.to, to...)
	return nil
}

// composeIDs stands in for mail.Compose: what matters here is which message it is.
func composeIDs(m domain.OutgoingMail) ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "Message-ID: <%s>\r\nSubject: %s\r\n\r\n", m.MessageID, m.Subject)
	for _, f := range m.Files {
		fmt.Fprintf(&b, "%s %d\r\n", f.Name, len(f.Content))
	}
	return []byte(b.String()), nil
}

// sendingService returns a service with a mail relay recorder and a stand-in sealer.
func sendingService(t testing.TB, url string) (*domain.Service, *sentMail) {
	s := newService(t, url)
	sent := &sentMail{}
	s.MailOut = &domain.MailOut{From: domain.MailAddress{Name: "Comune", Address: "protocollo@pec.comune.example"},
		Compose: composeIDs, Sender: sent}
	s.SealSegnatura = func(context.Context, domain.Segnatura) ([]byte, error) { return []byte("<Segnatura/>"), nil }
	return s, sent
}

// outgoing registers an outgoing document to an administration and a person, both with a
// digital address, and a third recipient without one.
func outgoing(t testing.TB, s *domain.Service, class string) *domain.Registration {
	t.Helper()
	in := input(t, s, "Trasmissione del parere")
	in.Direction, in.Class = domain.Outgoing, class
	in.Correspondents = []domain.Correspondent{
		{Role: domain.RoleRecipient, Type: domain.TypeAdministration, Name: "Comune di Milano", IPACode: "c_f205",
			DigitalAddress: "protocollo@pec.comune.milano.example"},
		{Role: domain.RoleRecipient, Type: domain.TypePerson, Name: "Anna Bianchi", DigitalAddress: "anna@pec.example"},
		{Role: domain.RoleRecipient, Type: domain.TypePerson, Name: "Carlo Verdi"},
	}
	r, _, err := s.Register(context.Background(), operator, in, domain.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// dispatched registers an outgoing document (outgoing) and dispatches it to its recipients.
func dispatched(t testing.TB, s *domain.Service) (*domain.Registration, *domain.Dispatch) {
	t.Helper()
	r := outgoing(t, s, "VI.3")
	d, _, err := s.CreateDispatch(context.Background(), operator, r.Ref(), nil, domain.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	return r, d
}

// TestCreateDispatchRules: who may dispatch what to whom.
func TestCreateDispatchRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s, _ := sendingService(t, url)
		ctx := t.Context()
		r := outgoing(t, s, "VI.3")
		if _, _, err := s.CreateDispatch(ctx, clerkTEC, r.Ref(), nil, domain.Idempotency{}); !domain.IsCode(err, domain.ECForbidden) {
			t.Errorf("a clerk dispatching: %v", err)
		}
		in, _, err := s.Register(ctx, operator, input(t, s, "Istanza"), domain.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateDispatch(ctx, operator, in.Ref(), nil, domain.Idempotency{}); !domain.IsCode(err, domain.ECConflict) {
			t.Errorf("dispatching an incoming registration: %v", err)
		}
		wantField(t, second(s.CreateDispatch(ctx, operator, r.Ref(), []string{"carlo@example.org"}, domain.Idempotency{})),
			domain.ECValidation, "recipients[0]")
		wantField(t, second(s.CreateDispatch(ctx, operator, r.Ref(), []string{"not an address"}, domain.Idempotency{})),
			domain.ECValidation, "recipients[0]")

		unclassified := outgoing(t, s, "")
		wantField(t, second(s.CreateDispatch(ctx, operator, unclassified.Ref(), nil, domain.Idempotency{})), domain.ECConflict, "class")
		if d, _, err := s.CreateDispatch(ctx, operator, unclassified.Ref(), []string{"ANNA@pec.example"}, domain.Idempotency{}); err != nil ||
			len(d.Recipients) != 1 || d.Recipients[0].Administration {
			t.Errorf("an unclassified registration to a person only: %+v, %v", d, err)
		}

		idem := domain.Idempotency{Key: "k", Hash: "h"}
		d, replayed, err := s.CreateDispatch(ctx, officer, r.Ref(), nil, idem)
		if err != nil || replayed {
			t.Fatal(err, replayed)
		}
		if len(d.Recipients) != 2 || !d.Recipients[0].Administration || d.Recipients[1].Address != "anna@pec.example" ||
			d.Recipients[0].MessageID != d.ID+".1@pec.comune.example" || d.Recipients[1].State != domain.DispatchQueued || d.Segnatura == "" {
			t.Errorf("dispatch %+v", d)
		}
		again, replayed, err := s.CreateDispatch(ctx, officer, r.Ref(), nil, idem)
		if err != nil || !replayed || again.ID != d.ID {
			t.Errorf("replay: %v, %v, %v", again, replayed, err)
		}
		if list, err := s.Dispatches(ctx, operator, r.Ref()); err != nil || len(list) != 1 {
			t.Errorf("dispatches %v, %v", list, err)
		}

		if _, _, err := s.Annul(ctx, officer, r.Ref(), domain.AnnulmentRequest{Reason: "Errore", Authorization: "Decreto 1"}, domain.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateDispatch(ctx, operator, r.Ref(), nil, domain.Idempotency{}); !domain.IsCode(err, domain.ECConflict) {
			t.Errorf("dispatching an annulled registration: %v", err)
		}
		s.MailOut = nil
		if _, _, err := s.CreateDispatch(ctx, operator, unclassified.Ref(), nil, domain.Idempotency{}); !domain.IsCode(err, domain.ECUnavailable) {
			t.Errorf("dispatching without a relay: %v", err)
		}
	})
}

// second returns the error of a call returning three values.
func second[A, B any](_ A, _ B, err error) error { return err }

// TestSendDispatchOnce: a recipient is sent to once, however often its job runs; a temporary
// failure is recorded and retried, a definitive refusal fails the recipient at once.
func TestSendDispatchOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s, sent := sendingService(t, url)
		ctx := t.Context()
		r, d := dispatched(t, s)
		sent.err = errors.New("421 try again later")
		if err := s.SendDispatch(ctx, d.ID, 1, 1); err == nil || errors.Is(err, domain.ErrPermanent) {
			t.Errorf("a temporary failure: %v", err)
		}
		sent.err = nil
		for attempt := 2; attempt <= 3; attempt++ {
			if err := s.SendDispatch(ctx, d.ID, 1, attempt); err != nil {
				t.Fatal(err)
			}
		}
		if len(sent.raws) != 1 || !bytes.Contains(sent.raws[0], []byte("Segnatura.xml 12")) ||
			!bytes.Contains(sent.raws[0], []byte("<"+d.Recipients[0].MessageID+">")) ||
			!bytes.Contains(sent.raws[0], []byte("Subject: Prot. "+r.Identifier+" - Trasmissione del parere")) {
			t.Errorf("sent %q", sent.raws)
		}
		sent.err = domain.Errorf(domain.ECValidation, "550 5.1.1 no such user anna@pec.example")
		if err := s.SendDispatch(ctx, d.ID, 2, 1); !errors.Is(err, domain.ErrPermanent) {
			t.Errorf("a definitive refusal: %v", err)
		}
		got, err := s.Store.Dispatch(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		one, two := got.Recipients[0], got.Recipients[1]
		if one.State != domain.DispatchSent || one.Attempts != 2 || one.LastError != "" || one.SentAt == nil {
			t.Errorf("recipient 1 %+v", one)
		}
		if two.State != domain.DispatchFailed || two.Attempts != 1 || !strings.Contains(two.LastError, "550 5.1.1") || two.SentAt != nil {
			t.Errorf("recipient 2 %+v", two)
		}
		if len(sent.to) != 1 || sent.to[0] != "protocollo@pec.comune.milano.example" {
			t.Errorf("sent to %v", sent.to)
		}
	})
}

// TestLinkMailReceipt: PEC receipts find their recipient by the msgid of daticert.xml, move
// it forward only, and are stored once.
func TestLinkMailReceipt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s, _ := sendingService(t, url)
		ctx := t.Context()
		r, d := dispatched(t, s)
		receipt := func(kind string, n int) (*domain.MailMessage, []byte) {
			msgID := d.Recipients[n-1].MessageID
			raw := fmt.Appendf(nil, "Subject: %s\r\nX-Ricevuta: %s\r\n\r\n%s\r\n", kind, kind, msgID)
			return &domain.MailMessage{PEC: &domain.PECEnvelope{Kind: kind, MsgID: "<" + msgID + ">", ProviderID: "opec." + kind,
				Delivery: d.Recipients[n-1].Address}}, raw
		}
		for _, step := range []struct {
			kind string
			n    int
		}{{domain.PECAvvenutaConsegna, 1}, {domain.PECAccettazione, 1}, {domain.PECAccettazione, 1}, {domain.PECErroreConsegna, 2}} {
			msg, raw := receipt(step.kind, step.n)
			linked, err := s.LinkMailReceipt(ctx, msg, raw)
			if err != nil || !linked {
				t.Fatalf("%s: %v, %v", step.kind, linked, err)
			}
		}
		misdelivered, raw := receipt(domain.PECErroreConsegna, 1)
		misdelivered.PEC.Delivery = "anna@pec.example"
		if linked, err := s.LinkMailReceipt(ctx, misdelivered, raw); linked || err != nil {
			t.Errorf("a delivery receipt about another address: %v, %v", linked, err)
		}
		other := &domain.MailMessage{PEC: &domain.PECEnvelope{Kind: domain.PECAccettazione, MsgID: "<someone.else@example.org>"}}
		if linked, err := s.LinkMailReceipt(ctx, other, []byte("x")); linked || err != nil {
			t.Errorf("a receipt of another message: %v, %v", linked, err)
		}
		got, err := s.Dispatches(ctx, operator, r.Ref())
		if err != nil {
			t.Fatal(err)
		}
		one, two := got[0].Recipients[0], got[0].Recipients[1]
		if one.State != domain.DispatchDelivered || len(one.Receipts) != 2 || one.Receipts[0].Kind != domain.PECAvvenutaConsegna ||
			one.Receipts[1].ProviderID != "opec.accettazione" {
			t.Errorf("recipient 1 %+v", one)
		}
		if two.State != domain.DispatchFailed || len(two.Receipts) != 1 {
			t.Errorf("recipient 2 %+v", two)
		}
		rx := one.Receipts[0]
		gotRx, content, err := s.DispatchReceiptContent(ctx, operator, r.Ref(), d.ID, rx.ID)
		_, want := receipt(domain.PECAvvenutaConsegna, 1)
		if err != nil || gotRx.SHA256 != rx.SHA256 || !bytes.Equal(content, want) {
			t.Errorf("receipt content %q, %v", content, err)
		}
		if _, _, err := s.DispatchReceiptContent(ctx, clerkTEC, r.Ref(), d.ID, rx.ID); !domain.IsCode(err, domain.ECNotFound) {
			t.Errorf("a receipt for a clerk of another office: %v", err)
		}
		events, err := s.Store.Audit(ctx, domain.KindDispatch, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var receipts int
		for _, e := range events {
			if e.Action == "dispatch.receipt" {
				receipts++
			}
		}
		if receipts != 3 {
			t.Errorf("%d receipts audited, want 3: %+v", receipts, events)
		}
	})
}

// TestLinkProtocolAnswer: the recipient AOO's ConfermaRicezione and NotificaEccezione find the
// recipient by In-Reply-To, or by the registration they name and the address they come from.
func TestLinkProtocolAnswer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s, _ := sendingService(t, url)
		ctx := t.Context()
		r, d := dispatched(t, s)
		answers := map[string]domain.ProtocolMessage{
			"conferma": {Kind: domain.ProtocolConferma, Identifier: &domain.ProtocolID{IPACode: "c_f205", AOOCode: "AOO1", Register: "PG", Number: "0000007", Date: r.Date}},
			"eccezione": {Kind: domain.ProtocolEccezione, Reason: "002 digest",
				Received: &domain.ProtocolID{IPACode: "c_h501", AOOCode: "A1B2C3D", Register: "PG", Number: fmt.Sprintf("%07d", r.Number), Date: r.Date}},
		}
		s.Mail.ReadProtocolMessage = func(xml []byte) (domain.ProtocolMessage, error) {
			if pm, ok := answers[string(xml)]; ok {
				return pm, nil
			}
			return domain.ProtocolMessage{}, domain.Errorf(domain.ECValidation, "not a protocol message")
		}
		conferma := &domain.MailMessage{From: domain.MailAddress{Address: "protocollo@pec.comune.milano.example"},
			Attachments: []domain.MailFile{{Name: "Segnatura.xml", Content: []byte("conferma")}, {Name: "Conferma.xml", MediaType: "application/xml", Content: []byte("conferma")}}}
		raw := []byte("In-Reply-To: <" + d.Recipients[0].MessageID + ">\r\nSubject: Conferma\r\n\r\nok\r\n")
		if linked, err := s.LinkMailReceipt(ctx, conferma, raw); err != nil || !linked {
			t.Fatalf("conferma: %v, %v", linked, err)
		}
		eccezione := &domain.MailMessage{From: domain.MailAddress{Address: "ANNA@pec.example"},
			Attachments: []domain.MailFile{{Name: "Eccezione.xml", MediaType: "application/xml", Content: []byte("eccezione")}}}
		if linked, err := s.LinkMailReceipt(ctx, eccezione, []byte("Subject: Eccezione\r\n\r\nko\r\n")); err != nil || !linked {
			t.Fatalf("eccezione: %v, %v", linked, err)
		}
		stranger := &domain.MailMessage{From: domain.MailAddress{Address: "nobody@example.org"}, Attachments: eccezione.Attachments}
		if linked, err := s.LinkMailReceipt(ctx, stranger, []byte("Subject: x\r\n\r\n")); err != nil || linked {
			t.Errorf("an answer from an address not dispatched to: %v, %v", linked, err)
		}
		got, err := s.Store.Dispatch(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		one, two := got.Recipients[0], got.Recipients[1]
		if one.State != domain.DispatchConfirmed || one.Protocol == nil || one.Protocol.Identifier != "c_f205-AOO1-PG-"+r.Date[:4]+"-0000007" {
			t.Errorf("recipient 1 %+v %+v", one, one.Protocol)
		}
		if two.State != domain.DispatchException || two.Protocol == nil || two.Protocol.Reason != "002 digest" || len(two.Receipts) != 1 ||
			two.Receipts[0].Kind != domain.ProtocolEccezione {
			t.Errorf("recipient 2 %+v", two)
		}
	})
}

// BenchmarkDispatch makes a dispatch to two recipients and sends both messages, as the jobs
// do, with the relay's side replaced by the recorder: what the domain and the database cost a
// dispatch, beside the relay's own time.
func BenchmarkDispatch(b *testing.B) {
	testdb.EachB(b, func(b *testing.B, url string) {
		s, _ := sendingService(b, url)
		ctx := context.Background()
		r := outgoing(b, s, "VI.3")
		b.ResetTimer()
		for b.Loop() {
			d, _, err := s.CreateDispatch(ctx, operator, r.Ref(), nil, domain.Idempotency{})
			if err != nil {
				b.Fatal(err)
			}
			for _, rc := range d.Recipients {
				if err := s.SendDispatch(ctx, d.ID, rc.N, 1); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "dispatches/s")
	})
}
