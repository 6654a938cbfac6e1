package domain

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// metaFixture is an incoming registration of PG with one attachment, classified and filed,
// whose file digests are those of actual bytes.
func metaFixture(t *testing.T) (MetadataInput, []byte, []byte) {
	t.Helper()
	doc, att := []byte("%PDF-1.7 documento principale"), []byte("allegato in chiaro")
	hexOf := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	ten := 10
	r := &Registration{
		ID: "r1", Register: "PG", Year: 2026, Number: 42, Identifier: "c_h501-A1B2C3D-PG-2026-0000042", Date: "2026-03-02",
		RegisteredAt: time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC), Direction: Incoming, Channel: ChannelPEC, Subject: "Richiesta di accesso agli atti",
		Correspondents: []Correspondent{
			{Role: RoleSender, Type: TypePerson, Name: "Anna Maria De Luca", TaxCode: "dlcnmr80a41h501x", Email: "anna@example.org"},
			{Role: RoleSender, Type: TypeOrganization, Name: "Acme S.p.A.", TaxCode: "01234567890", DigitalAddress: "acme@pec.example.org"},
			{Role: RoleSender, Type: TypeAdministration, Name: "Regione Lazio", IPACode: "r_lazio", AOOCode: "AOO0001", DigitalAddress: "protocollo@pec.regione.lazio.it"},
		},
		Document:    File{Filename: "richiesta.pdf", MediaType: "application/pdf", Size: int64(len(doc)), SHA256: hexOf(doc)},
		Attachments: []File{{Filename: "nota.txt", Description: "Nota di accompagnamento", MediaType: "text/plain", Size: int64(len(att)), SHA256: hexOf(att)}},
		Class:       "VI.3", Offices: []string{"TEC"}, Dossiers: []string{"d1"}, Status: StatusActive, CreatedBy: "mrossi",
	}
	return MetadataInput{
		AOO: AOO{IPACode: "c_h501", Code: "A1B2C3D", Name: "Comune di Roma"}, Registration: r,
		Register: Register{Code: "PG", Name: "Protocollo generale"},
		Class:    &Class{Code: "VI.3", Title: "Edilizia privata", RetentionYears: &ten}, Scheme: MetaPianoDiClassificazione,
		Dossiers: []string{"2026-VI.3-000012"}, Offices: map[string]string{"TEC": "Ufficio tecnico"}, Operator: "Mario Rossi", Loc: time.UTC,
	}, doc, att
}

func buildMeta(t *testing.T, in MetadataInput) RegistrationMetadata {
	t.Helper()
	m, err := BuildRegistrationMetadata(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.DocumentoAmministrativoInformatico) != 1+len(in.Registration.Attachments) {
		t.Fatalf("%d documents for %d attachments", len(m.DocumentoAmministrativoInformatico), len(in.Registration.Attachments))
	}
	return m
}

