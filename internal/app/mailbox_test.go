package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/mailtest"
	"github.com/sportello/sportello/internal/testdb"
)

// mailboxUser is the mailbox the server reads in these tests.
const mailboxUser = "protocollo@comune.test"

// readingServer starts a server on dataDir and dbURL reading folder of mailboxUser on mt as
// mailbox "posta" (channel email, mode register), with extra URL parameters query, and returns
// it with a records officer's token.
func readingServer(t testing.TB, mt *mailtest.Server, dataDir, dbURL, folder, query string) (*apptest.Server, string) {
	t.Helper()
	imap := strings.Replace(mt.IMAPURL(mailboxUser), "/INBOX?tls=none", "/"+folder, 1)
	s := apptest.StartIn(t, dataDir, dbURL, apptest.WithConfig(func(c *app.Config) {
		c.Mailboxes = imap + "?name=posta&channel=email&mode=register&register=PG" + query
		c.MailboxPasswords = map[string]string{"posta": mt.Password(mailboxUser)}
		c.MailboxPoll = 50 * time.Millisecond
	}))
	return s, s.NewClient(t, "protocollo", []string{"protocol_operator", "records_officer"})
}

// inboxItem is a record of GET /v1/inbox, as the tests read it.
type inboxItem struct {
	ID, State, MessageID, Detail, RegistrationID, DuplicateOf string
	UIDValidity, UID                                          uint32
	Size                                                      int64
}

// inbox reads mailbox "posta"'s records, oldest first.
func inbox(t *testing.T, s *apptest.Server, token string) []inboxItem {
	t.Helper()
	var page struct {
		Items []struct {
			ID             string `json:"id"`
			State          string `json:"state"`
			MessageID      string `json:"message_id"`
			Detail         string `json:"detail"`
			RegistrationID string `json:"registration_id"`
			DuplicateOf    string `json:"duplicate_of"`
			UIDValidity    uint32 `json:"uid_validity"`
			UID            uint32 `json:"uid"`
			Size           int64  `json:"size"`
		} `json:"items"`
	}
	s.Do(t, "GET", "/v1/inbox?mailbox=posta&limit=500", token, "", nil, http.StatusOK, &page)
	out := make([]inboxItem, len(page.Items))
	for i, it := range page.Items {
		out[len(out)-1-i] = inboxItem{ID: it.ID, State: it.State, MessageID: it.MessageID, Detail: it.Detail,
			RegistrationID: it.RegistrationID, DuplicateOf: it.DuplicateOf, UIDValidity: it.UIDValidity, UID: it.UID, Size: it.Size}
	}
	return out
}

// waitInbox waits until mailbox "posta" has n records and returns them, oldest first.
func waitInbox(t *testing.T, s *apptest.Server, token string, n int) []inboxItem {
	t.Helper()
	var got []inboxItem
	waitUntil(t, fmt.Sprintf("%d records in the inbox", n), func() bool {
		got = inbox(t, s, token)
		return len(got) >= n
	}, func() string { return fmt.Sprintf("%+v", got) })
	if len(got) != n {
		t.Fatalf("inbox: %d records, want %d: %+v", len(got), n, got)
	}
	return got
}

// incoming counts the incoming registrations.
func incoming(t *testing.T, s *apptest.Server, token string) int {
	t.Helper()
	var page struct {
		Items []map[string]any `json:"items"`
	}
	s.Do(t, "GET", "/v1/registrations?direction=incoming&limit=500", token, "", nil, http.StatusOK, &page)
	return len(page.Items)
}

// letter is a message with an attachment of about size bytes, Message-ID <id@example.it>.
func letter(id string, size int) []byte {
	return apptest.EML(apptest.Email{MessageID: id + "@example.it", From: "Anna Bianchi <anna@example.it>", To: mailboxUser,
		Subject: "Istanza " + id, Date: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Text: "Testo dell'istanza " + id + ".",
		Attachments: []apptest.MailPart{{Filename: "allegato-" + id + ".pdf", ContentType: "application/pdf",
			Content: apptest.PDF("Allegato " + id + " " + strings.Repeat("x", size))}}})
}

