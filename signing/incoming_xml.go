package signing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
	"golang.org/x/net/html/charset"

	"github.com/sportello/sportello/domain"
)

// Bounds of a received XML file whose signatures are checked. A FatturaPA with its
// attachments inline is a few MiB; the depth of the deepest schema plus a signature is under 30.
// Real signatures have two to four references, and a file one or two signatures: the bounds
// keep a hostile file (anyone can sign with a key of their own) from making the check copy a
// large document over and over. The SDI takes a FatturaPA of at most 5 MB.
const (
	maxSignedXML      = 16 << 20
	maxSignedXMLDepth = 2 * maxProtocolDepth
	maxXMLSignatures  = 8
	maxXMLReferences  = 8  // per signature
	maxXMLCopies      = 16 // references checked in one file, each on a copy of what it designates
)

// signedXML is a received XML file whose signatures are being checked.
type signedXML struct {
	doc  *etree.Document
	ids  map[string][]*etree.Element // by Id (or ID, or id) attribute; built at the first use
	refs int                         // references checked so far
}

// The XML-DSig signature methods (RFC 6931) a received signature may use, as the checks of
// crypto/x509 name them.
var xmlSignatureAlgorithms = map[string]x509.SignatureAlgorithm{
	"http://www.w3.org/2000/09/xmldsig#rsa-sha1": x509.SHA1WithRSA,
	rsaSHA256: x509.SHA256WithRSA,
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": x509.SHA384WithRSA,
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": x509.SHA512WithRSA,
	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1": x509.ECDSAWithSHA1,
	ecdsaSHA256: x509.ECDSAWithSHA256,
	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": x509.ECDSAWithSHA384,
	"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": x509.ECDSAWithSHA512,
}