// TestRegistrationMetadata checks the mapping of a registration onto Allegato 5: digests as
// base64 of the SHA-256 of the files' bytes, the flow, the 7-digit number and register, the
// subjects and their roles, attachments, class, retention, dossiers, format.
func TestRegistrationMetadata(t *testing.T) {
	in, docBytes, attBytes := metaFixture(t)
	m := buildMeta(t, in)
	d, a := m.DocumentoAmministrativoInformatico[0], m.DocumentoAmministrativoInformatico[1]
	b64 := func(b []byte) string { s := sha256.Sum256(b); return base64.StdEncoding.EncodeToString(s[:]) }

	t.Run("IdDoc", func(t *testing.T) {
		if got := d.IdDoc.ImprontaCrittograficaDelDocumento; got.Impronta != b64(docBytes) || got.Algoritmo != "SHA-256" {
			t.Fatalf("impronta %+v, want %s", got, b64(docBytes))
		}
		if d.IdDoc.Identificativo != "c_h501-A1B2C3D-PG-2026-0000042" {
			t.Fatalf("identificativo %q", d.IdDoc.Identificativo)
		}
		if a.IdDoc.ImprontaCrittograficaDelDocumento.Impronta != b64(attBytes) || a.IdDoc.Identificativo != "c_h501-A1B2C3D-PG-2026-0000042-ALL-001" {
			t.Fatalf("attachment %+v", a.IdDoc)
		}
		if a.IdIdentificativoDocumentoPrimario == nil || *a.IdIdentificativoDocumentoPrimario != d.IdDoc || d.IdIdentificativoDocumentoPrimario != nil {
			t.Fatalf("primary of attachment %+v, of primary %+v", a.IdIdentificativoDocumentoPrimario, d.IdIdentificativoDocumentoPrimario)
		}
	})
	t.Run("Registration", func(t *testing.T) {
		reg := d.DatiDiRegistrazione
		want := MetaProtocollo{TipoRegistro: "Protocollo Ordinario/Protocollo Emergenza", DataProtocollazioneDocumento: "2026-03-02",
			OraProtocollazioneDocumento: "09:15:00Z", NumeroProtocolloDocumento: "0000042", CodiceRegistro: "PG"}
		if reg.TipologiaDiFlusso != "E" || reg.TipoRegistro.ProtocolloOrdinario == nil || *reg.TipoRegistro.ProtocolloOrdinario != want || reg.TipoRegistro.Kind() != MetaRegistroProtocollo {
			t.Fatalf("dati di registrazione %+v", reg)
		}
		if d.TipologiaDocumentale != "Documento protocollato in entrata" || d.ModalitaDiFormazione != "b" {
			t.Fatalf("tipologia %q formazione %q", d.TipologiaDocumentale, d.ModalitaDiFormazione)
		}
		if a.DatiDiRegistrazione != reg {
			t.Fatalf("an attachment is registered with its document: %+v", a.DatiDiRegistrazione)
		}
	})
	t.Run("Subjects", func(t *testing.T) {
		var roles []string
		for _, ruolo := range d.Soggetti.Ruolo {
			r := ruolo.Soggetto()
			kind := ""
			switch {
			case r.PF != nil:
				kind = "PF:" + r.PF.Cognome + "," + r.PF.Nome + "," + r.PF.CodiceFiscale
			case r.PG != nil && r.PG.CodiceFiscale_PartitaIva != "":
				kind = "PG:" + r.PG.DenominazioneOrganizzazione + "," + r.PG.CodiceFiscale_PartitaIva + "," + strings.Join(r.PG.IndirizziDigitaliDiRiferimento, ";")
			case r.PAI != nil:
				kind = "PAI:" + r.PAI.IPAAmm.CodiceIPA
				if r.PAI.IPAAOO != nil {
					kind += "/" + r.PAI.IPAAOO.CodiceIPA
				}
			case r.AS != nil:
				kind = "AS:" + r.AS.DenominazioneUfficio
			case r.PG != nil && r.PG.CodiceFiscale_PartitaIva == "":
				kind = "PG:" + r.PG.DenominazioneOrganizzazione
			}
			roles = append(roles, r.TipoRuolo+"="+kind)
		}
		want := []string{
			"Soggetto che effettua la registrazione=PG:Comune di Roma", "Assegnatario=AS:Ufficio tecnico",
			"Destinatario=PAI:c_h501/A1B2C3D",
			"Mittente=PF:De Luca,Anna Maria,DLCNMR80A41H501X", "Mittente=PG:Acme S.p.A.,01234567890,acme@pec.example.org", "Mittente=PAI:r_lazio/AOO0001",
			"Autore=PF:De Luca,Anna Maria,DLCNMR80A41H501X", "Autore=PG:Acme S.p.A.,01234567890,acme@pec.example.org", "Autore=PAI:r_lazio/AOO0001",
			"Operatore=PF:Rossi,Mario,",
		}
		// Each subject sits in the element of its role.
		if d.Soggetti.Ruolo[3].Mittente == nil || d.Soggetti.Ruolo[1].Assegnatario == nil || d.Soggetti.Ruolo[9].Operatore == nil {
			t.Fatalf("role elements %+v", d.Soggetti.Ruolo)
		}
		if strings.Join(roles, "|") != strings.Join(want, "|") {
			t.Fatalf("roles\n got %q\nwant %q", roles, want)
		}
	})
	t.Run("Content", func(t *testing.T) {
		if d.ChiaveDescrittiva.Oggetto != "Richiesta di accesso agli atti" || d.Riservato || d.VersioneDelDocumento != "1" || d.NomeDelDocumento != "richiesta.pdf" || a.NomeDelDocumento != "nota.txt" {
			t.Fatalf("%+v", d)
		}
		if d.Allegati.NumeroAllegati != 1 || len(d.Allegati.IndiceAllegati) != 1 || d.Allegati.IndiceAllegati[0].IdDoc != a.IdDoc || d.Allegati.IndiceAllegati[0].Descrizione != "Nota di accompagnamento" {
			t.Fatalf("allegati %+v", d.Allegati)
		}
		if a.Allegati.NumeroAllegati != 0 || a.Allegati.IndiceAllegati != nil {
			t.Fatalf("an attachment has no attachments: %+v", a.Allegati)
		}
		if c := d.Classificazione; c == nil || *c != (MetaClassificazione{IndiceDiClassificazione: "VI.3", Descrizione: "Edilizia privata", PianoDiClassificazione: MetaPianoDiClassificazione}) {
			t.Fatalf("classificazione %+v", c)
		}
		if d.TempoDiConservazione == nil || *d.TempoDiConservazione != 10 {
			t.Fatalf("tempo di conservazione %v", d.TempoDiConservazione)
		}
		if len(d.Agg.TipoAgg) != 1 || d.Agg.TipoAgg[0] != (MetaTipoAgg{TipoAggregazione: "Fascicolo", IdAggregazione: "2026-VI.3-000012"}) {
			t.Fatalf("agg %+v", d.Agg)
		}
		if d.IdentificativoDelFormato.Formato != "application/pdf" || a.IdentificativoDelFormato.Formato != "text/plain" {
			t.Fatalf("formato %+v %+v", d.IdentificativoDelFormato, a.IdentificativoDelFormato)
		}
		if d.Verifica != (MetaVerifica{}) || d.TracciatureModificheDocumento != nil || d.Note != "" {
			t.Fatalf("verifica %+v tracciature %+v note %q", d.Verifica, d.TracciatureModificheDocumento, d.Note)
		}
	})
}

