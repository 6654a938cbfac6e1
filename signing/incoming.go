package signing

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/digitorus/pkcs7"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/p7m"
)

// Anchors are the certificates a received signature must chain to for its signer to be
// trusted (SPORTELLO_TRUST_ANCHORS). Without them trust is unknown: a signature is reported
// valid or not, never trusted.
type Anchors struct {
	Pool *x509.CertPool // nil: no anchors configured
}

// IsSigned reports whether a file is a signed envelope by its media type or, for envelopes
// stored as text (base64 or PEM), its name.
func IsSigned(mediaType, filename string) bool {
	t, _, _ := strings.Cut(mediaType, ";")
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "application/pkcs7-mime", "application/x-pkcs7-mime":
		return true
	}
	return strings.HasSuffix(strings.ToLower(filename), ".p7m")
}

// CheckSignatures returns the signatures on a received file: for a signed envelope (.p7m, see
// IsSigned) one per signer of each layer, outermost first; for a PDF (PAdES) each signature
// inside it; for an XML file (XAdES, see checkXML) each ds:Signature in it; none for other
// files. Each is checked cryptographically (the signature over the content, by the signer's
// certificate carried with it) and, when anchors are configured, for a chain from the signer
// to an anchor valid at the claimed signing time. Revocation is not checked. A file named
// .p7m that is no envelope is reported as one signature that is not valid.
func (a Anchors) CheckSignatures(data []byte, mediaType, filename string) []domain.Signature {
	if !IsSigned(mediaType, filename) {
		if t, _, _ := strings.Cut(mediaType, ";"); strings.TrimSpace(t) == "application/pdf" {
			return a.checkPDF(data)
		}
		if isXML(mediaType, filename) {
			return a.checkXML(data)
		}
		return nil
	}
	layers, _, err := p7m.Open(data)
	if err != nil {
		return []domain.Signature{{Format: domain.SignatureCAdES, Reason: err.Error(), Trusted: a.unknown()}}
	}
	var out []domain.Signature
	for _, p7 := range layers {
		for i := range p7.Signers {
			out = append(out, a.checkSigner(p7, i))
		}
	}
	return out
}

// unknown is Trusted when the signature could not be checked: false with anchors, nil without.
func (a Anchors) unknown() *bool {
	if a.Pool == nil {
		return nil
	}
	f := false
	return &f
}

// checkSigner checks signer i of an envelope alone: pkcs7 verifies every signer at once.
func (a Anchors) checkSigner(p7 *pkcs7.PKCS7, i int) domain.Signature {
	sig := domain.Signature{Format: domain.SignatureCAdES, Trusted: a.unknown()}
	si := p7.Signers[i]
	cert := certificateOf(p7.Certificates, si.IssuerAndSerialNumber.SerialNumber, si.IssuerAndSerialNumber.IssuerName.FullBytes)
	if cert == nil {
		sig.Reason = "the envelope does not carry the signer's certificate"
		return sig
	}
	sig.Signer = commonName(cert)
	if t, ok := signedTime(p7, i); ok {
		sig.SigningTime = &t
	}
	one := *p7
	one.Signers = p7.Signers[i : i+1]
	if err := one.Verify(); err != nil {
		sig.Reason = "the signature does not hold: " + err.Error()
		return sig
	}
	sig.Valid = true
	a.trust(&sig, cert, p7.Certificates)
	return sig
}

// trust sets whether a valid signature's signer chains to an anchor (with the envelope's
// certificates as intermediates) at the time it claims to have signed, or now when it claims
// none. Without anchors trust stays unknown.
func (a Anchors) trust(sig *domain.Signature, cert *x509.Certificate, certs []*x509.Certificate) {
	if a.Pool == nil {
		return
	}
	at := time.Now()
	if sig.SigningTime != nil {
		at = *sig.SigningTime
	}
	intermediates := x509.NewCertPool()
	for _, c := range certs {
		intermediates.AddCert(c)
	}
	_, err := cert.Verify(x509.VerifyOptions{Roots: a.Pool, Intermediates: intermediates, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	trusted := err == nil
	sig.Trusted = &trusted
	if err != nil {
		sig.Reason = fmt.Sprintf("the signer's certificate does not chain to a trust anchor at %s: %v",
			at.UTC().Format(time.RFC3339), err)
	}
}

// commonName names a signer by its certificate's common name, or its whole subject without one.
func commonName(cert *x509.Certificate) string {
	if cert.Subject.CommonName != "" {
		return cert.Subject.CommonName
	}
	return cert.Subject.String()
}

// signedTime reads signer i's signing-time signed attribute (RFC 5652 §11.3).
func signedTime(p7 *pkcs7.PKCS7, i int) (time.Time, bool) {
	for _, attr := range p7.Signers[i].AuthenticatedAttributes {
		var t time.Time
		if attr.Type.Equal(pkcs7.OIDAttributeSigningTime) {
			if _, err := asn1.Unmarshal(attr.Value.Bytes, &t); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// certificateOf finds the certificate a SignerInfo names by issuer and serial number.
func certificateOf(certs []*x509.Certificate, serial *big.Int, issuer []byte) *x509.Certificate {
	for _, c := range certs {
		if serial != nil && c.SerialNumber.Cmp(serial) == 0 && string(c.RawIssuer) == string(issuer) {
			return c
		}
	}
	return nil
}

// LoadAnchors reads a PEM bundle of trust anchors; a file without a certificate is an error, so
// that a wrong path or format does not silently leave every signature untrusted.
func LoadAnchors(path string) (Anchors, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Anchors{}, fmt.Errorf("trust anchors: %w", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return Anchors{}, fmt.Errorf("trust anchors %s: certificate %d: %w", path, n+1, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return Anchors{}, fmt.Errorf("trust anchors %s: %w", path, errNoAnchors)
	}
	return Anchors{Pool: pool}, nil
}

var errNoAnchors = errors.New("no PEM certificate in the file")
