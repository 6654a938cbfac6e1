package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/signing/p7m/p7mtest"
)

// metaXML is what the tests read back of the metadata XML, by the annex's element names.
type metaXML struct {
	XMLName xml.Name `xml:"Metadati"`
	Docs    []struct {
		Impronta       string   `xml:"IdDoc>ImprontaCrittograficaDelDocumento>Impronta"`
		Algoritmo      string   `xml:"IdDoc>ImprontaCrittograficaDelDocumento>Algoritmo"`
		Identificativo string   `xml:"IdDoc>Identificativo"`
		Formazione     string   `xml:"ModalitaDiFormazione"`
		Flusso         string   `xml:"DatiDiRegistrazione>TipologiaDiFlusso"`
		Numero         string   `xml:"DatiDiRegistrazione>TipoRegistro>ProtocolloOrdinario_ProtocolloEmergenza>NumeroProtocolloDocumento"`
		Data           string   `xml:"DatiDiRegistrazione>TipoRegistro>ProtocolloOrdinario_ProtocolloEmergenza>DataProtocollazioneDocumento"`
		Registro       string   `xml:"DatiDiRegistrazione>TipoRegistro>ProtocolloOrdinario_ProtocolloEmergenza>CodiceRegistro"`
		Mittenti       []string `xml:"Soggetti>Ruolo>Mittente>TipoRuolo"`
		Oggetto        string   `xml:"ChiaveDescrittiva>Oggetto"`
		NumeroAllegati int      `xml:"Allegati>NumeroAllegati"`
		Classe         string   `xml:"Classificazione>IndiceDiClassificazione"`
		Riservato      bool     `xml:"Riservato"`
		Formato        string   `xml:"IdentificativoDelFormato>Formato"`
		Fascicoli      []string `xml:"Agg>TipoAgg>IdAggregazione"`
		Primario       string   `xml:"IdIdentificativoDocumentoPrimario>Identificativo"`
		Nome           string   `xml:"NomeDelDocumento"`
		Modifica       string   `xml:"TracciatureModificheDocumento>TipoModifica"`
		Tempo          int      `xml:"TempoDiConservazione"`
	} `xml:"DocumentoAmministrativoInformatico"`
}