// TestMetadataFlows checks TipologiaDiFlusso, ModalitaDiFormazione, TipologiaDocumentale and the
// subjects of each direction, and a special register as Repertorio/Registro.
func TestMetadataFlows(t *testing.T) {
	cases := []struct {
		dir                      Direction
		register                 string
		flow, formation, typ     string
		kind, mittente, destinat string
	}{
		{Incoming, "PG", "E", "b", "Documento protocollato in entrata", MetaRegistroProtocollo, "PF", "PAI"},
		{Outgoing, "PG", "U", "a", "Documento protocollato in uscita", MetaRegistroProtocollo, "PAI", "PG"},
		{Internal, "PG", "I", "a", "Documento protocollato interno", MetaRegistroProtocollo, "PF", "PG"},
		{Outgoing, "DEL", "U", "a", "Registro delle delibere", MetaRegistroRepertorio, "PAI", "PG"},
	}
	for _, c := range cases {
		t.Run(string(c.dir)+"_"+c.register, func(t *testing.T) {
			in, _, _ := metaFixture(t)
			r := in.Registration
			r.Direction, r.Register = c.dir, c.register
			in.Register = Register{Code: c.register, Name: "Registro delle delibere"}
			r.Correspondents = []Correspondent{{Role: RoleSender, Type: TypePerson, Name: "Mario Rossi"}}
			if c.dir != Incoming {
				r.Correspondents = append(r.Correspondents, Correspondent{Role: RoleRecipient, Type: TypeOrganization, Name: "Acme"})
			}
			d := buildMeta(t, in).DocumentoAmministrativoInformatico[0]
			if d.DatiDiRegistrazione.TipologiaDiFlusso != c.flow || d.ModalitaDiFormazione != c.formation || d.TipologiaDocumentale != c.typ || d.DatiDiRegistrazione.TipoRegistro.Kind() != c.kind {
				t.Fatalf("flow %q formation %q type %q register %q", d.DatiDiRegistrazione.TipologiaDiFlusso, d.ModalitaDiFormazione, d.TipologiaDocumentale, d.DatiDiRegistrazione.TipoRegistro.Kind())
			}
			if rep := d.DatiDiRegistrazione.TipoRegistro.Repertorio; rep != nil && (rep.NumeroRegistrazioneDocumento != "0000042" || rep.CodiceRegistro != "DEL") {
				t.Fatalf("repertorio %+v", rep)
			}
			typeOf := func(role string) string {
				for _, r := range d.Soggetti.Ruolo {
					if s := r.Soggetto(); s.TipoRuolo == role {
						switch {
						case s.PF != nil:
							return "PF"
						case s.PG != nil:
							return "PG"
						case s.PAI != nil:
							return "PAI"
						}
					}
				}
				return ""
			}
			if typeOf(MetaRuoloMittente) != c.mittente || typeOf(MetaRuoloDestinatario) != c.destinat {
				t.Fatalf("mittente %s destinatario %s", typeOf(MetaRuoloMittente), typeOf(MetaRuoloDestinatario))
			}
		})
	}
}

