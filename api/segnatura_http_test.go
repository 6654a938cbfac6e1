package api_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"path/filepath"
	"strconv"
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

// TestSegnaturaRiferimenti registers an outgoing answer to an incoming registration over HTTP,
// on both engines: the answer shows the identifier it answers, and its segnatura, valid
// against the official schema and sealed, names that message in Riferimenti (identifier,
// subject, class). in_reply_to is refused on what is not outgoing, and when it names nothing,
// something that is not incoming, or is not register/year/number.
func TestSegnaturaRiferimenti(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		doc := []apptest.Part{{Name: "document", Filename: "risposta.pdf", Content: apptest.PDF("risposta")}}
		var asked api.Registration
		c.register(op, map[string]any{"direction": "incoming", "channel": "pec", "subject": "Richiesta di parere", "class": "VI.3",
			"correspondents": []map[string]any{{"role": "sender", "type": "administration", "name": "Regione Lazio",
				"ipa_code": "r_lazio", "aoo_code": "AOO0001"}}}, doc).decode(t, http.StatusCreated, &asked)
		answer := func(inReplyTo, direction string) *response {
			return c.register(op, map[string]any{"direction": direction, "channel": "pec", "subject": "Parere", "class": "VI.3",
				"in_reply_to": inReplyTo, "correspondents": []map[string]any{{"role": "recipient", "type": "administration",
					"name": "Regione Lazio", "ipa_code": "r_lazio", "aoo_code": "AOO0001"}}}, doc)
		}
		ref := asked.Register + "/" + strconv.Itoa(asked.Year) + "/" + strconv.FormatInt(asked.Number, 10)
		var reg api.Registration
		answer(ref, "outgoing").decode(t, http.StatusCreated, &reg)
		if reg.InReplyTo != asked.Identifier {
			t.Fatalf("in_reply_to %q, want %s", reg.InReplyTo, asked.Identifier)
		}
		var again api.Registration
		c.do("GET", refPath(reg), op, nil).decode(t, http.StatusOK, &again)
		if again.InReplyTo != asked.Identifier {
			t.Errorf("read back: in_reply_to %q", again.InReplyTo)
		}

		resp := c.do("GET", refPath(reg)+"/segnatura", op, nil)
		if resp.Status != http.StatusOK {
			t.Fatalf("segnatura: %d\n%s", resp.Status, resp.Body)
		}
		segnaturacheck.Check(t, "..", resp.Body, readCert(t, filepath.Join(s.DataDir, "keys", "seal", "sealing.crt")).Raw)
		var got struct {
			IPA      string `xml:"Riferimenti>Identificatore>CodiceAmministrazione"`
			AOO      string `xml:"Riferimenti>Identificatore>CodiceAOO"`
			Register string `xml:"Riferimenti>Identificatore>CodiceRegistro"`
			Number   string `xml:"Riferimenti>Identificatore>NumeroRegistrazione"`
			Date     string `xml:"Riferimenti>Identificatore>DataRegistrazione"`
			Subject  string `xml:"Riferimenti>Oggetto"`
			Class    string `xml:"Riferimenti>Classifica>CodiceFlat"`
		}
		if err := xml.Unmarshal(resp.Body, &got); err != nil {
			t.Fatal(err)
		}
		if got.IPA != "demo" || got.AOO != "DEMOAOO" || got.Register != asked.Register || got.Number != asked.NumberFormatted ||
			got.Date != asked.Date || got.Subject != asked.Subject || got.Class != "VI.3" {
			t.Errorf("Riferimenti %+v, want %s (its subject and class)", got, asked.Identifier)
		}

		for name, tc := range map[string]struct{ inReplyTo, direction, message string }{
			"ErrNotOutgoing": {ref, "incoming", "outgoing"},
			"ErrShape":       {asked.Identifier, "outgoing", "register/year/number"},
			"ErrUnknown":     {"PG/1999/1", "outgoing", "no registration"},
			"ErrNotIncoming": {reg.Register + "/" + strconv.Itoa(reg.Year) + "/" + strconv.FormatInt(reg.Number, 10), "outgoing", "only an incoming"},
		} {
			t.Run(name, func(t *testing.T) {
				p := answer(tc.inReplyTo, tc.direction).problem(t, http.StatusUnprocessableEntity, "validation_failed")
				namesField(t, p, "in_reply_to", tc.message)
			})
		}
	})
}
