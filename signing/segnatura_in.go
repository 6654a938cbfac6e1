package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	_ "crypto/sha1" // registers crypto.SHA1, the digest of 2001 segnature
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"golang.org/x/net/html/charset"

	"github.com/sportello/sportello/domain"
)

// Namespaces and bounds of what is received from other AOOs. The 2001 forms have no
// namespace.
const (
	ns2013 = "http://www.digitPa.gov.it/protocollo/"
	// maxProtocolXML bounds a received segnatura or protocol message: a segnatura listing a
	// thousand attachments takes a few hundred KiB.
	maxProtocolXML = 2 << 20
	// maxProtocolDepth bounds the nesting of elements; the deepest path of the schemas (a
	// contact's address in a person of an administration) is under 10.
	maxProtocolDepth = 64
)

// Digest algorithm identifiers (W3C XML Signature, RFC 6931) as ReceivedSegnaturaFile carries
// them.
var digestURIs = map[crypto.Hash]string{
	crypto.SHA1:   "http://www.w3.org/2000/09/xmldsig#sha1",
	crypto.SHA256: sha256Algorithm,
	crypto.SHA384: "http://www.w3.org/2001/04/xmldsig-more#sha384",
	crypto.SHA512: "http://www.w3.org/2001/04/xmlenc#sha512",
}

// The schema's patterns of the identifier's parts (segnatura 3.0.0, IdentificatoreType).
var (
	registerPattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,16}$`)
	numberPattern   = regexp.MustCompile(`^[0-9]{7,}$`)
	xsDatePattern   = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}-[0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?$`)
)

// ReadSegnatura reads a segnatura received from another AOO and checks it against the files
// that came with it, by name (domain.SegnaturaReader). It reads the three forms still in use:
// SegnaturaInformatica 3.0.0, the 2013 circular's Segnatura (its namespace) and the 2001
// circular's (no namespace). The checks of Allegato 6 follow in order, each failure an anomaly
// naming what failed: the seal (3.0.0 only: none is 006, one that does not verify 001), what
// the schema makes mandatory (005), then each listed file: missing (004), empty (003), not
// matching its digest (002); anything else is 007. Bytes that are not XML, or XML that is no
// segnatura, are ECValidation. The parser expands no entity but the five of XML, so neither a
// DTD's entities nor external ones reach the result.
func ReadSegnatura(data []byte, files []domain.MailFile) (domain.ReceivedSegnatura, error) {
	root, err := parseProtocolXML(data, "segnatura")
	if err != nil {
		return domain.ReceivedSegnatura{}, err
	}
	r := &segnaturaReader{}
	ns := root.NamespaceURI()
	switch {
	case root.Tag == "SegnaturaInformatica" && ns == protNamespace:
		r.out.Version = "3.0.0"
		r.sealAnomaly(root)
		r.read30(root)
	case root.Tag == "Segnatura" && (ns == ns2013 || ns == "" && strings.HasPrefix(attrOf(root, "", "versione"), "2013")):
		r.out.Version = "2013"
		r.readOld(root, ns)
	case root.Tag == "Segnatura" && ns == "":
		r.out.Version = "2001"
		r.readOld(root, ns)
	default:
		return domain.ReceivedSegnatura{}, domain.Errorf(domain.ECValidation, "not a segnatura: the root is %s in namespace %q", root.Tag, ns)
	}
	r.checkFiles(files)
	return r.out, nil
}

// parseProtocolXML parses a bounded XML document and returns its root. Only the predefined
// entities are known (encoding/xml's strict mode), so an entity a DTD declares is an error,
// not an expansion; a declared encoding other than UTF-8 (ISO-8859-1 in older systems) is
// converted.
func parseProtocolXML(data []byte, what string) (*etree.Element, error) {
	if len(data) > maxProtocolXML {
		return nil, domain.Errorf(domain.ECValidation, "the %s is larger than %d bytes", what, maxProtocolXML)
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{CharsetReader: charset.NewReaderLabel, MaxDepth: maxProtocolDepth}
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, domain.Errorf(domain.ECValidation, "the %s is not XML: %v", what, err)
	}
	root := doc.Root()
	if root == nil {
		return nil, domain.Errorf(domain.ECValidation, "the %s has no root element", what)
	}
	return root, nil
}

