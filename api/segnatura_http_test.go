package api_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/segnaturacheck"
)

// segnaturaDoc is what the test reads back of a Segnatura.xml.
type segnaturaDoc struct {
	IPA      string `xml:"Intestazione>Identificatore>CodiceAmministrazione"`
	AOO      string `xml:"Intestazione>Identificatore>CodiceAOO"`
	Register string `xml:"Intestazione>Identificatore>CodiceRegistro"`
	Number   string `xml:"Intestazione>Identificatore>NumeroRegistrazione"`
	Date     string `xml:"Intestazione>Identificatore>DataRegistrazione"`
	Subject  string `xml:"Intestazione>Oggetto"`
	Class    string `xml:"Intestazione>Classifica>CodiceFlat"`
	Sender   string `xml:"Descrizione>Mittente>Amministrazione>CodiceIPAAmministrazione"`
	To       []struct {
		Organization string `xml:"PersonaGiuridica>Denominazione"`
		Surname      string `xml:"PersonaFisica>Cognome"`
		IPA          string `xml:"Amministrazione>CodiceIPAAmministrazione"`
		AOO          string `xml:"Amministrazione>CodiceIPAAOO"`
	} `xml:"Descrizione>Destinatario"`
	Files []segnaturaFile `xml:"Descrizione>DocumentoPrimario"`
	More  []segnaturaFile `xml:"Descrizione>Allegato"`
}

type segnaturaFile struct {
	Name     string `xml:"http://www.agid.gov.it/protocollo/ nomeFile,attr"`
	Impronta string `xml:"Impronta"`
}

// TestSegnatura gets the segnatura of an outgoing registration with two attachments over
// HTTP, on both engines: valid against the official schema (xmllint), its digests the base64
// SHA-256 of the files uploaded, its XAdES seal accepted by xmlsec1 with the sealing
// certificate, and refused once one byte changes.
func TestSegnatura(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		files := []apptest.Part{
			{Name: "document", Filename: "parere.pdf", Content: apptest.PDF("parere favorevole")},
			{Name: "attachment", Filename: "planimetria.pdf", Content: apptest.PDF("planimetria")},
			{Name: "attachment", Filename: "relazione.pdf", Content: apptest.PDF("relazione tecnica")},
		}
		meta := map[string]any{
			"direction": "outgoing", "channel": "pec", "subject": "Trasmissione parere <SUAP> & allegati", "class": "VI.3",
			"correspondents": []map[string]any{
				{"role": "recipient", "type": "organization", "name": "ACME S.p.A.", "tax_code": "01234567890", "email": "acme@pec.example.org"},
				{"role": "recipient", "type": "person", "name": "Anna De Luca", "tax_code": "DLCNNA80A41H501X"},
				{"role": "recipient", "type": "administration", "name": "Comune di Roma", "ipa_code": "c_h501",
					"aoo_code": "AOO_RM1", "digital_address": "protocollo@pec.comune.roma.it"},
			},
		}
		var reg api.Registration
		c.register(op, meta, files).decode(t, http.StatusCreated, &reg)

		resp := c.do("GET", refPath(reg)+"/segnatura", op, nil)
		body := resp.Body
		if resp.Status != http.StatusOK || resp.Header.Get("Content-Type") != "application/xml" {
			t.Fatalf("segnatura: %d %s\n%s", resp.Status, resp.Header.Get("Content-Type"), body)
		}
		seal := readCert(t, filepath.Join(s.DataDir, "keys", "seal", "sealing.crt"))
		segnaturacheck.Check(t, "..", body, seal.Raw)

		var got segnaturaDoc
		if err := xml.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if got.IPA != "demo" || got.AOO != "DEMOAOO" || got.Register != reg.Register || got.Number != reg.NumberFormatted ||
			got.Date != reg.Date || got.Subject != reg.Subject || got.Class != "VI.3" || got.Sender != "demo" {
			t.Errorf("segnatura states %+v for %s", got, reg.Identifier)
		}
		if len(got.To) != 3 || got.To[0].Organization != "ACME S.p.A." || got.To[1].Surname != "De Luca" ||
			got.To[2].IPA != "c_h501" || got.To[2].AOO != "AOO_RM1" {
			t.Errorf("recipients %+v", got.To)
		}
		all := append(got.Files, got.More...)
		if len(all) != len(files) {
			t.Fatalf("segnatura names %d files, %d were uploaded", len(all), len(files))
		}
		for i, f := range files {
			sum := sha256.Sum256(f.Content)
			if all[i].Name != f.Filename || all[i].Impronta != base64.StdEncoding.EncodeToString(sum[:]) {
				t.Errorf("file %d: %s with impronta %s, uploaded %s with SHA-256 %x", i, all[i].Name, all[i].Impronta, f.Filename, sum)
			}
		}

		t.Run("DossierNamedToWhoSeesIt", func(t *testing.T) {
			clerk := s.NewClient(t, "clerk ANAG", []string{"clerk"}, "ANAG")
			var d api.Dossier
			c.json("POST", "/v1/dossiers", op, map[string]any{"class": "VI.3", "subject": "Lavori di ristrutturazione", "type": "affare", "office": "SUAP"}).
				decode(t, http.StatusCreated, &d)
			c.json("PATCH", refPath(reg), op, map[string]any{"offices": []string{"ANAG"}, "dossiers": []string{d.Identifier}}).expect(t, http.StatusOK)
			for _, who := range []struct {
				token, want string
			}{{op, d.Subject}, {clerk, d.Identifier}} {
				var got struct {
					Name string `xml:"Intestazione>Fascicolo>Denominazione"`
					Code string `xml:"Intestazione>Fascicolo>CodiceFascicolo"`
				}
				resp := c.do("GET", refPath(reg)+"/segnatura", who.token, nil)
				if err := xml.Unmarshal(resp.Body, &got); resp.Status != http.StatusOK || err != nil {
					t.Fatalf("segnatura: %d %v", resp.Status, err)
				}
				if got.Code != d.Identifier || got.Name != who.want {
					t.Errorf("Fascicolo %+v, want %s named %q", got, d.Identifier, who.want)
				}
			}
		})
		t.Run("ErrNotClassified", func(t *testing.T) {
			plain := c.mustRegister(op, "Istanza da classificare")
			p := c.do("GET", refPath(plain)+"/segnatura", op, nil).problem(t, http.StatusConflict, "conflict")
			namesField(t, p, "class", "required")
		})
	})
}
