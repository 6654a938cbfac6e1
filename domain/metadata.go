package domain

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Allegato 5 metadata (MD1). The Linee guida AgID sulla formazione, gestione e conservazione
// dei documenti informatici, Allegato 5, name the metadata that go with an administrative
// document (DocumentoAmministrativoInformatico) and with an aggregation
// (AggregazioneDocumentaliInformatiche). The types below carry them under the annex's names, in
// the annex's order, so that one value serialises the same way as JSON (field order) and as
// XML (element order, archive.MarshalMetadata): an archive package embeds exactly what
// GET …/metadata answers. docs/metadata.md maps every element to its source.
//
// Nothing here is stored: the metadata are computed from the registration, its class, dossiers,
// register and the signatures found on its files, each time they are asked for.

// Values of the annex's lists used by Sportello.
const (
	// Hash algorithm of ImprontaCrittograficaDelDocumento.
	MetaAlgoritmoSHA256 = "SHA-256"

	// ModalitaDiFormazione (Linee guida § 2.1.1): a creation by software; b acquisition of an
	// electronic document by telematic means or on a medium, or of the image copy of a paper
	// document; c storage of data from transactions or from forms; d generation or grouping of
	// data from databases.
	MetaFormazioneCreazione     = "a"
	MetaFormazioneAcquisizione  = "b"
	MetaFormazioneTransazioni   = "c"
	MetaFormazioneGenerazioneDB = "d"

	// TipologiaDiFlusso.
	MetaFlussoEntrata = "E"
	MetaFlussoUscita  = "U"
	MetaFlussoInterno = "I"

	// TipoRegistro.
	MetaRegistroProtocollo = "Protocollo Ordinario/Protocollo Emergenza"
	MetaRegistroRepertorio = "Repertorio/Registro"
	MetaRegistroNessuno    = "Nessuno"

	// TipoRuolo.
	MetaRuoloMittente     = "Mittente"
	MetaRuoloDestinatario = "Destinatario"
	MetaRuoloAutore       = "Autore"
	MetaRuoloOperatore    = "Operatore"
	MetaRuoloAssegnatario = "Assegnatario"
	// MetaRuoloSoggettoRegistrazione is the administration that registers (the AOO).
	MetaRuoloSoggettoRegistrazione = "Soggetto che effettua la registrazione"

	// TipoModifica of an annulment.
	MetaModificaAnnullamento = "annullamento"

	// TipoAggregazione of a dossier.
	MetaAggregazioneFascicolo = "Fascicolo"

	// TempoDiConservazione of a permanent class.
	MetaConservazionePermanente = 9999

	// VersioneDelDocumento: a registered document never changes, so there is one version.
	metaVersione = "1"
)

// MetaTipologia are the default TipologiaDocumentale of a protocol registration, by direction.
// A special register (repertorio) names its documents by the register's name instead.
var MetaTipologia = map[Direction]string{
	Incoming: "Documento protocollato in entrata",
	Outgoing: "Documento protocollato in uscita",
	Internal: "Documento protocollato interno",
}

// MetaTipologiaNonProtocollato is the TipologiaDocumentale of a document kept outside the
// register (Document).
const MetaTipologiaNonProtocollato = "Documento informatico non protocollato"

// RegistrationMetadata are the Allegato 5 metadata of a registration: one
// DocumentoAmministrativoInformatico for the primary document, then one per attachment, in the
// registration's order.
type RegistrationMetadata struct {
	DocumentoAmministrativoInformatico []DocumentoAmministrativoInformatico
}

// DocumentoAmministrativoInformatico are the metadata of one administrative document (the
// primary document or an attachment of a registration), in the annex's order.
type DocumentoAmministrativoInformatico struct {
	IdDoc                    MetaIdDoc
	ModalitaDiFormazione     string
	TipologiaDocumentale     string
	DatiDiRegistrazione      MetaDatiDiRegistrazione
	Soggetti                 MetaSoggetti
	ChiaveDescrittiva        MetaChiaveDescrittiva
	Allegati                 MetaAllegati
	Classificazione          *MetaClassificazione `json:",omitempty" xml:",omitempty"`
	Riservato                bool
	IdentificativoDelFormato MetaFormato
	Verifica                 MetaVerifica
	Agg                      MetaAgg
	// IdIdentificativoDocumentoPrimario names the primary document; only on attachments.
	IdIdentificativoDocumentoPrimario *MetaIdDoc `json:",omitempty" xml:",omitempty"`
	NomeDelDocumento                  string
	VersioneDelDocumento              string
	TracciatureModificheDocumento     []MetaTracciatura `json:",omitempty" xml:",omitempty"`
	// TempoDiConservazione is in years, 9999 for permanent; absent while unclassified.
	TempoDiConservazione *int   `json:",omitempty" xml:",omitempty"`
	Note                 string `json:",omitempty" xml:",omitempty"`
}

