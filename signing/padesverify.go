package signing

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	pdflib "github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/extract"
	"github.com/digitorus/pdfsign/verify"
	"github.com/digitorus/pkcs7"
)

// Report describes the last signature of a verified PDF.
type Report struct {
	Signer     *x509.Certificate
	SignerName string
	Reason     string
	Location   string
	// SigningTime is the time the signer claims (/M). It is trustworthy only
	// when TimestampValid; then TimestampTime is the time to rely on.
	SigningTime      time.Time
	SubFilter        string
	TimestampPresent bool
	TimestampValid   bool
	TimestampTime    time.Time
	// Signatures counts every signature in the file; all were verified.
	Signatures int
}

// ErrNotSigned reports a PDF without any signature.
var ErrNotSigned = errors.New("PDF is not signed")

// ErrInvalidSignature reports a PDF whose signature does not hold: changed
// content, a broken signature, an untrusted signer, bytes outside the signed
// range, or a time-stamp that does not verify.
var ErrInvalidSignature = errors.New("PDF signature is invalid")

// VerifyPDF checks every signature in pdf with pdfsign's verifier (CMS
// signature over the ByteRange content, signer chain against roots,
// time-stamp imprint) and adds what it leaves out: the last signature's
// ByteRange must cover the whole file except its own Contents, so bytes
// appended after sealing are detected, and a present time-stamp token must
// verify against roots. roots must hold the trust anchors of the sealing
// certificate and of the TSA. Revocation is not checked: baseline B-B/B-T
// carry no revocation data, and checking it online belongs to B-LT.
func VerifyPDF(pdf []byte, roots *x509.CertPool) (rep Report, err error) {
	// The PDF parser reports malformed syntax by panicking; a verifier fed
	// untrusted files must turn that into an answer, not a crash.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("verify PDF: malformed file: %w: %v", ErrInvalidSignature, p)
		}
	}()
	return verifyPDF(pdf, roots)
}

func verifyPDF(pdf []byte, roots *x509.CertPool) (Report, error) {
	var rep Report
	if roots == nil {
		return rep, errors.New("verify PDF: no trusted roots given")
	}
	if err := precheck(pdf, roots); err != nil {
		return rep, fmt.Errorf("verify PDF: %w", err)
	}
	r := bytes.NewReader(pdf)
	// pdf.NewReader rather than pdfsign.Open: Open also walks the page tree
	// to scan fonts, and a crafted page tree makes that walk loop forever.
	rdr, err := pdflib.NewReader(r, int64(len(pdf)))
	if err != nil {
		return rep, fmt.Errorf("verify PDF: open: %w: %w", ErrInvalidSignature, err)
	}
	opts := verifyOptions(roots)
	var last *extract.Signature
	var lastEnd int64 = -1
	var lastSigner *verify.Signer
	for sig, err := range extract.Iter(rdr, r) {
		if err != nil {
			return rep, fmt.Errorf("verify PDF: list signatures: %w: %w", ErrInvalidSignature, err)
		}
		rep.Signatures++
		signer, err := verify.VerifySignature(sig.Object(), r, int64(len(pdf)), opts)
		if err != nil {
			return rep, fmt.Errorf("verify PDF: signature %d: %w: %w", rep.Signatures, ErrInvalidSignature, err)
		}
		if err := signerProblem(signer); err != nil {
			return rep, fmt.Errorf("verify PDF: signature %d: %w", rep.Signatures, err)
		}
		if br := sig.ByteRange(); len(br) == 4 && br[2]+br[3] > lastEnd {
			last, lastEnd, lastSigner = sig, br[2]+br[3], signer
		}
	}
	if rep.Signatures == 0 {
		return rep, fmt.Errorf("verify PDF: %w", ErrNotSigned)
	}
	if last == nil {
		return rep, fmt.Errorf("verify PDF: no signature has a ByteRange of two ranges: %w", ErrInvalidSignature)
	}
	if err := checkCoverage(pdf, last.ByteRange()); err != nil {
		return rep, fmt.Errorf("verify PDF: %w: %w", ErrInvalidSignature, err)
	}
	fillReport(&rep, last, lastSigner)
	if lastSigner.TimeStamp != nil {
		rep.TimestampPresent = true
		info, err := verifySignatureTimestamp(last.Contents(), lastSigner.TimeStamp.RawToken, roots)
		if err != nil {
			return rep, fmt.Errorf("verify PDF: time-stamp: %w: %w", ErrInvalidSignature, err)
		}
		rep.TimestampValid, rep.TimestampTime = true, info.Time
	}
	return rep, nil
}

// verifyOptions accepts what Sportello seals with: document-signing EKU
// preferred, the common alternatives tolerated, digitalSignature required.
func verifyOptions(roots *x509.CertPool) *verify.VerifyOptions {
	return &verify.VerifyOptions{
		RequiredEKUs:                  []x509.ExtKeyUsage{documentSigningKeyUsage},
		AllowedEKUs:                   []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection, x509.ExtKeyUsageClientAuth},
		RequireDigitalSignatureKU:     true,
		ValidateTimestampCertificates: true,
		TrustedRoots:                  roots,
		SkipRevocationCheck:           true,
		HTTPTimeout:                   10 * time.Second,
	}
}

// documentSigningKeyUsage is id-kp-documentSigning (1.3.6.1.5.5.7.3.36, RFC 9336), which
// crypto/x509 has no name for.
const documentSigningKeyUsage = x509.ExtKeyUsage(36)

// signerProblem turns pdfsign's findings into one error. Warnings (such as
// "no trusted time") are not failures; validation errors are.
func signerProblem(s *verify.Signer) error {
	if len(s.ValidationErrors) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidSignature, errors.Join(s.ValidationErrors...))
	}
	if !s.ValidSignature {
		return fmt.Errorf("%w: signature does not verify", ErrInvalidSignature)
	}
	if !s.TrustedIssuer {
		return fmt.Errorf("%w: signer is not trusted", ErrInvalidSignature)
	}
	return nil
}

func fillReport(rep *Report, sig *extract.Signature, s *verify.Signer) {
	rep.SubFilter = sig.SubFilter()
	rep.SignerName, rep.Reason, rep.Location = s.Name, s.Reason, s.Location
	if len(s.Certificates) > 0 {
		rep.Signer = s.Certificates[0].Certificate
	}
	if s.SignatureTime != nil {
		rep.SigningTime = *s.SignatureTime
	}
}

// verifySignatureTimestamp checks the signature time-stamp token against
// the CMS signature value it must date (ETSI EN 319 122-1 §5.3).
func verifySignatureTimestamp(contents, token []byte, roots *x509.CertPool) (*TokenInfo, error) {
	p7, err := pkcs7.Parse(contents)
	if err != nil || len(p7.Signers) != 1 {
		return nil, errors.New("signature is not a single-signer CMS")
	}
	info, err := parseTokenHash(token)
	if err != nil {
		return nil, err
	}
	h := info.New()
	h.Write(p7.Signers[0].EncryptedDigest)
	return VerifyToken(token, h.Sum(nil), info, nil, roots)
}
