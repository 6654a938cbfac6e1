package api

import (
	"time"

	"github.com/sportello/sportello/domain"
)

// NewDossier opens a dossier (fascicolo). Year, number and identifier are assigned by the system.
type NewDossier struct {
	Class   string `json:"class" example:"VI.3" extensions:"x-pattern=class"`                          // voce di titolario, valid today
	Subject string `json:"subject" example:"Permesso di costruire, via Roma 1" maxLength:"2000"`       // oggetto (ChiaveDescrittiva)
	Type    string `json:"type" enums:"affare,attivita,persona_fisica,persona_giuridica,procedimento"` // tipologia di fascicolo
	Office  string `json:"office" example:"TEC" extensions:"x-pattern=office"`                         // responsible office (UOR)
	Parent  string `json:"parent,omitempty" example:"2026-VI.3-000001"`                                // id or identifier of the parent, for a sottofascicolo; same class, open
	// Responsible is the user id of the person responsible (responsabile del procedimento), a
	// member of the office.
	Responsible string `json:"responsible,omitempty"`
}

// Dossier is a fascicolo: year of opening, class and progressive number within them (C3), with
// its document index and its aggregate metadata (Allegato 5, MD2).
type Dossier struct {
	ID         string `json:"id" format:"uuid"`
	Identifier string `json:"identifier" example:"2026-VI.3-000012"` // year-class-number, at least six digits
	Year       int    `json:"year" example:"2026"`
	Class      string `json:"class" example:"VI.3"`
	Number     int64  `json:"number" example:"12"`
	Subject    string `json:"subject"`
	Type       string `json:"type" enums:"affare,attivita,persona_fisica,persona_giuridica,procedimento"`
	Office     string `json:"office" example:"TEC"`
	// Responsible is the user id of the person responsible, if any.
	Responsible string        `json:"responsible,omitempty"`
	Parent      string        `json:"parent,omitempty" format:"uuid"` // id of the parent dossier, for a sub-dossier
	Status      string        `json:"status" enums:"open,closed,disposed"`
	DisposalID  string        `json:"disposal_id,omitempty"` // the disposal record, once disposed of
	OpenedAt    time.Time     `json:"opened_at" format:"date-time"`
	ClosedAt    *time.Time    `json:"closed_at" format:"date-time" extensions:"x-nullable"`
	Items       []DossierItem `json:"items"` // the document index, by document date then filing time
	// HiddenItems counts the items of the index the caller may not see (confidential acts of
	// other offices): they are not listed, not even by identifier or date.
	HiddenItems int             `json:"hidden_items" example:"0"`
	Metadata    DossierMetadata `json:"metadata"`
	Position    int64           `json:"position" example:"1234"` // change-feed position of the latest write
}

// DossierItem is one entry of a dossier's document index: a registration or an unregistered
// document (whose identifier is its id, and which has no reference). Items the caller may not
// see are not listed: the dossier counts them in `hidden_items`.
type DossierItem struct {
	Kind       string    `json:"kind" enums:"registration,document"`
	ID         string    `json:"id" format:"uuid"`
	Identifier string    `json:"identifier" example:"c_h501-A1B2C3D-PG-2026-0000042"`
	Reference  string    `json:"reference,omitempty" example:"PG/2026/0000042"` // registrations only
	Date       string    `json:"date" format:"date" example:"2026-11-28"`       // protocol date, or the day a document was created
	Subject    string    `json:"subject"`
	AddedAt    time.Time `json:"added_at" format:"date-time"`
	AddedBy    string    `json:"added_by"`
	// Restricted is never true: items the caller may not see are counted in the dossier's
	// hidden_items instead. Kept for clients written when they were listed.
	Restricted bool `json:"restricted,omitempty"`
}

