package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/p7m/p7mtest"
)

// invoice is a FatturaPA-like document as received, with the stylesheet instruction such
// invoices carry before their root: an enveloped signature over the whole document covers it.
const invoice = `<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="fatturaordinaria_v1.2.1.xsl"?>
<p:FatturaElettronica xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2" versione="FPR12">
  <FatturaElettronicaHeader>
    <CedentePrestatore><Anagrafica><Denominazione>Fornitore Ornitorinchi S.r.l.</Denominazione></Anagrafica></CedentePrestatore>
  </FatturaElettronicaHeader>
  <FatturaElettronicaBody>
    <DatiGenerali><Causale>Fornitura di ornitorinchi &amp; affini</Causale></DatiGenerali>
    <ImportoTotaleDocumento>122.00</ImportoTotaleDocumento>
  </FatturaElettronicaBody>
%s</p:FatturaElettronica>
`

// xadesTemplate is an XAdES-BES signature for xmlsec1 to fill: the reference to the document
// (without the signature by the transform given, canonicalised by c14n) and the one to the
// SignedProperties, which carry the signing time and the signer certificate's digest.
const xadesTemplate = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="firma1">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="%[1]s"/>
<ds:SignatureMethod Algorithm="%[2]s"/>
<ds:Reference URI="">
<ds:Transforms>%[5]s<ds:Transform Algorithm="%[1]s"/></ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue>
</ds:Reference>
<ds:Reference URI="#firma1-sp" Type="http://uri.etsi.org/01903#SignedProperties">
<ds:Transforms><ds:Transform Algorithm="%[1]s"/></ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue></ds:SignatureValue>
<ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo>
<ds:Object><xades:QualifyingProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" Target="#firma1">
<xades:SignedProperties Id="firma1-sp"><xades:SignedSignatureProperties>
<xades:SigningTime>%[3]s</xades:SigningTime>
<xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>%[4]s</ds:DigestValue></xades:CertDigest></xades:Cert></xades:SigningCertificateV2>
</xades:SignedSignatureProperties></xades:SignedProperties>
</xades:QualifyingProperties></ds:Object>
</ds:Signature>
`

// envelopingTemplate is an XML-DSig signature that is the document, the content in its Object.
const envelopingTemplate = `<?xml version="1.0" encoding="UTF-8"?>
<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">
<SignedInfo>
<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<SignatureMethod Algorithm="%s"/>
<Reference URI="#contenuto">
<Transforms><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>
<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue></DigestValue>
</Reference>
</SignedInfo>
<SignatureValue></SignatureValue>
<KeyInfo><X509Data></X509Data></KeyInfo>
<Object Id="contenuto"><Verbale xmlns="urn:example:verbale">Verbale della seduta: ornitorinchi approvati</Verbale></Object>
</Signature>
`

// signer is a key and certificate that xmlsec1 signs with.
type signer struct {
	key    crypto.Signer
	cert   *x509.Certificate
	method string // the XML-DSig signature method of the key
}

func newSigner(t testing.TB, cn string, ec bool) signer {
	t.Helper()
	if !ec {
		id := rsaIdentity(t)
		return signer{id.Signer, id.Certificate, rsaSHA256}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := selfSignedTemplate(cn)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return signer{key, cert, ecdsaSHA256}
}

// xmlsec1Sign has xmlsec1, an implementation that shares no code with Sportello, sign the
// template xml with s, resolving the SignedProperties' Id.
func xmlsec1Sign(t *testing.T, s signer, xml string) []byte {
	t.Helper()
	return xmlsec1SignIn(t, s, xml, map[string][]byte{})
}

// xmlsec1SignIn is xmlsec1Sign with files beside the template, which its references may name.
func xmlsec1SignIn(t *testing.T, s signer, xml string, files map[string][]byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("xmlsec1"); err != nil {
		t.Skip("xmlsec1 is not installed (Debian package xmlsec1)")
	}
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		t.Fatal(err)
	}
	keyPath, certPath := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	tmpl, out := filepath.Join(dir, "template.xml"), filepath.Join(dir, "signed.xml")
	for path, data := range map[string][]byte{
		keyPath:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		certPath: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Raw}),
		tmpl:     []byte(xml),
	} {
		files[path] = data
	}
	for path, data := range files {
		path = filepath.Join(dir, filepath.Base(path))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("xmlsec1", "--sign", "--privkey-pem", keyPath+","+certPath,
		"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties", "--output", out, tmpl)
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 --sign: %v\n%s\n%s", err, msg, xml)
	}
	signed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// The transforms that leave the signature out of what the reference to the document covers.
const (
	envelopedTransform = `<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>`
	xpathTransform     = `<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>`
	filter2Transform   = `<ds:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"><dsig-xpath:XPath xmlns:dsig-xpath="http://www.w3.org/2002/06/xmldsig-filter2" Filter="subtract">/descendant::ds:Signature</dsig-xpath:XPath></ds:Transform>`
)

