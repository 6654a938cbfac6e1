package api

// The Allegato 5 metadata (docs/metadata.md) as the contract describes them. The handlers answer
// the domain's values (domain.RegistrationMetadata, domain.AggregazioneDocumentaliInformatiche)
// as they are, because their fields already carry the annex's names in the annex's order, the
// same for JSON and XML (archive); the types below describe those values field for field, and
// the API tests read every answer through the contract-validating client.

// RegistrationArchivalMetadata are the Allegato 5 metadata of a registration: the primary
// document first, then each attachment in order.
type RegistrationArchivalMetadata struct {
	DocumentoAmministrativoInformatico []DocumentArchivalMetadata `json:"DocumentoAmministrativoInformatico"`
}

// DocumentArchivalMetadata are the metadata of one administrative document
// (DocumentoAmministrativoInformatico), in the annex's order.
type DocumentArchivalMetadata struct {
	IdDoc                             MetaIdDoc               `json:"IdDoc"`
	ModalitaDiFormazione              string                  `json:"ModalitaDiFormazione" enums:"a,b,c,d" example:"b"`
	TipologiaDocumentale              string                  `json:"TipologiaDocumentale" example:"Documento protocollato in entrata"`
	DatiDiRegistrazione               MetaDatiDiRegistrazione `json:"DatiDiRegistrazione"`
	Soggetti                          MetaSoggetti            `json:"Soggetti"`
	ChiaveDescrittiva                 MetaChiaveDescrittiva   `json:"ChiaveDescrittiva"`
	Allegati                          MetaAllegati            `json:"Allegati"`
	Classificazione                   *MetaClassificazione    `json:"Classificazione,omitempty"` // absent while unclassified
	Riservato                         bool                    `json:"Riservato"`
	IdentificativoDelFormato          MetaFormato             `json:"IdentificativoDelFormato"`
	Verifica                          MetaVerifica            `json:"Verifica"`
	Agg                               MetaAgg                 `json:"Agg"`                                         // the dossiers it is filed in
	IdIdentificativoDocumentoPrimario *MetaIdDoc              `json:"IdIdentificativoDocumentoPrimario,omitempty"` // attachments only
	NomeDelDocumento                  string                  `json:"NomeDelDocumento" example:"richiesta.pdf"`
	VersioneDelDocumento              string                  `json:"VersioneDelDocumento" example:"1"`
	TracciatureModificheDocumento     []MetaTracciatura       `json:"TracciatureModificheDocumento,omitempty"`     // an annulment
	TempoDiConservazione              *int                    `json:"TempoDiConservazione,omitempty" example:"10"` // years; 9999 permanent; absent while unclassified
	Note                              string                  `json:"Note,omitempty"`
}

// MetaIdDoc identifies a document by the digest of its bytes and its identifier.
type MetaIdDoc struct {
	ImprontaCrittograficaDelDocumento MetaImpronta `json:"ImprontaCrittograficaDelDocumento"`
	Identificativo                    string       `json:"Identificativo" example:"c_h501-A1B2C3D-PG-2026-0000042"`
}

// MetaImpronta is the base64 SHA-256 of the file's exact bytes.
type MetaImpronta struct {
	Impronta  string `json:"Impronta" format:"byte"`
	Algoritmo string `json:"Algoritmo" enums:"SHA-256"`
}

// MetaDatiDiRegistrazione are the flow (E incoming, U outgoing, I internal) and the register.
type MetaDatiDiRegistrazione struct {
	TipologiaDiFlusso string           `json:"TipologiaDiFlusso" enums:"E,U,I"`
	TipoRegistro      MetaTipoRegistro `json:"TipoRegistro"`
}

// MetaTipoRegistro holds exactly one of: the protocol register (ordinary or emergency), a
// special register (repertorio), none.
type MetaTipoRegistro struct {
	ProtocolloOrdinario *MetaProtocollo  `json:"ProtocolloOrdinario_ProtocolloEmergenza,omitempty"`
	Repertorio          *MetaRepertorio  `json:"Repertorio_Registro,omitempty"`
	Nessuno             *MetaNonRegistro `json:"Nessuno,omitempty"`
}

// MetaProtocollo is a registration in the protocol register.
type MetaProtocollo struct {
	TipoRegistro                 string `json:"TipoRegistro" enums:"Protocollo Ordinario/Protocollo Emergenza"`
	DataProtocollazioneDocumento string `json:"DataProtocollazioneDocumento" format:"date"`
	OraProtocollazioneDocumento  string `json:"OraProtocollazioneDocumento" example:"09:15:00+01:00"`
	NumeroProtocolloDocumento    string `json:"NumeroProtocolloDocumento" pattern:"^[0-9]{7,}$" example:"0000042"`
	CodiceRegistro               string `json:"CodiceRegistro" example:"PG"`
}

