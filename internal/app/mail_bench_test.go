package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/mailtest"
	"github.com/sportello/sportello/internal/testdb"
)

// benchLetter is message i of the intake benchmark: a text and two PDF attachments of about
// 20 KiB each, distinct in every message.
func benchLetter(i int) []byte {
	id := fmt.Sprintf("bench-%d", i)
	pad := strings.Repeat("protocollo ", 1900)
	return apptest.EML(apptest.Email{MessageID: id + "@example.it", From: "Anna Bianchi <anna@example.it>", To: mailboxUser,
		Subject: fmt.Sprintf("Istanza %d", i), Date: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Text: "Testo dell'istanza.",
		Attachments: []apptest.MailPart{
			{Filename: "domanda.pdf", ContentType: "application/pdf", Content: apptest.PDF(fmt.Sprintf("Domanda %d %s", i, pad))},
			{Filename: "planimetria.pdf", ContentType: "application/pdf", Content: apptest.PDF(fmt.Sprintf("Planimetria %d %s", i, pad))}}})
}

// waitCount polls query (a count) on dbURL's database until it reaches n.
func waitCount(b *testing.B, dbURL, query string, n int) {
	b.Helper()
	db := testdb.RawDB(b, dbURL)
	deadline := time.Now().Add(30 * time.Minute)
	for {
		var got int
		if err := db.QueryRow(query).Scan(&got); err != nil {
			b.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: %d, want %d", query, got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchmarkMailboxIntake measures issue 14's first figure end to end: messages registered per
// second from a mailbox, through Dovecot and the running server's mailbox reader (IMAP fetch in
// batches of 50, parse, blobs, registration and record). b.N messages with two PDF attachments
// (≈ 60 KB each) are put in a folder of their own first; the clock starts when they are copied,
// all at once, into the folder the server reads, and stops when the last one is registered.
//
//	go test ./internal/app -run '^$' -bench MailboxIntake -benchtime 1000x
func BenchmarkMailboxIntake(b *testing.B) {
	for _, engine := range testdb.Names() {
		b.Run(engine, func(b *testing.B) {
			mt := mailtest.Start(b)
			mt.AddUser(mailboxUser, "pw-posta")
			mt.CreateFolder(b, mailboxUser, "Carico")
			mt.CreateFolder(b, mailboxUser, "Protocollo")
			msgs := make([][]byte, b.N)
			for i := range msgs {
				msgs[i] = benchLetter(i)
			}
			mt.Append(b, mailboxUser, "Carico", msgs...)
			dbURL := testdb.URL(b, engine)
			readingServer(b, mt, b.TempDir(), dbURL, "Protocollo", "")
			b.ResetTimer()
			start := time.Now()
			mt.Copy(b, mailboxUser, "Carico", "Protocollo")
			waitCount(b, dbURL, `SELECT count(*) FROM intake_messages WHERE state = 'registered'`, b.N)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
		})
	}
}

// BenchmarkDispatchSMTP measures issue 14's second figure end to end: dispatches per second
// through the loopback SMTP relay (into Dovecot) with the server running. b.N outgoing
// registrations, each to two recipients, are made first; the clock runs from the first
// POST …/dispatches to the moment every recipient of every dispatch is sent (the relay accepted
// its message). The server sends with its default 4 mail workers, one SMTP connection per
// message.
//
//	go test ./internal/app -run '^$' -bench DispatchSMTP -benchtime 200x
func BenchmarkDispatchSMTP(b *testing.B) {
	for _, engine := range testdb.Names() {
		b.Run(engine, func(b *testing.B) {
			mt := mailtest.Start(b)
			mt.AddUser("anna@example.it", "pw-anna")
			mt.AddUser("mario@example.it", "pw-mario")
			dbURL := testdb.URL(b, engine)
			s, tok := sendingServer(b, mt, dbURL)
			paths := make([]string, b.N)
			for i := range paths {
				paths[i] = registerOutgoing(b, s, tok, fmt.Sprintf("Comunicazione %d", i), "anna@example.it", "mario@example.it")
			}
			b.ResetTimer()
			start := time.Now()
			for _, p := range paths {
				postDispatch(b, s, tok, p)
			}
			waitCount(b, dbURL, `SELECT count(*) FROM dispatch_recipients WHERE state = 'sent'`, 2*b.N)
			elapsed := time.Since(start).Seconds()
			b.ReportMetric(float64(b.N)/elapsed, "dispatch/s")
			b.ReportMetric(float64(2*b.N)/elapsed, "msg/s")
		})
	}
}