// isXML reports whether a file is XML by its media type (text/xml, application/xml or a
// +xml type) or, whatever it was stored as, its name.
func isXML(mediaType, filename string) bool {
	t, _, _ := strings.Cut(mediaType, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	return t == "text/xml" || t == "application/xml" || strings.HasSuffix(t, "+xml") ||
		strings.HasSuffix(strings.ToLower(filename), ".xml")
}

// checkXML reports the XML signatures (XAdES, or plain XML-DSig) in a received XML file, in
// document order: enveloped ones (a signed FatturaPA, a sealed segnatura), enveloping ones
// (the document is the signature, the content in its ds:Object) and detached ones, whose
// references to other files cannot be checked here and make them not valid. A signature
// inside another (a countersignature in its unsigned properties) is not reported. A file that
// does not name the XML-DSig namespace has none and is not parsed; one that names it but is
// not XML is reported as one signature that is not valid.
func (a Anchors) checkXML(data []byte) []domain.Signature {
	if !bytes.Contains(data, []byte(dsNamespace)) {
		return nil
	}
	bad := func(reason string) []domain.Signature {
		return []domain.Signature{{Format: domain.SignatureXAdES, Reason: reason, Trusted: a.unknown()}}
	}
	if len(data) > maxSignedXML {
		return bad(fmt.Sprintf("the XML file is larger than %d bytes: its signatures are not checked", maxSignedXML))
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{CharsetReader: charset.NewReaderLabel, MaxDepth: maxSignedXMLDepth}
	if err := doc.ReadFromBytes(data); err != nil || doc.Root() == nil {
		return bad(fmt.Sprintf("the file names the XML signature namespace but is not XML: %v", err))
	}
	var out []domain.Signature
	file := &signedXML{doc: doc}
	stack := []*etree.Element{doc.Root()}
	for len(stack) > 0 {
		el := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if el.Tag == "Signature" && el.NamespaceURI() == dsNamespace {
			if len(out) == maxXMLSignatures {
				return append(out, bad(fmt.Sprintf("the file carries more than %d XML signatures: the others are not checked", maxXMLSignatures))...)
			}
			out = append(out, a.checkXMLSignature(file, el))
			continue
		}
		kids := el.ChildElements()
		for i := len(kids) - 1; i >= 0; i-- { // in document order
			stack = append(stack, kids[i])
		}
	}
	return out
}

// checkXMLSignature checks one ds:Signature of doc with the signer's certificate its KeyInfo
// carries (the one SigningCertificate names, else the first):
// the SignatureValue over SignedInfo and every Reference's digest (XML-DSig core validation),
// and, when it references XAdES SignedProperties, that they name that certificate. The
// signing time is the SignedProperties' SigningTime. Trust is decided as for CAdES, with the
// other certificates of KeyInfo as intermediates.
func (a Anchors) checkXMLSignature(file *signedXML, sig *etree.Element) domain.Signature {
	s := domain.Signature{Format: domain.SignatureXAdES, Trusted: a.unknown()}
	certs, err := keyInfoCertificates(sig)
	if err != nil {
		s.Reason = "the signature does not carry the signer's certificate: " + err.Error()
		return s
	}
	signer := certs[0]
	if props, _ := findSignedProperties(sig); props != nil {
		ssp := child(props, xadesNamespace, "SignedSignatureProperties")
		if t, err := parseXSDateTime(textOf(child(ssp, xadesNamespace, "SigningTime"))); err == nil {
			s.SigningTime = &t
		}
		// KeyInfo may list the chain before the signer: SigningCertificate names it.
		for _, c := range certs {
			if checkSigningCertificate(ssp, c) == nil {
				signer = c
				break
			}
		}
	}
	s.Signer = commonName(signer)
	if err := file.verify(sig, signer); err != nil {
		s.Reason = "the signature does not hold: " + err.Error()
		return s
	}
	s.Valid = true
	a.trust(&s, signer, certs)
	return s
}

// parseXSDateTime reads an xs:dateTime; one without a time zone is taken as UTC.
func parseXSDateTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02T15:04:05.999999999", s)
}

// verify is XML-DSig core validation of sig, a ds:Signature of the file, by cert: the
// SignatureValue over the canonical SignedInfo, then each Reference. Unlike goxmldsig's
// Validate, which the seal check uses, it checks the signature it is given among several,
// every reference (not only the one to the document), a document whose processing
// instructions the signature covers, and a certificate whatever its validity period (trust
// decides that, at the signing time).
func (f *signedXML) verify(sig *etree.Element, cert *x509.Certificate) error {
	infos := children(sig, dsNamespace, "SignedInfo")
	values := children(sig, dsNamespace, "SignatureValue")
	if len(infos) != 1 || len(values) != 1 {
		return errors.New("a ds:Signature has one SignedInfo and one SignatureValue")
	}
	info := infos[0]
	method := child(info, dsNamespace, "CanonicalizationMethod")
	canon, err := canonicalizerOf(method)
	if err != nil {
		return fmt.Errorf("SignedInfo: %w", err)
	}
	signed, err := canonicalWhereItStands(info, canon)
	if err != nil {
		return fmt.Errorf("SignedInfo: %w", err)
	}
	alg, ok := xmlSignatureAlgorithms[algorithmOf(child(info, dsNamespace, "SignatureMethod"))]
	if !ok {
		return fmt.Errorf("unsupported signature method %q", algorithmOf(child(info, dsNamespace, "SignatureMethod")))
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(values[0].Text()), ""))
	if err != nil {
		return errors.New("the SignatureValue is not base64")
	}
	if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
		if der, ok := ecdsaDER(raw, pub); ok {
			raw = der
		}
	}
	if err := cert.CheckSignature(alg, signed, raw); err != nil {
		return fmt.Errorf("the SignatureValue does not match SignedInfo: %w", err)
	}
	refs := children(info, dsNamespace, "Reference")
	switch {
	case len(refs) == 0:
		return errors.New("SignedInfo has no Reference")
	case len(refs) > maxXMLReferences:
		return fmt.Errorf("SignedInfo has %d references, more than the %d checked", len(refs), maxXMLReferences)
	}
	xades := false
	for _, ref := range refs {
		if err := f.checkReference(sig, ref); err != nil {
			what := fmt.Sprintf("reference %q", ref.SelectAttrValue("URI", ""))
			if ref.SelectAttrValue("Type", "") == signedPropsType {
				what = "the SignedProperties, " + what
			}
			return fmt.Errorf("%s: %w", what, err)
		}
		xades = xades || ref.SelectAttrValue("Type", "") == signedPropsType
	}
	if xades {
		return checkSignedProperties(sig, cert)
	}
	return nil
}

