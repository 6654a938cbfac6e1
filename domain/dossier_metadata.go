package domain

import (
	"strings"
	"time"
)

// DossierMetadata are the aggregate metadata of a dossier as AgID's Allegato 5 names them (MD2),
// so that an archive package can carry them unchanged.
type DossierMetadata struct {
	IdAgg              string          // the dossier's identifier
	TipologiaFascicolo DossierType     // affare, attivita, persona_fisica, persona_giuridica, procedimento
	Soggetti           []Correspondent // correspondents of the filed registrations, each once
	Assegnazione       string          // the responsible office
	DataApertura       string          // opening date in the instance's time zone
	DataChiusura       string          // closing date, "" while open
	Classificazione    string          // the class code
	Progressivo        int64           // the number within class and year
	ChiaveDescrittiva  string          // the subject
	IndiceDocumenti    []string        // identifiers of the items, in index order
}

// DossierView is a dossier as one principal may see it: the index in date order of the items
// the principal may see, the count of those it may not, and the metadata computed from what
// remains visible.
type DossierView struct {
	Dossier *Dossier
	// Index holds the visible items. An item whose registration or document the principal may
	// not see is left out altogether: its identifier, reference and date would say that a
	// confidential act exists, who registered it and when.
	Index    []DossierItem
	Metadata DossierMetadata
	// HiddenItems counts the items left out of Index.
	HiddenItems int
	// Dates are the items' document dates, by index position (see DossierItem.Date).
	Dates []string
}

// View builds what p sees of d, reckoning dates in loc.
func (d *Dossier) View(p Principal, loc *time.Location) DossierView {
	vis := VisibilityOf(p)
	out := DossierView{Dossier: d, Index: []DossierItem{}}
	m := DossierMetadata{
		IdAgg: d.Identifier, TipologiaFascicolo: d.Type, Soggetti: []Correspondent{}, Assegnazione: d.Office,
		DataApertura: d.OpenedAt.In(loc).Format(time.DateOnly), Classificazione: d.Class, Progressivo: d.Number,
		ChiaveDescrittiva: d.Subject, IndiceDocumenti: make([]string, 0, len(d.Items)),
	}
	if d.ClosedAt != nil {
		m.DataChiusura = d.ClosedAt.In(loc).Format(time.DateOnly)
	}
	seen := map[string]bool{}
	for _, it := range d.Index(loc) {
		var visible bool
		if it.Document != nil {
			visible = vis.AllowsDocument(it.Document)
		} else {
			visible = vis.Allows(it.Registration)
		}
		if !visible {
			out.HiddenItems++
			continue
		}
		out.Index = append(out.Index, it)
		m.IndiceDocumenti = append(m.IndiceDocumenti, it.Identifier())
		out.Dates = append(out.Dates, it.Date(loc))
		if it.Registration == nil {
			continue
		}
		for _, c := range it.Registration.Correspondents {
			key := strings.ToUpper(c.TaxCode)
			if key == "" {
				key = c.Type + "|" + strings.ToLower(strings.Join(strings.Fields(c.Name), " "))
			}
			if !seen[key] {
				seen[key] = true
				c.Role = "" // a subject of the dossier, whatever its role in one document
				m.Soggetti = append(m.Soggetti, c)
			}
		}
	}
	out.Metadata = m
	return out
}
