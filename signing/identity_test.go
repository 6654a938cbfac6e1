package signing

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

func TestLoadOrCreateSelfSigned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	first, err := LoadOrCreateSelfSigned(dir)
	if err != nil {
		t.Fatalf("create: %v", err)
	}

	t.Run("FilesOwnerOnly", func(t *testing.T) {
		assertMode(t, dir, 0o700)
		assertMode(t, filepath.Join(dir, "sealing.key"), 0o600)
		assertMode(t, filepath.Join(dir, "sealing.crt"), 0o600)
	})

	t.Run("SealingCertificate", func(t *testing.T) {
		c := first.Certificate
		if !first.SelfSigned || c.Subject.CommonName != "Sportello sealing key (self-signed)" {
			t.Errorf("SelfSigned %v, CN %q", first.SelfSigned, c.Subject.CommonName)
		}
		if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment {
			t.Errorf("key usage %b", c.KeyUsage)
		}
		if len(c.UnknownExtKeyUsage) != 1 || !c.UnknownExtKeyUsage[0].Equal(documentSigningEKU) {
			t.Errorf("EKU %v, want id-kp-documentSigning", c.UnknownExtKeyUsage)
		}
		if years := time.Until(c.NotAfter).Hours() / 24 / 365; years < 9.9 || years > 10.1 {
			t.Errorf("valid for %.1f years, want 10", years)
		}
		if _, ok := first.Signer.Public().(*ecdsa.PublicKey); !ok {
			t.Errorf("key type %T, want ECDSA", first.Signer.Public())
		}
	})

	t.Run("ReloadedIdentical", func(t *testing.T) {
		again, err := LoadOrCreateSelfSigned(dir)
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
		if again.Fingerprint() != first.Fingerprint() || !again.Signer.Public().(*ecdsa.PublicKey).Equal(first.Signer.Public()) {
			t.Fatal("reload produced a different identity")
		}
	})

	t.Run("ErrHalfAKeyPair", func(t *testing.T) {
		half := filepath.Join(t.TempDir(), "keys")
		if _, err := LoadOrCreateSelfSigned(half); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(half, "sealing.crt")); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreateSelfSigned(half); err == nil {
			t.Fatal("a key without its certificate was silently replaced")
		}
	})
}

func TestFingerprint(t *testing.T) {
	id, _ := fixtures(t)
	fp := id.Fingerprint()
	if len(fp) != 64 {
		t.Fatalf("fingerprint %q is not 32 bytes of hex", fp)
	}
	other, err := LoadOrCreateSelfSigned(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if other.Fingerprint() == fp {
		t.Fatal("two certificates share a fingerprint")
	}
}

func TestLoadIdentity(t *testing.T) {
	ca, caKey := testCA(t)
	leafKey, leaf := testLeaf(t, ca, caKey)
	dir := t.TempDir()

	t.Run("PEMWithChain", func(t *testing.T) {
		keyDER, err := x509.MarshalECPrivateKey(leafKey)
		if err != nil {
			t.Fatal(err)
		}
		keyPath, certPath := filepath.Join(dir, "seal.key"), filepath.Join(dir, "seal.crt")
		writePEM(t, keyPath, "EC PRIVATE KEY", keyDER)
		writePEM(t, certPath, "CERTIFICATE", leaf.Raw, ca.Raw)
		id, err := LoadIdentity(IdentityConfig{KeyFile: keyPath, CertFile: certPath})
		if err != nil {
			t.Fatalf("LoadIdentity: %v", err)
		}
		assertLoaded(t, id, leaf, ca)
	})

	t.Run("PKCS12WithPassword", func(t *testing.T) {
		pfx, err := pkcs12.Modern.Encode(leafKey, leaf, []*x509.Certificate{ca}, "s3greto")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "seal.p12")
		if err := os.WriteFile(path, pfx, 0o600); err != nil {
			t.Fatal(err)
		}
		id, err := LoadIdentity(IdentityConfig{PKCS12File: path, PKCS12Password: "s3greto"})
		if err != nil {
			t.Fatalf("LoadIdentity: %v", err)
		}
		assertLoaded(t, id, leaf, ca)

		if _, err := LoadIdentity(IdentityConfig{PKCS12File: path, PKCS12Password: "wrong"}); err == nil {
			t.Error("wrong PKCS#12 password accepted")
		}
	})

	t.Run("ErrKeyDoesNotMatchCertificate", func(t *testing.T) {
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		keyPath, certPath := filepath.Join(dir, "other.key"), filepath.Join(dir, "other.crt")
		writePEM(t, keyPath, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(other))
		writePEM(t, certPath, "CERTIFICATE", leaf.Raw)
		if _, err := LoadIdentity(IdentityConfig{KeyFile: keyPath, CertFile: certPath}); err == nil {
			t.Fatal("mismatched key accepted")
		}
	})

	t.Run("ErrNothingConfigured", func(t *testing.T) {
		if _, err := LoadIdentity(IdentityConfig{}); err == nil {
			t.Fatal("empty configuration accepted")
		}
	})

	t.Run("ErrBothConfigured", func(t *testing.T) {
		if _, err := LoadIdentity(IdentityConfig{PKCS12File: "a.p12", KeyFile: "k", CertFile: "c"}); err == nil {
			t.Fatal("PKCS#12 and PEM together accepted")
		}
	})
}

func assertLoaded(t *testing.T, id *Identity, leaf, ca *x509.Certificate) {
	t.Helper()
	if !id.Certificate.Equal(leaf) || len(id.Chain) != 1 || !id.Chain[0].Equal(ca) {
		t.Fatalf("loaded %v with chain of %d", id.Certificate.Subject, len(id.Chain))
	}
	if id.SelfSigned {
		t.Error("CA-issued certificate reported as self-signed")
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %o, want %o", filepath.Base(path), got, want)
	}
}

func writePEM(t *testing.T, path, typ string, ders ...[]byte) {
	t.Helper()
	var out []byte
	for _, der := range ders {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})...)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func testCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func testLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Comune di Esempio"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}