// checkReference checks the digest of what ref, a Reference of sig, designates in the file:
// the whole document (URI "" or "#xpointer(/)") or the one element whose Id is named. A
// reference to anything else (another file, a URL) cannot be checked here.
func (f *signedXML) checkReference(sig, ref *etree.Element) error {
	if f.refs++; f.refs > maxXMLCopies {
		return fmt.Errorf("the file's signatures have more than %d references: the others are not checked", maxXMLCopies)
	}
	uri := ref.SelectAttrValue("URI", "")
	var target *etree.Element
	switch {
	case uri == "" || uri == "#xpointer(/)":
		target = f.doc.Root()
	case strings.HasPrefix(uri, "#xpointer(id("):
		id := strings.Trim(strings.TrimSuffix(strings.TrimPrefix(uri, "#xpointer(id("), "))"), `'"`)
		var err error
		if target, err = f.byID(id); err != nil {
			return err
		}
	case strings.HasPrefix(uri, "#"):
		var err error
		if target, err = f.byID(uri[1:]); err != nil {
			return err
		}
	default:
		return errors.New("it designates content outside the file (a detached signature): it is not checked")
	}
	data, err := referencedOctets(ref, target, sig)
	if err != nil {
		return err
	}
	if target == f.doc.Root() && (uri == "" || uri == "#xpointer(/)") {
		data = withDocumentInstructions(f.doc, data)
	}
	return checkDigest(ref, data)
}

// byID finds the one element whose Id (or ID, or id) attribute is id. Two elements with the
// same one are an error: which of them is signed would be ambiguous.
func (f *signedXML) byID(id string) (*etree.Element, error) {
	if f.ids == nil {
		f.ids = map[string][]*etree.Element{}
		stack := []*etree.Element{f.doc.Root()}
		for len(stack) > 0 {
			el := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, a := range el.Attr {
				if a.Space == "" && (a.Key == "Id" || a.Key == "ID" || a.Key == "id") {
					f.ids[a.Value] = append(f.ids[a.Value], el)
					break
				}
			}
			stack = append(stack, el.ChildElements()...)
		}
	}
	switch found := f.ids[id]; len(found) {
	case 0:
		return nil, fmt.Errorf("no element has the Id %q", id)
	case 1:
		return found[0], nil
	default:
		return nil, fmt.Errorf("%d elements have the Id %q", len(found), id)
	}
}

// withDocumentInstructions adds to the canonical root element the processing instructions
// around it, as the canonical form of a whole document has them (XML C14N 1.0 §2.3; comments
// are left out of a same-document reference). A FatturaPA's xml-stylesheet is one.
func withDocumentInstructions(doc *etree.Document, root []byte) []byte {
	var before, after bytes.Buffer
	seen := false
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			seen = true
		case *etree.ProcInst:
			if t.Target == "xml" {
				continue
			}
			pi := "<?" + t.Target
			if t.Inst != "" {
				pi += " " + t.Inst
			}
			pi += "?>"
			if seen {
				after.WriteString("\n" + pi)
			} else {
				before.WriteString(pi + "\n")
			}
		}
	}
	if before.Len() == 0 && after.Len() == 0 {
		return root
	}
	return append(append(before.Bytes(), root...), after.Bytes()...)
}

