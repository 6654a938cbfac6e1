package archive

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
)

func fixture(t *testing.T) (domain.RegistrationMetadata, []byte) {
	t.Helper()
	content := []byte("%PDF-1.7 richiesta")
	sum := sha256.Sum256(content)
	r := &domain.Registration{
		Register: "PG", Year: 2026, Number: 42, Identifier: "c_h501-A1B2C3D-PG-2026-0000042", Date: "2026-03-02",
		Direction: domain.Incoming, Channel: domain.ChannelPEC, Subject: "Richiesta <urgente> & riservata",
		Correspondents: []domain.Correspondent{{Role: domain.RoleSender, Type: domain.TypePerson, Name: "Anna De Luca"}},
		Document:       domain.File{Filename: "richiesta.pdf", MediaType: "application/pdf", SHA256: hex.EncodeToString(sum[:])},
		Attachments:    []domain.File{{Filename: "a.txt", MediaType: "text/plain", SHA256: hex.EncodeToString(sum[:])}},
		CreatedBy:      "mrossi", Status: domain.StatusActive,
	}
	m, err := domain.BuildRegistrationMetadata(domain.MetadataInput{AOO: domain.AOO{IPACode: "c_h501", Code: "A1B2C3D", Name: "Comune"},
		Registration: r, Register: domain.Register{Code: "PG"}, Loc: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return m, content
}

// children lists the names of the direct children of the first element named parent.
func children(t *testing.T, doc []byte, parent string) []string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(doc)))
	depth, in := 0, -1
	var out []string
	for {
		tok, err := d.Token()
		if err != nil {
			return out
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			if in < 0 && e.Name.Local == parent {
				in = depth
			} else if in > 0 && depth == in+1 {
				out = append(out, e.Name.Local)
			}
		case xml.EndElement:
			if depth == in {
				return out
			}
			depth--
		}
	}
}

// TestRegistrationMetadataXML checks the XML of a registration's metadata: well-formed, the
// annex's element names in its order, the digest as base64 of the file's SHA-256, the 7-digit
// number and the flow, and text escaped.
func TestRegistrationMetadataXML(t *testing.T) {
	m, content := fixture(t)
	doc, err := RegistrationMetadataXML(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(doc), `<?xml version="1.0" encoding="UTF-8"?>`+"\n<Metadati>") {
		t.Fatalf("head %.80s", doc)
	}
	if got := children(t, doc, "Metadati"); strings.Join(got, ",") != "DocumentoAmministrativoInformatico,DocumentoAmministrativoInformatico" {
		t.Fatalf("documents %v", got)
	}
	want := "IdDoc,ModalitaDiFormazione,TipologiaDocumentale,DatiDiRegistrazione,Soggetti,ChiaveDescrittiva,Allegati,Riservato," +
		"IdentificativoDelFormato,Verifica,Agg,NomeDelDocumento,VersioneDelDocumento"
	if got := strings.Join(children(t, doc, "DocumentoAmministrativoInformatico"), ","); got != want {
		t.Fatalf("elements\n got %s\nwant %s", got, want)
	}
	sum := sha256.Sum256(content)
	compact := regexp.MustCompile(`>\s+<`).ReplaceAllString(string(doc), "><")
	for _, s := range []string{
		"<Impronta>" + base64.StdEncoding.EncodeToString(sum[:]) + "</Impronta>", "<Algoritmo>SHA-256</Algoritmo>",
		"<TipologiaDiFlusso>E</TipologiaDiFlusso>", "<NumeroProtocolloDocumento>0000042</NumeroProtocolloDocumento>",
		"<ProtocolloOrdinario_ProtocolloEmergenza>", "<CodiceRegistro>PG</CodiceRegistro>", "<Riservato>false</Riservato>",
		"<Oggetto>Richiesta &lt;urgente&gt; &amp; riservata</Oggetto>", "<Ruolo><Mittente><TipoRuolo>Mittente</TipoRuolo><PF>",
		"<TipoRegistro>Protocollo Ordinario/Protocollo Emergenza</TipoRegistro>",
		"<IdIdentificativoDocumentoPrimario>", "<NumeroAllegati>1</NumeroAllegati>",
	} {
		if !strings.Contains(compact, s) {
			t.Errorf("no %s in\n%s", s, doc)
		}
	}
	var back struct {
		XMLName xml.Name `xml:"Metadati"`
		domain.RegistrationMetadata
	}
	if err := xml.Unmarshal(doc, &back); err != nil || len(back.DocumentoAmministrativoInformatico) != 2 ||
		back.DocumentoAmministrativoInformatico[0].IdDoc != m.DocumentoAmministrativoInformatico[0].IdDoc {
		t.Fatalf("read back: %v %+v", err, back)
	}
}

// TestAggregateMetadataXML checks the dossier's root element and the order of its elements.
func TestAggregateMetadataXML(t *testing.T) {
	m := domain.AggregazioneDocumentaliInformatiche{IdAgg: domain.MetaTipoAgg{TipoAggregazione: "Fascicolo", IdAggregazione: "2026-VI.3-000012"},
		TipologiaFascicolo: "affare", DataApertura: "2026-03-01", Progressivo: 12, TempoDiConservazione: 9999}
	doc, err := AggregateMetadataXML(m)
	if err != nil {
		t.Fatal(err)
	}
	want := "IdAgg,TipologiaFascicolo,Soggetti,Assegnazione,DataApertura,Classificazione,Progressivo,ChiaveDescrittiva,IndiceDocumenti,TempoDiConservazione"
	if got := strings.Join(children(t, doc, "AggregazioneDocumentaliInformatiche"), ","); got != want {
		t.Fatalf("elements\n got %s\nwant %s", got, want)
	}
}

// BenchmarkRegistrationMetadataXML measures the metadata of a registration with a primary
// document and ten attachments: built from the registration and written as XML.
func BenchmarkRegistrationMetadataXML(b *testing.B) {
	sum := sha256.Sum256([]byte("x"))
	r := &domain.Registration{Register: "PG", Year: 2026, Number: 42, Identifier: "c_h501-A1B2C3D-PG-2026-0000042", Date: "2026-03-02",
		Direction: domain.Incoming, Subject: "Richiesta", CreatedBy: "c",
		Correspondents: []domain.Correspondent{{Role: domain.RoleSender, Type: domain.TypePerson, Name: "Anna De Luca"}},
		Document:       domain.File{Filename: "a.pdf", MediaType: "application/pdf", SHA256: hex.EncodeToString(sum[:])}}
	for range 10 {
		r.Attachments = append(r.Attachments, r.Document)
	}
	in := domain.MetadataInput{AOO: domain.AOO{IPACode: "c_h501", Code: "A1B2C3D", Name: "Comune"}, Registration: r, Loc: time.UTC}
	var size int
	for b.Loop() {
		m, err := domain.BuildRegistrationMetadata(in)
		if err != nil {
			b.Fatal(err)
		}
		doc, err := RegistrationMetadataXML(m)
		if err != nil {
			b.Fatal(err)
		}
		size = len(doc)
	}
	b.ReportMetric(float64(size), "xml-bytes")
}
