package signing

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/p7m/p7mtest"
)

func anchorsOf(t *testing.T, cas ...*p7mtest.CA) Anchors {
	t.Helper()
	var bundle []byte
	for _, ca := range cas {
		bundle = append(bundle, ca.PEM()...)
	}
	path := filepath.Join(t.TempDir(), "anchors.pem")
	if err := os.WriteFile(path, bundle, 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := LoadAnchors(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCheckSignatures(t *testing.T) {
	ca := p7mtest.NewCA(t, "Test Qualified CA")
	content := []byte("Determina di affidamento del servizio di manutenzione\n")
	signed := ca.Sign(t, "Mario Rossi", content)
	other := p7mtest.NewCA(t, "Another CA")

	t.Run("ValidTrustUnknownWithoutAnchors", func(t *testing.T) {
		got := Anchors{}.CheckSignatures(signed, "application/pkcs7-mime", "determina.txt.p7m")
		if len(got) != 1 {
			t.Fatalf("signatures %+v, want one", got)
		}
		s := got[0]
		if s.Format != domain.SignatureCAdES || s.Signer != "Mario Rossi" || !s.Valid || s.Trusted != nil || s.Reason != "" {
			t.Errorf("signature %+v, want valid cades by Mario Rossi, trust unknown", s)
		}
		if s.SigningTime == nil || time.Since(*s.SigningTime) > time.Hour {
			t.Errorf("signing time %v, want the time it was signed", s.SigningTime)
		}
	})
	t.Run("TrustedWithItsAnchor", func(t *testing.T) {
		got := anchorsOf(t, other, ca).CheckSignatures(signed, "application/pkcs7-mime", "determina.txt.p7m")
		if len(got) != 1 || !got[0].Valid || got[0].Trusted == nil || !*got[0].Trusted {
			t.Errorf("signatures %+v, want valid and trusted", got)
		}
	})
	t.Run("NotTrustedWithOtherAnchors", func(t *testing.T) {
		got := anchorsOf(t, other).CheckSignatures(signed, "application/pkcs7-mime", "determina.txt.p7m")
		if len(got) != 1 || !got[0].Valid || got[0].Trusted == nil || *got[0].Trusted || !strings.Contains(got[0].Reason, "trust anchor") {
			t.Errorf("signatures %+v, want valid, not trusted, with the reason", got)
		}
	})
	t.Run("TamperedIsNotValid", func(t *testing.T) {
		tampered := bytes.Replace(signed, []byte("manutenzione"), []byte("manutenzioni"), 1)
		if bytes.Equal(tampered, signed) {
			t.Fatal("the content is not in the envelope as it is")
		}
		for _, a := range []Anchors{{}, anchorsOf(t, ca)} {
			got := a.CheckSignatures(tampered, "application/pkcs7-mime", "determina.txt.p7m")
			if len(got) != 1 || got[0].Valid || got[0].Signer != "Mario Rossi" || !strings.Contains(got[0].Reason, "does not hold") {
				t.Errorf("signatures %+v, want one not valid, with the reason", got)
			}
			if a.Pool == nil && got[0].Trusted != nil || a.Pool != nil && (got[0].Trusted == nil || *got[0].Trusted) {
				t.Errorf("trusted %v of a signature that does not hold", got[0].Trusted)
			}
		}
	})
	t.Run("NestedReportsEverySigner", func(t *testing.T) {
		nested := ca.Sign(t, "Anna Bianchi", signed)
		got := Anchors{}.CheckSignatures(nested, "application/pkcs7-mime", "determina.txt.p7m.p7m")
		if len(got) != 2 || got[0].Signer != "Anna Bianchi" || got[1].Signer != "Mario Rossi" || !got[0].Valid || !got[1].Valid {
			t.Errorf("signatures %+v, want Anna Bianchi then Mario Rossi, both valid", got)
		}
	})
	t.Run("Base64AndPEM", func(t *testing.T) {
		b64 := []byte(base64.StdEncoding.EncodeToString(signed) + "\r\n")
		pemmed := pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: signed})
		for name, data := range map[string][]byte{"base64": b64, "pem": pemmed} {
			got := Anchors{}.CheckSignatures(data, "text/plain", "determina.txt.p7m")
			if len(got) != 1 || !got[0].Valid || got[0].Signer != "Mario Rossi" {
				t.Errorf("%s: signatures %+v, want one valid", name, got)
			}
		}
	})
	t.Run("NamedP7MButNotAnEnvelope", func(t *testing.T) {
		got := anchorsOf(t, ca).CheckSignatures([]byte("not signed at all"), "text/plain", "lettera.pdf.p7m")
		if len(got) != 1 || got[0].Valid || got[0].Reason == "" || got[0].Trusted == nil || *got[0].Trusted {
			t.Errorf("signatures %+v, want one not valid, not trusted, with the reason", got)
		}
	})
	t.Run("UnsignedFileHasNone", func(t *testing.T) {
		if got := (Anchors{}).CheckSignatures(content, "text/plain", "determina.txt"); got != nil {
			t.Errorf("signatures %+v of an unsigned file", got)
		}
	})
}

// The envelopes the tests make are CMS as an independent implementation reads them: OpenSSL
// verifies the signature and gives back the content.
func TestTestEnvelopesAreCMSForOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	ca := p7mtest.NewCA(t, "Test Qualified CA")
	content := []byte("%PDF-1.4 contenuto firmato\n")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "doc.pdf.p7m"), filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, ca.Sign(t, "Mario Rossi", content), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("openssl", "cms", "-verify", "-inform", "DER", "-noverify", "-binary", "-in", in, "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl cms -verify: %v: %s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("openssl gave back %q (%v), want %q", got, err, content)
	}
}