// MetaIdDoc identifies a document: the digest of its bytes and its identifier.
type MetaIdDoc struct {
	ImprontaCrittograficaDelDocumento MetaImpronta
	Identificativo                    string
}

// MetaImpronta is a digest: base64 of the SHA-256 of the file's exact bytes.
type MetaImpronta struct {
	Impronta  string
	Algoritmo string
}

// MetaDatiDiRegistrazione say whether the document came in, went out or stayed inside, and
// where it is registered.
type MetaDatiDiRegistrazione struct {
	TipologiaDiFlusso string
	TipoRegistro      MetaTipoRegistro
}

// MetaTipoRegistro holds one of the annex's three cases: the protocol register (ordinary or
// emergency), a special register (repertorio), or none.
type MetaTipoRegistro struct {
	ProtocolloOrdinario *MetaProtocollo  `json:"ProtocolloOrdinario_ProtocolloEmergenza,omitempty" xml:"ProtocolloOrdinario_ProtocolloEmergenza,omitempty"`
	Repertorio          *MetaRepertorio  `json:"Repertorio_Registro,omitempty" xml:"Repertorio_Registro,omitempty"`
	Nessuno             *MetaNonRegistro `json:",omitempty" xml:",omitempty"`
}

// Kind returns the annex's value of TipoRegistro for t.
func (t MetaTipoRegistro) Kind() string {
	switch {
	case t.ProtocolloOrdinario != nil:
		return MetaRegistroProtocollo
	case t.Repertorio != nil:
		return MetaRegistroRepertorio
	}
	return MetaRegistroNessuno
}

// MetaProtocollo is a registration in the protocol register: the annex's value of
// TipoRegistro, the date and time, the number of at least seven digits and the register's code.
type MetaProtocollo struct {
	TipoRegistro                 string
	DataProtocollazioneDocumento string
	OraProtocollazioneDocumento  string
	NumeroProtocolloDocumento    string
	CodiceRegistro               string
}

// MetaRepertorio is a registration in a special register (repertorio).
type MetaRepertorio struct {
	TipoRegistro                 string
	DataRegistrazioneDocumento   string
	OraRegistrazioneDocumento    string
	NumeroRegistrazioneDocumento string
	CodiceRegistro               string
}

// MetaNonRegistro is a document in no register: its date, time and identifier.
type MetaNonRegistro struct {
	TipoRegistro    string
	DataDocumento   string
	OraDocumento    string
	NumeroDocumento string
}

// MetaSoggetti are the subjects of a document, each with its role.
type MetaSoggetti struct {
	Ruolo []MetaRuolo
}

// MetaRuolo is one subject in one role: the annex wraps the subject in an element named after
// its role (Mittente, Destinatario…), so exactly one field is set. Which types each role admits
// is the annex's: Operatore is a PF, Assegnatario an AS, the others PF, PG, PAI or PAE. The
// last two are the roles of a dossier's subjects (AggregazioneDocumentaliInformatiche).
type MetaRuolo struct {
	SoggettoCheEffettuaLaRegistrazione *MetaSoggetto `json:",omitempty" xml:",omitempty"`
	Assegnatario                       *MetaSoggetto `json:",omitempty" xml:",omitempty"`
	Destinatario                       *MetaSoggetto `json:",omitempty" xml:",omitempty"`
	Mittente                           *MetaSoggetto `json:",omitempty" xml:",omitempty"`
	Autore                             *MetaSoggetto `json:",omitempty" xml:",omitempty"`
	Operatore                          *MetaSoggetto `json:",omitempty" xml:",omitempty"`
	AmministrazioneTitolare            *MetaSoggetto `json:",omitempty" xml:",omitempty"`
	Altro                              *MetaSoggetto `json:",omitempty" xml:",omitempty"`
}