// TestMetadataAdministrationWithoutIPA checks that an administration known only by its name is
// named as the legal person it is (PG), since PAI needs its IPA code.
func TestMetadataAdministrationWithoutIPA(t *testing.T) {
	in, _, _ := metaFixture(t)
	in.Registration.Correspondents = []Correspondent{{Role: RoleSender, Type: TypeAdministration, Name: "Ministero", DigitalAddress: "m@pec.example.org"}}
	for _, r := range buildMeta(t, in).DocumentoAmministrativoInformatico[0].Soggetti.Ruolo {
		if r.Mittente != nil && (r.Mittente.PG == nil || r.Mittente.PAI != nil || r.Mittente.PG.DenominazioneOrganizzazione != "Ministero") {
			t.Fatalf("mittente %+v", r.Mittente)
		}
	}
}

// TestMetadataNumberDigits checks that the protocol number has at least seven digits, and more
// when it needs them.
func TestMetadataNumberDigits(t *testing.T) {
	for n, want := range map[int64]string{1: "0000001", 9999999: "9999999", 12345678: "12345678"} {
		in, _, _ := metaFixture(t)
		in.Registration.Number = n
		if got := buildMeta(t, in).DocumentoAmministrativoInformatico[0].DatiDiRegistrazione.TipoRegistro.ProtocolloOrdinario.NumeroProtocolloDocumento; got != want {
			t.Errorf("number %d: %q, want %q", n, got, want)
		}
	}
}

// TestMetadataAnnulment checks that an annulled registration traces the annulment on the
// document and on each attachment, with who, when and the version it annuls.
func TestMetadataAnnulment(t *testing.T) {
	in, _, _ := metaFixture(t)
	in.Registration.Status = StatusAnnulled
	in.Registration.Annulment = &Annulment{Reason: "Errore materiale", Authorization: "Det. 12/2026", By: "u1", ByName: "Giulia Bianchi", At: time.Date(2026, 3, 3, 9, 30, 0, 0, time.UTC)}
	m := buildMeta(t, in)
	d, a := m.DocumentoAmministrativoInformatico[0], m.DocumentoAmministrativoInformatico[1]
	want := MetaTracciatura{TipoModifica: "annullamento", SoggettoAutoreDellaModifica: MetaPF{Cognome: "Bianchi", Nome: "Giulia"},
		DataModifica: "2026-03-03", OraModifica: "09:30:00Z", IdDocVersionePrecedente: d.IdDoc}
	if len(d.TracciatureModificheDocumento) != 1 || !equalJSON(d.TracciatureModificheDocumento[0], want) {
		t.Fatalf("tracciature %+v", d.TracciatureModificheDocumento)
	}
	if len(a.TracciatureModificheDocumento) != 1 || a.TracciatureModificheDocumento[0].IdDocVersionePrecedente != a.IdDoc {
		t.Fatalf("attachment tracciature %+v", a.TracciatureModificheDocumento)
	}
	if !strings.Contains(d.Note, "Det. 12/2026") {
		t.Fatalf("note %q", d.Note)
	}
}