// MetaRepertorio is a registration in a special register.
type MetaRepertorio struct {
	TipoRegistro                 string `json:"TipoRegistro" enums:"Repertorio/Registro"`
	DataRegistrazioneDocumento   string `json:"DataRegistrazioneDocumento" format:"date"`
	OraRegistrazioneDocumento    string `json:"OraRegistrazioneDocumento" example:"09:15:00+01:00"`
	NumeroRegistrazioneDocumento string `json:"NumeroRegistrazioneDocumento" pattern:"^[0-9]{7,}$" example:"0000007"`
	CodiceRegistro               string `json:"CodiceRegistro" example:"DEL"`
}

// MetaNonRegistro is a document in no register.
type MetaNonRegistro struct {
	TipoRegistro    string `json:"TipoRegistro" enums:"Nessuno"`
	DataDocumento   string `json:"DataDocumento" format:"date"`
	OraDocumento    string `json:"OraDocumento" example:"09:15:00+01:00"`
	NumeroDocumento string `json:"NumeroDocumento"`
}

// MetaSoggetti are the subjects of a document with their roles.
type MetaSoggetti struct {
	Ruolo []MetaRuolo `json:"Ruolo"`
}

// MetaRuolo wraps one subject in the element of its role: exactly one field is set.
type MetaRuolo struct {
	SoggettoCheEffettuaLaRegistrazione *MetaSoggetto `json:"SoggettoCheEffettuaLaRegistrazione,omitempty"`
	Assegnatario                       *MetaSoggetto `json:"Assegnatario,omitempty"`
	Destinatario                       *MetaSoggetto `json:"Destinatario,omitempty"`
	Mittente                           *MetaSoggetto `json:"Mittente,omitempty"`
	Autore                             *MetaSoggetto `json:"Autore,omitempty"`
	Operatore                          *MetaSoggetto `json:"Operatore,omitempty"`
	AmministrazioneTitolare            *MetaSoggetto `json:"AmministrazioneTitolare,omitempty"` // dossiers
	Altro                              *MetaSoggetto `json:"Altro,omitempty"`                   // dossiers
}

// MetaSoggetto is one subject in its role, as exactly one of PF, PG, PAI, PAE, AS, SW.
type MetaSoggetto struct {
	TipoRuolo string   `json:"TipoRuolo" example:"Mittente"`
	PF        *MetaPF  `json:"PF,omitempty"`
	PG        *MetaPG  `json:"PG,omitempty"`
	PAI       *MetaPAI `json:"PAI,omitempty"`
	PAE       *MetaPAE `json:"PAE,omitempty"`
	AS        *MetaAS  `json:"AS,omitempty"`
	SW        *MetaSW  `json:"SW,omitempty"`
}

// MetaPF is a natural person.
type MetaPF struct {
	Cognome                        string   `json:"Cognome"`
	Nome                           string   `json:"Nome"`
	CodiceFiscale                  string   `json:"CodiceFiscale,omitempty"`
	IndirizziDigitaliDiRiferimento []string `json:"IndirizziDigitaliDiRiferimento,omitempty"`
}

// MetaPG is a legal person.
type MetaPG struct {
	DenominazioneOrganizzazione    string   `json:"DenominazioneOrganizzazione"`
	CodiceFiscalePartitaIva        string   `json:"CodiceFiscale_PartitaIva,omitempty"`
	DenominazioneUfficio           string   `json:"DenominazioneUfficio,omitempty"`
	IndirizziDigitaliDiRiferimento []string `json:"IndirizziDigitaliDiRiferimento,omitempty"`
}

// MetaPAI is an Italian administration by its IPA codes.
type MetaPAI struct {
	IPAAmm                         MetaIPA  `json:"IPAAmm"`
	IPAAOO                         *MetaIPA `json:"IPAAOO,omitempty"`
	IPAUOR                         *MetaIPA `json:"IPAUOR,omitempty"`
	IndirizziDigitaliDiRiferimento []string `json:"IndirizziDigitaliDiRiferimento,omitempty"`
}

// MetaIPA is an entry of the IPA directory.
type MetaIPA struct {
	Denominazione string `json:"Denominazione"`
	CodiceIPA     string `json:"CodiceIPA"`
}

// MetaPAE is a foreign administration (never produced today).
type MetaPAE struct {
	DenominazioneAmministrazione   string   `json:"DenominazioneAmministrazione"`
	DenominazioneUfficio           string   `json:"DenominazioneUfficio,omitempty"`
	IndirizziDigitaliDiRiferimento []string `json:"IndirizziDigitaliDiRiferimento,omitempty"`
}

// MetaAS is an office of the AOO the document or dossier is assigned to.
type MetaAS struct {
	DenominazioneOrganizzazione string `json:"DenominazioneOrganizzazione"`
	DenominazioneUfficio        string `json:"DenominazioneUfficio"`
}

// MetaSW is a software system (never produced today).
type MetaSW struct {
	DenominazioneSistema string `json:"DenominazioneSistema"`
}

// MetaChiaveDescrittiva is the subject.
type MetaChiaveDescrittiva struct {
	Oggetto string `json:"Oggetto"`
}

