package signing

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"

	pdflib "github.com/digitorus/pdf"
	"github.com/digitorus/pkcs7"
)

// maxReceiptJSON bounds the embedded receipt read from an untrusted file.
const maxReceiptJSON = 16 << 20

// ErrNoReceiptJSON reports a PDF that does not embed ReceiptAttachmentName.
var ErrNoReceiptJSON = errors.New("PDF embeds no " + ReceiptAttachmentName)

// ReceiptJSON returns the machine-readable receipt that RenderReceipt embedded in pdf. It does
// not check the seal: call VerifyPDF first, whose whole-file ByteRange rule guarantees that the
// attachment read here is the one that was sealed.
func ReceiptJSON(pdf []byte) (data []byte, err error) {
	defer func() { // the PDF parser reports malformed syntax by panicking
		if p := recover(); p != nil {
			data, err = nil, fmt.Errorf("receipt JSON: malformed PDF: %v", p)
		}
	}()
	rdr, err := pdflib.NewReader(bytes.NewReader(pdf), int64(len(pdf)))
	if err != nil {
		return nil, fmt.Errorf("receipt JSON: open PDF: %w", err)
	}
	names := rdr.Trailer().Key("Root").Key("Names").Key("EmbeddedFiles").Key("Names")
	// A name tree leaf's Names array alternates keys and file specifications.
	for i := 1; i < names.Len(); i += 2 {
		spec := names.Index(i)
		if spec.Key("UF").Text() != ReceiptAttachmentName && spec.Key("F").Text() != ReceiptAttachmentName {
			continue
		}
		rc := spec.Key("EF").Key("F").Reader()
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, maxReceiptJSON+1))
		if err != nil {
			return nil, fmt.Errorf("receipt JSON: read attachment: %w", err)
		}
		if len(data) > maxReceiptJSON {
			return nil, fmt.Errorf("receipt JSON: attachment larger than %d bytes", maxReceiptJSON)
		}
		return data, nil
	}
	return nil, fmt.Errorf("receipt JSON: %w", ErrNoReceiptJSON)
}

// TokenCertificate returns the certificate of the TSA that signed an RFC 3161 token, as the
// token carries it. It is not a trust decision: VerifyToken makes that against given roots.
func TokenCertificate(token []byte) (*x509.Certificate, error) {
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("time-stamp token certificate: %w", err)
	}
	cert := p7.GetOnlySigner()
	if cert == nil {
		return nil, errors.New("time-stamp token certificate: the token does not carry its signer's certificate")
	}
	return cert, nil
}
