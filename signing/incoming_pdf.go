package signing

import (
	"bytes"
	"crypto/x509"
	"fmt"

	pdflib "github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/extract"
	"github.com/digitorus/pdfsign/verify"
	"github.com/digitorus/pkcs7"

	"github.com/sportello/sportello/domain"
)

// checkPDF reports the signatures inside a received PDF (PAdES), in the file's order. Each is
// checked by pdfsign over its ByteRange; trust is decided here, as for CAdES, against the
// configured anchors at the claimed signing time. Unlike VerifyPDF, which holds Sportello's
// own seals to its rules, this describes what a sender's signatures are, without refusing any.
func (a Anchors) checkPDF(data []byte) (out []domain.Signature) {
	broken := func(reason string) []domain.Signature {
		return append(out, domain.Signature{Format: domain.SignaturePAdES, Reason: reason, Trusted: a.unknown()})
	}
	// The PDF parser reports malformed syntax by panicking.
	defer func() {
		if p := recover(); p != nil {
			out = broken(fmt.Sprintf("the PDF is malformed: %v", p))
		}
	}()
	r := bytes.NewReader(data)
	rdr, err := pdflib.NewReader(r, int64(len(data)))
	if err != nil {
		return nil // not a readable PDF: no signatures to report
	}
	opts := &verify.VerifyOptions{TrustedRoots: x509.NewCertPool(), SkipRevocationCheck: true, AllowUntrustedRoots: true}
	for sig, err := range extract.Iter(rdr, r) {
		if err != nil {
			return broken("the signatures cannot be read: " + err.Error())
		}
		out = append(out, a.checkPDFSignature(sig, r, int64(len(data)), opts))
	}
	return out
}

func (a Anchors) checkPDFSignature(sig *extract.Signature, r *bytes.Reader, size int64, opts *verify.VerifyOptions) domain.Signature {
	s := domain.Signature{Format: domain.SignaturePAdES, Trusted: a.unknown()}
	signer, verr := verify.VerifySignature(sig.Object(), r, size, opts)
	p7, err := pkcs7.Parse(sig.Contents())
	if err != nil || len(p7.Signers) != 1 {
		s.Reason = "the signature is not a single-signer CMS"
		return s
	}
	si := p7.Signers[0]
	cert := certificateOf(p7.Certificates, si.IssuerAndSerialNumber.SerialNumber, si.IssuerAndSerialNumber.IssuerName.FullBytes)
	if cert == nil {
		s.Reason = "the signature does not carry the signer's certificate"
		return s
	}
	s.Signer = commonName(cert)
	if signer != nil && signer.SignatureTime != nil {
		t := *signer.SignatureTime
		s.SigningTime = &t
	}
	if t, ok := signedTime(p7, 0); ok { // the signed attribute wins over the unsigned /M
		s.SigningTime = &t
	}
	switch {
	case verr != nil:
		s.Reason = "the signature does not hold: " + verr.Error()
		return s
	case signer == nil || !signer.ValidSignature:
		s.Reason = "the signature does not hold"
		if signer != nil && len(signer.ValidationErrors) > 0 {
			s.Reason += ": " + signer.ValidationErrors[0].Error()
		}
		return s
	}
	s.Valid = true
	a.trust(&s, cert, p7.Certificates)
	return s
}