// TestMetadataDisposal checks that a registration whose content a disposal destroyed keeps its
// metadata (the digests say what was kept) and says so in Note.
func TestMetadataDisposal(t *testing.T) {
	in, _, _ := metaFixture(t)
	in.Registration.Disposal = &DisposalRef{ID: "s1", Authorization: "Soprintendenza prot. 5/2036", At: time.Date(2036, 5, 2, 10, 0, 0, 0, time.UTC)}
	d := buildMeta(t, in).DocumentoAmministrativoInformatico[0]
	if !strings.Contains(d.Note, "scarto il 2036-05-02 (s1), autorizzazione: Soprintendenza prot. 5/2036") || d.IdDoc.ImprontaCrittograficaDelDocumento.Impronta == "" {
		t.Fatalf("note %q", d.Note)
	}
}

// TestMetadataImageCopy checks that an attested image copy of paper is acquired (b) and
// conformant, an unattested one acquired but not conformant, and that attachments do not
// inherit the attestation.
func TestMetadataImageCopy(t *testing.T) {
	for _, c := range []struct {
		copy *ImageCopy
		want bool
	}{{&ImageCopy{AttestedBy: "Luca Verdi", AttestedOn: "2026-03-01"}, true}, {&ImageCopy{}, false}} {
		in, _, _ := metaFixture(t)
		in.Registration.Channel, in.Registration.ImageCopy = ChannelPaper, c.copy
		m := buildMeta(t, in)
		d := m.DocumentoAmministrativoInformatico[0]
		if d.Verifica.ConformitaCopieImmagineSuSupportoInformatico != c.want || d.ModalitaDiFormazione != "b" {
			t.Errorf("copy %+v: verifica %+v, formazione %q", c.copy, d.Verifica, d.ModalitaDiFormazione)
		}
		if m.DocumentoAmministrativoInformatico[1].Verifica.ConformitaCopieImmagineSuSupportoInformatico {
			t.Errorf("copy %+v: the attachment inherits the attestation", c.copy)
		}
	}
}

// TestMetadataEmergency checks an entry of the emergency register: in the protocol register
// under its ordinary number, with its emergency number in the note, and formed by Sportello
// (a) when loaded without its file.
func TestMetadataEmergency(t *testing.T) {
	in, _, _ := metaFixture(t)
	r := in.Registration
	r.Emergency = &Emergency{Register: "o1", Number: 3, Date: "2026-03-01"}
	r.Document.Filename = "emergenza-3.txt"
	d := buildMeta(t, in).DocumentoAmministrativoInformatico[0]
	if d.DatiDiRegistrazione.TipoRegistro.Kind() != "Protocollo Ordinario/Protocollo Emergenza" || d.DatiDiRegistrazione.TipoRegistro.ProtocolloOrdinario.NumeroProtocolloDocumento != "0000042" {
		t.Fatalf("tipo registro %+v", d.DatiDiRegistrazione.TipoRegistro)
	}
	if d.ModalitaDiFormazione != "a" || !strings.Contains(d.Note, "emergenza n. 3 del 2026-03-01") {
		t.Fatalf("formazione %q note %q", d.ModalitaDiFormazione, d.Note)
	}
	r.Document.Filename = "scansione.pdf" // loaded with the scan of the paper entry
	if d := buildMeta(t, in).DocumentoAmministrativoInformatico[0]; d.ModalitaDiFormazione != "b" {
		t.Fatalf("formazione with a file %q", d.ModalitaDiFormazione)
	}
}

