package signing

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/digitorus/pkcs7"

	"github.com/digitorus/timestamp"
)

// checkCoverage requires br to be [0 a b c] with b+c the file length and the
// gap a..b holding exactly one hex string: the signature's own Contents.
// Anything else leaves bytes that no signature protects — appended pages,
// or a second document smuggled before %%EOF.
//
// The gap must also be canonical: one case of hex digits, and after the CMS
// DER only zero padding. The ByteRange excludes the gap, so without this a
// flipped letter case or padding byte would go unnoticed.
func checkCoverage(pdf []byte, br []int64) error {
	size := int64(len(pdf))
	if len(br) != 4 {
		return fmt.Errorf("ByteRange has %d values, want 4", len(br))
	}
	start, gapStart, gapEnd, tail := br[0], br[1], br[2], br[3]
	if start != 0 || gapStart <= 0 || gapEnd <= gapStart+1 || tail < 0 || gapEnd > size {
		return fmt.Errorf("malformed ByteRange %v", br)
	}
	if gapEnd+tail != size {
		return fmt.Errorf("ByteRange %v covers %d bytes of a %d-byte file: bytes were added after signing", br, gapEnd+tail, size)
	}
	gap := pdf[gapStart:gapEnd]
	if gap[0] != '<' || gap[len(gap)-1] != '>' {
		return errors.New("ByteRange gap is not a hex string")
	}
	digits := gap[1 : len(gap)-1]
	raw, err := hex.DecodeString(string(digits))
	if err != nil {
		return fmt.Errorf("signature contents: %w", err)
	}
	if !bytes.Equal(digits, []byte(hex.EncodeToString(raw))) &&
		!bytes.Equal(digits, bytes.ToUpper([]byte(hex.EncodeToString(raw)))) {
		return errors.New("signature contents mix upper and lower case hex")
	}
	var outer asn1.RawValue
	rest, err := asn1.Unmarshal(raw, &outer)
	if err != nil {
		return fmt.Errorf("signature contents: %w", err)
	}
	for _, b := range rest {
		if b != 0 {
			return errors.New("signature contents have data after the CMS")
		}
	}
	return nil
}

var byteRangePattern = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)

// precheck is a gate run before any PDF parsing: the textually last
// ByteRange must cover the file and its CMS must verify over the covered
// bytes with a signer that chains to roots. The PDF parser underneath
// pdfsign loops forever or panics on some malformed files; with this gate
// only files sealed by a trusted key reach it. It can only reject, never
// accept: full verification follows.
func precheck(pdf []byte, roots *x509.CertPool) error {
	all := byteRangePattern.FindAllSubmatch(pdf, -1)
	if len(all) == 0 {
		return ErrNotSigned
	}
	var br [4]int64
	for i := range br {
		v, err := strconv.ParseInt(string(all[len(all)-1][i+1]), 10, 64)
		if err != nil {
			return fmt.Errorf("%w: ByteRange: %w", ErrInvalidSignature, err)
		}
		br[i] = v
	}
	if err := checkCoverage(pdf, br[:]); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSignature, err)
	}
	raw, err := hex.DecodeString(string(pdf[br[1]+1 : br[2]-1]))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSignature, err)
	}
	p7, err := pkcs7.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: parse CMS: %w", ErrInvalidSignature, err)
	}
	if err := checkEnvelope(raw, p7); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSignature, err)
	}
	p7.Content = append(bytes.Clone(pdf[:br[1]]), pdf[br[2]:]...)
	if err := p7.Verify(); err != nil {
		return fmt.Errorf("%w: CMS signature: %w", ErrInvalidSignature, err)
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return fmt.Errorf("%w: CMS has no single signer", ErrInvalidSignature)
	}
	intermediates := x509.NewCertPool()
	for _, c := range p7.Certificates {
		intermediates.AddCert(c)
	}
	_, err = signer.Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return fmt.Errorf("%w: signer: %w", ErrInvalidSignature, err)
	}
	return nil
}

// parseTokenHash reads which hash a token's imprint uses, so the caller can
// compute the digest to check it against.
func parseTokenHash(token []byte) (crypto.Hash, error) {
	ts, err := timestamp.Parse(token)
	if err != nil {
		return 0, fmt.Errorf("parse token: %w", err)
	}
	return ts.HashAlgorithm, nil
}