// signedInvoice is the invoice with an XAdES-BES signature by s made by xmlsec1, canonicalised
// with c14n, at the signing time at.
func signedInvoice(t *testing.T, s signer, c14n string, at time.Time) []byte {
	return signedInvoiceWith(t, s, c14n, envelopedTransform, at)
}

// signedInvoiceWith is signedInvoice with the signature left out by transform.
func signedInvoiceWith(t *testing.T, s signer, c14n, transform string, at time.Time) []byte {
	sum := sha256.Sum256(s.cert.Raw)
	sig := fmt.Sprintf(xadesTemplate, c14n, s.method, at.Format(time.RFC3339), base64.StdEncoding.EncodeToString(sum[:]), transform)
	return xmlsec1Sign(t, s, fmt.Sprintf(invoice, sig))
}

// flip changes the byte before the first after in data.
func flip(t *testing.T, data []byte, after string) []byte {
	t.Helper()
	i := bytes.Index(data, []byte(after))
	if i < 1 {
		t.Fatalf("no %s in:\n%s", after, data)
	}
	out := bytes.Clone(data)
	out[i-1] ^= 1
	return out
}

// XAdES signatures on received XML files are reported like CAdES and PAdES ones: a segnatura
// sealed by Sportello and invoices signed by xmlsec1 (RSA and ECDSA; inclusive and exclusive
// c14n; the whole document, its stylesheet instruction included) are valid, with their
// signer and signing time, trusted only with their certificate as an anchor. A byte changed
// in the content, in the signing time or in the signature value makes them not valid, saying
// why; an unsigned XML file has none.
func TestCheckXMLSignatures(t *testing.T) {
	at := time.Now().UTC().Truncate(time.Second)
	other := Anchors{Pool: pool(p7mtest.NewCA(t, "Other CA").Cert)}
	check := func(t *testing.T, data []byte, cert *x509.Certificate, at time.Time) {
		t.Helper()
		cn := cert.Subject.CommonName
		for _, mediaType := range []string{"text/xml; charset=utf-8", "application/xml", "text/plain"} {
			got := Anchors{}.CheckSignatures(data, mediaType, "fattura.xml")
			if len(got) != 1 || got[0].Format != domain.SignatureXAdES || got[0].Signer != cn || !got[0].Valid ||
				got[0].Trusted != nil || got[0].Reason != "" || got[0].SigningTime == nil || !got[0].SigningTime.Equal(at) {
				t.Fatalf("%s: signatures %+v, want one valid xades by %s at %s, trust unknown", mediaType, got, cn, at)
			}
		}
		if got := (Anchors{Pool: pool(cert)}).CheckSignatures(data, "text/xml", "fattura.xml"); len(got) != 1 ||
			!got[0].Valid || got[0].Trusted == nil || !*got[0].Trusted {
			t.Errorf("with its anchor: %+v, want valid and trusted", got)
		}
		if got := other.CheckSignatures(data, "text/xml", "fattura.xml"); len(got) != 1 || !got[0].Valid ||
			got[0].Trusted == nil || *got[0].Trusted || !strings.Contains(got[0].Reason, "trust anchor") {
			t.Errorf("with other anchors: %+v, want valid, not trusted, saying why", got)
		}
	}
	notValid := func(t *testing.T, data []byte, cn, reason string) {
		t.Helper()
		for _, a := range []Anchors{{}, other} {
			got := a.CheckSignatures(data, "text/xml", "fattura.xml")
			if len(got) != 1 || got[0].Valid || got[0].Signer != cn || !strings.Contains(got[0].Reason, reason) {
				t.Fatalf("signatures %+v, want one not valid by %s, the reason naming %q", got, cn, reason)
			}
			if a.Pool == nil && got[0].Trusted != nil || a.Pool != nil && (got[0].Trusted == nil || *got[0].Trusted) {
				t.Errorf("trusted %v of a signature that does not hold", fmtTrusted(got[0].Trusted))
			}
		}
	}

	t.Run("SealedSegnatura", func(t *testing.T) {
		for name, id := range map[string]*Identity{"ECDSA": first(fixtures(t)), "RSA": rsaIdentity(t)} {
			t.Run(name, func(t *testing.T) {
				xml, err := SealSegnatura(t.Context(), sampleSegnatura(), id, at)
				if err != nil {
					t.Fatal(err)
				}
				check(t, xml, id.Certificate, at)
				notValid(t, flip(t, xml, "</prot:Oggetto>"), id.Certificate.Subject.CommonName, "does not hold")
				notValid(t, flip(t, xml, "</xades:SigningTime>"), id.Certificate.Subject.CommonName, "the SignedProperties")
			})
		}
	})
	for _, tc := range []struct {
		name            string
		ec              bool
		c14n, transform string
	}{
		{"RSAInclusive", false, "http://www.w3.org/TR/2001/REC-xml-c14n-20010315", envelopedTransform},
		{"ECDSAExclusive", true, exclusiveC14N, envelopedTransform},
		{"RSAC14N11", false, "http://www.w3.org/2006/12/xml-c14n11", envelopedTransform},
		{"ECDSAXPathFilter", true, "http://www.w3.org/TR/2001/REC-xml-c14n-20010315", xpathTransform},
		{"RSAXPathFilter2", false, exclusiveC14N, filter2Transform},
	} {
		t.Run("Xmlsec1"+tc.name, func(t *testing.T) {
			s := newSigner(t, "Mario Rossi", tc.ec)
			xml := signedInvoiceWith(t, s, tc.c14n, tc.transform, at)
			cn := s.cert.Subject.CommonName
			check(t, xml, s.cert, at)
			notValid(t, flip(t, xml, "</ImportoTotaleDocumento>"), cn, "does not hold")
			notValid(t, flip(t, xml, "fatturaordinaria"), cn, "does not hold")
			notValid(t, flip(t, xml, "</xades:SigningTime>"), cn, "the SignedProperties")
			value := bytes.Index(xml, []byte("<ds:SignatureValue>")) + len("<ds:SignatureValue>") + 2
			tampered := bytes.Clone(xml)
			tampered[value] ^= 1
			if tampered[value] == '\n' || tampered[value] == '+' {
				tampered[value] = 'A'
			}
			notValid(t, tampered, cn, "SignatureValue")
		})
	}
	t.Run("Xmlsec1Enveloping", func(t *testing.T) {
		s := newSigner(t, "Anna Bianchi", true)
		xml := xmlsec1Sign(t, s, fmt.Sprintf(envelopingTemplate, s.method))
		got := Anchors{}.CheckSignatures(xml, "application/xml", "verbale.xml")
		if len(got) != 1 || !got[0].Valid || got[0].Signer != "Anna Bianchi" || got[0].SigningTime != nil {
			t.Fatalf("signatures %+v, want one valid by Anna Bianchi, no signing time (plain XML-DSig)", got)
		}
		notValid(t, flip(t, xml, "</Verbale>"), "Anna Bianchi", "does not hold")
	})
	t.Run("TwoSignaturesEachChecked", func(t *testing.T) {
		// Sportello's seal added to a document xmlsec1 signed first: the seal covers the first
		// signature and holds; the first, enveloped, covers the whole document but itself, and
		// the seal added changed it. Each is reported, in document order.
		s := newSigner(t, "Mario Rossi", true)
		xml := signedInvoice(t, s, exclusiveC14N, at)
		id, _ := fixtures(t)
		// SealXAdES seals a root element: the stylesheet instruction, outside it, goes.
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(xml); err != nil {
			t.Fatal(err)
		}
		for _, pi := range doc.Child {
			if pi, ok := pi.(*etree.ProcInst); ok && pi.Target == "xml-stylesheet" {
				doc.RemoveChild(pi)
			}
		}
		if err := SealXAdES(doc.Root(), id, "sigillo", at); err != nil {
			t.Fatal(err)
		}
		resealed, err := doc.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		got := Anchors{}.CheckSignatures(resealed, "application/xml", "fattura.xml")
		if len(got) != 2 || got[0].Signer != "Mario Rossi" || got[1].Signer != id.Certificate.Subject.CommonName ||
			got[0].Valid || !strings.Contains(got[0].Reason, "digest") || !got[1].Valid {
			t.Fatalf("signatures %+v, want Mario Rossi's not valid (the digest), then the seal valid", got)
		}
	})
	t.Run("Detached", func(t *testing.T) {
		s := newSigner(t, "Luca Verdi", true)
		detached := strings.Replace(fmt.Sprintf(envelopingTemplate, s.method), `URI="#contenuto"`, `URI="documento.txt"`, 1)
		detached = strings.Replace(detached, `<Transforms><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>`, "", 1)
		xml := xmlsec1SignIn(t, s, detached, map[string][]byte{"documento.txt": []byte("documento firmato a parte\n")})
		notValid(t, xml, "Luca Verdi", "detached")
	})
	t.Run("OtherXPathNotSupported", func(t *testing.T) {
		s := newSigner(t, "Mario Rossi", true)
		other := strings.Replace(xpathTransform, "not(ancestor-or-self::ds:Signature)", "not(ancestor-or-self::ds:Signature) and not(self::Causale)", 1)
		xml := signedInvoiceWith(t, s, exclusiveC14N, other, at)
		notValid(t, xml, "Mario Rossi", "unsupported transform")
	})
	t.Run("UnsignedHasNone", func(t *testing.T) {
		for _, data := range [][]byte{[]byte(fmt.Sprintf(invoice, "")), []byte("<a>xmldsig is not " + dsNamespace + " alone</a>")} {
			if got := (Anchors{}).CheckSignatures(data, "text/xml", "fattura.xml"); len(got) != 0 {
				t.Errorf("unsigned XML: %+v", got)
			}
		}
	})
	t.Run("SignerNamedBySigningCertificate", func(t *testing.T) {
		// KeyInfo, which the signature does not cover, lists another certificate first.
		id, _ := fixtures(t)
		xml, err := SealSegnatura(t.Context(), sampleSegnatura(), id, at)
		if err != nil {
			t.Fatal(err)
		}
		first := edit(t, xml, func(root *etree.Element) {
			data := child(child(child(root, dsNamespace, "Signature"), dsNamespace, "KeyInfo"), dsNamespace, "X509Data")
			other := etree.NewElement("ds:X509Certificate")
			other.SetText(base64.StdEncoding.EncodeToString(p7mtest.NewCA(t, "Other CA").Cert.Raw))
			data.InsertChildAt(0, other)
		})
		got := Anchors{}.CheckSignatures(first, "text/xml", "Segnatura.xml")
		if len(got) != 1 || !got[0].Valid || got[0].Signer != id.Certificate.Subject.CommonName {
			t.Errorf("signatures %+v, want one valid by %s", got, id.Certificate.Subject.CommonName)
		}
	})
	t.Run("BoundedSignatures", func(t *testing.T) {
		data := "<a>" + strings.Repeat(`<ds:Signature xmlns:ds="`+dsNamespace+`"/>`, maxXMLSignatures+5) + "</a>"
		got := Anchors{}.CheckSignatures([]byte(data), "text/xml", "molte.xml")
		if len(got) != maxXMLSignatures+1 || !strings.Contains(got[maxXMLSignatures].Reason, "not checked") {
			t.Fatalf("%d signatures reported, the last %+v; want %d, then one saying the others are not checked", len(got), got[len(got)-1], maxXMLSignatures+1)
		}
		for _, s := range got {
			if s.Valid || s.Reason == "" {
				t.Errorf("%+v: an empty signature is not valid, with the reason", s)
			}
		}
	})
	t.Run("NotXMLButNamesTheNamespace", func(t *testing.T) {
		got := Anchors{}.CheckSignatures([]byte("<ds:Signature xmlns:ds=\""+dsNamespace+"\">"), "text/xml", "rotto.xml")
		if len(got) != 1 || got[0].Valid || !strings.Contains(got[0].Reason, "not XML") {
			t.Errorf("broken XML: %+v, want one not valid saying it is not XML", got)
		}
	})
}

