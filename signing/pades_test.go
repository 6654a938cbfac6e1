package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"
)

func signOptions() SignOptions {
	return SignOptions{Name: "Comune di Esempio", Reason: "Ricevuta di protocollo", Location: "Esempio (RM)"}
}

func TestSignPDF(t *testing.T) {
	id, tsa := fixtures(t)
	roots := pool(id.Certificate, tsa.Certificate())

	t.Run("BaselineB", func(t *testing.T) {
		signed, err := SignPDF(context.Background(), testPDF(t), id, signOptions())
		if err != nil {
			t.Fatalf("SignPDF: %v", err)
		}
		if !bytes.HasPrefix(signed, testPDF(t)) {
			t.Error("signed PDF does not start with the original bytes (not an incremental update)")
		}
		if !bytes.Contains(signed, []byte("/SubFilter /ETSI.CAdES.detached")) {
			t.Error("signature dictionary lacks /SubFilter /ETSI.CAdES.detached")
		}
		rep, err := VerifyPDF(signed, roots)
		if err != nil {
			t.Fatalf("VerifyPDF: %v", err)
		}
		if rep.SubFilter != "ETSI.CAdES.detached" || rep.Signatures != 1 {
			t.Errorf("SubFilter %q, %d signatures", rep.SubFilter, rep.Signatures)
		}
		if !rep.Signer.Equal(id.Certificate) || rep.SignerName != "Comune di Esempio" || rep.Reason != "Ricevuta di protocollo" {
			t.Errorf("report names %q / %q / %v", rep.SignerName, rep.Reason, rep.Signer.Subject)
		}
		if d := time.Since(rep.SigningTime); d < -time.Minute || d > time.Minute {
			t.Errorf("signing time %v is not now", rep.SigningTime)
		}
		if rep.TimestampPresent || rep.TimestampValid {
			t.Error("B-B signature reports a time-stamp")
		}
	})

	t.Run("BaselineTWithBuiltinTSA", func(t *testing.T) {
		opts := signOptions()
		opts.TSA = tsa
		signed, err := SignPDF(context.Background(), testPDF(t), id, opts)
		if err != nil {
			t.Fatalf("SignPDF: %v", err)
		}
		assertTimestamped(t, signed, roots)
	})

	t.Run("BaselineTWithTSAURL", func(t *testing.T) {
		srv := httptest.NewServer(tsa)
		defer srv.Close()
		opts := signOptions()
		opts.TSAURL = srv.URL
		signed, err := SignPDF(context.Background(), testPDF(t), id, opts)
		if err != nil {
			t.Fatalf("SignPDF: %v", err)
		}
		assertTimestamped(t, signed, roots)
	})

	t.Run("BaselineTWithTSAClient", func(t *testing.T) {
		srv := httptest.NewServer(tsa)
		defer srv.Close()
		opts := signOptions()
		opts.TSA = &TSAClient{URL: srv.URL, Timeout: 5 * time.Second}
		signed, err := SignPDF(context.Background(), testPDF(t), id, opts)
		if err != nil {
			t.Fatalf("SignPDF: %v", err)
		}
		assertTimestamped(t, signed, roots)
	})

	t.Run("ErrTimestamperWithoutNonce", func(t *testing.T) {
		opts := signOptions()
		opts.TSA = nonceless{tsa}
		if _, err := SignPDF(context.Background(), testPDF(t), id, opts); err == nil {
			t.Fatal("SignPDF accepted a timestamper that cannot bind a nonce")
		}
	})
}

// nonceless hides BuiltinTSA's TimestampNonce.
type nonceless struct{ t *BuiltinTSA }

func (n nonceless) Timestamp(ctx context.Context, digest []byte, hash crypto.Hash) ([]byte, error) {
	return n.t.Timestamp(ctx, digest, hash)
}

func assertTimestamped(t *testing.T, signed []byte, roots *x509.CertPool) {
	t.Helper()
	if !bytes.Contains(signed, []byte("/SubFilter /ETSI.CAdES.detached")) {
		t.Error("signature dictionary lacks /SubFilter /ETSI.CAdES.detached")
	}
	rep, err := VerifyPDF(signed, roots)
	if err != nil {
		t.Fatalf("VerifyPDF: %v", err)
	}
	if !rep.TimestampPresent || !rep.TimestampValid {
		t.Fatalf("time-stamp present %v valid %v", rep.TimestampPresent, rep.TimestampValid)
	}
	if d := time.Since(rep.TimestampTime); d < -time.Minute || d > time.Minute {
		t.Errorf("time-stamp time %v is not now", rep.TimestampTime)
	}
}

