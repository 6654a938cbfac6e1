package mail

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sportello/sportello/domain"
)

// maxFuzzInput bounds the fuzzer's inputs: the fixtures fit, and longer inputs take no other
// path (docs/fuzzing.md).
const maxFuzzInput = 8 << 10

// FuzzParse reads any bytes as a message. Bad input is refused with validation_failed only;
// what is read has file names that are plain, distinct and not empty, at most MaxParts files,
// the Segnatura of the first file so named, readable (UTF-8) text and headers, and files that
// Compose writes and Parse reads back the same.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, s := range seeds {
		raw, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add(nested(3))
	f.Add(wide(3))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > maxFuzzInput {
			t.Skip()
		}
		m, err := Parse(raw)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.ECValidation {
				t.Fatalf("error %v, want validation_failed", err)
			}
			return
		}
		checkMessage(t, m)
	})
}

// checkMessage checks the invariants of a parsed message, and of its certified original.
func checkMessage(t *testing.T, m *domain.MailMessage) {
	t.Helper()
	if len(m.Attachments) > MaxParts {
		t.Fatalf("%d files", len(m.Attachments))
	}
	for _, s := range []string{m.Subject, m.Text, m.From.Name, m.MessageID} {
		if !utf8.ValidString(s) {
			t.Fatalf("not UTF-8: %q", s)
		}
	}
	seen := map[string]bool{}
	var segnatura []byte
	for _, f := range append(append([]domain.MailFile(nil), m.Bodies...), m.Attachments...) {
		key := strings.ToLower(f.Name)
		if f.Name == "" || seen[key] || strings.ContainsAny(f.Name, `/\`) || strings.IndexFunc(f.Name, unicode.IsControl) >= 0 || !utf8.ValidString(f.Name) {
			t.Fatalf("file name %q (names %v)", f.Name, seen)
		}
		seen[key] = true
		if key == "segnatura.xml" && segnatura == nil {
			segnatura = f.Content
		}
	}
	if segnatura == nil && m.Segnatura != nil || segnatura != nil && !bytes.Equal(segnatura, m.Segnatura) {
		t.Fatal("Segnatura is not the file named Segnatura.xml")
	}
	if len(m.Attachments) > 0 {
		roundTrip(t, m.Attachments)
	}
	if m.PEC != nil && m.PEC.Original != nil {
		if m.PEC.OriginalRaw == nil {
			t.Fatal("original parsed without its bytes")
		}
		checkMessage(t, m.PEC.Original)
	}
}

// roundTrip checks that Compose writes files that Parse reads back with their names and bytes.
func roundTrip(t *testing.T, files []domain.MailFile) {
	t.Helper()
	for _, f := range files {
		if len(f.Name) > maxNameBytes { // a name made distinct past the bound is cut by Compose
			return
		}
	}
	raw, err := Compose(domain.OutgoingMail{
		MessageID: "fuzz@example.it", From: domain.MailAddress{Address: "a@example.it"},
		To: []domain.MailAddress{{Address: "b@example.it"}}, Date: time.Unix(0, 0), Files: files,
	})
	if err != nil {
		t.Fatalf("compose: %v", err)
	}
	back, err := Parse(raw)
	if err != nil {
		t.Fatalf("parse of composed: %v", err)
	}
	if len(back.Attachments) != len(files) {
		t.Fatalf("%d files back, want %d", len(back.Attachments), len(files))
	}
	for i, f := range files {
		if b := back.Attachments[i]; b.Name != f.Name || !bytes.Equal(b.Content, f.Content) {
			t.Fatalf("file %d back as %q (%d bytes), want %q (%d bytes)", i, b.Name, len(b.Content), f.Name, len(f.Content))
		}
	}
}

// BenchmarkParse parses a message with a text and two 100 KiB attachments.
func BenchmarkParse(b *testing.B) {
	att := make([]byte, 100<<10)
	for i := range att {
		att[i] = byte(i*31 + i>>8)
	}
	raw, err := Compose(domain.OutgoingMail{
		MessageID: "bench@example.it", From: domain.MailAddress{Name: "Mario Rossi", Address: "mario.rossi@example.it"},
		To: []domain.MailAddress{{Address: "protocollo@ente.example.it"}}, Subject: "Istanza con due allegati",
		Text: strings.Repeat("Testo della richiesta. ", 100), Date: time.Unix(1_800_000_000, 0),
		Files: []domain.MailFile{
			{Name: "istanza.pdf", MediaType: "application/pdf", Content: att},
			{Name: "allegato.pdf", MediaType: "application/pdf", Content: att},
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if m, err := Parse(raw); err != nil || len(m.Attachments) != 2 {
			b.Fatal(err)
		}
	}
}
