package signing

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/asn1"
	"testing"

	"github.com/digitorus/pkcs7"
)

// TestSealDetached: the seal is a detached CMS SignedData over the data by the sealing
// certificate, with SHA-256 and the signing-certificate-v2 attribute naming the certificate
// (CAdES-BES); it does not verify over other data; a time-stamp reply wraps a token.
func TestSealDetached(t *testing.T) {
	id, tsa := fixtures(t)
	data := []byte("<PIndex/>")
	seal, err := SealDetached(id, data)
	if err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(seal)
	if err != nil {
		t.Fatal(err)
	}
	if len(p7.Content) != 0 {
		t.Fatal("the seal carries the content: not detached")
	}
	p7.Content = data
	if err := p7.Verify(); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !p7.GetOnlySigner().Equal(id.Certificate) || !p7.Signers[0].DigestAlgorithm.Algorithm.Equal(pkcs7.OIDDigestAlgorithmSHA256) {
		t.Fatal("signer or digest algorithm")
	}
	var found bool
	for _, a := range p7.Signers[0].AuthenticatedAttributes {
		if a.Type.Equal(oidSigningCertificateV2) {
			var v signingCertificateV2
			if _, err := asn1.Unmarshal(a.Value.Bytes, &v); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(id.Certificate.Raw)
			found = len(v.Certs) == 1 && bytes.Equal(v.Certs[0].CertHash, sum[:])
		}
	}
	if !found {
		t.Fatal("no signing-certificate-v2 attribute naming the sealing certificate")
	}
	p7.Content = []byte("<PIndex />")
	if p7.Verify() == nil {
		t.Fatal("the seal verifies over other data")
	}
	if _, err := SealDetached(nil, data); err == nil {
		t.Fatal("sealed without an identity")
	}

	digest := sha256.Sum256(seal)
	token, err := tsa.Timestamp(t.Context(), digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := TimestampReply(token)
	if err != nil || !bytes.Contains(reply, token) {
		t.Fatalf("reply: %v", err)
	}
}