// TestMetadataRetentionAndSignatures checks TempoDiConservazione (9999 for a permanent class,
// absent when unclassified), Riservato, and FirmatoDigitalmente from the signatures checked on
// each file: only a valid signature counts, and only on its own file.
func TestMetadataRetentionAndSignatures(t *testing.T) {
	in, _, _ := metaFixture(t)
	in.Class.RetentionYears = nil
	in.Registration.Confidential = true
	in.Registration.Signatures = FileSignatures{
		in.Registration.Document.SHA256:       {{Format: SignatureCAdES, Signer: "Anna", Valid: true}},
		in.Registration.Attachments[0].SHA256: {{Format: SignaturePAdES, Signer: "X", Valid: false}},
	}
	m := buildMeta(t, in)
	d, a := m.DocumentoAmministrativoInformatico[0], m.DocumentoAmministrativoInformatico[1]
	if d.TempoDiConservazione == nil || *d.TempoDiConservazione != 9999 || !d.Riservato || !a.Riservato {
		t.Fatalf("tempo %v riservato %v", d.TempoDiConservazione, d.Riservato)
	}
	if !d.Verifica.FirmatoDigitalmente || a.Verifica.FirmatoDigitalmente {
		t.Fatalf("verifica %+v / %+v", d.Verifica, a.Verifica)
	}
	zero := 0
	in.Class.RetentionYears = &zero // kept for no time at all: 0, not left out
	if d := buildMeta(t, in).DocumentoAmministrativoInformatico[0]; d.TempoDiConservazione == nil || *d.TempoDiConservazione != 0 {
		t.Fatalf("retention 0: %v", d.TempoDiConservazione)
	}
	in.Class = nil
	if d := buildMeta(t, in).DocumentoAmministrativoInformatico[0]; d.TempoDiConservazione != nil || d.Classificazione != nil {
		t.Fatalf("unclassified: %v %+v", d.TempoDiConservazione, d.Classificazione)
	}
}

// TestMetadataJSONOrder checks that the JSON carries the annex's names in the annex's order.
func TestMetadataJSONOrder(t *testing.T) {
	in, _, _ := metaFixture(t)
	b, err := json.Marshal(buildMeta(t, in).DocumentoAmministrativoInformatico[1])
	if err != nil {
		t.Fatal(err)
	}
	order := []string{"IdDoc", "ModalitaDiFormazione", "TipologiaDocumentale", "DatiDiRegistrazione", "Soggetti", "ChiaveDescrittiva",
		"Allegati", "Classificazione", "Riservato", "IdentificativoDelFormato", "Verifica", "Agg", "IdIdentificativoDocumentoPrimario",
		"NomeDelDocumento", "VersioneDelDocumento", "TempoDiConservazione"}
	at := 0
	for _, name := range order {
		i := strings.Index(string(b[at:]), `"`+name+`":`)
		if i < 0 {
			t.Fatalf("%s missing or out of order in %s", name, b)
		}
		at += i
	}
}