func b64sha(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// xmllintWellFormed fails the test unless xmllint reads doc as well-formed XML.
func xmllintWellFormed(t *testing.T, doc []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not installed")
	}
	f := filepath.Join(t.TempDir(), "metadata.xml")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("xmllint", "--noout", f).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

// TestRegistrationMetadataHTTP gets the Allegato 5 metadata of registrations over HTTP, on both
// engines: JSON by default and XML on request, with the same values — the base64 SHA-256 of the
// uploaded files, the 7-digit number, the flow E/U/I, class, dossier, attachments with their
// primary document — the annulment traced, 406 for other media types, and a confidential
// registration 404 to a clerk who may not see it.
func TestRegistrationMetadataHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "MDTEC", "Ufficio tecnico")
		s.NewOffice(t, "MDANA", "Anagrafe")
		op := s.NewClient(t, "Sportello desk", []string{"protocol_operator"})
		rec := s.NewClient(t, "records", []string{"records_officer"})
		other := s.NewClient(t, "clerk", []string{"clerk"}, "MDANA")
		doc, att := apptest.PDF("richiesta di accesso"), []byte("nota di accompagnamento\n")
		meta := apptest.Incoming("Richiesta di accesso & copia")
		meta["class"], meta["offices"], meta["confidential"] = "VI.3", []string{"MDTEC"}, true
		meta["attachment_descriptions"] = []string{"Nota"}
		var reg api.Registration
		c.register(op, meta, []apptest.Part{{Name: "document", Filename: "richiesta.pdf", Content: doc}, {Name: "attachment", Filename: "nota.txt", Content: att}}).
			decode(t, http.StatusCreated, &reg)
		var dossier api.Dossier
		c.json("POST", "/v1/dossiers", op, map[string]any{"class": "VI.3", "subject": "Accesso", "type": "procedimento", "office": "MDTEC"}).decode(t, http.StatusCreated, &dossier)
		c.json("POST", "/v1/dossiers/"+dossier.ID+"/items", op, map[string]string{"registration": refPath(reg)[len("/v1/registrations/"):]}).expect(t, http.StatusOK)
		path := refPath(reg) + "/metadata"

		t.Run("JSON", func(t *testing.T) {
			r := c.do("GET", path, op, nil)
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var m api.RegistrationArchivalMetadata
			r.decode(t, http.StatusOK, &m)
			if len(m.DocumentoAmministrativoInformatico) != 2 {
				t.Fatalf("%d documents", len(m.DocumentoAmministrativoInformatico))
			}
			d, a := m.DocumentoAmministrativoInformatico[0], m.DocumentoAmministrativoInformatico[1]
			p := d.DatiDiRegistrazione.TipoRegistro.ProtocolloOrdinario
			if d.IdDoc.ImprontaCrittograficaDelDocumento.Impronta != b64sha(doc) || d.IdDoc.ImprontaCrittograficaDelDocumento.Algoritmo != "SHA-256" ||
				d.IdDoc.Identificativo != reg.Identifier || p == nil || p.NumeroProtocolloDocumento != reg.NumberFormatted || len(p.NumeroProtocolloDocumento) != 7 ||
				p.DataProtocollazioneDocumento != reg.Date || p.CodiceRegistro != "PG" || d.DatiDiRegistrazione.TipologiaDiFlusso != "E" ||
				d.ModalitaDiFormazione != "b" || !d.Riservato || d.ChiaveDescrittiva.Oggetto != reg.Subject || d.Classificazione == nil ||
				d.Classificazione.IndiceDiClassificazione != "VI.3" || d.TempoDiConservazione == nil || d.NomeDelDocumento != "richiesta.pdf" ||
				d.IdentificativoDelFormato.Formato != "application/pdf" || len(d.Agg.TipoAgg) != 1 || d.Agg.TipoAgg[0].IdAggregazione != dossier.Identifier ||
				p.TipoRegistro != "Protocollo Ordinario/Protocollo Emergenza" || p.OraProtocollazioneDocumento == "" {
				t.Fatalf("primary document %+v", d)
			}
			if a.IdDoc.ImprontaCrittograficaDelDocumento.Impronta != b64sha(att) || a.IdIdentificativoDocumentoPrimario == nil ||
				a.IdIdentificativoDocumentoPrimario.Identificativo != reg.Identifier || d.Allegati.NumeroAllegati != 1 ||
				d.Allegati.IndiceAllegati[0].IdDoc != a.IdDoc || d.Allegati.IndiceAllegati[0].Descrizione != "Nota" {
				t.Fatalf("attachment %+v, index %+v", a, d.Allegati)
			}
			var roles []string
			for _, r := range d.Soggetti.Ruolo {
				var s *api.MetaSoggetto
				switch {
				case r.SoggettoCheEffettuaLaRegistrazione != nil:
					s = r.SoggettoCheEffettuaLaRegistrazione
				case r.Assegnatario != nil:
					s = r.Assegnatario
					if s.AS == nil || s.AS.DenominazioneUfficio != "Ufficio tecnico" {
						t.Errorf("assegnatario %+v", s)
					}
				case r.Destinatario != nil:
					s = r.Destinatario
				case r.Mittente != nil:
					s = r.Mittente
					if s.PF == nil || s.PF.Cognome != "Rossi" || s.PF.Nome != "Mario" || s.PF.CodiceFiscale != "RSSMRA80A01H501U" {
						t.Errorf("mittente %+v", s.PF)
					}
				case r.Autore != nil:
					s = r.Autore
				case r.Operatore != nil:
					s = r.Operatore
					if s.PF == nil || s.PF.Nome != "Sportello" || s.PF.Cognome != "desk" {
						t.Errorf("operatore %+v", s.PF)
					}
				default:
					t.Fatalf("role %+v", r)
				}
				roles = append(roles, s.TipoRuolo)
			}
			if strings.Join(roles, ",") != "Soggetto che effettua la registrazione,Assegnatario,Destinatario,Mittente,Autore,Operatore" {
				t.Errorf("roles %v", roles)
			}
		})
		t.Run("XML", func(t *testing.T) {
			r := c.do("GET", path, op, nil, "Accept", "application/xml")
			r.expect(t, http.StatusOK)
			if ct := r.Header.Get("Content-Type"); ct != "application/xml" {
				t.Fatalf("Content-Type %q", ct)
			}
			xmllintWellFormed(t, r.Body)
			var m metaXML
			if err := xml.Unmarshal(r.Body, &m); err != nil {
				t.Fatal(err)
			}
			if len(m.Docs) != 2 {
				t.Fatalf("%d documents in\n%s", len(m.Docs), r.Body)
			}
			d, a := m.Docs[0], m.Docs[1]
			if d.Impronta != b64sha(doc) || d.Algoritmo != "SHA-256" || d.Numero != reg.NumberFormatted || d.Flusso != "E" || d.Registro != "PG" ||
				d.Data != reg.Date || d.Oggetto != reg.Subject || d.NumeroAllegati != 1 || d.Classe != "VI.3" || !d.Riservato ||
				len(d.Fascicoli) != 1 || d.Fascicoli[0] != dossier.Identifier || d.Nome != "richiesta.pdf" || d.Formazione != "b" {
				t.Fatalf("primary document %+v\n%s", d, r.Body)
			}
			if len(d.Mittenti) != 1 || d.Mittenti[0] != "Mittente" {
				t.Fatalf("mittenti %v", d.Mittenti)
			}
			if a.Impronta != b64sha(att) || a.Primario != reg.Identifier || a.Nome != "nota.txt" {
				t.Fatalf("attachment %+v", a)
			}
			// The XML says what the JSON says.
			var j api.RegistrationArchivalMetadata
			c.do("GET", path, op, nil, "Accept", "application/json").decode(t, http.StatusOK, &j)
			if j.DocumentoAmministrativoInformatico[0].IdDoc.Identificativo != d.Identificativo || j.DocumentoAmministrativoInformatico[1].IdDoc.Identificativo != a.Identificativo {
				t.Fatalf("JSON and XML differ")
			}
		})
		t.Run("Flows", func(t *testing.T) {
			for dir, want := range map[string]string{"outgoing": "U", "internal": "I"} {
				m := map[string]any{"direction": dir, "channel": "pec", "subject": "Flusso " + dir, "class": "VI.3",
					"correspondents": []map[string]any{{"role": "recipient", "type": "organization", "name": "ACME S.p.A."}}}
				var r api.Registration
				c.register(op, m, []apptest.Part{{Name: "document", Filename: "a.pdf", Content: apptest.PDF(dir)}}).decode(t, http.StatusCreated, &r)
				var got metaXML
				resp := c.do("GET", refPath(r)+"/metadata", op, nil, "Accept", "application/xml")
				resp.expect(t, http.StatusOK)
				if err := xml.Unmarshal(resp.Body, &got); err != nil || got.Docs[0].Flusso != want || got.Docs[0].Formazione != "a" || got.Docs[0].Numero != r.NumberFormatted {
					t.Errorf("%s: %v %+v", dir, err, got)
				}
			}
		})
		t.Run("Annulled", func(t *testing.T) {
			fresh := c.mustRegister(op, "da annullare")
			c.json("POST", refPath(fresh)+"/annulment", rec, map[string]string{"reason": "Errore materiale", "authorization": "Decreto 1/2026"}).expect(t, http.StatusOK)
			var m api.RegistrationArchivalMetadata
			c.do("GET", refPath(fresh)+"/metadata", op, nil).decode(t, http.StatusOK, &m)
			tr := m.DocumentoAmministrativoInformatico[0].TracciatureModificheDocumento
			if len(tr) != 1 || tr[0].TipoModifica != "annullamento" || tr[0].IdDocVersionePrecedente.Identificativo != fresh.Identifier || tr[0].DataModifica == "" ||
				!strings.Contains(m.DocumentoAmministrativoInformatico[0].Note, "Decreto 1/2026") {
				t.Fatalf("tracciature %+v", m.DocumentoAmministrativoInformatico[0])
			}
		})
		t.Run("ErrNotAcceptable", func(t *testing.T) {
			c.do("GET", path, op, nil, "Accept", "application/pdf").problem(t, http.StatusNotAcceptable, "not_acceptable")
			c.do("GET", path, op, nil, "Accept", "text/html").problem(t, http.StatusNotAcceptable, "not_acceptable")
		})
		t.Run("ErrNotVisible", func(t *testing.T) {
			c.do("GET", path, other, nil).problem(t, http.StatusNotFound, "not_found")
			c.do("GET", path, other, nil, "Accept", "application/xml").problem(t, http.StatusNotFound, "not_found")
		})
	})
}