// keyInfoCertificates are the certificates of sig's KeyInfo/X509Data, the signer's first.
func keyInfoCertificates(sig *etree.Element) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, data := range children(child(child(sig, dsNamespace, "KeyInfo"), dsNamespace, "X509Data"), dsNamespace, "X509Certificate") {
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(data.Text()), ""))
		if err != nil {
			return nil, errors.New("a certificate in KeyInfo is not base64")
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("a certificate in KeyInfo: %w", err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificate in KeyInfo")
	}
	return certs, nil
}

// canonicalWhereItStands canonicalises a copy of el carrying the namespaces its ancestors
// declare, which canon keeps as far as they are used (exclusive) or all (inclusive). Only el
// itself is detached, so a large subtree is not walked twice.
func canonicalWhereItStands(el *etree.Element, canon dsig.Canonicalizer) ([]byte, error) {
	detached, err := detach(el)
	if err != nil {
		return nil, err
	}
	return canon.Canonicalize(detached)
}

// detach copies el with the namespace declarations in scope where it stands. etreeutils'
// NSDetatch walks the whole subtree under a limit of a thousand elements: here it is given
// el without its children, which are moved over from a copy.
func detach(el *etree.Element) (*etree.Element, error) {
	if el.Parent() == nil {
		return el.Copy(), nil
	}
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	full := el.Copy()
	shallow := etree.NewElement(full.Tag)
	shallow.Space, shallow.Attr = full.Space, full.Attr
	detached, err := etreeutils.NSDetatch(ctx, shallow)
	if err != nil {
		return nil, err
	}
	for len(full.Child) > 0 {
		detached.AddChild(full.Child[0])
	}
	return detached, nil
}

// referencedOctets canonicalises a copy of el, which a Reference designates, as ref's
// transforms say: the enveloped-signature transform removes sig from it (sig nil: the
// transform is refused); the XPath filters that leave out every signature (see
// dropsSignatures) remove them all; a canonicalisation transform chooses the canonical form,
// inclusive c14n 1.0 when none does. Other transforms (other XPath expressions, XSLT, base64)
// are not supported.
func referencedOctets(ref, el, sig *etree.Element) ([]byte, error) {
	var canon dsig.Canonicalizer = dsig.MakeC14N10RecCanonicalizer()
	enveloped, unsigned := false, false
	for _, t := range children(child(ref, dsNamespace, "Transforms"), dsNamespace, "Transform") {
		if algorithmOf(t) == envelopedAlgorithm && sig != nil {
			enveloped = true
			continue
		}
		if sig != nil && dropsSignatures(t) {
			unsigned = true
			continue
		}
		c, err := canonicalizerOf(t)
		if err != nil {
			return nil, fmt.Errorf("unsupported transform %q", algorithmOf(t))
		}
		canon = c
	}
	copied, err := detach(el)
	if err != nil {
		return nil, err
	}
	if enveloped {
		var path []int
		for e := sig; e != el; e = e.Parent() {
			if e == nil {
				return nil, errors.New("the enveloped-signature transform applies to content that does not hold the signature")
			}
			path = append(path, e.Index())
		}
		if len(path) == 0 {
			return nil, errors.New("the enveloped-signature transform applies to the signature itself")
		}
		at := copied
		for i := len(path) - 1; i > 0; i-- {
			at = at.Child[path[i]].(*etree.Element)
		}
		at.RemoveChildAt(path[0])
	}
	if unsigned {
		removeSignatures(copied)
	}
	return canon.Canonicalize(copied)
}

// The XPath transforms that select a document without its signatures, as signers of
// FatturaPA and other XAdES documents write them: XPath filtering (XML-DSig §6.6.3) with
// not(ancestor-or-self::ds:Signature), and XPath Filter 2.0 subtracting every ds:Signature.
const (
	xpathAlgorithm   = "http://www.w3.org/TR/1999/REC-xpath-19991116"
	filter2Algorithm = "http://www.w3.org/2002/06/xmldsig-filter2"
	filter2Namespace = filter2Algorithm
)