// Soggetto returns the one subject r holds.
func (r MetaRuolo) Soggetto() *MetaSoggetto {
	for _, s := range []*MetaSoggetto{r.SoggettoCheEffettuaLaRegistrazione, r.Assegnatario, r.Destinatario, r.Mittente, r.Autore, r.Operatore, r.AmministrazioneTitolare, r.Altro} {
		if s != nil {
			return s
		}
	}
	return nil
}

// metaRuolo wraps s in the element of its role.
func metaRuolo(role string, s MetaSoggetto) MetaRuolo {
	s.TipoRuolo = role
	var r MetaRuolo
	switch role {
	case MetaRuoloSoggettoRegistrazione:
		r.SoggettoCheEffettuaLaRegistrazione = &s
	case MetaRuoloAssegnatario:
		r.Assegnatario = &s
	case MetaRuoloDestinatario:
		r.Destinatario = &s
	case MetaRuoloMittente:
		r.Mittente = &s
	case MetaRuoloAutore:
		r.Autore = &s
	case MetaRuoloOperatore:
		r.Operatore = &s
	case MetaRuoloAmministrazioneTitolare:
		r.AmministrazioneTitolare = &s
	default:
		r.Altro = &s
	}
	return r
}

// MetaSoggetto is one subject in its role (TipoRuolo), as exactly one of the annex's types: PF
// (natural person), PG (legal person), PAI (Italian administration), PAE (foreign
// administration), AS (assignee), SW (software system).
type MetaSoggetto struct {
	TipoRuolo string
	PF        *MetaPF  `json:",omitempty" xml:",omitempty"`
	PG        *MetaPG  `json:",omitempty" xml:",omitempty"`
	PAI       *MetaPAI `json:",omitempty" xml:",omitempty"`
	PAE       *MetaPAE `json:",omitempty" xml:",omitempty"`
	AS        *MetaAS  `json:",omitempty" xml:",omitempty"`
	SW        *MetaSW  `json:",omitempty" xml:",omitempty"`
}

// MetaPF is a natural person.
type MetaPF struct {
	Cognome                        string
	Nome                           string
	CodiceFiscale                  string   `json:",omitempty" xml:",omitempty"`
	IndirizziDigitaliDiRiferimento []string `json:",omitempty" xml:",omitempty"`
}

// MetaPG is a legal person.
type MetaPG struct {
	DenominazioneOrganizzazione    string
	CodiceFiscale_PartitaIva       string   `json:"CodiceFiscale_PartitaIva,omitempty" xml:"CodiceFiscale_PartitaIva,omitempty"`
	DenominazioneUfficio           string   `json:",omitempty" xml:",omitempty"`
	IndirizziDigitaliDiRiferimento []string `json:",omitempty" xml:",omitempty"`
}

// MetaPAI is an Italian administration, by its codes in the IPA directory.
type MetaPAI struct {
	IPAAmm                         MetaIPA
	IPAAOO                         *MetaIPA `json:",omitempty" xml:",omitempty"`
	IPAUOR                         *MetaIPA `json:",omitempty" xml:",omitempty"`
	IndirizziDigitaliDiRiferimento []string `json:",omitempty" xml:",omitempty"`
}

// MetaIPA is an entry of the IPA directory: its name and code.
type MetaIPA struct {
	Denominazione string
	CodiceIPA     string
}

// MetaPAE is a foreign administration.
type MetaPAE struct {
	DenominazioneAmministrazione   string
	DenominazioneUfficio           string   `json:",omitempty" xml:",omitempty"`
	IndirizziDigitaliDiRiferimento []string `json:",omitempty" xml:",omitempty"`
}

// MetaAS is an assignee: an office of the AOO.
type MetaAS struct {
	DenominazioneOrganizzazione string
	DenominazioneUfficio        string
}

// MetaSW is a software system.
type MetaSW struct {
	DenominazioneSistema string
}

// MetaChiaveDescrittiva is the subject of the document.
type MetaChiaveDescrittiva struct {
	Oggetto string
}

// MetaAllegati count and list the attachments; on an attachment itself it is zero.
type MetaAllegati struct {
	NumeroAllegati int
	IndiceAllegati []MetaIndiceAllegato `json:",omitempty" xml:",omitempty"`
}

