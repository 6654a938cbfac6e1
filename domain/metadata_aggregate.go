package domain

import "time"

// AggregazioneDocumentaliInformatiche are the Allegato 5 metadata of a dossier (MD2), in the
// annex's order, built from what DossierView computes (DossierMetadata) and the dossier's class.
type AggregazioneDocumentaliInformatiche struct {
	IdAgg              MetaTipoAgg
	TipologiaFascicolo string
	Soggetti           MetaSoggetti
	Assegnazione       MetaAssegnazione
	DataApertura       string
	DataChiusura       string `json:",omitempty" xml:",omitempty"`
	Classificazione    MetaClassificazione
	Progressivo        int64
	ChiaveDescrittiva  MetaChiaveDescrittiva
	IndiceDocumenti    MetaIndiceDocumenti
	// TempoDiConservazione is in years from the closing, 9999 for permanent.
	TempoDiConservazione int
}

// MetaAssegnazione is the office responsible for the dossier.
type MetaAssegnazione struct {
	TipoAssegnazione       string
	SoggettoAssegnatario   MetaAS
	DataInizioAssegnazione string
}

// MetaIndiceDocumenti lists the documents of the dossier in index order.
type MetaIndiceDocumenti struct {
	IdDoc []MetaIdDoc `json:",omitempty" xml:",omitempty"`
}

// Values of the aggregate's lists.
const (
	MetaRuoloAmministrazioneTitolare = "Amministrazione titolare"
	MetaRuoloAltro                   = "Altro"
	MetaAssegnazioneCompetenza       = "per competenza"
)

// MetaTipologiaFascicolo are the annex's words for the dossier types.
var MetaTipologiaFascicolo = map[DossierType]string{
	DossierAffare:           "affare",
	DossierAttivita:         "attività",
	DossierPersonaFisica:    "persona fisica",
	DossierPersonaGiuridica: "persona giuridica",
	DossierProcedimento:     "procedimento amministrativo",
}

// AggregateInput is what the metadata of a dossier are built from, read by the caller.
type AggregateInput struct {
	AOO AOO
	// View is what the principal sees of the dossier: its metadata and visible index.
	View   DossierView
	Class  Class
	Scheme string
	// Offices names the AOO's offices by code.
	Offices map[string]string
	Loc     *time.Location
}

// BuildAggregateMetadata returns the Allegato 5 metadata of the dossier in.View: the AOO as the
// owning administration, the correspondents of its visible registrations (Altro), its office,
// and the digest and identifier of the primary document of every visible item.
func BuildAggregateMetadata(in AggregateInput) (AggregazioneDocumentaliInformatiche, error) {
	m := in.View.Metadata
	office := in.Offices[m.Assegnazione]
	if office == "" {
		office = m.Assegnazione
	}
	out := AggregazioneDocumentaliInformatiche{
		IdAgg:              MetaTipoAgg{TipoAggregazione: MetaAggregazioneFascicolo, IdAggregazione: m.IdAgg},
		TipologiaFascicolo: MetaTipologiaFascicolo[m.TipologiaFascicolo],
		Assegnazione: MetaAssegnazione{TipoAssegnazione: MetaAssegnazioneCompetenza,
			SoggettoAssegnatario: MetaAS{DenominazioneOrganizzazione: in.AOO.Name, DenominazioneUfficio: office}, DataInizioAssegnazione: m.DataApertura},
		DataApertura: m.DataApertura, DataChiusura: m.DataChiusura,
		Classificazione:      MetaClassificazione{IndiceDiClassificazione: in.Class.Code, Descrizione: in.Class.Title, PianoDiClassificazione: in.Scheme},
		Progressivo:          m.Progressivo,
		ChiaveDescrittiva:    MetaChiaveDescrittiva{Oggetto: m.ChiaveDescrittiva},
		TempoDiConservazione: *metaRetention(in.Class),
	}
	out.Soggetti.Ruolo = append(out.Soggetti.Ruolo, metaRuolo(MetaRuoloAmministrazioneTitolare, metaAOO(in.AOO)))
	for _, c := range m.Soggetti {
		out.Soggetti.Ruolo = append(out.Soggetti.Ruolo, metaRuolo(MetaRuoloAltro, metaSubject(c)))
	}
	for _, it := range in.View.Index {
		f := File{}
		if it.Document != nil {
			f = it.Document.File
		} else {
			f = it.Registration.Document
		}
		id, err := metaIdDoc(f, it.Identifier())
		if err != nil {
			return AggregazioneDocumentaliInformatiche{}, err
		}
		out.IndiceDocumenti.IdDoc = append(out.IndiceDocumenti.IdDoc, id)
	}
	return out, nil
}
