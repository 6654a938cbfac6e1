package signing

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

// TokenInfo is what a verified time-stamp token asserts.
type TokenInfo struct {
	Time time.Time
	// TSA is the certificate that signed the token.
	TSA    *x509.Certificate
	Serial *big.Int
}

// ErrTokenMismatch reports a token that is genuine but dates something else:
// another digest, hash algorithm or nonce.
var ErrTokenMismatch = errors.New("time-stamp token does not match")

// VerifyToken checks that token is a well-formed RFC 3161 token over digest
// (computed with hash), carries nonce when one is given, is signed correctly,
// and that its signer chains to roots with the timeStamping EKU at the time
// the token claims. All four are needed: a valid signature over another
// document's digest, or by an unknown TSA, proves nothing.
func VerifyToken(token, digest []byte, hash crypto.Hash, nonce *big.Int, roots *x509.CertPool) (*TokenInfo, error) {
	if roots == nil {
		return nil, errors.New("verify time-stamp token: no trusted roots given")
	}
	// timestamp.Parse also checks the CMS signature when the token carries
	// certificates; tokens without them are refused below.
	ts, err := timestamp.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("verify time-stamp token: parse: %w", err)
	}
	if ts.HashAlgorithm != hash || !bytes.Equal(ts.HashedMessage, digest) {
		return nil, fmt.Errorf("verify time-stamp token: message imprint: %w", ErrTokenMismatch)
	}
	if nonce != nil && (ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0) {
		return nil, fmt.Errorf("verify time-stamp token: nonce: %w", ErrTokenMismatch)
	}
	if err := checkTokenEnvelope(token); err != nil {
		return nil, fmt.Errorf("verify time-stamp token: %w", err)
	}
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("verify time-stamp token: parse CMS: %w", err)
	}
	signer := p7.GetOnlySigner()
	if signer == nil || len(p7.Certificates) == 0 {
		return nil, errors.New("verify time-stamp token: token does not carry its signer's certificate")
	}
	// Verify the CMS signature explicitly rather than relying on Parse's
	// conditional check, so the guarantee does not hinge on a library detail.
	if err := p7.Verify(); err != nil {
		return nil, fmt.Errorf("verify time-stamp token: signature: %w", err)
	}
	intermediates := x509.NewCertPool()
	for _, c := range p7.Certificates {
		intermediates.AddCert(c)
	}
	_, err = signer.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		CurrentTime:   ts.Time,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	})
	if err != nil {
		return nil, fmt.Errorf("verify time-stamp token: TSA certificate: %w", err)
	}
	return &TokenInfo{Time: ts.Time, TSA: signer, Serial: ts.SerialNumber}, nil
}
