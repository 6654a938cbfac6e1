package imapbox_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkSend measures dispatches per second: smtpsend → the test relay → Dovecot by LMTP.
func BenchmarkSend(b *testing.B) {
	_, s, _ := setupB(b)
	raw := message(1, strings.Repeat("testo della comunicazione\r\n", 40))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Send(context.Background(), sender, []string{rcpt}, raw); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkFetch measures messages per second read by Fetch (batches of 100) from a mailbox of
// 1,000 messages with a 50 KiB attachment each.
func BenchmarkFetch(b *testing.B) {
	_, s, box := setupB(b)
	raw := withAttachment(50 << 10)
	for i := 0; i < 1000; i++ {
		if err := s.Send(context.Background(), sender, []string{rcpt}, raw); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		var after uint32
		for {
			_, msgs, err := box.Fetch(context.Background(), after, 100)
			if err != nil {
				b.Fatal(err)
			}
			if len(msgs) == 0 {
				break
			}
			n += len(msgs)
			after = msgs[len(msgs)-1].UID
		}
	}
	if n != 1000*b.N {
		b.Fatalf("read %d messages; want %d", n, 1000*b.N)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

// withAttachment is a message with a PDF-like attachment of size bytes, base64 in 76-column lines.
func withAttachment(size int) []byte {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	enc := base64.StdEncoding.EncodeToString(data)
	var lines []string
	for len(enc) > 76 {
		lines = append(lines, enc[:76])
		enc = enc[76:]
	}
	lines = append(lines, enc)
	return []byte(fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: con allegato\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\ntesto\r\n--b\r\n"+
		"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n", sender, rcpt, strings.Join(lines, "\r\n")))
}