var (
	notSignaturePattern      = regexp.MustCompile(`^not\(\s*ancestor-or-self::([A-Za-z_][\w.-]*):Signature\s*\)$`)
	subtractSignaturePattern = regexp.MustCompile(`^(?:/descendant::|//)([A-Za-z_][\w.-]*):Signature$`)
)

// dropsSignatures reports whether the transform t is one of the XPath filters that leave out
// every ds:Signature and its content, the prefix of the expression bound to the XML-DSig
// namespace where it is written.
func dropsSignatures(t *etree.Element) bool {
	var (
		expr    *etree.Element
		pattern *regexp.Regexp
	)
	switch algorithmOf(t) {
	case xpathAlgorithm:
		expr, pattern = child(t, dsNamespace, "XPath"), notSignaturePattern
	case filter2Algorithm:
		filters := children(t, filter2Namespace, "XPath")
		if len(filters) != 1 || filters[0].SelectAttrValue("Filter", "") != "subtract" {
			return false
		}
		expr, pattern = filters[0], subtractSignaturePattern
	default:
		return false
	}
	if expr == nil {
		return false
	}
	m := pattern.FindStringSubmatch(strings.TrimSpace(expr.Text()))
	if m == nil {
		return false
	}
	ctx, err := etreeutils.NSBuildParentContext(expr)
	if err != nil {
		return false
	}
	if ctx, err = ctx.SubContext(expr); err != nil {
		return false
	}
	ns, err := ctx.LookupPrefix(m[1])
	return err == nil && ns == dsNamespace
}

// removeSignatures removes every ds:Signature under el.
func removeSignatures(el *etree.Element) {
	for i := len(el.Child) - 1; i >= 0; i-- {
		c, ok := el.Child[i].(*etree.Element)
		switch {
		case !ok:
		case c.Tag == "Signature" && c.NamespaceURI() == dsNamespace:
			el.RemoveChildAt(i)
		default:
			removeSignatures(c)
		}
	}
}

// checkDigest checks that ref's DigestValue is the digest, by its DigestMethod, of data.
func checkDigest(ref *etree.Element, data []byte) error {
	h := digestHash(algorithmOf(child(ref, dsNamespace, "DigestMethod")))
	if h == 0 || !h.Available() {
		return fmt.Errorf("unknown digest method %q", algorithmOf(child(ref, dsNamespace, "DigestMethod")))
	}
	want, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(textOf(child(ref, dsNamespace, "DigestValue"))), ""))
	if err != nil || !bytes.Equal(hashOf(h, data), want) {
		return errors.New("the digest does not match")
	}
	return nil
}

// canonicalizerOf is the canonicalisation an Algorithm names, with the InclusiveNamespaces
// prefix list of exclusive c14n.
func canonicalizerOf(method *etree.Element) (dsig.Canonicalizer, error) {
	prefixes := child(method, exclusiveC14N, "InclusiveNamespaces")
	list := ""
	if prefixes != nil {
		list = prefixes.SelectAttrValue("PrefixList", "")
	}
	switch alg := algorithmOf(method); dsig.AlgorithmID(alg) {
	case dsig.CanonicalXML10ExclusiveAlgorithmId:
		return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(list), nil
	case dsig.CanonicalXML10ExclusiveWithCommentsAlgorithmId:
		return dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList(list), nil
	case dsig.CanonicalXML10RecAlgorithmId:
		return dsig.MakeC14N10RecCanonicalizer(), nil
	case dsig.CanonicalXML10WithCommentsAlgorithmId:
		return dsig.MakeC14N10WithCommentsCanonicalizer(), nil
	case dsig.CanonicalXML11AlgorithmId:
		return dsig.MakeC14N11Canonicalizer(), nil
	case dsig.CanonicalXML11WithCommentsAlgorithmId:
		return dsig.MakeC14N11WithCommentsCanonicalizer(), nil
	default:
		return nil, fmt.Errorf("unsupported canonicalisation %q", alg)
	}
}