// MetaIndiceAllegato names one attachment.
type MetaIndiceAllegato struct {
	IdDoc       MetaIdDoc
	Descrizione string
}

// MetaClassificazione is the class of the document in the classification scheme.
type MetaClassificazione struct {
	IndiceDiClassificazione string
	Descrizione             string
	PianoDiClassificazione  string `json:",omitempty" xml:",omitempty"`
}

// MetaFormato is the file's format (its media type) and, when known, the software that made it.
type MetaFormato struct {
	Formato          string
	ProdottoSoftware *MetaProdotto `json:",omitempty" xml:",omitempty"`
}

// MetaProdotto is the software that produced a file.
type MetaProdotto struct {
	NomeProdotto     string
	VersioneProdotto string `json:",omitempty" xml:",omitempty"`
	Produttore       string `json:",omitempty" xml:",omitempty"`
}

// MetaVerifica say whether the file is signed, sealed, time-stamped, and whether it is an image
// copy attested conformant to its paper original.
type MetaVerifica struct {
	FirmatoDigitalmente                          bool
	SigillatoElettronicamente                    bool
	MarcaturaTemporale                           bool
	ConformitaCopieImmagineSuSupportoInformatico bool
}

// MetaAgg lists the aggregations (dossiers) the document is filed in; empty when none.
type MetaAgg struct {
	TipoAgg []MetaTipoAgg `json:",omitempty" xml:",omitempty"`
}

// MetaTipoAgg is one aggregation: its kind and identifier.
type MetaTipoAgg struct {
	TipoAggregazione string
	IdAggregazione   string
}

// MetaTracciatura traces one change of the document: for Sportello, an annulment.
type MetaTracciatura struct {
	TipoModifica                string
	SoggettoAutoreDellaModifica MetaPF
	DataModifica                string
	OraModifica                 string
	IdDocVersionePrecedente     MetaIdDoc
}

// MetadataInput is what the metadata of a registration are built from. Everything is read by the
// caller (Service.RegistrationMetadata), so BuildRegistrationMetadata is pure.
type MetadataInput struct {
	AOO          AOO
	Registration *Registration
	// Register is the registration's register, for its name when it is a repertorio.
	Register Register
	// Class is the registration's class; nil while unclassified.
	Class *Class
	// Scheme names the classification scheme (PianoDiClassificazione); "" leaves it out.
	Scheme string
	// Dossiers are the identifiers of the dossiers the registration is filed in, in filing order.
	Dossiers []string
	// Offices names the AOO's offices by code.
	Offices map[string]string
	// Operator names the API client that registered it (Registration.CreatedBy); "" uses
	// the client's id.
	Operator string
	Loc      *time.Location
}

// metaEmergencyNote is the file name the emergency register gives the note it writes for an
// entry loaded with no file (emergencyDocument in emergency.go).
func metaEmergencyNote(e *Emergency) string { return fmt.Sprintf("emergenza-%d.txt", e.Number) }

