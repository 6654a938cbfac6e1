package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
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
	v := &verifier{out: &out, opts: opts}
	v.file(raw)
	err := v.result()
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