func TestVerifyPDF(t *testing.T) {
	id, tsa := fixtures(t)
	roots := pool(id.Certificate, tsa.Certificate())
	opts := signOptions()
	opts.TSA = tsa
	signed, err := SignPDF(context.Background(), testPDF(t), id, opts)
	if err != nil {
		t.Fatalf("SignPDF: %v", err)
	}
	br := byteRange(t, signed)
	gapStart, gapEnd := int(br[1]), int(br[2])

	positions := map[string]int{
		"HeaderByte":              5,
		"PageContent":             bytes.Index(signed, []byte("Ricevuta di protocollo")),
		"SignatureDictionaryName": bytes.Index(signed, []byte("/Name")) + 2,
		"ByteRangeArray":          bytes.Index(signed, []byte("/ByteRange")) + 12,
		"ContentsOpeningBracket":  gapStart,
		"ContentsCMSHeader":       gapStart + 1,
		"ContentsCMSMiddle":       gapStart + 1 + 1000,
		"ContentsTimestampToken":  gapStart + 1 + 2*timestampTokenOffset(t, signed[gapStart+1:gapEnd-1]) + 40,
		"ContentsZeroPadding":     gapEnd - 3,
		"ContentsClosingBracket":  gapEnd - 1,
		"TrailerAfterSignature":   len(signed) - 10,
		"LastByte":                len(signed) - 1,
	}
	for name, pos := range positions {
		for _, mask := range []byte{0x01, 0x20} {
			t.Run(fmt.Sprintf("ErrFlipped%sXor%#x", name, mask), func(t *testing.T) {
				tampered := bytes.Clone(signed)
				tampered[pos] ^= mask
				if _, err := VerifyPDF(tampered, roots); err == nil {
					t.Fatalf("VerifyPDF accepted a file with byte %d (%q) xor %#x", pos, signed[pos], mask)
				}
			})
		}
	}

	t.Run("ErrAppendedBytes", func(t *testing.T) {
		for _, extra := range []string{" ", "\n%%EOF\n", "\n9 0 obj\n<< >>\nendobj\n"} {
			_, err := VerifyPDF(append(bytes.Clone(signed), extra...), roots)
			if !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("appending %q: got %v, want ErrInvalidSignature", extra, err)
			}
		}
	})

	t.Run("ErrUntrustedSigner", func(t *testing.T) {
		if _, err := VerifyPDF(signed, pool(tsa.Certificate())); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("got %v, want ErrInvalidSignature", err)
		}
	})

	t.Run("ErrUntrustedTSA", func(t *testing.T) {
		if _, err := VerifyPDF(signed, pool(id.Certificate)); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("got %v, want ErrInvalidSignature", err)
		}
	})

	t.Run("ErrNotSigned", func(t *testing.T) {
		if _, err := VerifyPDF(testPDF(t), roots); !errors.Is(err, ErrNotSigned) {
			t.Fatalf("got %v, want ErrNotSigned", err)
		}
	})
}

// TestVerifyPDFEverySingleBitFlip flips every bit of a B-B and a B-T file
// (about 260,000 verifications, ~30s), so it runs only when asked:
// SPORTELLO_SIGNING_SWEEP=1 go test -run EverySingleBitFlip ./signing/
func TestVerifyPDFEverySingleBitFlip(t *testing.T) {
	if os.Getenv("SPORTELLO_SIGNING_SWEEP") == "" {
		t.Skip("set SPORTELLO_SIGNING_SWEEP=1 to run")
	}
	id, tsa := fixtures(t)
	roots := pool(id.Certificate, tsa.Certificate())
	for _, timestamper := range []Timestamper{nil, tsa} {
		opts := signOptions()
		opts.TSA = timestamper
		signed, err := SignPDF(context.Background(), testPDF(t), id, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyPDF(signed, roots); err != nil {
			t.Fatalf("untouched file: %v", err)
		}
		for pos := range signed {
			for bit := range 8 {
				tampered := bytes.Clone(signed)
				tampered[pos] ^= 1 << bit
				if _, err := VerifyPDF(tampered, roots); err == nil {
					t.Errorf("accepted bit %d of byte %d (%q) flipped", bit, pos, signed[pos])
				}
			}
		}
	}
}

func BenchmarkSignPDF(b *testing.B) {
	id, tsa := fixtures(b)
	pdf := testPDF(b)
	b.Run("B-B", func(b *testing.B) {
		for b.Loop() {
			if _, err := SignPDF(context.Background(), pdf, id, signOptions()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("B-T-builtin-TSA", func(b *testing.B) {
		opts := signOptions()
		opts.TSA = tsa
		for b.Loop() {
			if _, err := SignPDF(context.Background(), pdf, id, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var byteRangeRE = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)

// byteRange returns the last /ByteRange written into pdf.
func byteRange(t *testing.T, pdf []byte) [4]int64 {
	t.Helper()
	all := byteRangeRE.FindAllSubmatch(pdf, -1)
	if len(all) == 0 {
		t.Fatal("no /ByteRange in signed PDF")
	}
	var br [4]int64
	for i := range br {
		v, err := strconv.ParseInt(string(all[len(all)-1][i+1]), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		br[i] = v
	}
	return br
}

// timestampTokenOffset finds the id-aa-timeStampToken attribute in the hex
// Contents, so a test can flip a byte inside the embedded token.
func timestampTokenOffset(t *testing.T, hexContents []byte) int {
	t.Helper()
	raw, err := hex.DecodeString(string(hexContents))
	if err != nil {
		t.Fatal(err)
	}
	oid := []byte{0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x0e}
	i := bytes.Index(raw, oid)
	if i < 0 {
		t.Fatal("no time-stamp token attribute in the signature")
	}
	return i
}