// BuildRegistrationMetadata returns the Allegato 5 metadata of the primary document of
// in.Registration and of each attachment.
func BuildRegistrationMetadata(in MetadataInput) (RegistrationMetadata, error) {
	r := in.Registration
	loc := in.Loc
	if loc == nil {
		loc = time.UTC
	}
	primary, err := metaIdDoc(r.Document, r.Identifier)
	if err != nil {
		return RegistrationMetadata{}, err
	}
	base := DocumentoAmministrativoInformatico{
		ModalitaDiFormazione: metaFormazione(r),
		TipologiaDocumentale: metaTipologia(r, in.Register),
		DatiDiRegistrazione:  MetaDatiDiRegistrazione{TipologiaDiFlusso: metaFlusso(r.Direction), TipoRegistro: metaTipoRegistro(r, loc)},
		Soggetti:             MetaSoggetti{Ruolo: metaRuoli(in.AOO, r, in.Offices, in.Operator)},
		ChiaveDescrittiva:    MetaChiaveDescrittiva{Oggetto: r.Subject},
		Riservato:            r.Confidential,
		VersioneDelDocumento: metaVersione,
		Note:                 metaNote(r),
	}
	if in.Class != nil {
		base.Classificazione = &MetaClassificazione{IndiceDiClassificazione: in.Class.Code, Descrizione: in.Class.Title, PianoDiClassificazione: in.Scheme}
		base.TempoDiConservazione = metaRetention(*in.Class)
	}
	for _, d := range in.Dossiers {
		base.Agg.TipoAgg = append(base.Agg.TipoAgg, MetaTipoAgg{TipoAggregazione: MetaAggregazioneFascicolo, IdAggregazione: d})
	}
	if a := r.Annulment; a != nil {
		at := a.At.In(loc)
		base.TracciatureModificheDocumento = []MetaTracciatura{{
			TipoModifica:                MetaModificaAnnullamento,
			SoggettoAutoreDellaModifica: metaPerson(a.ByName, "", nil),
			DataModifica:                at.Format(time.DateOnly), OraModifica: at.Format(metaTime),
			IdDocVersionePrecedente: primary,
		}}
	}

	out := RegistrationMetadata{DocumentoAmministrativoInformatico: make([]DocumentoAmministrativoInformatico, 0, 1+len(r.Attachments))}
	doc := base
	doc.IdDoc = primary
	doc.Allegati = MetaAllegati{NumeroAllegati: len(r.Attachments)}
	doc.IdentificativoDelFormato = MetaFormato{Formato: r.Document.MediaType}
	doc.Verifica = metaVerifica(r.Signatures[r.Document.SHA256], r.ImageCopy)
	doc.NomeDelDocumento = r.Document.Filename
	attachments := make([]DocumentoAmministrativoInformatico, 0, len(r.Attachments))
	for i, f := range r.Attachments {
		id, err := metaIdDoc(f, MetaAttachmentID(r.Identifier, i))
		if err != nil {
			return RegistrationMetadata{}, err
		}
		doc.Allegati.IndiceAllegati = append(doc.Allegati.IndiceAllegati, MetaIndiceAllegato{IdDoc: id, Descrizione: metaDescrizione(f)})
		a := base
		a.IdDoc = id
		a.IdentificativoDelFormato = MetaFormato{Formato: f.MediaType}
		// An image copy is the scan of the primary document; attachments say so only of
		// themselves, through their signatures.
		a.Verifica = metaVerifica(r.Signatures[f.SHA256], nil)
		p := primary
		a.IdIdentificativoDocumentoPrimario = &p
		a.NomeDelDocumento = f.Filename
		if a.TracciatureModificheDocumento != nil {
			t := a.TracciatureModificheDocumento[0]
			t.IdDocVersionePrecedente = id
			a.TracciatureModificheDocumento = []MetaTracciatura{t}
		}
		attachments = append(attachments, a)
	}
	out.DocumentoAmministrativoInformatico = append(append(out.DocumentoAmministrativoInformatico, doc), attachments...)
	return out, nil
}

// metaRetention is the class's retention period in years, 9999 when permanent or not set yet
// (nothing is disposed of without a decision).
func metaRetention(c Class) *int {
	years := MetaConservazionePermanente
	if c.RetentionYears != nil {
		years = *c.RetentionYears
	}
	return &years
}

// MetaAttachmentID is the Identificativo of attachment i (from 0) of the registration with
// identifier id: the registration's identifier, "-ALL-" and the attachment's position from 1,
// three digits (`c_h501-A1B2C3D-PG-2026-0000042-ALL-001`).
func MetaAttachmentID(id string, i int) string { return fmt.Sprintf("%s-ALL-%03d", id, i+1) }

// metaIdDoc turns the hex SHA-256 of f into the annex's base64 Impronta.
func metaIdDoc(f File, id string) (MetaIdDoc, error) {
	sum, err := hex.DecodeString(f.SHA256)
	if err != nil || len(sum) != 32 {
		return MetaIdDoc{}, fmt.Errorf("metadata of %s: the digest of %q is not a SHA-256", id, f.Filename)
	}
	return MetaIdDoc{ImprontaCrittograficaDelDocumento: MetaImpronta{Impronta: base64.StdEncoding.EncodeToString(sum), Algoritmo: MetaAlgoritmoSHA256}, Identificativo: id}, nil
}

func metaDescrizione(f File) string {
	if f.Description != "" {
		return f.Description
	}
	return f.Filename
}