// segnaturaReader gathers what a segnatura states and the anomalies found on the way.
type segnaturaReader struct {
	ns     string // the namespace of the segnatura's elements
	out    domain.ReceivedSegnatura
	hashes []crypto.Hash // per out.Files: the digest's function, 0 when unknown or none stated
}

func (r *segnaturaReader) anomaly(code, format string, args ...any) {
	r.out.Anomalies = append(r.out.Anomalies, domain.Anomaly{Code: code, Detail: fmt.Sprintf(format, args...)})
}

// need returns parent's child local, reporting 005 with path when it is absent. A nil parent
// was reported already and gives nil.
func (r *segnaturaReader) need(parent *etree.Element, local, path string) *etree.Element {
	if parent == nil {
		return nil
	}
	el := child(parent, r.ns, local)
	if el == nil {
		r.anomaly(domain.AnomalyInvalidSchema, "%s is missing", path)
	}
	return el
}

// needText returns the text of parent's child local, reporting 005 when it is absent or empty.
func (r *segnaturaReader) needText(parent *etree.Element, local, path string) string {
	if parent == nil {
		return ""
	}
	s := textOf(child(parent, r.ns, local))
	if s == "" {
		r.anomaly(domain.AnomalyInvalidSchema, "%s is missing or empty", path)
	}
	return s
}

// identifier reads an Identificatore. strict applies the 3.0.0 schema's patterns; the older
// forms only ask for an ISO date.
func (r *segnaturaReader) identifier(parent *etree.Element, path string, strict bool) domain.ProtocolID {
	el := r.need(parent, "Identificatore", path)
	if el == nil {
		return domain.ProtocolID{}
	}
	id := domain.ProtocolID{
		IPACode:  r.needText(el, "CodiceAmministrazione", path+"/CodiceAmministrazione"),
		AOOCode:  r.needText(el, "CodiceAOO", path+"/CodiceAOO"),
		Register: r.needText(el, "CodiceRegistro", path+"/CodiceRegistro"),
		Number:   r.needText(el, "NumeroRegistrazione", path+"/NumeroRegistrazione"),
	}
	date := r.needText(el, "DataRegistrazione", path+"/DataRegistrazione")
	if date != "" {
		if id.Date = isoDate(date); id.Date == "" {
			r.anomaly(domain.AnomalyInvalidSchema, "%s/DataRegistrazione %q is not a date", path, date)
		}
	}
	if strict && id.Register != "" && !registerPattern.MatchString(id.Register) {
		r.anomaly(domain.AnomalyInvalidSchema, "%s/CodiceRegistro %q does not match the schema's pattern", path, id.Register)
	}
	if strict && id.Number != "" && !numberPattern.MatchString(id.Number) {
		r.anomaly(domain.AnomalyInvalidSchema, "%s/NumeroRegistrazione %q is not a number of at least seven digits", path, id.Number)
	}
	return id
}

// isoDate returns the YYYY-MM-DD of an xs:date (time zone allowed), "" when it is none.
func isoDate(s string) string {
	m := xsDatePattern.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, m[1]); err != nil {
		return ""
	}
	return m[1]
}