// TestDossierAndDocumentMetadataHTTP gets the metadata of a dossier (AggregazioneDocumentali-
// Informatiche) and of an unregistered document over HTTP, on both engines, as JSON and XML.
func TestDossierAndDocumentMetadataHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "MDTEC", "Ufficio tecnico")
		op := s.NewClient(t, "operator", []string{"protocol_operator"}, "MDTEC")
		other := s.NewClient(t, "clerk", []string{"clerk"})
		reg := c.mustRegister(op, "Istanza")
		var d api.Dossier
		c.json("POST", "/v1/dossiers", op, map[string]any{"class": "VI.3", "subject": "Lavori <piazza>", "type": "affare", "office": "MDTEC"}).decode(t, http.StatusCreated, &d)
		c.json("POST", "/v1/dossiers/"+d.ID+"/items", op, map[string]string{"registration": refPath(reg)[len("/v1/registrations/"):]}).expect(t, http.StatusOK)

		var m api.DossierArchivalMetadata
		c.do("GET", "/v1/dossiers/"+d.ID+"/metadata", op, nil).decode(t, http.StatusOK, &m)
		if m.IdAgg.IdAggregazione != d.Identifier || m.IdAgg.TipoAggregazione != "Fascicolo" || m.TipologiaFascicolo != "affare" ||
			m.Classificazione.IndiceDiClassificazione != "VI.3" || m.Progressivo != d.Number || m.ChiaveDescrittiva.Oggetto != d.Subject ||
			m.Assegnazione.SoggettoAssegnatario.DenominazioneUfficio != "Ufficio tecnico" || m.DataApertura == "" || m.TempoDiConservazione == 0 ||
			len(m.IndiceDocumenti.IdDoc) != 1 || m.IndiceDocumenti.IdDoc[0].Identificativo != reg.Identifier ||
			m.IndiceDocumenti.IdDoc[0].ImprontaCrittograficaDelDocumento.Impronta != b64sha(apptest.PDF("Istanza")) {
			t.Fatalf("dossier metadata %+v", m)
		}
		r := c.do("GET", "/v1/dossiers/"+d.Identifier+"/metadata", op, nil, "Accept", "application/xml")
		r.expect(t, http.StatusOK)
		xmllintWellFormed(t, r.Body)
		var x struct {
			XMLName xml.Name `xml:"AggregazioneDocumentaliInformatiche"`
			Id      string   `xml:"IdAgg>IdAggregazione"`
			Oggetto string   `xml:"ChiaveDescrittiva>Oggetto"`
			Docs    []string `xml:"IndiceDocumenti>IdDoc>Identificativo"`
		}
		if err := xml.Unmarshal(r.Body, &x); err != nil || x.Id != d.Identifier || x.Oggetto != "Lavori <piazza>" || len(x.Docs) != 1 || x.Docs[0] != reg.Identifier {
			t.Fatalf("dossier XML %v %+v\n%s", err, x, r.Body)
		}
		c.do("GET", "/v1/dossiers/"+d.ID+"/metadata", op, nil, "Accept", "text/csv").problem(t, http.StatusNotAcceptable, "not_acceptable")

		content := apptest.PDF("bozza")
		ct, body := apptest.Multipart(map[string]any{"subject": "Bozza riservata", "class": "VI.3", "offices": []string{"MDTEC"}, "confidential": true},
			apptest.Part{Name: "document", Filename: "bozza.pdf", Content: content})
		var doc api.Document
		c.do("POST", "/v1/documents", op, body, "Content-Type", ct).decode(t, http.StatusCreated, &doc)
		var dm api.StoredDocumentArchivalMetadata
		c.do("GET", "/v1/documents/"+doc.ID+"/metadata", op, nil).decode(t, http.StatusOK, &dm)
		x2 := dm.DocumentoInformatico
		if x2.IdDoc.Identificativo != doc.ID || x2.IdDoc.ImprontaCrittograficaDelDocumento.Impronta != b64sha(content) ||
			x2.DatiDiRegistrazione.TipoRegistro.Nessuno == nil || x2.DatiDiRegistrazione.TipologiaDiFlusso != "I" || !x2.Riservato {
			t.Fatalf("document metadata %+v", x2)
		}
		r = c.do("GET", "/v1/documents/"+doc.ID+"/metadata", op, nil, "Accept", "application/xml")
		r.expect(t, http.StatusOK)
		xmllintWellFormed(t, r.Body)
		if !strings.Contains(string(r.Body), "<DocumentoInformatico>") || !strings.Contains(string(r.Body), "<Nessuno>") {
			t.Fatalf("document XML\n%s", r.Body)
		}
		c.do("GET", "/v1/documents/"+doc.ID+"/metadata", other, nil).problem(t, http.StatusNotFound, "not_found")
	})
}

