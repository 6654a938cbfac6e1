package signing

import (
	"strings"
	"testing"
	"time"
)

// TestJournalShowsImageCopy: the journal PDF prints an image copy of a paper original and its
// attestation under its entry, and the emergency entry under one loaded from the emergency
// register; an entry with neither has no such lines.
func TestJournalShowsImageCopy(t *testing.T) {
	entry := JournalEntry{Identifier: "c_h501-A1B2C3D-PG-2026-0000001", Number: "0000001",
		RegisteredAt: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), Direction: "incoming", Subject: "Oggetto",
		Correspondents: []string{"Mario Rossi"}, DocumentSHA256: strings.Repeat("ab", 32)}
	content := func(e JournalEntry) JournalContent {
		return JournalContent{AOO: "Comune", Register: "PG", Date: "2026-11-20", Location: time.UTC,
			Entries: []JournalEntry{e}, JSON: []byte("{}"), JSONSHA256: strings.Repeat("cd", 32), ProducedAt: time.Now()}
	}
	plain, err := RenderJournal(content(entry))
	if err != nil {
		t.Fatal(err)
	}
	scanned := entry
	scanned.ImageCopy, scanned.Emergency = "attestata da Anna Verdi il 2026-11-19", "12 del 2026-11-19"
	pdf, err := RenderJournal(content(scanned))
	if err != nil {
		t.Fatal(err)
	}
	if text := pdfStreams(t, pdf); !strings.Contains(text, "Copia per immagine") || !strings.Contains(text, "Anna Verdi") ||
		!strings.Contains(text, "Registro di emergenza") {
		t.Fatal("the journal does not show the image copy and the emergency entry")
	}
	if text := pdfStreams(t, plain); strings.Contains(text, "Copia per immagine") || strings.Contains(text, "Registro di emergenza") {
		t.Fatal("an entry with neither shows one")
	}
}

// TestJournalShowsEverything: under each entry the journal PDF prints the sender's reference,
// class, offices, the attachments' count and digests, and an annulment with the authorising
// act as given; an entry without them says so.
func TestJournalShowsEverything(t *testing.T) {
	entry := JournalEntry{Identifier: "c_h501-A1B2C3D-PG-2026-0000001", Number: "0000001",
		RegisteredAt: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), Direction: "incoming", Subject: "Oggetto",
		Correspondents: []string{"Mario Rossi"}, DocumentSHA256: strings.Repeat("ab", 32)}
	full := entry
	full.SenderNumber, full.SenderDate, full.Class, full.Offices = "77/A", "2026-11-19", "VI.3", []string{"TEC", "URP"}
	full.Attachments = []ReceiptFile{{Filename: "pianta.png", SHA256: strings.Repeat("01", 32)}, {Filename: "relazione.txt", SHA256: strings.Repeat("02", 32)}}
	full.Annulment = &JournalAnnulment{At: time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC), Authorization: "Determina n. 12", Reason: "doppia"}
	pdf, err := RenderJournal(JournalContent{AOO: "Comune", Register: "PG", Date: "2026-11-20", Location: time.UTC,
		Entries: []JournalEntry{full, entry}, JSON: []byte("{}"), JSONSHA256: strings.Repeat("cd", 32), ProducedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	text := pdfStreams(t, pdf)
	for _, want := range []string{"Protocollo del mittente: n. 77/A del 19/11/2026", "Classificazione: VI.3", "Uffici: TEC, URP",
		"Allegati: 2", "1. SHA-256 " + strings.Repeat("01", 32) + " pianta.png", "2. SHA-256 " + strings.Repeat("02", 32),
		"provvedimento di autorizzazione: Determina n. 12; motivo: doppia", "Classificazione: non classificata",
		"Uffici: nessuno", "Allegati: 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("the journal PDF does not show %q", want)
		}
	}
	if strings.Count(text, "Protocollo del mittente") != 1 {
		t.Error("an entry without sender reference shows one")
	}
}