// read30 maps a SegnaturaInformatica 3.0.0. A confirmation is asked when any Destinatario
// asks it (confermaRicezione, true by default): which of them is the receiving AOO is not known
// here.
func (r *segnaturaReader) read30(root *etree.Element) {
	r.ns = protNamespace
	if v := attrOf(root, r.ns, "versione"); v != "3.0.0" {
		r.anomaly(domain.AnomalyInvalidSchema, "SegnaturaInformatica's versione is %q, not 3.0.0", v)
	}
	head := r.need(root, "Intestazione", "Intestazione")
	r.out.Sender = r.identifier(head, "Intestazione/Identificatore", true)
	r.out.Subject = r.needText(head, "Oggetto", "Intestazione/Oggetto")
	if class := r.need(head, "Classifica", "Intestazione/Classifica"); class != nil {
		r.needText(class, "Denominazione", "Intestazione/Classifica/Denominazione")
		r.out.Class = textOf(child(class, r.ns, "CodiceFlat"))
		if path := child(class, r.ns, "CodicePath"); r.out.Class == "" && path != nil {
			r.out.Class = r.levels(path)
		}
		if r.out.Class == "" {
			r.anomaly(domain.AnomalyInvalidSchema, "Intestazione/Classifica has neither CodiceFlat nor CodicePath")
		}
	}
	desc := r.need(root, "Descrizione", "Descrizione")
	if m := r.need(desc, "Mittente", "Descrizione/Mittente"); m != nil {
		r.out.SenderParty = r.party30(m)
	}
	recipients := children(desc, r.ns, "Destinatario")
	if desc != nil && len(recipients) == 0 {
		r.anomaly(domain.AnomalyInvalidSchema, "Descrizione/Destinatario is missing")
	}
	for _, d := range recipients {
		if v := attrOf(d, r.ns, "confermaRicezione"); v != "false" && v != "0" {
			r.out.ConfirmationRequested = true
		}
	}
	if p := r.need(desc, "DocumentoPrimario", "Descrizione/DocumentoPrimario"); p != nil {
		r.file30(p, "DocumentoPrimario", true)
	}
	for i, a := range children(desc, r.ns, "Allegato") {
		r.file30(a, fmt.Sprintf("Allegato %d", i+1), false)
	}
}

// levels joins a CodicePath's Livello and its SubLivello's, in order, with dots.
func (r *segnaturaReader) levels(path *etree.Element) string {
	var parts []string
	for el := path; el != nil; el = child(el, r.ns, "SubLivello") {
		if l := textOf(child(el, r.ns, "Livello")); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, ".")
}

// party30 maps the choice of SoggettoType.
func (r *segnaturaReader) party30(m *etree.Element) domain.SegnaturaParty {
	for _, el := range m.ChildElements() {
		if el.NamespaceURI() != r.ns {
			continue
		}
		switch el.Tag {
		case "Amministrazione":
			return domain.SegnaturaParty{
				Kind: domain.PartyAdministration, Name: textOf(child(el, r.ns, "DenominazioneAmministrazione")),
				TaxCode: textOf(child(el, r.ns, "CFAmministrazione")),
				IPACode: r.needText(el, "CodiceIPAAmministrazione", "Descrizione/Mittente/Amministrazione/CodiceIPAAmministrazione"),
				AOOCode: textOf(child(el, r.ns, "CodiceIPAAOO")), UOCode: textOf(child(el, r.ns, "CodiceIPAUO")),
				DigitalAddress: r.address(child(el, r.ns, "ContattiUO"), child(el, r.ns, "ContattiAOO"), child(el, r.ns, "ContattiAmministrazione")),
			}
		case "PersonaGiuridica":
			return domain.SegnaturaParty{Kind: domain.PartyOrganization, Name: textOf(child(el, r.ns, "Denominazione")),
				TaxCode: textOf(child(el, r.ns, "PIVAoCF")), DigitalAddress: r.address(child(el, r.ns, "ContattiPersonaGiuridica"))}
		case "PersonaFisica":
			given, surname := textOf(child(el, r.ns, "Nome")), textOf(child(el, r.ns, "Cognome"))
			return domain.SegnaturaParty{Kind: domain.PartyPerson, Name: strings.TrimSpace(given + " " + surname), GivenName: given, Surname: surname,
				TaxCode: textOf(child(el, r.ns, "CodiceFiscale")), DigitalAddress: r.address(child(el, r.ns, "Contatti"))}
		case "AmministrazioneEstera":
			return domain.SegnaturaParty{Kind: domain.PartyOrganization, Name: textOf(child(el, r.ns, "DenominazioneAmministrazione")),
				DigitalAddress: r.address(child(el, r.ns, "ContattiAmministrazione"))}
		}
	}
	r.anomaly(domain.AnomalyInvalidSchema, "Descrizione/Mittente names no Amministrazione, PersonaGiuridica, PersonaFisica or AmministrazioneEstera")
	return domain.SegnaturaParty{}
}