// DossierMetadata are the aggregate metadata of AgID's Allegato 5, named as there.
type DossierMetadata struct {
	IdAgg              string           `json:"IdAgg" example:"2026-VI.3-000012"`
	TipologiaFascicolo string           `json:"TipologiaFascicolo" enums:"affare,attivita,persona_fisica,persona_giuridica,procedimento"`
	Soggetti           []DossierSubject `json:"Soggetti"` // correspondents of the filed registrations, each once
	Assegnazione       string           `json:"Assegnazione" example:"TEC"`
	DataApertura       string           `json:"DataApertura" format:"date"`
	DataChiusura       string           `json:"DataChiusura,omitempty" format:"date"`
	Classificazione    string           `json:"Classificazione" example:"VI.3"`
	Progressivo        int64            `json:"Progressivo" example:"12"`
	ChiaveDescrittiva  string           `json:"ChiaveDescrittiva"`
	IndiceDocumenti    []string         `json:"IndiceDocumenti"` // identifiers of the items, in index order
}

// DossierSubject is a person or body the dossier concerns.
type DossierSubject struct {
	Type    string `json:"type" enums:"person,organization,administration"`
	Name    string `json:"name"`
	TaxCode string `json:"tax_code,omitempty"`
	Email   string `json:"email,omitempty"`
}

// DossierList is one page of dossiers; next_cursor is empty on the last page.
type DossierList struct {
	Items      []Dossier `json:"items"`
	NextCursor string    `json:"next_cursor"`
}

// DossierItemRequest files a registration (`PG/2026/42` or `PG/2026/0000042`) or an
// unregistered document (its id) into a dossier; exactly one is given.
type DossierItemRequest struct {
	Registration string `json:"registration,omitempty" example:"PG/2026/42"`
	Document     string `json:"document,omitempty" format:"uuid"` // an unregistered document's id
}

// DossierClosing gives the reason for closing or reopening a dossier.
type DossierClosing struct {
	Reason string `json:"reason" example:"Procedimento concluso"`
}

func toDossier(v domain.DossierView) Dossier {
	d := v.Dossier
	out := Dossier{
		ID: d.ID, Identifier: d.Identifier, Year: d.Year, Class: d.Class, Number: d.Number, Subject: d.Subject,
		Type: string(d.Type), Office: d.Office, Responsible: d.Responsible, Parent: d.Parent, Status: string(d.Status), OpenedAt: utc(d.OpenedAt), DisposalID: d.DisposalID,
		Items: make([]DossierItem, 0, len(v.Index)), HiddenItems: v.HiddenItems, Position: d.Position,
	}
	if d.ClosedAt != nil {
		t := utc(*d.ClosedAt)
		out.ClosedAt = &t
	}
	for i, it := range v.Index {
		item := DossierItem{Kind: it.Kind, Date: v.Dates[i], AddedAt: utc(it.AddedAt), AddedBy: it.AddedBy}
		if d := it.Document; d != nil {
			item.ID, item.Identifier, item.Subject = d.ID, d.ID, d.Subject
		} else {
			r := it.Registration
			item.ID, item.Identifier, item.Reference, item.Subject = r.ID, r.Identifier, r.Ref().String(), r.Subject
		}
		out.Items = append(out.Items, item)
	}
	m := v.Metadata
	out.Metadata = DossierMetadata{
		IdAgg: m.IdAgg, TipologiaFascicolo: string(m.TipologiaFascicolo), Soggetti: make([]DossierSubject, 0, len(m.Soggetti)),
		Assegnazione: m.Assegnazione, DataApertura: m.DataApertura, DataChiusura: m.DataChiusura,
		Classificazione: m.Classificazione, Progressivo: m.Progressivo, ChiaveDescrittiva: m.ChiaveDescrittiva,
		IndiceDocumenti: nonNil(m.IndiceDocumenti),
	}
	for _, s := range m.Soggetti {
		out.Metadata.Soggetti = append(out.Metadata.Soggetti, DossierSubject{Type: s.Type, Name: s.Name, TaxCode: s.TaxCode, Email: s.Email})
	}
	return out
}