func fmtTrusted(b *bool) string {
	if b == nil {
		return "null"
	}
	return fmt.Sprint(*b)
}

func first[A, B any](a A, _ B) A { return a }

// BenchmarkCheckXMLSignatures checks the seal of a 1 MiB XML file (an invoice with an
// attachment inline, as FatturaPA carries them), as the extraction job does for each XML file
// received.
func BenchmarkCheckXMLSignatures(b *testing.B) {
	id, _ := fixtures(b)
	doc := etree.NewDocument()
	root := doc.CreateElement("p:FatturaElettronica")
	root.CreateAttr("xmlns:p", "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2")
	body := root.CreateElement("FatturaElettronicaBody")
	for i := range 200 {
		body.CreateElement("DettaglioLinee").CreateElement("Descrizione").SetText(fmt.Sprintf("Riga %d: fornitura di ornitorinchi", i))
	}
	raw := make([]byte, 3<<18)
	body.CreateElement("Allegati").CreateElement("Attachment").SetText(base64.StdEncoding.EncodeToString(raw))
	if err := SealXAdES(root, id, "firma", time.Now()); err != nil {
		b.Fatal(err)
	}
	data, err := doc.WriteToBytes()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if got := (Anchors{}).CheckSignatures(data, "text/xml", "fattura.xml"); len(got) != 1 || !got[0].Valid {
			b.Fatalf("%+v", got)
		}
	}
}
