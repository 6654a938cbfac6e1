// Package p7m opens the envelope of signed content as Italian administrations exchange it: a
// CAdES-attached `.p7m` (a CMS SignedData carrying the signed file), in DER or BER, or wrapped
// in base64 or PEM by the software that produced it, and nested when a second signer signed
// the first signer's envelope. Text extraction reads the file inside; signature checks verify
// each layer.
package p7m

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/digitorus/pkcs7"
)

// MaxDepth bounds the envelopes opened one inside the other: two or three signers in sequence
// are common, more is a crafted file meant to make the reader work.
const MaxDepth = 4

// ErrNotEnveloped reports content that is not a CMS SignedData carrying its content.
var ErrNotEnveloped = errors.New("not a signed envelope (p7m)")

// Open returns the envelopes of data, outermost first, and the content inside the innermost.
// It returns ErrNotEnveloped, wrapped, when data is not an attached CMS SignedData in DER, BER,
// base64 or PEM.
func Open(data []byte) (layers []*pkcs7.PKCS7, content []byte, err error) {
	p7, err := parse(data)
	if err != nil {
		return nil, nil, err
	}
	layers = append(layers, p7)
	for len(layers) < MaxDepth {
		inner, err := parse(p7.Content)
		if err != nil { // the content is the signed file itself
			break
		}
		layers, p7 = append(layers, inner), inner
	}
	return layers, p7.Content, nil
}

// parse reads one envelope that carries its content.
func parse(data []byte) (p7 *pkcs7.PKCS7, err error) {
	der := decode(data)
	if len(der) == 0 || der[0] != 0x30 { // a SEQUENCE, in DER or BER
		return nil, ErrNotEnveloped
	}
	// The BER reader of pkcs7 is hardened, but a parser of hostile input should answer, not
	// crash, whatever it meets.
	defer func() {
		if r := recover(); r != nil {
			p7, err = nil, fmt.Errorf("%w: malformed: %v", ErrNotEnveloped, r)
		}
	}()
	p7, err = pkcs7.Parse(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotEnveloped, err)
	}
	if len(p7.Signers) == 0 || len(p7.Content) == 0 {
		return nil, fmt.Errorf("%w: no signer or no content (a detached signature)", ErrNotEnveloped)
	}
	return p7, nil
}

// decode returns the DER of data: data itself, the body of a PEM block, or its base64 decoded.
func decode(data []byte) []byte {
	if len(data) > 0 && data[0] == 0x30 {
		return data
	}
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		if b, _ := pem.Decode(trimmed); b != nil {
			return b.Bytes
		}
		return nil
	}
	if !bytes.HasPrefix(trimmed, []byte("M")) { // the base64 of a SEQUENCE's tag, 0x30
		return nil
	}
	compact := bytes.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, trimmed)
	der, err := base64.StdEncoding.DecodeString(string(compact))
	if err != nil {
		return nil
	}
	return der
}
