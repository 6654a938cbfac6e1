package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/mailtest"
	"github.com/sportello/sportello/internal/testdb"
)

// relayUser is the relay account dispatches are sent through, other than the address they are
// sent from, so that a test tells the two apart.
const relayUser = "invio@comune.test"

// sendingServer starts a server on dbURL dispatching through mt's relay as relayUser (the user
// in SPORTELLO_SMTP_URL, the password in SPORTELLO_SMTP_PASSWORD) from protocollo@comune.test,
// and returns it with an operator's token.
func sendingServer(t testing.TB, mt *mailtest.Server, dbURL string) (*apptest.Server, string) {
	t.Helper()
	mt.AddUser(relayUser, "pw-invio")
	relay := url.URL{Scheme: "smtp", User: url.User(relayUser), Host: mt.SMTPAddr(), RawQuery: "tls=none"}
	s := apptest.Start(t, dbURL, apptest.WithConfig(func(c *app.Config) {
		c.SMTPURL, c.SMTPPassword, c.MailFrom = relay.String(), "pw-invio", "Comune <protocollo@comune.test>"
		c.MailWorkers = 4
	}), func(m *app.Main) { m.MailRetryPolicy = nil })
	return s, s.NewClient(t, "protocollo", []string{"protocol_operator", "records_officer"})
}

// registerOutgoing registers an outgoing letter with an attachment to the given addresses and
// returns its dispatches path.
func registerOutgoing(t testing.TB, s *apptest.Server, token, subject string, to ...string) string {
	t.Helper()
	corr := []map[string]any{{"role": "sender", "type": "organization", "name": "Comune"}}
	for i, addr := range to {
		corr = append(corr, map[string]any{"role": "recipient", "type": "person", "name": fmt.Sprintf("Destinatario %d", i+1),
			"digital_address": addr})
	}
	meta := map[string]any{"direction": "outgoing", "channel": "email", "subject": subject, "class": "VI.3", "correspondents": corr}
	ct, body := apptest.Multipart(meta, apptest.Part{Name: "document", Filename: "lettera.pdf", Content: apptest.PDF(subject)},
		apptest.Part{Name: "attachment", Filename: "allegato.pdf", Content: apptest.PDF("Allegato " + subject)})
	var reg map[string]any
	s.Do(t, "POST", "/v1/registrations", token, ct, body, http.StatusCreated, &reg)
	return fmt.Sprintf("/v1/registrations/%v/%v/%v/dispatches", reg["register"], reg["year"], reg["number_formatted"])
}

// postDispatch dispatches the registration of path and returns the dispatch's id.
func postDispatch(t testing.TB, s *apptest.Server, token, path string) string {
	t.Helper()
	var d map[string]any
	s.Do(t, "POST", path, token, "application/json", strings.NewReader("{}"), http.StatusCreated, &d)
	return d["id"].(string)
}

// dispatchTo registers an outgoing letter to the given addresses and dispatches it; it returns
// the dispatches path and the dispatch's id.
func dispatchTo(t testing.TB, s *apptest.Server, token, subject string, to ...string) (string, string) {
	t.Helper()
	path := registerOutgoing(t, s, token, subject, to...)
	return path, postDispatch(t, s, token, path)
}

// recipientStates reads the states of dispatch id's recipients.
func recipientStates(t testing.TB, s *apptest.Server, token, path, id string) []string {
	t.Helper()
	var list struct {
		Items []struct {
			ID         string `json:"id"`
			Recipients []struct {
				State string `json:"state"`
			} `json:"recipients"`
		} `json:"items"`
	}
	s.Do(t, "GET", path, token, "", nil, http.StatusOK, &list)
	var out []string
	for _, d := range list.Items {
		if d.ID == id {
			for _, r := range d.Recipients {
				out = append(out, r.State)
			}
		}
	}
	return out
}

// TestSMTPUsername: with SPORTELLO_SMTP_URL naming a user and SPORTELLO_SMTP_PASSWORD, the
// server authenticates to the relay as that user (the relay here refuses unauthenticated
// senders and records who authenticated), and the message goes out from SPORTELLO_MAIL_FROM.
func TestSMTPUsername(t *testing.T) {
	mt := mailtest.Start(t, mailtest.RequireAuth)
	mt.AddUser("anna@example.it", "pw-anna")
	s, tok := sendingServer(t, mt, testdb.URL(t, "sqlite"))
	path, id := dispatchTo(t, s, tok, "Comunicazione", "anna@example.it")
	var states []string
	waitUntil(t, "the recipient sent", func() bool {
		states = recipientStates(t, s, tok, path, id)
		if len(states) == 1 && states[0] == "failed" {
			t.Fatal("the recipient failed: the relay refused the message (not authenticated?)")
		}
		return len(states) == 1 && states[0] == "sent"
	}, func() string { return fmt.Sprint(states) })
	subs := mt.Submissions()
	if len(subs) != 1 || subs[0].User != relayUser || subs[0].From != "protocollo@comune.test" ||
		len(subs[0].To) != 1 || subs[0].To[0] != "anna@example.it" {
		t.Fatalf("the relay accepted %+v; want one message from protocollo@comune.test authenticated as %s", subs, relayUser)
	}
	if got := mt.Messages(t, "anna@example.it"); len(got) != 1 {
		t.Fatalf("anna@example.it has %d messages", len(got))
	}
}