// MetaAllegati count and list the attachments.
type MetaAllegati struct {
	NumeroAllegati int                  `json:"NumeroAllegati"`
	IndiceAllegati []MetaIndiceAllegato `json:"IndiceAllegati,omitempty"`
}

// MetaIndiceAllegato names one attachment.
type MetaIndiceAllegato struct {
	IdDoc       MetaIdDoc `json:"IdDoc"`
	Descrizione string    `json:"Descrizione"`
}

// MetaClassificazione is the class in the classification scheme.
type MetaClassificazione struct {
	IndiceDiClassificazione string `json:"IndiceDiClassificazione" example:"VI.3"`
	Descrizione             string `json:"Descrizione"`
	PianoDiClassificazione  string `json:"PianoDiClassificazione,omitempty"`
}

// MetaFormato is the media type and, when known, the producing software.
type MetaFormato struct {
	Formato          string        `json:"Formato" example:"application/pdf"`
	ProdottoSoftware *MetaProdotto `json:"ProdottoSoftware,omitempty"`
}

// MetaProdotto is the software that produced a file.
type MetaProdotto struct {
	NomeProdotto     string `json:"NomeProdotto"`
	VersioneProdotto string `json:"VersioneProdotto,omitempty"`
	Produttore       string `json:"Produttore,omitempty"`
}

// MetaVerifica say whether the file is signed, sealed, time-stamped, an attested image copy.
type MetaVerifica struct {
	FirmatoDigitalmente                          bool `json:"FirmatoDigitalmente"`
	SigillatoElettronicamente                    bool `json:"SigillatoElettronicamente"`
	MarcaturaTemporale                           bool `json:"MarcaturaTemporale"`
	ConformitaCopieImmagineSuSupportoInformatico bool `json:"ConformitaCopieImmagineSuSupportoInformatico"`
}

// MetaAgg lists the dossiers a document is filed in.
type MetaAgg struct {
	TipoAgg []MetaTipoAgg `json:"TipoAgg,omitempty"`
}

// MetaTipoAgg is one aggregation.
type MetaTipoAgg struct {
	TipoAggregazione string `json:"TipoAggregazione" enums:"Fascicolo"`
	IdAggregazione   string `json:"IdAggregazione" example:"2026-VI.3-000012"`
}

// MetaTracciatura traces an annulment.
type MetaTracciatura struct {
	TipoModifica                string    `json:"TipoModifica" enums:"annullamento"`
	SoggettoAutoreDellaModifica MetaPF    `json:"SoggettoAutoreDellaModifica"`
	DataModifica                string    `json:"DataModifica" format:"date"`
	OraModifica                 string    `json:"OraModifica" example:"09:30:00+01:00"`
	IdDocVersionePrecedente     MetaIdDoc `json:"IdDocVersionePrecedente"`
}

// DossierArchivalMetadata are the Allegato 5 metadata of a dossier
// (AggregazioneDocumentaliInformatiche), in the annex's order.
type DossierArchivalMetadata struct {
	IdAgg                MetaTipoAgg           `json:"IdAgg"`
	TipologiaFascicolo   string                `json:"TipologiaFascicolo" enums:"affare,attività,persona fisica,persona giuridica,procedimento amministrativo"`
	Soggetti             MetaSoggetti          `json:"Soggetti"`
	Assegnazione         MetaAssegnazione      `json:"Assegnazione"`
	DataApertura         string                `json:"DataApertura" format:"date"`
	DataChiusura         string                `json:"DataChiusura,omitempty" format:"date"`
	Classificazione      MetaClassificazione   `json:"Classificazione"`
	Progressivo          int64                 `json:"Progressivo" example:"12"`
	ChiaveDescrittiva    MetaChiaveDescrittiva `json:"ChiaveDescrittiva"`
	IndiceDocumenti      MetaIndiceDocumenti   `json:"IndiceDocumenti"`
	TempoDiConservazione int                   `json:"TempoDiConservazione" example:"10"` // years from the closing; 9999 permanent
}

// MetaAssegnazione is the responsible office.
type MetaAssegnazione struct {
	TipoAssegnazione       string `json:"TipoAssegnazione" enums:"per competenza"`
	SoggettoAssegnatario   MetaAS `json:"SoggettoAssegnatario"`
	DataInizioAssegnazione string `json:"DataInizioAssegnazione" format:"date"`
}

// MetaIndiceDocumenti lists the visible documents of a dossier in index order.
type MetaIndiceDocumenti struct {
	IdDoc []MetaIdDoc `json:"IdDoc,omitempty"`
}

// StoredDocumentArchivalMetadata are the Allegato 5 metadata of an unregistered document: a
// DocumentoInformatico registered nowhere (TipoRegistro Nessuno).
type StoredDocumentArchivalMetadata struct {
	DocumentoInformatico DocumentArchivalMetadata `json:"DocumentoInformatico"`
}
