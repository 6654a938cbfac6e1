package imapbox_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-imap"
	imapclient "github.com/emersion/go-imap/client"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/mailtest"
	"github.com/sportello/sportello/mail/imapbox"
	"github.com/sportello/sportello/mail/smtpsend"
)

const (
	sender = "aoo-a@pec.test"
	rcpt   = "aoo-b@pec.test"
)

// message is a small message with CRLF line ends, the form IMAP serves it back in.
func message(i int, body string) []byte {
	return []byte(fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: prova %d\r\nMessage-ID: <m%d@pec.test>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", sender, rcpt, i, i, body))
}

func setup(t *testing.T) (*mailtest.Server, *smtpsend.Sender, *imapbox.Mailbox) {
	return setupB(t)
}

func setupB(t testing.TB) (*mailtest.Server, *smtpsend.Sender, *imapbox.Mailbox) {
	t.Helper()
	srv := mailtest.Start(t)
	srv.AddUser(sender, "pw-a")
	srv.AddUser(rcpt, "pw-b")
	s, err := smtpsend.New(smtpsend.Config{URL: srv.SMTPURL(), Username: sender, Password: "pw-a"})
	if err != nil {
		t.Fatal(err)
	}
	box, err := imapbox.New(imapbox.Config{URL: srv.IMAPURL(rcpt), Password: "pw-b"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { box.Close() })
	return srv, s, box
}

func send(t *testing.T, s *smtpsend.Sender, raw []byte) {
	t.Helper()
	if err := s.Send(context.Background(), sender, []string{rcpt}, raw); err != nil {
		t.Fatal(err)
	}
}

// delivered is raw as Dovecot stores it: with the Return-Path trace header of final delivery.
func delivered(raw []byte) []byte {
	return append([]byte("Return-Path: <"+sender+">\r\n"), raw...)
}

func TestRoundTrip(t *testing.T) {
	_, s, box := setup(t)
	ctx := context.Background()
	var sent [][]byte
	for i := 1; i <= 5; i++ {
		raw := message(i, strings.Repeat("àèìòù testo\r\n", 100*i))
		send(t, s, raw)
		sent = append(sent, raw)
	}
	v, msgs, err := box.Fetch(ctx, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if v == 0 || len(msgs) != 3 {
		t.Fatalf("Fetch(0, 3) = UIDVALIDITY %d, %d messages; want non-zero, 3", v, len(msgs))
	}
	for i, m := range msgs {
		if !bytes.Equal(m.Raw, delivered(sent[i])) {
			t.Errorf("message %d (UID %d) came back as\n%q\nwant\n%q", i, m.UID, m.Raw, delivered(sent[i]))
		}
		if i > 0 && m.UID <= msgs[i-1].UID {
			t.Errorf("UIDs not ascending: %d after %d", m.UID, msgs[i-1].UID)
		}
	}
	v2, rest, err := box.Fetch(ctx, msgs[2].UID, 10)
	if err != nil || v2 != v || len(rest) != 2 || !bytes.Equal(rest[1].Raw, delivered(sent[4])) {
		t.Fatalf("Fetch(after %d) = %d, %d messages, %v; want %d, the last 2", msgs[2].UID, v2, len(rest), err, v)
	}
	// Above the last UID: nothing, although UID FETCH N:* answers with the last message.
	if _, none, err := box.Fetch(ctx, rest[1].UID, 10); err != nil || len(none) != 0 {
		t.Fatalf("Fetch(after the last) = %d messages, %v; want none", len(none), err)
	}
}

func TestFetchLeavesMessagesUnseen(t *testing.T) {
	srv, s, box := setup(t)
	send(t, s, message(1, "non letto"))
	if _, msgs, err := box.Fetch(context.Background(), 0, 10); err != nil || len(msgs) != 1 {
		t.Fatalf("Fetch = %d, %v", len(msgs), err)
	}
	c, err := imapclient.Dial(srv.IMAPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout()
	if err := c.Login(rcpt, "pw-b"); err != nil {
		t.Fatal(err)
	}
	st, err := c.Select("INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	if st.UnseenSeqNum != 1 {
		t.Errorf("first unseen = %d; want message 1 still unseen after Fetch", st.UnseenSeqNum)
	}
	criteria := imap.NewSearchCriteria()
	criteria.WithFlags = []string{imap.SeenFlag}
	if seen, err := c.Search(criteria); err != nil || len(seen) != 0 {
		t.Errorf("messages with \\Seen: %v, %v; want none", seen, err)
	}
}

// A restart drops the connection box keeps: Fetch reconnects.
func TestUIDsSurviveRestartAndReconnect(t *testing.T) {
	srv, s, box := setup(t)
	ctx := context.Background()
	send(t, s, message(1, "uno"))
	send(t, s, message(2, "due"))
	v, before, err := box.Fetch(ctx, 0, 10)
	if err != nil || len(before) != 2 {
		t.Fatalf("Fetch = %d, %v", len(before), err)
	}
	srv.Restart(t) // drops box's connection too
	send(t, s, message(3, "tre"))
	v2, after, err := box.Fetch(ctx, 0, 10)
	if err != nil {
		t.Fatalf("Fetch after a restart: %v", err)
	}
	if v2 != v || len(after) != 3 || after[0].UID != before[0].UID || after[1].UID != before[1].UID {
		t.Fatalf("after a restart: UIDVALIDITY %d (was %d), %d messages; want the same UIDVALIDITY and UIDs", v2, v, len(after))
	}
}

// A message above MaxSize comes in its place with its header only and TooLarge set; the
// messages after it come whole.
func TestTooLarge(t *testing.T) {
	srv, s, _ := setup(t)
	send(t, s, message(1, "piccolo"))
	send(t, s, message(2, strings.Repeat("grande\r\n", 1000)))
	send(t, s, message(3, "piccolo"))
	box, err := imapbox.New(imapbox.Config{URL: srv.IMAPURL(rcpt), Password: "pw-b", MaxSize: 2000})
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	_, msgs, err := box.Fetch(context.Background(), 0, 10)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("Fetch = %d messages, %v; want 3", len(msgs), err)
	}
	if msgs[0].TooLarge != nil || msgs[2].TooLarge != nil || !bytes.Contains(msgs[2].Raw, []byte("piccolo")) {
		t.Errorf("the small messages: %+v %+v", msgs[0], msgs[2])
	}
	big := msgs[1]
	if big.TooLarge == nil || big.TooLarge.Max != 2000 || big.TooLarge.Size <= 2000 {
		t.Fatalf("the large message: TooLarge %+v", big.TooLarge)
	}
	full := delivered(message(2, strings.Repeat("grande\r\n", 1000)))
	header := full[:bytes.Index(full, []byte("\r\n\r\n"))+4]
	if !bytes.Equal(big.Raw, header) || big.TooLarge.Size != int64(len(full)) {
		t.Fatalf("the large message came as %q (size %d); want its header %q (size %d)", big.Raw, big.TooLarge.Size, header, len(full))
	}
	// The limit counts it like any other message.
	if _, two, err := box.Fetch(context.Background(), 0, 2); err != nil || len(two) != 2 || two[1].TooLarge == nil {
		t.Fatalf("Fetch(0, 2) = %d, %v; want message 1 and the large one", len(two), err)
	}
}

func TestURL(t *testing.T) {
	for _, u := range []string{"http://x/INBOX", "imaps://host/INBOX?tls=none", "imap:///INBOX", "imap://h/?tls=maybe"} {
		if _, err := imapbox.New(imapbox.Config{URL: u}); domain.CodeOf(err) != domain.ECValidation {
			t.Errorf("New(%q) = %v; want ECValidation", u, err)
		}
	}
}

// A server not on loopback must offer STARTTLS (this Dovecot does not), unless tls=none says so.
func TestStartTLSRequired(t *testing.T) {
	srv, s, _ := setup(t)
	send(t, s, message(1, "uno"))
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.IMAPAddr())
	}
	box, _ := imapbox.New(imapbox.Config{URL: "imap://aoo-b%40pec.test@mail.example.it/INBOX", Password: "pw-b", Dial: dial})
	defer box.Close()
	if _, _, err := box.Fetch(context.Background(), 0, 10); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Fetch from a server without STARTTLS = %v; want a refusal naming STARTTLS", err)
	}
	box, _ = imapbox.New(imapbox.Config{URL: "imap://aoo-b%40pec.test@mail.example.it/INBOX?tls=none", Password: "pw-b", Dial: dial})
	defer box.Close()
	if _, msgs, err := box.Fetch(context.Background(), 0, 10); err != nil || len(msgs) != 1 {
		t.Fatalf("Fetch with tls=none = %d, %v", len(msgs), err)
	}
}
