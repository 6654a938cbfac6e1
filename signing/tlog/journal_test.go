package tlog_test

import (
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/tlog"
)

// TestJournalLeaf pins the journal leaf's bytes to docs/transparency-log.md.
func TestJournalLeaf(t *testing.T) {
	j := domain.Journal{Register: "PG", Date: "2026-11-27", Registrations: 42,
		JSONSHA256: strings.Repeat("a", 64), PDFSHA256: strings.Repeat("b", 64)}
	leaf, err := tlog.JournalLeaf(j)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"count":42,"date":"2026-11-27","json_sha256":"` + strings.Repeat("a", 64) +
		`","kind":"journal","pdf_sha256":"` + strings.Repeat("b", 64) + `","register":"PG","v":1}`
	if string(leaf) != want {
		t.Fatalf("leaf\n%s\nwant\n%s", leaf, want)
	}
}