// address is the first e-mail address (IndirizzoTelematico of tipo smtp, the default) of the
// first of contacts that has one: the most specific office first.
func (r *segnaturaReader) address(contacts ...*etree.Element) string {
	for _, c := range contacts {
		for _, a := range children(c, r.ns, "IndirizzoTelematico") {
			if t := attrOf(a, r.ns, "tipo"); (t == "" || t == "smtp") && textOf(a) != "" {
				return textOf(a)
			}
		}
	}
	return ""
}

// file30 lists a DocumentoType. A document with a CollocazioneTelematica is fetched from where
// it names, not carried by the message: it is not listed.
func (r *segnaturaReader) file30(el *etree.Element, what string, primary bool) {
	name := attrOf(el, r.ns, "nomeFile")
	if name == "" {
		r.anomaly(domain.AnomalyInvalidSchema, "%s has no nomeFile", what)
		return
	}
	if attrOf(el, r.ns, "mimeType") == "" {
		r.anomaly(domain.AnomalyInvalidSchema, "%s %q has no mimeType", what, name)
	}
	if child(el, r.ns, "CollocazioneTelematica") != nil {
		return
	}
	imp := child(el, r.ns, "Impronta")
	if imp == nil {
		r.anomaly(domain.AnomalyInvalidSchema, "%s %q has no Impronta", what, name)
		return
	}
	alg := attrOf(imp, r.ns, "algoritmo")
	if alg == "" {
		alg = "SHA-256"
	}
	r.list(name, textOf(imp), alg, primary)
}

// readOld maps the 2013 and 2001 forms, which differ only by the namespace. The sender is the
// Origine: its address and its administration and AOO, whose codes default to the
// identifier's.
func (r *segnaturaReader) readOld(root *etree.Element, ns string) {
	r.ns = ns
	head := r.need(root, "Intestazione", "Intestazione")
	r.out.Sender = r.identifier(head, "Intestazione/Identificatore", false)
	r.out.Subject = r.needText(head, "Oggetto", "Intestazione/Oggetto")
	if class := child(head, r.ns, "Classifica"); class != nil {
		var levels []string
		for _, l := range children(class, r.ns, "Livello") {
			if s := textOf(l); s != "" {
				levels = append(levels, s)
			}
		}
		r.out.Class = strings.Join(levels, ".")
	}
	origin := r.need(head, "Origine", "Intestazione/Origine")
	if m := r.need(origin, "Mittente", "Intestazione/Origine/Mittente"); m != nil {
		adm := r.need(m, "Amministrazione", "Intestazione/Origine/Mittente/Amministrazione")
		aoo := r.need(m, "AOO", "Intestazione/Origine/Mittente/AOO")
		p := domain.SegnaturaParty{Kind: domain.PartyAdministration,
			Name:    r.needText(adm, "Denominazione", "Intestazione/Origine/Mittente/Amministrazione/Denominazione"),
			IPACode: firstOf(textOf(child(adm, r.ns, "CodiceAmministrazione")), r.out.Sender.IPACode),
			AOOCode: firstOf(textOf(child(aoo, r.ns, "CodiceAOO")), r.out.Sender.AOOCode),
			UOCode:  textOf(child(child(adm, r.ns, "UnitaOrganizzativa"), r.ns, "Identificativo")),
		}
		p.DigitalAddress = textOf(child(origin, r.ns, "IndirizzoTelematico"))
		r.out.SenderParty = p
	}
	destinations := children(head, r.ns, "Destinazione")
	if head != nil && len(destinations) == 0 {
		r.anomaly(domain.AnomalyInvalidSchema, "Intestazione/Destinazione is missing")
	}
	for _, d := range append(destinations, children(head, r.ns, "PerConoscenza")...) {
		if attrOf(d, r.ns, "confermaRicezione") == "si" {
			r.out.ConfirmationRequested = true
		}
	}
	desc := r.need(root, "Descrizione", "Descrizione")
	if desc == nil {
		return
	}
	doc := child(desc, r.ns, "Documento")
	switch {
	case doc != nil:
		r.fileOld(doc, "Documento", true)
	case child(desc, r.ns, "TestoDelMessaggio") == nil:
		r.anomaly(domain.AnomalyInvalidSchema, "Descrizione has neither Documento nor TestoDelMessaggio")
	}
	if all := child(desc, r.ns, "Allegati"); all != nil {
		r.attachmentsOld(all)
	}
}

