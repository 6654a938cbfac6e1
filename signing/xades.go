package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// XML-DSig and XAdES identifiers (W3C XML Signature 1.1, RFC 6931, ETSI EN 319 132-1).
const (
	dsNamespace         = "http://www.w3.org/2000/09/xmldsig#"
	xadesNamespace      = "http://uri.etsi.org/01903/v1.3.2#"
	signedPropsType     = "http://uri.etsi.org/01903#SignedProperties"
	sha256Algorithm     = "http://www.w3.org/2001/04/xmlenc#sha256"
	ecdsaSHA256         = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	rsaSHA256           = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	envelopedAlgorithm  = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	exclusiveC14N       = "http://www.w3.org/2001/10/xml-exc-c14n#"
	signaturePrefix     = "ds"
	xadesPrefix         = "xades"
	signedPropsIDSuffix = "-signedprops"
)

// SealXAdES appends to root, as its last child, an enveloped XAdES baseline B signature by
// id (ETSI EN 319 132-1): a reference to the whole document without the signature, and one to
// the SignedProperties, which carry the signing time and the digest of the sealing certificate
// (SigningCertificateV2). Both are canonicalised with exclusive c14n. sigID is the
// signature's Id, unique in the document; root must not change afterwards.
func SealXAdES(root *etree.Element, id *Identity, sigID string, at time.Time) error {
	method, err := signatureMethod(id.Signer)
	if err != nil {
		return err
	}
	docDigest, err := digestOf(root.Copy())
	if err != nil {
		return fmt.Errorf("seal xades: digest document: %w", err)
	}
	sig := root.CreateElement(signaturePrefix + ":Signature")
	sig.CreateAttr("xmlns:"+signaturePrefix, dsNamespace)
	sig.CreateAttr("Id", sigID)
	info := sig.CreateElement("ds:SignedInfo")
	info.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", exclusiveC14N)
	info.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", method)
	reference(info, "", "", docDigest, envelopedAlgorithm, exclusiveC14N)
	value := sig.CreateElement("ds:SignatureValue")
	certs := sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data")
	for _, c := range append([]*x509.Certificate{id.Certificate}, id.Chain...) {
		certs.CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(c.Raw))
	}
	props := signedProperties(sig, sigID, id, at)
	propsDigest, err := canonicalDigest(props)
	if err != nil {
		return fmt.Errorf("seal xades: digest signed properties: %w", err)
	}
	reference(info, "#"+props.SelectAttrValue("Id", ""), signedPropsType, propsDigest, exclusiveC14N)
	infoDigest, err := canonicalDigest(info)
	if err != nil {
		return fmt.Errorf("seal xades: digest signed info: %w", err)
	}
	raw, err := signDigest(id.Signer, infoDigest)
	if err != nil {
		return fmt.Errorf("seal xades: %w", err)
	}
	value.SetText(base64.StdEncoding.EncodeToString(raw))
	return nil
}

// signedProperties writes ds:Object/xades:QualifyingProperties/xades:SignedProperties into sig
// and returns the SignedProperties.
func signedProperties(sig *etree.Element, sigID string, id *Identity, at time.Time) *etree.Element {
	qp := sig.CreateElement("ds:Object").CreateElement(xadesPrefix + ":QualifyingProperties")
	qp.CreateAttr("xmlns:"+xadesPrefix, xadesNamespace)
	qp.CreateAttr("Target", "#"+sigID)
	props := qp.CreateElement("xades:SignedProperties")
	props.CreateAttr("Id", sigID+signedPropsIDSuffix)
	ssp := props.CreateElement("xades:SignedSignatureProperties")
	ssp.CreateElement("xades:SigningTime").SetText(at.UTC().Format(time.RFC3339))
	cert := ssp.CreateElement("xades:SigningCertificateV2").CreateElement("xades:Cert")
	certDigest := cert.CreateElement("xades:CertDigest")
	certDigest.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", sha256Algorithm)
	sum := sha256.Sum256(id.Certificate.Raw)
	certDigest.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(sum[:]))
	return props
}

// reference appends a ds:Reference to info.
func reference(info *etree.Element, uri, typ string, digest []byte, transforms ...string) {
	ref := info.CreateElement("ds:Reference")
	ref.CreateAttr("URI", uri)
	if typ != "" {
		ref.CreateAttr("Type", typ)
	}
	ts := ref.CreateElement("ds:Transforms")
	for _, t := range transforms {
		ts.CreateElement("ds:Transform").CreateAttr("Algorithm", t)
	}
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", sha256Algorithm)
	ref.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(digest))
}

// canonicalDigest is the SHA-256 of el's exclusive canonical form where it stands: the
// namespaces declared by its ancestors are carried over, and c14n keeps those it uses.
func canonicalDigest(el *etree.Element) ([]byte, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, err
	}
	return digestOf(detached)
}

// digestOf canonicalises el, which it may change, and returns the SHA-256 of the result.
func digestOf(el *etree.Element) ([]byte, error) {
	c14n, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(el)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(c14n)
	return sum[:], nil
}

// signatureMethod names the XML-DSig algorithm of the sealing key.
func signatureMethod(s crypto.Signer) (string, error) {
	switch s.Public().(type) {
	case *ecdsa.PublicKey:
		return ecdsaSHA256, nil
	case *rsa.PublicKey:
		return rsaSHA256, nil
	default:
		return "", fmt.Errorf("seal xades: no XML signature method for a %T key", s.Public())
	}
}

// signDigest signs a SHA-256 digest. XML-DSig writes an ECDSA signature as r and s
// concatenated, each padded to the curve's size (RFC 4050), not as the DER Go returns.
func signDigest(s crypto.Signer, digest []byte) ([]byte, error) {
	raw, err := s.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	pub, ok := s.Public().(*ecdsa.PublicKey)
	if !ok {
		return raw, nil
	}
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(raw, &rs); err != nil || len(rest) != 0 {
		return nil, errors.New("ECDSA signature is not DER")
	}
	size := (pub.Curve.Params().BitSize + 7) / 8
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}
