package domain

import (
	"fmt"
	"strings"
	"time"
)

// DocumentMetadata are the Allegato 5 metadata of a document kept outside the register
// (Document): a DocumentoInformatico, with the same elements as an administrative document but
// registered nowhere (TipoRegistro Nessuno).
type DocumentMetadata struct {
	DocumentoInformatico DocumentoAmministrativoInformatico
}

// DocumentInput is what the metadata of a document are built from, read by the caller.
type DocumentInput struct {
	AOO      AOO
	Document *Document
	// Class is the document's class; nil if it is no longer in the scheme.
	Class   *Class
	Scheme  string
	Offices map[string]string
	// Operator names the API client that stored it; "" uses its id.
	Operator string
	Loc      *time.Location
}

// BuildDocumentMetadata returns the metadata of in.Document. A document is written by the AOO
// and stored by its own staff (ModalitaDiFormazione a, flow I); it is numbered by nothing but
// its id (NumeroDocumento) and dated by its creation (DataDocumento); its author is the AOO.
// A document whose content a registration took says so in Note: the registration's own
// metadata then describe the same bytes.
func BuildDocumentMetadata(in DocumentInput) (DocumentMetadata, error) {
	d := in.Document
	loc := in.Loc
	if loc == nil {
		loc = time.UTC
	}
	id, err := metaIdDoc(d.File, d.ID)
	if err != nil {
		return DocumentMetadata{}, err
	}
	operator := in.Operator
	if operator == "" {
		operator = d.CreatedBy
	}
	operatorPF := metaPerson(operator, "", nil)
	m := DocumentoAmministrativoInformatico{
		IdDoc:                id,
		ModalitaDiFormazione: MetaFormazioneCreazione,
		TipologiaDocumentale: MetaTipologiaNonProtocollato,
		DatiDiRegistrazione: MetaDatiDiRegistrazione{TipologiaDiFlusso: MetaFlussoInterno, TipoRegistro: MetaTipoRegistro{
			Nessuno: &MetaNonRegistro{TipoRegistro: MetaRegistroNessuno, DataDocumento: d.CreatedAt.In(loc).Format(time.DateOnly),
				OraDocumento: d.CreatedAt.In(loc).Format(metaTime), NumeroDocumento: d.ID}}},
		Soggetti: MetaSoggetti{Ruolo: append(append([]MetaRuolo{}, metaAssegnatari(in.AOO, d.Offices, in.Offices)...),
			metaRuolo(MetaRuoloAutore, metaAOO(in.AOO)), metaRuolo(MetaRuoloOperatore, MetaSoggetto{PF: &operatorPF}))},
		ChiaveDescrittiva:        MetaChiaveDescrittiva{Oggetto: d.Subject},
		Riservato:                d.Confidential,
		IdentificativoDelFormato: MetaFormato{Formato: d.File.MediaType},
		NomeDelDocumento:         d.File.Filename,
		VersioneDelDocumento:     metaVersione,
	}
	if in.Class != nil {
		m.Classificazione = &MetaClassificazione{IndiceDiClassificazione: in.Class.Code, Descrizione: in.Class.Title, PianoDiClassificazione: in.Scheme}
		m.TempoDiConservazione = metaRetention(*in.Class)
	}
	for _, key := range d.Dossiers {
		m.Agg.TipoAgg = append(m.Agg.TipoAgg, MetaTipoAgg{TipoAggregazione: MetaAggregazioneFascicolo, IdAggregazione: key})
	}
	var notes []string
	if d.Registration != nil {
		notes = append(notes, "Contenuto protocollato come "+d.Registration.Identifier)
	}
	if x := d.Disposal; x != nil {
		notes = append(notes, fmt.Sprintf("Contenuto eliminato per scarto il %s (%s), autorizzazione: %s", x.At.UTC().Format(time.DateOnly), x.ID, x.Authorization))
	}
	m.Note = strings.Join(notes, ". ")
	return DocumentMetadata{DocumentoInformatico: m}, nil
}