// attachmentsOld lists the documents of Allegati, and of the Fascicolo elements in it.
func (r *segnaturaReader) attachmentsOld(el *etree.Element) {
	for _, c := range el.ChildElements() {
		switch {
		case c.NamespaceURI() != r.ns:
		case c.Tag == "Documento":
			r.fileOld(c, "Allegati/Documento", false)
		case c.Tag == "Fascicolo":
			r.attachmentsOld(c)
		}
	}
}

// fileOld lists a Documento carried by the message (tipoRiferimento MIME, the default); a
// paper or remote one is not listed. Its Impronta is optional; the algorithm is the stated
// one, else SHA-256 in 2013; the 2001 circular's first DTD fixed SHA-1 and its later one
// SHA-256, so an unstated 2001 digest is told by its length.
func (r *segnaturaReader) fileOld(el *etree.Element, what string, primary bool) {
	if t := attrOf(el, r.ns, "tipoRiferimento"); t != "" && t != "MIME" {
		return
	}
	name := attrOf(el, r.ns, "nome")
	if name == "" {
		r.anomaly(domain.AnomalyOther, "%s has no nome: it cannot be matched to a file received", what)
		return
	}
	imp := child(el, r.ns, "Impronta")
	if imp == nil {
		r.out.Files = append(r.out.Files, domain.ReceivedSegnaturaFile{Name: name, Primary: primary})
		r.hashes = append(r.hashes, 0)
		return
	}
	alg := attrOf(imp, r.ns, "algoritmo")
	if alg == "" && r.out.Version == "2013" {
		alg = "SHA-256"
	}
	r.list(name, textOf(imp), alg, primary)
}

// list adds a file with its stated digest. alg "" (2001) picks SHA-1 or SHA-256 by length.
func (r *segnaturaReader) list(name, digest, alg string, primary bool) {
	sum, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(digest), ""))
	if err != nil || len(sum) == 0 {
		r.anomaly(domain.AnomalyInvalidSchema, "the Impronta of %q is not base64", name)
		return
	}
	var h crypto.Hash
	switch {
	case alg != "":
		h = digestHash(alg)
	case len(sum) == crypto.SHA1.Size():
		h = crypto.SHA1
	case len(sum) == crypto.SHA256.Size():
		h = crypto.SHA256
	}
	uri := alg
	if u, ok := digestURIs[h]; ok && alg != "" {
		uri = u
	}
	r.out.Files = append(r.out.Files, domain.ReceivedSegnaturaFile{Name: name, Digest: sum, DigestAlgorithm: uri, Primary: primary})
	r.hashes = append(r.hashes, h)
}

// digestHash names an algorithm as segnature state it ("SHA-256", "SHA256", "sha-1") or by its
// URI; 0 when unknown.
func digestHash(alg string) crypto.Hash {
	for h, uri := range digestURIs {
		if alg == uri {
			return h
		}
	}
	switch strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToUpper(alg)) {
	case "SHA1":
		return crypto.SHA1
	case "SHA256":
		return crypto.SHA256
	case "SHA384":
		return crypto.SHA384
	case "SHA512":
		return crypto.SHA512
	}
	return 0
}

// checkFiles checks each listed file against the files received: present by name (exactly,
// else ignoring case), readable (not empty), matching its digest.
func (r *segnaturaReader) checkFiles(files []domain.MailFile) {
	for i, f := range r.out.Files {
		got, ok := findFile(files, f.Name)
		switch {
		case !ok:
			r.anomaly(domain.AnomalyMissingFile, "%q is listed but was not received", f.Name)
		case len(got.Content) == 0:
			r.anomaly(domain.AnomalyUnreadable, "%q is empty", f.Name)
		case f.Digest == nil:
		case r.hashes[i] == 0 || !r.hashes[i].Available():
			r.anomaly(domain.AnomalyOther, "the digest of %q is in an unknown algorithm %q", f.Name, f.DigestAlgorithm)
		default:
			if !bytes.Equal(hashOf(r.hashes[i], got.Content), f.Digest) {
				r.anomaly(domain.AnomalyDigest, "%q does not match its Impronta", f.Name)
			}
		}
	}
}

