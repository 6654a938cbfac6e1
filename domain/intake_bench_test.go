package domain_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkReceiveMail measures the intake of a mailbox's messages once they are fetched: each
// message (a PEC envelope around a message with two PDF attachments, ≈ 4 KiB) is stored,
// parsed, its parts stored, and registered with its record in one transaction, one after the
// other as a mailbox reader does. IMAP is left out (the mail/imapbox client is not in this
// branch); it reports messages registered per second.
//
//	go test ./domain -run '^$' -bench ReceiveMail -benchtime 1000x
func BenchmarkReceiveMail(b *testing.B) {
	for _, engine := range testdb.Names() {
		b.Run(engine, func(b *testing.B) {
			s := mailService(b, testdb.URL(b, engine))
			box := domain.MailboxSettings{Name: "pec", Channel: domain.ChannelPEC, Mode: domain.MailboxRegister,
				Register: domain.DefaultRegister, Offices: []string{"TEC"}, Class: "VI.3"}
			msgs := make([][]byte, b.N)
			for i := range msgs {
				id := fmt.Sprintf("istanza-%d@example.it", i)
				inner := plainMail(id, "Anna Bianchi <anna@example.it>", fmt.Sprintf("Istanza %d", i),
					apptest.MailPart{Filename: "domanda.pdf", ContentType: "application/pdf", Content: apptest.PDF(fmt.Sprintf("domanda %d", i))},
					apptest.MailPart{Filename: "planimetria.pdf", ContentType: "application/pdf", Content: apptest.PDF(fmt.Sprintf("planimetria %d", i))})
				msgs[i] = apptest.PECEnvelope(inner, "anna@pec.example.it", "protocollo@pec.demo.example", "Istanza", id,
					time.Date(2026, 11, 25, 10, 0, 0, i, time.UTC))
			}
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				m, _, err := s.ReceiveMail(ctx, box, 1, domain.MailboxMessage{UID: uint32(i + 1), Raw: msgs[i]})
				if err != nil || m.State != domain.IntakeRegistered {
					b.Fatalf("message %d: %v %+v", i, err, m)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
		})
	}
}
