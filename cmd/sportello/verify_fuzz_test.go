package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/archive"
	"github.com/sportello/sportello/signing"
)

// execLimit bounds one fuzzed input: the fuzzer reports a crash, never a hang, so a watchdog
// turns an input that makes a parser spin into a crash, and the input into a failing seed.
const execLimit = 10 * time.Second

// checkVerifier runs `sportello verify` on raw as a file and checks what holds for any input:
// no panic, at least one check printed, and the outcome is a failure exactly when a check
// failed.
func checkVerifier(t *testing.T, opts verifyOptions, raw []byte) {
	defer time.AfterFunc(execLimit, func() { panic(fmt.Sprintf("verify took more than %s", execLimit)) }).Stop()
	var out bytes.Buffer
	err := verifyFile(raw, opts, &out)
	if out.Len() == 0 {
		t.Fatal("verify printed nothing")
	}
	if failed := strings.Contains(out.String(), "FAIL "); failed != (err != nil) {
		t.Fatalf("verify printed FAIL: %t, but returned %v\n%s", failed, err, out.String())
	}
}

// FuzzVerifyReceipt feeds `sportello verify FILE` the receipts a citizen may hand it —
// PDF or JSON, of any shape — trusting the certificates they carry, as it does without
// --fingerprint. The seeds (testdata/fuzz/FuzzVerifyReceipt) are a real receipt PDF and JSON
// (TestWriteFuzzSeeds).
func FuzzVerifyReceipt(f *testing.F) {
	f.Add([]byte("%PDF-1.7\n%%EOF\n"))
	f.Add([]byte(`{"registration":{}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkVerifier(t, verifyOptions{}, raw)
	})
}

// FuzzVerifyCheckpoint feeds `sportello verify --certificate sealing.crt FILE` checkpoint
// files of any shape, against the real sealing certificate that signed the seed
// (testdata/fuzz/FuzzVerifyCheckpoint, TestWriteFuzzSeeds).
func FuzzVerifyCheckpoint(f *testing.F) {
	f.Add([]byte(`{"note":"","root_hash":""}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkVerifier(t, verifyOptions{certificate: "testdata/sealing.crt"}, raw)
	})
}

// FuzzVerifyPackage feeds `sportello verify FILE` archive packages of any shape: the seeds are a
// small package built by archive.Build (index, seal, time-stamp; no log proofs) and a zip with
// one unsafe entry name.
func FuzzVerifyPackage(f *testing.F) {
	f.Add(seedPackage(f))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkVerifier(t, verifyOptions{}, raw)
	})
}

// seedPackage builds a two-file package sealed with a fresh identity and built-in TSA.
func seedPackage(f *testing.F) []byte {
	dir := f.TempDir()
	id, err := signing.LoadOrCreateSelfSigned(filepath.Join(dir, "seal"))
	if err != nil {
		f.Fatal(err)
	}
	tsa, err := signing.LoadOrCreateBuiltinTSA(filepath.Join(dir, "tsa"))
	if err != nil {
		f.Fatal(err)
	}
	files := []archive.Entry{
		{Path: "registrations/PG-2026-0000001/document/a.pdf", Group: "PG-2026-0000001", Format: "application/pdf", Data: []byte("%PDF-1.7 a")},
		{Path: "registrations/PG-2026-0000001/receipt.json", Group: "PG-2026-0000001", Format: "application/json",
			Data: []byte(`{"kind":"registration","leaf_index":0,"leaf":"e30=","checkpoint_size":1,"inclusion_proof":[]}`)},
	}
	built, err := archive.Build(context.Background(), archive.Index{Label: "Pacchetto", Producer: "Comune", Signer: "Sportello",
		TimeReference: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}, files, archive.Sealing{
		Seal: func(_ context.Context, data []byte) ([]byte, error) { return signing.SealDetached(id, data) }, TSA: tsa})
	if err != nil {
		f.Fatal(err)
	}
	return built.Zip
}
