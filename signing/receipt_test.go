package signing

import (
	"bytes"
	"compress/zlib"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func testReceiptContent() ReceiptContent {
	rome, _ := time.LoadLocation("Europe/Rome")
	return ReceiptContent{
		AOO: "Comune di Esempio (c_h501 / A1B2C3D)", Register: "PG", Identifier: "c_h501-A1B2C3D-PG-2026-0000042",
		Number: "0000042", RegisteredAt: time.Date(2026, 11, 28, 20, 1, 2, 123456000, time.UTC), Location: rome,
		Direction: "incoming", Subject: "Richiesta di attività edilizia — perché sì €",
		Correspondents: []ReceiptCorrespondent{{Role: "sender", Name: "Niccolò Àlvarez"}},
		Document:       ReceiptFile{Filename: "domanda.pdf", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		Attachments:    []ReceiptFile{{Filename: "planimetria.pdf", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
		LeafIndex:      41, CheckpointSize: 42, CheckpointRoot: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
		CheckpointTime: time.Date(2026, 11, 28, 20, 1, 3, 0, time.UTC), SealFingerprint: "ab12",
		JSON: []byte(`{"registration":{"subject":"città"}}`),
	}
}

// TestReceiptSealsAndEmbedsJSON: a rendered receipt is a PDF pdfsign can seal as PAdES B-T,
// and its embedded JSON reads back unchanged from the sealed file.
func TestReceiptSealsAndEmbedsJSON(t *testing.T) {
	id, tsa := fixtures(t)
	c := testReceiptContent()
	raw, err := RenderReceipt(c)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := SignPDF(context.Background(), raw, id, SignOptions{Name: "Comune di Esempio", Reason: "Ricevuta di protocollazione", TSA: tsa})
	if err != nil {
		t.Fatalf("SignPDF: %v", err)
	}
	rep, err := VerifyPDF(signed, pool(id.Certificate, tsa.Certificate()))
	if err != nil || rep.SubFilter != "ETSI.CAdES.detached" || !rep.TimestampValid {
		t.Fatalf("VerifyPDF: %+v, %v", rep, err)
	}
	got, err := ReceiptJSON(signed)
	if err != nil || !bytes.Equal(got, c.JSON) {
		t.Fatalf("embedded JSON %q, %v; want %q", got, err, c.JSON)
	}
	if _, err := ReceiptJSON(testPDF(t)); err == nil {
		t.Fatal("a PDF without attachment yields a receipt JSON")
	}
}

func BenchmarkRenderReceipt(b *testing.B) {
	c := testReceiptContent()
	for b.Loop() {
		if _, err := RenderReceipt(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReceiptPDF is one receipt PDF as the API makes it: render, then seal as PAdES B-T
// with the built-in TSA (served on loopback, as for pdfsign).
func BenchmarkReceiptPDF(b *testing.B) {
	id, tsa := fixtures(b)
	c := testReceiptContent()
	opts := SignOptions{Name: "Comune di Esempio", Reason: "Ricevuta di protocollazione", TSA: tsa}
	for b.Loop() {
		raw, err := RenderReceipt(c)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := SignPDF(context.Background(), raw, id, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReceiptShowsEmergency: the receipt of a registration loaded from the emergency register
// prints its emergency entry; any other receipt has no such line (E1).
func TestReceiptShowsEmergency(t *testing.T) {
	c := testReceiptContent()
	plain, err := RenderReceipt(c)
	if err != nil {
		t.Fatal(err)
	}
	c.Emergency = "n. 12 del 2026-11-30 (interruzione 0193)"
	withEntry, err := RenderReceipt(c)
	if err != nil {
		t.Fatal(err)
	}
	if text := pdfStreams(t, withEntry); !strings.Contains(text, "Registro di emergenza") || !strings.Contains(text, "n. 12 del 2026-11-30") {
		t.Fatal("the receipt does not show the emergency entry")
	}
	if strings.Contains(pdfStreams(t, plain), "Registro di emergenza") {
		t.Fatal("a receipt without emergency entry shows one")
	}
}

// TestReceiptShowsAnnulment: the receipt of an annulled registration says so under its title,
// with the date, the reason and the authorising act; any other receipt does not.
func TestReceiptShowsAnnulment(t *testing.T) {
	c := testReceiptContent()
	plain, err := RenderReceipt(c)
	if err != nil {
		t.Fatal(err)
	}
	c.Annulment = &ReceiptAnnulment{At: time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC), Reason: "Registrazione doppia",
		Authorization: "Determina n. 12 del 2026-11-02"}
	annulled, err := RenderReceipt(c)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfStreams(t, annulled)
	for _, want := range []string{"REGISTRAZIONE ANNULLATA", "Annullata il", "Registrazione doppia", "Determina n. 12 del 2026-11-02"} {
		if !strings.Contains(text, want) {
			t.Errorf("the receipt of an annulled registration does not show %q", want)
		}
	}
	if strings.Contains(pdfStreams(t, plain), "ANNULLATA") {
		t.Fatal("the receipt of an active registration says it is annulled")
	}
}

// pdfStreams returns the inflated content of every Flate stream of a PDF, concatenated.
func pdfStreams(t *testing.T, pdf []byte) string {
	t.Helper()
	var out strings.Builder
	for rest := pdf; ; {
		_, after, ok := bytes.Cut(rest, []byte("stream\n"))
		if !ok {
			break
		}
		body, next, _ := bytes.Cut(after, []byte("endstream"))
		rest = next
		r, err := zlib.NewReader(bytes.NewReader(body))
		if err != nil {
			continue // not a Flate stream
		}
		b, _ := io.ReadAll(r)
		out.Write(b)
	}
	return out.String()
}

// TestReceiptShowsImageCopy: the receipt of an image copy of a paper original prints it, with
// its attestation; any other receipt has no such line.
func TestReceiptShowsImageCopy(t *testing.T) {
	c := testReceiptContent()
	plain, err := RenderReceipt(c)
	if err != nil {
		t.Fatal(err)
	}
	c.ImageCopy = "conformità attestata da Anna Verdi il 2026-11-20"
	scanned, err := RenderReceipt(c)
	if err != nil {
		t.Fatal(err)
	}
	if text := pdfStreams(t, scanned); !strings.Contains(text, "Copia per immagine") || !strings.Contains(text, "Anna Verdi") {
		t.Fatal("the receipt does not show the image copy")
	}
	if strings.Contains(pdfStreams(t, plain), "Copia per immagine") {
		t.Fatal("a receipt of a document that is no image copy shows one")
	}
}
