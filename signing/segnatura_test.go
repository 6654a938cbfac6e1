package signing

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/segnaturacheck"
)

func sampleSegnatura() domain.Segnatura {
	doc := sha256.Sum256([]byte("documento"))
	att := sha256.Sum256([]byte("allegato"))
	rome, _ := time.LoadLocation("Europe/Rome")
	return domain.Segnatura{
		IPACode: "c_h501", AOOCode: "A1B2C3D", AOOName: "Comune di Roma – Protocollo", Register: "PG",
		Number: "0000042", RegisteredAt: time.Date(2026, 3, 1, 10, 30, 0, 0, rome), Subject: "Richiesta <certificato> & altro\x01",
		ClassCode: "VI.3", ClassTitle: "Edilizia privata", Dossier: &domain.SegnaturaDossier{Identifier: "2026-VI.3-000001", Subject: "Pratica"},
		Confidential: true,
		Sender:       domain.SegnaturaParty{Kind: domain.PartyAdministration, Name: "Comune di Roma", IPACode: "c_h501", AOOCode: "A1B2C3D"},
		Recipients: []domain.SegnaturaParty{
			{Kind: domain.PartyPerson, GivenName: "Mario", Surname: "Rossi", TaxCode: "RSSMRA80A01H501U", DigitalAddress: "mario@example.org"},
			{Kind: domain.PartyOrganization, Name: "ACME S.p.A.", TaxCode: "01234567890", DigitalAddress: "acme@pec.example.org"},
			{Kind: domain.PartyAdministration, Name: "Regione", IPACode: "r_lazio", AOOCode: "AOO0001", UOCode: "UO01", DigitalAddress: "r@pec.example.org"},
		},
		Document:    domain.SegnaturaFile{Filename: "istanza.pdf", MediaType: "application/pdf", SHA256: doc[:]},
		Attachments: []domain.SegnaturaFile{{Filename: "allegato\t1.pdf", MediaType: "application/pdf", Description: "Allegato", SHA256: att[:]}},
	}
}

// TestSealSegnatura checks the sealed segnatura with independent tools: it is valid against
// the official schema, xmlsec1 accepts its XAdES signature (both references: the document and
// the SignedProperties), and one changed byte makes xmlsec1 refuse it. Characters XML cannot
// carry are dropped, markup is escaped, and SigningCertificateV2 names the sealing
// certificate by its SHA-256.
func TestSealSegnatura(t *testing.T) {
	id, _ := fixtures(t)
	t.Run("ECDSA", func(t *testing.T) { checkSealedSegnatura(t, id) })
	t.Run("RSA", func(t *testing.T) {
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
		checkSealedSegnatura(t, newIdentity(key, cert, nil))
	})
}

func checkSealedSegnatura(t *testing.T, id *Identity) {
	certSum := sha256.Sum256(id.Certificate.Raw)
	xml, err := SealSegnatura(t.Context(), sampleSegnatura(), id, time.Date(2026, 3, 1, 9, 31, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	segnaturacheck.Check(t, "..", xml, id.Certificate.Raw)
	for _, want := range []string{"<xades:SigningTime>2026-03-01T09:31:00Z</xades:SigningTime>", "<prot:Riservato>true</prot:Riservato>",
		"<prot:OraRegistrazione>10:30:00+01:00</prot:OraRegistrazione>", base64.StdEncoding.EncodeToString(sampleSegnatura().Attachments[0].SHA256),
		"<prot:Oggetto>Richiesta &lt;certificato&gt; &amp; altro</prot:Oggetto>",
		"<ds:DigestValue>" + base64.StdEncoding.EncodeToString(certSum[:]) + "</ds:DigestValue></xades:CertDigest>"} {
		if !bytes.Contains(xml, []byte(want)) {
			t.Errorf("segnatura lacks %s:\n%s", want, xml)
		}
	}
}

// The segnatura of a registration answering a message received names it in Riferimenti: its
// identifier, the first registration of a message sent on again, its subject, class and
// dossier. The official schema accepts it and the seal covers it.
func TestSealSegnaturaRiferimenti(t *testing.T) {
	id, _ := fixtures(t)
	seg := sampleSegnatura()
	seg.Reference = &domain.SegnaturaReference{
		ID:      domain.ProtocolID{IPACode: "r_lazio", AOOCode: "AOO0001", Register: "REG_UFF", Number: "0012345", Date: "2026-02-27"},
		First:   &domain.ProtocolID{IPACode: "c_f205", AOOCode: "AOOMI", Register: "PG", Number: "0000777", Date: "2026-02-20"},
		Subject: "Richiesta di parere <urgente>", ClassCode: "VI.3", ClassTitle: "Edilizia privata",
		Dossier: &domain.SegnaturaDossier{Identifier: "2026-VI.3-000009", Subject: "Parere regionale"},
	}
	xml, err := SealSegnatura(t.Context(), seg, id, time.Date(2026, 3, 1, 9, 31, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	segnaturacheck.Check(t, "..", xml, id.Certificate.Raw)
	want := "<prot:Riferimenti><prot:Identificatore><prot:CodiceAmministrazione>r_lazio</prot:CodiceAmministrazione>" +
		"<prot:CodiceAOO>AOO0001</prot:CodiceAOO><prot:CodiceRegistro>REG_UFF</prot:CodiceRegistro>" +
		"<prot:NumeroRegistrazione>0012345</prot:NumeroRegistrazione><prot:DataRegistrazione>2026-02-27</prot:DataRegistrazione>" +
		"</prot:Identificatore><prot:PrimaRegistrazione><prot:CodiceAmministrazione>c_f205</prot:CodiceAmministrazione>"
	for _, w := range []string{want, "<prot:Oggetto>Richiesta di parere &lt;urgente&gt;</prot:Oggetto><prot:Classifica>",
		"<prot:CodiceFascicolo>2026-VI.3-000009</prot:CodiceFascicolo></prot:Fascicolo></prot:Riferimenti><prot:Descrizione>"} {
		if !bytes.Contains(xml, []byte(w)) {
			t.Errorf("segnatura lacks %s:\n%s", w, xml)
		}
	}
	if got := (Anchors{}).CheckSignatures(xml, "application/xml", "Segnatura.xml"); len(got) != 1 || !got[0].Valid {
		t.Errorf("the seal does not hold: %+v", got)
	}
}
