package signing

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/segnaturacheck"
)

// sealedWithFiles is a registration with two attachments, sealed by id, and the files the
// message carries.
func sealedWithFiles(t testing.TB, id *Identity) ([]byte, []domain.MailFile) {
	t.Helper()
	files := []domain.MailFile{
		{Name: "istanza.pdf", MediaType: "application/pdf", Content: []byte("%PDF-1.4 istanza\n")},
		{Name: "planimetria.pdf", MediaType: "application/pdf", Content: []byte("%PDF-1.4 planimetria\n")},
		{Name: "relazione.pdf", MediaType: "application/pdf", Content: []byte("%PDF-1.4 relazione tecnica\n")},
	}
	seg := sampleSegnatura()
	seg.Document, seg.Attachments = segFile(files[0]), []domain.SegnaturaFile{segFile(files[1]), segFile(files[2])}
	xml, err := SealSegnatura(t.Context(), seg, id, time.Date(2026, 3, 1, 9, 31, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return xml, files
}

func segFile(f domain.MailFile) domain.SegnaturaFile {
	sum := sha256.Sum256(f.Content)
	return domain.SegnaturaFile{Filename: f.Name, MediaType: f.MediaType, SHA256: sum[:]}
}

func rsaIdentity(t testing.TB) *Identity {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := selfSignedTemplate("Sigillo RSA di prova")
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
	return newIdentity(key, cert, nil)
}

// edit parses xml, applies change to its root and writes it back.
func edit(t testing.TB, xml []byte, change func(root *etree.Element)) []byte {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		t.Fatal(err)
	}
	change(doc.Root())
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// reseal removes the seal of xml, applies change and seals it again with id: a segnatura that
// is sealed properly and says what change made it say.
func reseal(t testing.TB, xml []byte, id *Identity, change func(root *etree.Element)) []byte {
	t.Helper()
	return edit(t, xml, func(root *etree.Element) {
		root.RemoveChild(root.SelectElement("ds:Signature"))
		change(root)
		if err := SealXAdES(root, id, "resealed", time.Now()); err != nil {
			t.Fatal(err)
		}
	})
}

func codes(r domain.ReceivedSegnatura) []string {
	var out []string
	for _, a := range r.Anomalies {
		out = append(out, a.Code)
	}
	return out
}

// wantAnomalies reads xml with files and expects exactly the codes given, in order, each
// detail naming what it says.
func wantAnomalies(t *testing.T, xml []byte, files []domain.MailFile, want []string, naming ...string) domain.ReceivedSegnatura {
	t.Helper()
	got, err := ReadSegnatura(xml, files)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(codes(got), want) {
		t.Fatalf("anomalies %+v, want codes %v", got.Anomalies, want)
	}
	for i, name := range naming {
		if !strings.Contains(got.Anomalies[i].Detail, name) {
			t.Errorf("anomaly %+v does not name %q", got.Anomalies[i], name)
		}
	}
	return got
}

// TestReadSegnatura reads back our own sealed segnatura of a registration with two
// attachments: everything mapped, no anomaly (ECDSA and RSA seals); then each Allegato 6 check
// on its own: a changed attachment byte (002), a missing file (004), an empty one (003), the
// XML changed after sealing or the SignedProperties changed (001), another certificate in
// KeyInfo (001), the seal removed (006), a mandatory element missing (005), an unknown digest
// algorithm (007), and several at once in the order of the checks.
func TestReadSegnatura(t *testing.T) {
	id, _ := fixtures(t)
	xml, files := sealedWithFiles(t, id)
	t.Run("RoundTrip", func(t *testing.T) {
		got := wantAnomalies(t, xml, files, nil)
		sums := make([][]byte, len(files))
		for i, f := range files {
			s := sha256.Sum256(f.Content)
			sums[i] = s[:]
		}
		want := domain.ReceivedSegnatura{
			Version: "3.0.0",
			Sender:  domain.ProtocolID{IPACode: "c_h501", AOOCode: "A1B2C3D", Register: "PG", Number: "0000042", Date: "2026-03-01"},
			Subject: "Richiesta <certificato> & altro", Class: "VI.3",
			SenderParty: domain.SegnaturaParty{Kind: domain.PartyAdministration, Name: "Comune di Roma", IPACode: "c_h501", AOOCode: "A1B2C3D"},
			Files: []domain.ReceivedSegnaturaFile{
				{Name: "istanza.pdf", Digest: sums[0], DigestAlgorithm: sha256Algorithm, Primary: true},
				{Name: "planimetria.pdf", Digest: sums[1], DigestAlgorithm: sha256Algorithm},
				{Name: "relazione.pdf", Digest: sums[2], DigestAlgorithm: sha256Algorithm},
			},
			ConfirmationRequested: true,
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("read\n%+v\nwant\n%+v", got, want)
		}
	})
	t.Run("RSA", func(t *testing.T) {
		rsaXML, rsaFiles := sealedWithFiles(t, rsaIdentity(t))
		wantAnomalies(t, rsaXML, rsaFiles, nil)
	})
	t.Run("AttachmentAltered", func(t *testing.T) {
		altered := append([]domain.MailFile(nil), files...)
		altered[2].Content = bytes.Clone(files[2].Content)
		altered[2].Content[5] ^= 1
		wantAnomalies(t, xml, altered, []string{domain.AnomalyDigest}, "relazione.pdf")
	})
	t.Run("FileMissing", func(t *testing.T) {
		wantAnomalies(t, xml, []domain.MailFile{files[0], files[2]}, []string{domain.AnomalyMissingFile}, "planimetria.pdf")
	})
	t.Run("FileEmpty", func(t *testing.T) {
		empty := append([]domain.MailFile(nil), files...)
		empty[1].Content = nil
		wantAnomalies(t, xml, empty, []string{domain.AnomalyUnreadable}, "planimetria.pdf")
	})
	t.Run("NameInOtherCase", func(t *testing.T) {
		renamed := append([]domain.MailFile(nil), files...)
		renamed[0].Name = "ISTANZA.PDF"
		wantAnomalies(t, xml, renamed, nil)
	})
	t.Run("XMLAlteredAfterSealing", func(t *testing.T) {
		altered := bytes.Replace(xml, []byte("certificato"), []byte("certificatO"), 1)
		wantAnomalies(t, altered, files, []string{domain.AnomalySeal}, "seal")
	})
	t.Run("SignedPropertiesAltered", func(t *testing.T) {
		altered := bytes.Replace(xml, []byte("2026-03-01T09:31:00Z"), []byte("2026-03-01T09:31:01Z"), 1)
		wantAnomalies(t, altered, files, []string{domain.AnomalySeal}, "SignedProperties")
	})
	t.Run("OtherCertificate", func(t *testing.T) {
		other := rsaIdentity(t)
		altered := edit(t, xml, func(root *etree.Element) {
			root.FindElement("ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate").SetText(
				base64Cert(other.Certificate))
		})
		wantAnomalies(t, altered, files, []string{domain.AnomalySeal})
	})
	t.Run("SignatureRemoved", func(t *testing.T) {
		unsealed := edit(t, xml, func(root *etree.Element) { root.RemoveChild(root.SelectElement("ds:Signature")) })
		wantAnomalies(t, unsealed, files, []string{domain.AnomalySealMissing}, "ds:Signature")
	})
	t.Run("MandatoryElementMissing", func(t *testing.T) {
		resealed := reseal(t, xml, id, func(root *etree.Element) {
			head := root.SelectElement("prot:Intestazione")
			head.RemoveChild(head.SelectElement("prot:Oggetto"))
		})
		wantAnomalies(t, resealed, files, []string{domain.AnomalyInvalidSchema}, "Intestazione/Oggetto")
	})
	t.Run("UnknownAlgorithm", func(t *testing.T) {
		resealed := reseal(t, xml, id, func(root *etree.Element) {
			root.FindElement("prot:Descrizione/prot:Allegato/prot:Impronta").CreateAttr("prot:algoritmo", "MD5")
		})
		wantAnomalies(t, resealed, files, []string{domain.AnomalyOther}, "planimetria.pdf")
	})
	t.Run("InOrder", func(t *testing.T) {
		altered := bytes.Replace(xml, []byte("certificato"), []byte("certificatO"), 1)
		wantAnomalies(t, altered, files[:2], []string{domain.AnomalySeal, domain.AnomalyMissingFile}, "seal", "relazione.pdf")
	})
}

func base64Cert(c *x509.Certificate) string {
	return base64.StdEncoding.EncodeToString(c.Raw)
}

// fixtureFiles reads the files of testdata/segnatura named.
func fixtureFiles(t testing.TB, names ...string) []domain.MailFile {
	t.Helper()
	var out []domain.MailFile
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", "segnatura", n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, domain.MailFile{Name: n, Content: data})
	}
	return out
}

// TestReadSegnatura2013 reads a segnatura of the 2013 circular, valid against its schema
// (xmllint), and maps it: identifier, subject, class levels, the sender's administration with
// its UO and address, the confirmation asked, SHA-256 digests; a paper attachment is not
// looked for. A changed file is 002.
func TestReadSegnatura2013(t *testing.T) {
	xml, err := os.ReadFile("testdata/segnatura/segnatura-2013.xml")
	if err != nil {
		t.Fatal(err)
	}
	files := fixtureFiles(t, "lettera.pdf", "planimetria.pdf")
	got := wantAnomalies(t, xml, files, nil)
	want := domain.ReceivedSegnatura{
		Version: "2013",
		Sender:  domain.ProtocolID{IPACode: "c_f205", AOOCode: "AOO_MI", Register: "PG", Number: "0012345", Date: "2019-05-14"},
		Subject: "Trasmissione della variante al piano di governo del territorio", Class: "6.1",
		SenderParty: domain.SegnaturaParty{Kind: domain.PartyAdministration, Name: "Comune di Milano", IPACode: "c_f205",
			AOOCode: "AOO_MI", UOCode: "UO_URB", DigitalAddress: "protocollo@pec.comune.milano.it"},
		Files: []domain.ReceivedSegnaturaFile{
			{Name: "lettera.pdf", Digest: sha256Of(files[0].Content), DigestAlgorithm: sha256Algorithm, Primary: true},
			{Name: "planimetria.pdf", Digest: sha256Of(files[1].Content), DigestAlgorithm: sha256Algorithm},
		},
		ConfirmationRequested: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read\n%+v\nwant\n%+v", got, want)
	}
	files[1].Content = append(bytes.Clone(files[1].Content), ' ')
	wantAnomalies(t, xml, files, []string{domain.AnomalyDigest}, "planimetria.pdf")
	segnaturacheck.Validate(t, "..", segnaturacheck.Schema2013, xml)
}

// TestReadSegnatura2001 reads a segnatura of the 2001 circular, valid against its DTD
// (xmllint --dtdvalid), in ISO-8859-1 with a DOCTYPE: the sender's codes come from the
// identifier, no confirmation is asked, the digests are SHA-1 (no algorithm stated). A
// changed file is 002.
func TestReadSegnatura2001(t *testing.T) {
	xml, err := os.ReadFile("testdata/segnatura/segnatura-2001.xml")
	if err != nil {
		t.Fatal(err)
	}
	files := fixtureFiles(t, "nota.txt", "relazione.txt")
	got := wantAnomalies(t, xml, files, nil)
	sha := func(b []byte) []byte { s := sha1.Sum(b); return s[:] }
	want := domain.ReceivedSegnatura{
		Version: "2001",
		Sender:  domain.ProtocolID{IPACode: "c_a944", AOOCode: "PROTBO", Register: "GEN", Number: "0004711", Date: "2003-11-20"},
		Subject: "Richiesta di parere sull'agibilità dei locali scolastici", Class: "9.4",
		SenderParty: domain.SegnaturaParty{Kind: domain.PartyAdministration, Name: "Comune di Bologna", IPACode: "c_a944",
			AOOCode: "PROTBO", DigitalAddress: "protocollo@comune.bologna.it"},
		Files: []domain.ReceivedSegnaturaFile{
			{Name: "nota.txt", Digest: sha(files[0].Content), Primary: true},
			{Name: "relazione.txt", Digest: sha(files[1].Content)},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read\n%+v\nwant\n%+v", got, want)
	}
	files[0].Content = files[1].Content
	wantAnomalies(t, xml, files, []string{domain.AnomalyDigest}, "nota.txt")
	segnaturacheck.Validate(t, "..", segnaturacheck.DTD2001, xml)
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// TestReadSegnaturaRefuses refuses with validation_failed what is no segnatura: not XML,
// another root, too large, too deep; and a billion-laughs DTD or an external entity, which
// the parser does not expand.
func TestReadSegnaturaRefuses(t *testing.T) {
	laughs := `<?xml version="1.0"?>
<!DOCTYPE Segnatura [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Segnatura><Intestazione><Oggetto>&lol9;</Oggetto></Intestazione></Segnatura>`
	external := `<?xml version="1.0"?>
<!DOCTYPE Segnatura [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Segnatura><Intestazione><Oggetto>&xxe;</Oggetto></Intestazione></Segnatura>`
	for name, data := range map[string]string{
		"NotXML":        "%PDF-1.4",
		"Empty":         "",
		"OtherRoot":     `<fattura xmlns="http://www.agid.gov.it/protocollo/"/>`,
		"WrongNS":       `<SegnaturaInformatica xmlns="urn:other"/>`,
		"TooLarge":      "<Segnatura>" + strings.Repeat(" ", maxProtocolXML) + "</Segnatura>",
		"TooDeep":       strings.Repeat("<Segnatura>", maxProtocolDepth+1) + strings.Repeat("</Segnatura>", maxProtocolDepth+1),
		"BillionLaughs": laughs,
		"External":      external,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ReadSegnatura([]byte(data), nil)
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.ECValidation {
				t.Fatalf("ReadSegnatura = %+v, %v; want validation_failed", got, err)
			}
			if strings.Contains(err.Error(), "root:") {
				t.Fatalf("the error shows a file's content: %v", err)
			}
		})
	}
}
