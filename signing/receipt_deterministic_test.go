package signing

import (
	"bytes"
	"testing"
	"time"
)

// TestReceiptDeterministic renders the same receipt twice, more than a second apart: the same
// bytes (no rendering time, catalogs in a fixed order), as archive packages need for the
// unsealed receipts they carry.
func TestReceiptDeterministic(t *testing.T) {
	c := ReceiptContent{AOO: "Comune di Prova", Identifier: "c_h501-A1-PG-2026-0000001", RegisteredAt: time.Unix(1e9, 0),
		Subject: "Istanza", Document: ReceiptFile{Filename: "a.pdf", SHA256: "00"}, JSON: []byte(`{"a":1}`)}
	a, err := RenderReceipt(c)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the PDF dates have a resolution of one second
	for range 5 {
		b, err := RenderReceipt(c)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("the same receipt renders to different bytes")
		}
	}
}
