package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// selfSignedValidity is how long generated certificates last. Ten years
// outlives any retention period for receipts and journals still being
// produced; the embedded default is meant to be replaced by a real
// certificate in production, not renewed.
const selfSignedValidity = 10 * 365 * 24 * time.Hour

// keyPair is a private key and its certificate as kept on disk.
type keyPair struct {
	signer crypto.Signer
	cert   *x509.Certificate
}

// loadOrCreateKeyPair reads <dir>/<name>.key and <dir>/<name>.crt, or creates
// them with a fresh ECDSA P-256 key and a certificate built by template when
// neither exists. ECDSA P-256 is chosen because pdfsign, pkcs7 and every PDF
// reader handle it, and signing is an order of magnitude faster than RSA 3072
// at comparable strength. Exactly one file existing is refused rather than
// repaired: regenerating a key silently would orphan everything it sealed.
func loadOrCreateKeyPair(dir, name string, template func(pub crypto.PublicKey) (*x509.Certificate, error)) (*keyPair, bool, error) {
	keyPath := filepath.Join(dir, name+".key")
	certPath := filepath.Join(dir, name+".crt")
	keyExists, err := exists(keyPath)
	if err != nil {
		return nil, false, err
	}
	certExists, err := exists(certPath)
	if err != nil {
		return nil, false, err
	}
	switch {
	case keyExists && certExists:
		kp, err := readKeyPair(keyPath, certPath)
		return kp, false, err
	case keyExists || certExists:
		return nil, false, fmt.Errorf("load %s key pair: only one of %s and %s exists", name, keyPath, certPath)
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create key directory %s: %w", dir, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("generate %s key: %w", name, err)
	}
	tmpl, err := template(key.Public())
	if err != nil {
		return nil, false, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, false, fmt.Errorf("create %s certificate: %w", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, false, fmt.Errorf("encode %s key: %w", name, err)
	}
	// The key is written first and the certificate last, so a crash leaves
	// the "only one file" state that is refused above instead of a
	// certificate without its key.
	if err := writePrivate(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})); err != nil {
		return nil, false, err
	}
	if err := writePrivate(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		return nil, false, err
	}
	kp, err := readKeyPair(keyPath, certPath)
	return kp, true, err
}

// selfSignedTemplate holds what both generated certificates share.
func selfSignedTemplate(commonName string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	now := time.Now().UTC()
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"Sportello"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		BasicConstraintsValid: true,
	}, nil
}

func readKeyPair(keyPath, certPath string) (*keyPair, error) {
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", keyPath, err)
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("read certificate %s: %w", certPath, err)
	}
	signer, err := parsePEMKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("parse key %s: %w", keyPath, err)
	}
	certs, err := parsePEMCertificates(certPEM)
	if err != nil {
		return nil, fmt.Errorf("parse certificate %s: %w", certPath, err)
	}
	if err := checkKeyMatches(signer, certs[0]); err != nil {
		return nil, fmt.Errorf("load key pair %s: %w", keyPath, err)
	}
	return &keyPair{signer: signer, cert: certs[0]}, nil
}

// writePrivate writes data readable by the owner only, via a temporary file
// and a rename so a reader never sees half a key.
func writePrivate(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("stat %s: %w", path, err)
}
