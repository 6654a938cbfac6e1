package signing

import (
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/digitorus/pkcs7"
)

// oidSigningCertificateV2 is id-aa-signingCertificateV2 (RFC 5035), the signed attribute that
// binds a CAdES-BES signature to its signer's certificate.
var oidSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}

// essCertIDv2 is ESSCertIDv2 with the default hash algorithm (SHA-256), which DER omits.
type essCertIDv2 struct {
	CertHash []byte
}

// signingCertificateV2 is SigningCertificateV2 (RFC 5035 §3) naming one certificate.
type signingCertificateV2 struct {
	Certs []essCertIDv2
}

// SealDetached returns a detached CAdES-BES signature of data by id, DER encoded (the content of a
// .p7s file): a CMS SignedData (RFC 5652) with SHA-256, no encapsulated content, id's
// certificate and chain, and the signed attributes content-type, message-digest, signing-time
// and signing-certificate-v2 (the SHA-256 of the sealing certificate). `openssl cms -verify
// -binary -inform DER -in X.p7s -content X` checks it.
func SealDetached(id *Identity, data []byte) ([]byte, error) {
	if id == nil || id.Signer == nil || id.Certificate == nil {
		return nil, errors.New("seal: no sealing identity")
	}
	sd, err := pkcs7.NewSignedData(data)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	certHash := sha256.Sum256(id.Certificate.Raw)
	attr := pkcs7.Attribute{Type: oidSigningCertificateV2,
		Value: signingCertificateV2{Certs: []essCertIDv2{{CertHash: certHash[:]}}}}
	if err := sd.AddSignerChain(id.Certificate, id.Signer, id.Chain,
		pkcs7.SignerInfoConfig{ExtraSignedAttributes: []pkcs7.Attribute{attr}}); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return der, nil
}

// TimestampReply wraps an RFC 3161 token in a TimeStampResp with status granted (RFC 3161
// §2.4.2): the content of a .tsr file, which `openssl ts -reply -in X.tsr -text` reads.
func TimestampReply(token []byte) ([]byte, error) { return grantedReply(token) }