func TestLoadAnchors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "anchors.pem")
	if err := os.WriteFile(path, []byte("no certificates here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAnchors(path); err == nil {
		t.Error("a file without a certificate was accepted")
	}
	if _, err := LoadAnchors(filepath.Join(t.TempDir(), "missing.pem")); err == nil {
		t.Error("a missing file was accepted")
	}
}

// A signed PDF received (here one sealed by Sportello itself) has its PAdES signature reported:
// the signer, valid, trusted only with its certificate as an anchor; a changed byte of the
// signed content makes it not valid; an unsigned PDF has none.
func TestCheckPDFSignatures(t *testing.T) {
	id, _ := fixtures(t)
	signed, err := SignPDF(context.Background(), testPDF(t), id, signOptions())
	if err != nil {
		t.Fatal(err)
	}
	cn := id.Certificate.Subject.CommonName
	anchored := Anchors{Pool: pool(id.Certificate)}

	got := Anchors{}.CheckSignatures(signed, "application/pdf", "ricevuta.pdf")
	if len(got) != 1 || got[0].Format != domain.SignaturePAdES || got[0].Signer != cn || !got[0].Valid ||
		got[0].Trusted != nil || got[0].SigningTime == nil {
		t.Fatalf("signatures %+v, want one valid pades by %s with its time, trust unknown", got, cn)
	}
	if d := time.Since(*got[0].SigningTime); d < -time.Minute || d > time.Minute {
		t.Errorf("signing time %v is not when it was sealed", got[0].SigningTime)
	}
	appended := append(bytes.Clone(signed), "\n% a page added later\n"...)
	if got := (Anchors{}).CheckSignatures(appended, "application/pdf", "ricevuta.pdf"); len(got) != 1 || !got[0].Valid ||
		!strings.Contains(got[0].Reason, "bytes were added after it") {
		t.Errorf("with bytes appended: %+v, want valid for what it covers, saying so", got)
	}
	if got := anchored.CheckSignatures(signed, "application/pdf", "ricevuta.pdf"); len(got) != 1 || !got[0].Valid ||
		got[0].Trusted == nil || !*got[0].Trusted {
		t.Errorf("with its anchor: %+v, want valid and trusted", got)
	}
	other := Anchors{Pool: pool(p7mtest.NewCA(t, "Other CA").Cert)}
	if got := other.CheckSignatures(signed, "application/pdf", "ricevuta.pdf"); len(got) != 1 || !got[0].Valid ||
		got[0].Trusted == nil || *got[0].Trusted {
		t.Errorf("with other anchors: %+v, want valid, not trusted", got)
	}

	tampered := bytes.Clone(signed)
	i := bytes.Index(tampered, []byte("/MediaBox"))
	tampered[i+1] ^= 0x20 // inside the signed range
	got = anchored.CheckSignatures(tampered, "application/pdf", "ricevuta.pdf")
	if len(got) != 1 || got[0].Valid || got[0].Trusted == nil || *got[0].Trusted || !strings.Contains(got[0].Reason, "does not hold") {
		t.Errorf("tampered: %+v, want one not valid, not trusted, with the reason", got)
	}

	if got := (Anchors{}).CheckSignatures(testPDF(t), "application/pdf", "lettera.pdf"); len(got) != 0 {
		t.Errorf("unsigned PDF: %+v", got)
	}
	if got := (Anchors{}).CheckSignatures([]byte("%PDF-1.7 broken"), "application/pdf", "rotto.pdf"); len(got) != 0 {
		t.Errorf("unreadable PDF: %+v", got)
	}
}