// TestAggregateMetadata checks the dossier's block: identifier, the annex's dossier type,
// owner and subjects, office, dates, class, retention and the index by digest.
func TestAggregateMetadata(t *testing.T) {
	in, docBytes, _ := metaFixture(t)
	r := in.Registration
	closed := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	d := &Dossier{ID: "d1", Identifier: "2026-VI.3-000012", Year: 2026, Class: "VI.3", Number: 12, Subject: "Permesso di costruire",
		Type: DossierProcedimento, Office: "TEC", Status: DossierClosed, OpenedAt: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), ClosedAt: &closed,
		Items: []DossierItem{{Kind: ItemRegistration, Registration: r}}}
	m, err := BuildAggregateMetadata(AggregateInput{AOO: in.AOO, View: d.View(Principal{ID: "x", Roles: []Role{RoleRecordsOfficer}}, time.UTC),
		Class: *in.Class, Scheme: MetaPianoDiClassificazione, Offices: in.Offices, Loc: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(docBytes)
	if m.IdAgg != (MetaTipoAgg{TipoAggregazione: "Fascicolo", IdAggregazione: "2026-VI.3-000012"}) || m.TipologiaFascicolo != "procedimento amministrativo" ||
		m.DataApertura != "2026-03-01" || m.DataChiusura != "2026-05-01" || m.Progressivo != 12 || m.ChiaveDescrittiva.Oggetto != "Permesso di costruire" ||
		m.Classificazione.IndiceDiClassificazione != "VI.3" || m.TempoDiConservazione != 10 ||
		m.Assegnazione.SoggettoAssegnatario.DenominazioneUfficio != "Ufficio tecnico" || m.Assegnazione.TipoAssegnazione != "per competenza" {
		t.Fatalf("%+v", m)
	}
	if len(m.IndiceDocumenti.IdDoc) != 1 || m.IndiceDocumenti.IdDoc[0].ImprontaCrittograficaDelDocumento.Impronta != base64.StdEncoding.EncodeToString(sum[:]) ||
		m.IndiceDocumenti.IdDoc[0].Identificativo != r.Identifier {
		t.Fatalf("indice %+v", m.IndiceDocumenti)
	}
	t.Run("HiddenItems", func(t *testing.T) {
		r.Confidential = true
		defer func() { r.Confidential = false }()
		clerk := Principal{ID: "y", Roles: []Role{RoleClerk}, Offices: []string{"ANAG"}}
		m, err := BuildAggregateMetadata(AggregateInput{AOO: in.AOO, View: d.View(clerk, time.UTC), Class: *in.Class, Loc: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.IndiceDocumenti.IdDoc) != 0 || len(m.Soggetti.Ruolo) != 1 {
			t.Fatalf("a confidential item shows to who may not see it: %+v %+v", m.IndiceDocumenti, m.Soggetti)
		}
	})
	if len(m.Soggetti.Ruolo) != 4 || m.Soggetti.Ruolo[0].AmministrazioneTitolare == nil || m.Soggetti.Ruolo[0].AmministrazioneTitolare.TipoRuolo != "Amministrazione titolare" ||
		m.Soggetti.Ruolo[1].Altro == nil || m.Soggetti.Ruolo[1].Altro.TipoRuolo != "Altro" {
		t.Fatalf("soggetti %+v", m.Soggetti)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestDocumentMetadata checks an unregistered document: registered nowhere (Nessuno, with its
// creation date and id), internal, made by the AOO, with its digest, class, dossiers, and a
// note naming the registration that took its content.
func TestDocumentMetadata(t *testing.T) {
	content := []byte("bozza di determina")
	sum := sha256.Sum256(content)
	ten := 10
	d := &Document{ID: "0193a2c4-7b1e-7cde-9f00-1234567890ab", Subject: "Bozza", Class: "VI.3", Offices: []string{"TEC"}, Confidential: true,
		File:      File{Filename: "bozza.pdf", MediaType: "application/pdf", SHA256: hex.EncodeToString(sum[:])},
		CreatedAt: time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC), CreatedBy: "c1", Dossiers: []string{"2026-VI.3-000012"},
		Registration: &DocumentRegistration{Identifier: "c_h501-A1B2C3D-PG-2026-0000043"}}
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	m, err := BuildDocumentMetadata(DocumentInput{AOO: AOO{IPACode: "c_h501", Code: "A1B2C3D", Name: "Comune"}, Document: d,
		Class: &Class{Code: "VI.3", Title: "Edilizia", RetentionYears: &ten}, Offices: map[string]string{"TEC": "Ufficio tecnico"}, Loc: rome})
	if err != nil {
		t.Fatal(err)
	}
	x := m.DocumentoInformatico
	if x.IdDoc.ImprontaCrittograficaDelDocumento.Impronta != base64.StdEncoding.EncodeToString(sum[:]) || x.IdDoc.Identificativo != d.ID {
		t.Fatalf("id %+v", x.IdDoc)
	}
	if n := x.DatiDiRegistrazione.TipoRegistro.Nessuno; n == nil || n.DataDocumento != "2026-03-02" || n.NumeroDocumento != d.ID ||
		x.DatiDiRegistrazione.TipoRegistro.Kind() != "Nessuno" || x.DatiDiRegistrazione.TipologiaDiFlusso != "I" {
		t.Fatalf("registrazione %+v", x.DatiDiRegistrazione)
	}
	if x.ModalitaDiFormazione != "a" || !x.Riservato || *x.TempoDiConservazione != 10 || len(x.Agg.TipoAgg) != 1 || x.Agg.TipoAgg[0].IdAggregazione != "2026-VI.3-000012" ||
		x.Note != "Contenuto protocollato come c_h501-A1B2C3D-PG-2026-0000043" || x.Soggetti.Ruolo[2].Operatore == nil || x.Soggetti.Ruolo[2].Operatore.PF.Cognome != "c1" {
		t.Fatalf("%+v", x)
	}
}
