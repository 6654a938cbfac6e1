package signing

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/digitorus/pkcs7"
)

var (
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidTSTInfo    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
)

// signedDataHead is the part of a CMS SignedData (RFC 5652 §5.1) that no
// signature covers and that pkcs7.Parse does not check.
type signedDataHead struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	Encap            struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"optional,tag:0"`
	}
}

// checkEnvelope requires the unsigned CMS header fields to hold exactly
// what a detached PAdES signature needs: content type signedData, version 1,
// one digest algorithm equal to the signer's, and id-data content. pkcs7 is
// lenient about these, and the ByteRange excludes them, so without this a
// flipped bit in the envelope would verify.
func checkEnvelope(raw []byte, p7 *pkcs7.PKCS7) error {
	if err := checkSignedData(raw, p7, 1, oidData, true); err != nil {
		return err
	}
	si := p7.Signers[0]
	// The only unsigned attribute PAdES B-T puts here is the token, so any
	// other (such as a token whose OID was altered) is refused too.
	for _, a := range si.UnauthenticatedAttributes {
		if !a.Type.Equal(oidTimestampToken) {
			return fmt.Errorf("CMS has unexpected unsigned attribute %v", a.Type)
		}
	}
	// A damaged unsigned-attributes header makes the parser drop the
	// time-stamp silently, turning B-T into B-B; refuse that downgrade.
	if i := bytes.Index(raw, timestampAttrOID); i >= 0 {
		// attrValues is a SET; pkcs7 accepts any tag there.
		if len(si.UnauthenticatedAttributes) == 0 || i+len(timestampAttrOID) >= len(raw) || raw[i+len(timestampAttrOID)] != 0x31 {
			return errors.New("CMS carries a time-stamp token that cannot be parsed")
		}
	}
	return nil
}

// checkTokenEnvelope applies the same strictness to an RFC 3161 token,
// whose SignedData is version 3 and carries a TSTInfo.
func checkTokenEnvelope(token []byte) error {
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return fmt.Errorf("parse token CMS: %w", err)
	}
	return checkSignedData(token, p7, 3, oidTSTInfo, false)
}

// checkSignedData checks the ContentInfo/SignedData header of raw.
func checkSignedData(raw []byte, p7 *pkcs7.PKCS7, version int, content asn1.ObjectIdentifier, padded bool) error {
	// ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT content }, each
	// element filling its parent exactly: encoding/asn1 tolerates a wrong
	// SEQUENCE/SET tag and trailing bytes, which would let a length grow
	// into the zero padding unnoticed.
	outer, err := exactElement(raw, 0, 16, padded)
	if err != nil {
		return fmt.Errorf("CMS ContentInfo: %w", err)
	}
	var ctype asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(outer.Bytes, &ctype)
	if err != nil || !ctype.Equal(oidSignedData) {
		return fmt.Errorf("CMS content type %v is not signedData", ctype)
	}
	explicit, err := exactElement(rest, 2, 0, false)
	if err != nil {
		return fmt.Errorf("CMS content: %w", err)
	}
	sdRaw, err := exactElement(explicit.Bytes, 0, 16, false)
	if err != nil {
		return fmt.Errorf("CMS SignedData: %w", err)
	}
	var sd signedDataHead
	if _, err := asn1.Unmarshal(sdRaw.FullBytes, &sd); err != nil {
		return fmt.Errorf("CMS SignedData: %w", err)
	}
	// Detached signatures carry no content; a token's TSTInfo must be an
	// OCTET STRING (the tag is outside what the TSA signed).
	embedded := len(sd.Encap.Content.FullBytes) > 0
	if embedded != content.Equal(oidTSTInfo) || embedded && !isOctetString(sd.Encap.Content.Bytes) {
		return errors.New("CMS encapsulated content is malformed")
	}
	if sd.Version != version || !sd.Encap.Type.Equal(content) {
		return fmt.Errorf("CMS SignedData version %d with content %v, want %d and %v", sd.Version, sd.Encap.Type, version, content)
	}
	if len(p7.Signers) != 1 || len(sd.DigestAlgorithms) != 1 {
		return errors.New("CMS must have exactly one signer and one digest algorithm")
	}
	si := p7.Signers[0]
	if si.Version != 1 {
		return fmt.Errorf("CMS SignerInfo version %d, want 1", si.Version)
	}
	alg, want := sd.DigestAlgorithms[0], si.DigestAlgorithm
	if !alg.Algorithm.Equal(want.Algorithm) || !bytes.Equal(alg.Parameters.FullBytes, want.Parameters.FullBytes) {
		return fmt.Errorf("CMS digest algorithm %v differs from the signer's %v", alg.Algorithm, want.Algorithm)
	}
	return nil
}

// timestampAttrOID is the DER of id-aa-timeStampToken (RFC 3161 appendix A).
var (
	oidTimestampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	timestampAttrOID  = []byte{0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x0e}
)

// exactElement parses one constructed element of the given class and tag
// that must fill data exactly, or up to zero padding when padded (only the
// outermost element sits in a zero-padded /Contents).
func exactElement(data []byte, class, tag int, padded bool) (asn1.RawValue, error) {
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(data, &v)
	if err != nil {
		return v, err
	}
	if v.Class != class || v.Tag != tag || !v.IsCompound {
		return v, fmt.Errorf("element has class %d tag %d, want class %d tag %d", v.Class, v.Tag, class, tag)
	}
	for _, b := range rest {
		if b != 0 || !padded {
			return v, errors.New("data after element")
		}
	}
	return v, nil
}

// isOctetString reports whether data is exactly one primitive OCTET STRING.
func isOctetString(data []byte) bool {
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(data, &v)
	return err == nil && len(rest) == 0 && v.Class == 0 && v.Tag == asn1.TagOctetString && !v.IsCompound
}