// metaFormazione maps how the document came to be on the annex's a-d: what the AOO sends or
// keeps inside it made itself (a); what it received it acquired (b), by telematic means (PEC,
// e-mail, web, API) or as the image copy of paper (paper, counter, post); an entry of the
// emergency register loaded without its file has for document the note Sportello writes (a).
func metaFormazione(r *Registration) string {
	if r.Emergency != nil && r.Document.Filename == metaEmergencyNote(r.Emergency) {
		return MetaFormazioneCreazione
	}
	if r.Direction == Incoming {
		return MetaFormazioneAcquisizione
	}
	return MetaFormazioneCreazione
}

func metaTipologia(r *Registration, reg Register) string {
	if r.Register != DefaultRegister && reg.Name != "" {
		return reg.Name
	}
	return MetaTipologia[r.Direction]
}

func metaFlusso(d Direction) string {
	switch d {
	case Incoming:
		return MetaFlussoEntrata
	case Outgoing:
		return MetaFlussoUscita
	}
	return MetaFlussoInterno
}

// metaTipoRegistro: the general register PG is the protocol register; an entry loaded from
// the emergency register is in it too, under its ordinary number (art. 63: the emergency
// number is kept beside it, see metaNote). Any other register is a repertorio.
func metaTipoRegistro(r *Registration, loc *time.Location) MetaTipoRegistro {
	at := r.RegisteredAt.In(loc).Format(metaTime)
	if r.Register == DefaultRegister {
		return MetaTipoRegistro{ProtocolloOrdinario: &MetaProtocollo{TipoRegistro: MetaRegistroProtocollo,
			DataProtocollazioneDocumento: r.Date, OraProtocollazioneDocumento: at, NumeroProtocolloDocumento: FormatNumber(r.Number), CodiceRegistro: r.Register}}
	}
	return MetaTipoRegistro{Repertorio: &MetaRepertorio{TipoRegistro: MetaRegistroRepertorio,
		DataRegistrazioneDocumento: r.Date, OraRegistrazioneDocumento: at, NumeroRegistrazioneDocumento: FormatNumber(r.Number), CodiceRegistro: r.Register}}
}

// metaTime is the form of the annex's times (OraProtocollazioneDocumento, OraModifica): an
// xs:time with the offset of the AOO's time zone.
const metaTime = "15:04:05Z07:00"

func metaNote(r *Registration) string {
	var notes []string
	if e := r.Emergency; e != nil {
		notes = append(notes, fmt.Sprintf("Registrazione di emergenza n. %d del %s (DPR 445/2000 art. 63), interruzione %s", e.Number, e.Date, e.Register))
	}
	if a := r.Annulment; a != nil {
		notes = append(notes, fmt.Sprintf("Annullata: %s. Provvedimento di autorizzazione: %s", a.Reason, a.Authorization))
	}
	if d := r.Disposal; d != nil {
		notes = append(notes, fmt.Sprintf("Contenuto eliminato per scarto il %s (%s), autorizzazione: %s", d.At.UTC().Format(time.DateOnly), d.ID, d.Authorization))
	}
	return strings.Join(notes, ". ")
}

// metaRuoli lists the subjects of r: the AOO that registers it (Soggetto che effettua la
// registrazione, as the legal person it is), the offices it is assigned to (Assegnatario), the
// recipients (Destinatario) and senders (Mittente) — the AOO itself sends what goes out, and
// receives what comes in unless recipients are named; an internal registration names its own
// senders, the AOO when none —, the author (Autore: the senders of what comes in, the AOO of
// what it writes) and who registered it (Operatore: the API client, whose name is split as a
// person's; see docs/metadata.md).
func metaRuoli(aoo AOO, r *Registration, offices map[string]string, operator string) []MetaRuolo {
	self := metaAOO(aoo)
	var senders, recipients []MetaSoggetto
	for _, c := range r.Correspondents {
		switch c.Role {
		case RoleSender:
			senders = append(senders, metaSubject(c))
		case RoleRecipient:
			recipients = append(recipients, metaSubject(c))
		}
	}
	if len(senders) == 0 || r.Direction == Outgoing {
		senders = []MetaSoggetto{self}
	}
	if r.Direction == Incoming && len(recipients) == 0 {
		recipients = []MetaSoggetto{self}
	}
	authors := []MetaSoggetto{self}
	if r.Direction == Incoming {
		authors = senders
	}
	out := []MetaRuolo{metaRuolo(MetaRuoloSoggettoRegistrazione, MetaSoggetto{PG: &MetaPG{DenominazioneOrganizzazione: aoo.Name}})}
	out = append(out, metaAssegnatari(aoo, r.Offices, offices)...)
	for _, s := range recipients {
		out = append(out, metaRuolo(MetaRuoloDestinatario, s))
	}
	for _, s := range senders {
		out = append(out, metaRuolo(MetaRuoloMittente, s))
	}
	for _, s := range authors {
		out = append(out, metaRuolo(MetaRuoloAutore, s))
	}
	if operator == "" {
		operator = r.CreatedBy
	}
	pf := metaPerson(operator, "", nil)
	return append(out, metaRuolo(MetaRuoloOperatore, MetaSoggetto{PF: &pf}))
}