func findFile(files []domain.MailFile, name string) (domain.MailFile, bool) {
	for _, f := range files {
		if f.Name == name {
			return f, true
		}
	}
	for _, f := range files {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return domain.MailFile{}, false
}

// child is el's first child element local in namespace ns; nil when none or el is nil.
func child(el *etree.Element, ns, local string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

// children are el's child elements local in namespace ns.
func children(el *etree.Element, ns, local string) []*etree.Element {
	if el == nil {
		return nil
	}
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

// attrOf is el's attribute key, qualified in ns as the 3.0.0 schema wants or unqualified as
// many systems write it, trimmed.
func attrOf(el *etree.Element, ns, key string) string {
	for _, a := range el.Attr {
		if a.Key == key && (a.Space == "" || a.NamespaceURI() == ns) {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// textOf is el's text, trimmed; "" for nil.
func textOf(el *etree.Element) string {
	if el == nil {
		return ""
	}
	return strings.TrimSpace(el.Text())
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// sealAnomaly checks the seal of a 3.0.0 segnatura, the enveloped XAdES signature that is the
// root's last child: none is 006; one that does not verify with the certificate in its KeyInfo
// is 001. goxmldsig verifies SignedInfo and the reference to the document; the reference to
// the SignedProperties and SigningCertificateV2 are checked here. The certificate is the
// signer's own claim: whether it is the sender AOO's seal is not known here.
func (r *segnaturaReader) sealAnomaly(root *etree.Element) {
	var sigs []*etree.Element
	stack := []*etree.Element{root}
	for len(stack) > 0 {
		el := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if el.Tag == "Signature" && el.NamespaceURI() == dsNamespace {
			sigs = append(sigs, el)
		}
		stack = append(stack, el.ChildElements()...)
	}
	switch {
	case len(sigs) == 0:
		r.anomaly(domain.AnomalySealMissing, "the segnatura carries no ds:Signature")
	case len(sigs) > 1:
		r.anomaly(domain.AnomalySeal, "the segnatura carries %d ds:Signature elements, not one seal", len(sigs))
	case sigs[0].Parent() != root:
		r.anomaly(domain.AnomalySeal, "the ds:Signature is not a child of SegnaturaInformatica: it does not seal it")
	default:
		if err := verifySeal(root, sigs[0]); err != nil {
			r.anomaly(domain.AnomalySeal, "the seal does not verify: %v", err)
		}
	}
}

// verifySeal verifies the enveloped signature sig of root with the first certificate of its
// KeyInfo.
func verifySeal(root, sig *etree.Element) error {
	cert, err := keyInfoCertificate(sig)
	if err != nil {
		return err
	}
	doc := root.Copy()
	if err := derECDSASignatureValue(child(doc, dsNamespace, "Signature"), cert); err != nil {
		return err
	}
	v := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	if _, err := v.Validate(doc); err != nil {
		return err
	}
	return checkSignedProperties(sig, cert)
}

// keyInfoCertificate is the first certificate of sig's KeyInfo/X509Data.
func keyInfoCertificate(sig *etree.Element) (*x509.Certificate, error) {
	certs, err := keyInfoCertificates(sig)
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

// derECDSASignatureValue rewrites, in a copy being verified, an ECDSA SignatureValue from the
// r‖s of XML-DSig (RFC 4050, as SealXAdES and xmlsec1 write it) to the DER that goxmldsig's
// check expects (its issue 163). SignatureValue is outside SignedInfo: nothing signed changes.
func derECDSASignatureValue(sig *etree.Element, cert *x509.Certificate) error {
	if sig == nil {
		return errors.New("no ds:Signature")
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	value := child(sig, dsNamespace, "SignatureValue")
	if !ok || value == nil {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(value.Text()), ""))
	if err != nil {
		return nil // not base64: goxmldsig judges it as it is
	}
	if der, ok := ecdsaDER(raw, pub); ok {
		value.SetText(base64.StdEncoding.EncodeToString(der))
	}
	return nil
}

// ecdsaDER rewrites an ECDSA signature from the r‖s of XML-DSig (RFC 4050) to the DER of
// crypto/x509's checks; false when raw is not r‖s for pub's curve.
func ecdsaDER(raw []byte, pub *ecdsa.PublicKey) ([]byte, bool) {
	size := (pub.Curve.Params().BitSize + 7) / 8
	if len(raw) != 2*size {
		return nil, false
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:size]), new(big.Int).SetBytes(raw[size:])})
	return der, err == nil
}

// checkSignedProperties checks what XAdES baseline B adds to XML-DSig: SignedInfo references
// the SignedProperties, their digest holds, and SigningCertificateV2 (or the older
// SigningCertificate) names the certificate that verified the signature.
func checkSignedProperties(sig *etree.Element, cert *x509.Certificate) error {
	props, ref := findSignedProperties(sig)
	switch {
	case ref == nil:
		return errors.New("SignedInfo does not reference the XAdES SignedProperties")
	case props == nil:
		return fmt.Errorf("no SignedProperties with Id %q", strings.TrimPrefix(ref.SelectAttrValue("URI", ""), "#"))
	}
	if err := checkReferenceDigest(ref, props); err != nil {
		return err
	}
	return checkSigningCertificate(child(props, xadesNamespace, "SignedSignatureProperties"), cert)
}

// checkSigningCertificate checks that the SigningCertificateV2 (or the older
// SigningCertificate) of the SignedSignatureProperties ssp names cert by its digest.
func checkSigningCertificate(ssp *etree.Element, cert *x509.Certificate) error {
	signing := child(ssp, xadesNamespace, "SigningCertificateV2")
	if signing == nil {
		signing = child(ssp, xadesNamespace, "SigningCertificate")
	}
	for _, c := range children(signing, xadesNamespace, "Cert") {
		d := child(c, xadesNamespace, "CertDigest")
		h := digestHash(algorithmOf(child(d, dsNamespace, "DigestMethod")))
		want, err := base64.StdEncoding.DecodeString(textOf(child(d, dsNamespace, "DigestValue")))
		if h != 0 && h.Available() && err == nil && bytes.Equal(hashOf(h, cert.Raw), want) {
			return nil
		}
	}
	return errors.New("SigningCertificateV2 does not name the certificate in KeyInfo")
}

// findSignedProperties finds the Reference of sig's SignedInfo to XAdES SignedProperties (its
// Type says so) and the SignedProperties of sig's QualifyingProperties it names by Id; nil
// for what is not there.
func findSignedProperties(sig *etree.Element) (props, ref *etree.Element) {
	for _, r := range children(child(sig, dsNamespace, "SignedInfo"), dsNamespace, "Reference") {
		if r.SelectAttrValue("Type", "") == signedPropsType {
			ref = r
		}
	}
	if ref == nil {
		return nil, nil
	}
	id := strings.TrimPrefix(ref.SelectAttrValue("URI", ""), "#")
	for _, obj := range children(sig, dsNamespace, "Object") {
		for _, qp := range children(obj, xadesNamespace, "QualifyingProperties") {
			if p := child(qp, xadesNamespace, "SignedProperties"); p != nil && p.SelectAttrValue("Id", "") == id {
				props = p
			}
		}
	}
	return props, ref
}

// checkReferenceDigest checks ref's digest of el, canonicalised where it stands as ref's
// transforms say (inclusive c14n 1.0 when none).
func checkReferenceDigest(ref, el *etree.Element) error {
	data, err := referencedOctets(ref, el, nil)
	if err != nil {
		return fmt.Errorf("the SignedProperties: %w", err)
	}
	if err := checkDigest(ref, data); err != nil {
		return fmt.Errorf("the SignedProperties: %w", err)
	}
	return nil
}

// algorithmOf is el's Algorithm attribute, "" for nil.
func algorithmOf(el *etree.Element) string {
	if el == nil {
		return ""
	}
	return el.SelectAttrValue("Algorithm", "")
}

func hashOf(h crypto.Hash, data []byte) []byte {
	w := h.New()
	w.Write(data)
	return w.Sum(nil)
}
