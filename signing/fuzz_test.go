package signing

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// execLimit bounds one fuzzed input: the fuzzer reports a crash, never a hang, so a watchdog
// turns an input that makes a parser spin into a crash, and the input into a failing seed.
const execLimit = 10 * time.Second

// watchdog crashes the fuzzing process unless stop is called within execLimit.
func watchdog(what string) (stop func() bool) {
	return time.AfterFunc(execLimit, func() { panic(fmt.Sprintf("%s took more than %s", what, execLimit)) }).Stop
}

// receiptRoots are the sealing and TSA certificates of the server that produced the seed
// receipt (testdata/receipt-roots.pem, written with the seeds by cmd/sportello's
// TestWriteFuzzSeeds), so that fuzzed receipts are checked against the roots of the seed.
func receiptRoots(f *testing.F) *x509.CertPool {
	f.Helper()
	raw, err := os.ReadFile("testdata/receipt-roots.pem")
	if err != nil {
		f.Fatal(err)
	}
	roots := x509.NewCertPool()
	for block, rest := pem.Decode(raw); block != nil; block, rest = pem.Decode(rest) {
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			f.Fatal(err)
		}
		roots.AddCert(cert)
	}
	return roots
}

// FuzzReceiptJSON reads the embedded receipt out of PDFs of any shape, as `sportello verify`
// does before anything else with a PDF it is handed: no panic, no hang, nothing over the bound.
func FuzzReceiptJSON(f *testing.F) {
	f.Add(minimalPDF())
	f.Fuzz(func(t *testing.T, pdf []byte) {
		defer watchdog("ReceiptJSON")()
		data, err := ReceiptJSON(pdf)
		if err == nil && len(data) > maxReceiptJSON {
			t.Fatalf("%d bytes read, over the bound of %d", len(data), maxReceiptJSON)
		}
	})
}

// FuzzVerifyPDF checks the seal of PDFs of any shape against the seed receipt's roots: no
// panic, no hang, and whatever verifies has a signer and covers the whole file.
func FuzzVerifyPDF(f *testing.F) {
	roots := receiptRoots(f)
	f.Add(minimalPDF())
	f.Fuzz(func(t *testing.T, pdf []byte) {
		defer watchdog("VerifyPDF")()
		rep, err := VerifyPDF(pdf, roots)
		if err == nil && (rep.Signer == nil || rep.Signatures == 0) {
			t.Fatalf("verified without a signer: %+v", rep)
		}
	})
}

// FuzzTimestampToken parses RFC 3161 tokens of any shape as the verifier meets them in
// checkpoints: TokenCertificate, and VerifyToken against the imprint the token itself claims
// (so that the checks past the imprint are reached).
func FuzzTimestampToken(f *testing.F) {
	roots := receiptRoots(f)
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, token []byte) {
		defer watchdog("a time-stamp token")()
		_, _ = TokenCertificate(token)
		ts, err := timestamp.Parse(token)
		if err != nil {
			return
		}
		info, err := VerifyToken(token, ts.HashedMessage, ts.HashAlgorithm, nil, roots)
		if err == nil && info.TSA == nil {
			t.Fatal("token verified without its TSA certificate")
		}
	})
}