// metaAOO is the AOO as an Italian administration: its IPA code and its AOO code.
func metaAOO(aoo AOO) MetaSoggetto {
	return MetaSoggetto{PAI: &MetaPAI{IPAAmm: MetaIPA{Denominazione: aoo.Name, CodiceIPA: aoo.IPACode}, IPAAOO: &MetaIPA{Denominazione: aoo.Name, CodiceIPA: aoo.Code}}}
}

// metaAssegnatari are the offices codes as assignees (AS), named by names when known.
func metaAssegnatari(aoo AOO, codes []string, names map[string]string) []MetaRuolo {
	var out []MetaRuolo
	for _, o := range codes {
		name := names[o]
		if name == "" {
			name = o
		}
		out = append(out, metaRuolo(MetaRuoloAssegnatario, MetaSoggetto{AS: &MetaAS{DenominazioneOrganizzazione: aoo.Name, DenominazioneUfficio: name}}))
	}
	return out
}

// metaSubject is a correspondent as the annex types it: a person PF, an organisation PG, an
// administration PAI by its IPA codes (PG when its IPA code is not known). The correspondents record no foreign
// administrations, so PAE is never produced.
func metaSubject(c Correspondent) MetaSoggetto {
	var addrs []string
	for _, a := range []string{c.DigitalAddress, c.Email} {
		if a != "" && (len(addrs) == 0 || !strings.EqualFold(addrs[0], a)) {
			addrs = append(addrs, a)
		}
	}
	switch c.Type {
	case TypePerson:
		pf := metaPerson(c.Name, strings.ToUpper(c.TaxCode), addrs)
		return MetaSoggetto{PF: &pf}
	case TypeAdministration:
		if c.IPACode == "" {
			break // without its IPA code, named as the legal person it is, like the segnatura does
		}
		// The IPA names the AOO and the office too; the correspondent records only the
		// administration's name, which stands for theirs.
		pai := &MetaPAI{IPAAmm: MetaIPA{Denominazione: c.Name, CodiceIPA: c.IPACode}, IndirizziDigitaliDiRiferimento: addrs}
		if c.AOOCode != "" {
			pai.IPAAOO = &MetaIPA{Denominazione: c.Name, CodiceIPA: c.AOOCode}
		}
		if c.UOCode != "" {
			pai.IPAUOR = &MetaIPA{Denominazione: c.Name, CodiceIPA: c.UOCode}
		}
		return MetaSoggetto{PAI: pai}
	}
	return MetaSoggetto{PG: &MetaPG{DenominazioneOrganizzazione: c.Name, CodiceFiscale_PartitaIva: strings.ToUpper(c.TaxCode), IndirizziDigitaliDiRiferimento: addrs}}
}

// metaPerson splits a name written "Nome Cognome" as the segnatura does (splitName).
func metaPerson(name, taxCode string, addrs []string) MetaPF {
	given, surname := splitName(name)
	return MetaPF{Cognome: surname, Nome: given, CodiceFiscale: taxCode, IndirizziDigitaliDiRiferimento: addrs}
}

// metaVerifica reads the signatures found on a file: FirmatoDigitalmente when one holds over
// the content. Sportello's checks do not tell a seal from a signature nor report time-stamps
// inside signatures, so SigillatoElettronicamente and MarcaturaTemporale are false
// (docs/metadata.md). An image copy is conformant when someone attested it.
func metaVerifica(sigs []Signature, ic *ImageCopy) MetaVerifica {
	var v MetaVerifica
	for _, s := range sigs {
		if s.Valid {
			v.FirmatoDigitalmente = true
		}
	}
	v.ConformitaCopieImmagineSuSupportoInformatico = ic != nil && ic.AttestedBy != ""
	return v
}
