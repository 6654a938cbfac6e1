package mail

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
)

// nested is a message whose body is depth multiparts one inside the other, a text at the bottom.
func nested(depth int) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.it\r\nSubject: nested\r\nMIME-Version: 1.0\r\n")
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nbottom\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// wide is a message with n attachments side by side.
func wide(n int) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.it\r\nSubject: wide\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"w\"\r\n\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "--w\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"a.bin\"\r\n\r\n%d\r\n", i)
	}
	b.WriteString("--w--\r\n")
	return []byte(b.String())
}

// Nesting up to MaxDepth is read; one level more is refused.
func TestParseMaxDepth(t *testing.T) {
	m, err := Parse(nested(MaxDepth))
	if err != nil || m.Text != "bottom" {
		t.Fatalf("depth %d: %v %+v", MaxDepth, err, m)
	}
	if _, err := Parse(nested(MaxDepth + 1)); !domain.IsCode(err, domain.ECValidation) {
		t.Errorf("depth %d: got %v, want validation_failed", MaxDepth+1, err)
	}
}

// Up to MaxParts parts are read (the multipart body counts as one); one more is refused. Their equal names are made distinct.
func TestParseMaxParts(t *testing.T) {
	m, err := Parse(wide(MaxParts - 1))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.Attachments); n != MaxParts-1 || m.Attachments[n-1].Name != fmt.Sprintf("a (%d).bin", n) {
		t.Errorf("%d attachments, last %q", n, m.Attachments[n-1].Name)
	}
	if _, err := Parse(wide(MaxParts)); !domain.IsCode(err, domain.ECValidation) {
		t.Errorf("got %v, want validation_failed", err)
	}
}

// The bounds hold across a certified original: its parts count with the envelope's.
func TestParseBudgetAcrossOriginal(t *testing.T) {
	inner := wide(MaxParts - 1) // within the bound alone
	outer := "From: posta-certificata@pec.example.it\r\nX-Trasporto: posta-certificata\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n" +
		"--o\r\nContent-Type: application/xml\r\nContent-Disposition: inline; filename=\"daticert.xml\"\r\n\r\n<postacert tipo=\"posta-certificata\" errore=\"nessuno\"/>\r\n" +
		"--o\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline; filename=\"postacert.eml\"\r\n\r\n" + string(inner) + "\r\n--o--\r\n"
	if _, err := Parse([]byte(outer)); !domain.IsCode(err, domain.ECValidation) {
		t.Errorf("got %v, want validation_failed", err)
	}
	if m, err := Parse(wide(10)); err != nil || m.PEC != nil {
		t.Fatalf("%v %+v", err, m)
	}
}