// TestMetadataVerificaHTTP checks Verifica over HTTP, on both engines: FirmatoDigitalmente once
// the background check found a valid signature on that very file (not on a tampered envelope,
// not on a plain file), and ConformitaCopieImmagineSuSupportoInformatico for an attested image
// copy of paper, acquired (b), but not for an unattested one.
func TestMetadataVerificaHTTP(t *testing.T) {
	ca := p7mtest.NewCA(t, "Test Qualified CA")
	signed := ca.Sign(t, "Mario Rossi", apptest.PDF("Contratto"))
	tampered := bytes.Replace(ca.Sign(t, "Luca Verdi", apptest.PDF("Offerta economica")), []byte("economica"), []byte("economico"), 1)
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		t.Run("FirmatoDigitalmente", func(t *testing.T) {
			var reg api.Registration
			c.register(op, apptest.Incoming("Contratto firmato"), []apptest.Part{
				{Name: "document", Filename: "contratto.pdf.p7m", Content: signed},
				{Name: "attachment", Filename: "offerta.pdf.p7m", Content: tampered},
				{Name: "attachment", Filename: "nota.pdf", Content: apptest.PDF("nota")},
			}).decode(t, http.StatusCreated, &reg)
			waitText(t, c, op, reg, "done")
			var m api.RegistrationArchivalMetadata
			c.do("GET", refPath(reg)+"/metadata", op, nil).decode(t, http.StatusOK, &m)
			var got []bool
			for _, d := range m.DocumentoAmministrativoInformatico {
				got = append(got, d.Verifica.FirmatoDigitalmente)
			}
			if len(got) != 3 || !got[0] || got[1] || got[2] {
				t.Fatalf("FirmatoDigitalmente %v, want [true false false]", got)
			}
			if f := m.DocumentoAmministrativoInformatico[0].IdentificativoDelFormato.Formato; f != "application/pkcs7-mime" {
				t.Errorf("formato %q", f)
			}
		})
		t.Run("ImageCopy", func(t *testing.T) {
			for _, tc := range []struct {
				copy map[string]any
				want bool
			}{{map[string]any{"attested_by": "Mario Rossi", "attested_on": "2026-01-10"}, true}, {map[string]any{}, false}} {
				meta := apptest.Incoming("Scansione")
				meta["channel"], meta["image_copy"] = "paper", tc.copy
				var reg api.Registration
				c.register(op, meta, []apptest.Part{{Name: "document", Filename: "scansione.pdf", Content: apptest.PDF("scansione")}}).decode(t, http.StatusCreated, &reg)
				var m api.RegistrationArchivalMetadata
				c.do("GET", refPath(reg)+"/metadata", op, nil).decode(t, http.StatusOK, &m)
				d := m.DocumentoAmministrativoInformatico[0]
				if d.Verifica.ConformitaCopieImmagineSuSupportoInformatico != tc.want || d.ModalitaDiFormazione != "b" {
					t.Errorf("image copy %v: verifica %+v, formazione %q", tc.copy, d.Verifica, d.ModalitaDiFormazione)
				}
			}
		})
	})
}