// TestMailboxTooLarge: a message above the mailbox's max_bytes does not stall the mailbox. Of
// small, too large, small (in Dovecot), the two small ones are registered and the large one is
// in the inbox as rejected, naming its size, the limit, its UID and Message-ID; a message
// arriving later is registered too.
func TestMailboxTooLarge(t *testing.T) {
	for _, engine := range testdb.Names() {
		t.Run(engine, func(t *testing.T) {
			mt := mailtest.Start(t)
			mt.AddUser(mailboxUser, "pw-posta")
			big := letter("grande", 40_000)
			mt.Append(t, mailboxUser, "INBOX", letter("piccola-1", 100), big, letter("piccola-2", 100))
			s, tok := readingServer(t, mt, t.TempDir(), testdb.URL(t, engine), "INBOX", "&max_bytes=20000")

			got := waitInbox(t, s, tok, 3)
			if got[0].State != "registered" || got[1].State != "rejected" || got[2].State != "registered" {
				t.Fatalf("states %s, %s, %s; want registered, rejected, registered", got[0].State, got[1].State, got[2].State)
			}
			size := int64(len(big))
			if r := got[1]; r.MessageID != "grande@example.it" || r.UID != got[0].UID+1 || r.UIDValidity == 0 ||
				r.Size < size || r.RegistrationID != "" ||
				!strings.Contains(r.Detail, fmt.Sprint(r.Size, " bytes")) || !strings.Contains(r.Detail, "20000") {
				t.Fatalf("the large message's record: %+v (it is about %d bytes)", r, size)
			}
			mt.Append(t, mailboxUser, "INBOX", letter("piccola-3", 100))
			if got := waitInbox(t, s, tok, 4); got[3].State != "registered" || got[3].MessageID != "piccola-3@example.it" {
				t.Fatalf("a message after the large one: %+v", got[3])
			}
			if n := incoming(t, s, tok); n != 3 {
				t.Fatalf("%d incoming registrations, want 3", n)
			}
		})
	}
}

// TestMailboxReadOnceAcrossRestarts is issue 14's must-show 3, restart variant: a message read
// and registered; the server stopped, Dovecot restarted, the server started again on the same
// data: the message is not registered again. Then, the server stopped again, the folder is
// recreated, so that IMAP gives it a new UIDVALIDITY, and the same message (its Message-ID)
// appears in it again: the server started once more records it as a duplicate, and does not
// register it again.
func TestMailboxReadOnceAcrossRestarts(t *testing.T) {
	for _, engine := range testdb.Names() {
		t.Run(engine, func(t *testing.T) {
			mt := mailtest.Start(t)
			mt.AddUser(mailboxUser, "pw-posta")
			mt.CreateFolder(t, mailboxUser, "Protocollo")
			data, dbURL := t.TempDir(), testdb.URL(t, engine)
			first := letter("istanza-1", 500)
			mt.Append(t, mailboxUser, "Protocollo", first)

			var before []inboxItem
			t.Run("Read", func(t *testing.T) {
				s, tok := readingServer(t, mt, data, dbURL, "Protocollo", "")
				before = waitInbox(t, s, tok, 1)
				if before[0].State != "registered" {
					t.Fatalf("first reading: %+v", before[0])
				}
			}) // the server stops here
			mt.Restart(t)
			t.Run("AfterRestarts", func(t *testing.T) {
				s, tok := readingServer(t, mt, data, dbURL, "Protocollo", "")
				// A later message shows the reader has been through the mailbox since the restart.
				mt.Append(t, mailboxUser, "Protocollo", letter("istanza-2", 500))
				after := waitInbox(t, s, tok, 2)
				if after[0] != before[0] || after[1].State != "registered" || after[1].UIDValidity != before[0].UIDValidity {
					t.Fatalf("after the restarts: %+v; before: %+v", after, before)
				}
				if n := incoming(t, s, tok); n != 2 {
					t.Fatalf("%d incoming registrations, want 2: the first message registered again?", n)
				}
			})

			was, now := mt.RecreateFolder(t, mailboxUser, "Protocollo")
			mt.Append(t, mailboxUser, "Protocollo", first)
			s, tok := readingServer(t, mt, data, dbURL, "Protocollo", "")
			got := waitInbox(t, s, tok, 3)
			dup := got[2]
			if got[0] != before[0] || dup.State != "duplicate" || dup.DuplicateOf != before[0].ID || dup.UIDValidity != now ||
				dup.UIDValidity == was || dup.MessageID != "istanza-1@example.it" {
				t.Fatalf("the same message in the recreated folder (UIDVALIDITY %d, was %d): %+v", now, was, got)
			}
			if n := incoming(t, s, tok); n != 2 {
				t.Fatalf("%d incoming registrations, want 2", n)
			}
		})
	}
}
