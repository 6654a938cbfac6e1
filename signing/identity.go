// Package signing seals the documents Sportello produces: it holds the
// sealing identity, obtains RFC 3161 time-stamps, signs and verifies PDFs
// as PAdES baseline B-B / B-T, and seals the segnatura informatica as XAdES
// baseline B. It is the only importer of pdfsign and of the XML signature
// libraries (etree, goxmldsig).
package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"software.sslmate.com/src/go-pkcs12"
)

// Identity is the key and certificate that seal documents on behalf of the
// administration (an electronic seal, not a person's signature).
type Identity struct {
	Signer      crypto.Signer
	Certificate *x509.Certificate
	// Chain holds the issuing certificates, leaf excluded, in order towards
	// the root. It is embedded in signatures so verifiers can build the path.
	Chain []*x509.Certificate
	// SelfSigned is reported by /v1/info: a self-signed seal proves integrity
	// but not who sealed, so clients must be told.
	SelfSigned bool
}

// IdentityConfig names where a configured identity lives. Set either
// PKCS12File (with PKCS12Password) or KeyFile and CertFile. PEM keys must be
// unencrypted; protect them with file permissions or use PKCS#12.
type IdentityConfig struct {
	PKCS12File     string
	PKCS12Password string
	KeyFile        string
	// CertFile holds the sealing certificate first, then optionally its chain.
	CertFile string
}

// documentSigningEKU is id-kp-documentSigning (RFC 9336). PDF verifiers,
// pdfsign included, expect it on certificates that sign documents.
var documentSigningEKU = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// LoadIdentity reads the sealing identity named by cfg.
func LoadIdentity(cfg IdentityConfig) (*Identity, error) {
	switch {
	case cfg.PKCS12File != "" && (cfg.KeyFile != "" || cfg.CertFile != ""):
		return nil, errors.New("load identity: set either a PKCS#12 file or a PEM key and certificate, not both")
	case cfg.PKCS12File != "":
		return loadPKCS12(cfg.PKCS12File, cfg.PKCS12Password)
	case cfg.KeyFile != "" && cfg.CertFile != "":
		return loadPEM(cfg.KeyFile, cfg.CertFile)
	default:
		return nil, errors.New("load identity: no PKCS#12 file and no PEM key and certificate configured")
	}
}

// LoadOrCreateSelfSigned is the embedded default: on first start it creates
// a key and a self-signed sealing certificate under dir (files 0600, dir
// 0700) and on later starts reloads them, so documents sealed before a
// restart still verify against the same certificate.
func LoadOrCreateSelfSigned(dir string) (*Identity, error) {
	kp, _, err := loadOrCreateKeyPair(dir, "sealing", func(crypto.PublicKey) (*x509.Certificate, error) {
		tmpl, err := selfSignedTemplate("Sportello sealing key (self-signed)")
		if err != nil {
			return nil, err
		}
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		tmpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{documentSigningEKU}
		return tmpl, nil
	})
	if err != nil {
		return nil, fmt.Errorf("load or create self-signed identity: %w", err)
	}
	return newIdentity(kp.signer, kp.cert, nil), nil
}

// Fingerprint is the SHA-256 of the certificate DER in hex, the form
// operators compare against what /v1/info publishes.
func (id *Identity) Fingerprint() string {
	sum := sha256.Sum256(id.Certificate.Raw)
	return hex.EncodeToString(sum[:])
}

// newIdentity checks self-signature with CheckSignature, not
// CheckSignatureFrom: the latter insists the issuer be a CA, and a sealing
// certificate is deliberately not one.
func newIdentity(signer crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate) *Identity {
	selfSigned := bytes.Equal(cert.RawSubject, cert.RawIssuer) && cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil
	return &Identity{Signer: signer, Certificate: cert, Chain: chain, SelfSigned: selfSigned}
}

func loadPKCS12(path, password string) (*Identity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load PKCS#12 identity: %w", err)
	}
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, fmt.Errorf("load PKCS#12 identity %s: %w", path, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("load PKCS#12 identity %s: key type %T cannot sign", path, key)
	}
	if err := checkKeyMatches(signer, cert); err != nil {
		return nil, fmt.Errorf("load PKCS#12 identity %s: %w", path, err)
	}
	return newIdentity(signer, cert, chain), nil
}

func loadPEM(keyPath, certPath string) (*Identity, error) {
	kp, err := readKeyPair(keyPath, certPath)
	if err != nil {
		return nil, fmt.Errorf("load PEM identity: %w", err)
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("load PEM identity: %w", err)
	}
	certs, err := parsePEMCertificates(certPEM)
	if err != nil {
		return nil, fmt.Errorf("load PEM identity %s: %w", certPath, err)
	}
	return newIdentity(kp.signer, kp.cert, certs[1:]), nil
}

// parsePEMKey accepts PKCS#8, SEC 1 (EC) and PKCS#1 (RSA) keys, the three
// forms that CAs and openssl hand out.
func parsePEMKey(data []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no private key PEM block")
		}
		var key any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("encrypted PEM keys are not supported; use PKCS#12")
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("key type %T cannot sign", key)
		}
		return signer, nil
	}
}

func parsePEMCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("no CERTIFICATE PEM block")
	}
	return certs, nil
}

// checkKeyMatches refuses a key that does not belong to the certificate:
// sealing with it would produce signatures no one could verify.
func checkKeyMatches(signer crypto.Signer, cert *x509.Certificate) error {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch signer.Public().(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
	default:
		return fmt.Errorf("unsupported key type %T", signer.Public())
	}
	if !signer.Public().(equaler).Equal(cert.PublicKey) {
		return errors.New("private key does not match certificate")
	}
	return nil
}
