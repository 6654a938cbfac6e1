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

// DossierView is a dossier as one principal may see it: the index in date order, items the
// principal may not see masked, and the metadata computed from what remains visible.
type DossierView struct {
	Dossier  *Dossier
	Index    []DossierItem
	Metadata DossierMetadata
	// Hidden marks, by index position, items whose registration or document the principal may not see: they
	// keep their identifier and dates, but not their subject or correspondents.
	Hidden []bool
	// Dates are the items' document dates, by index position (see DossierItem.Date).
	Dates []string
}

// View builds what p sees of d, reckoning dates in loc.
func (d *Dossier) View(p Principal, loc *time.Location) DossierView {
	vis := VisibilityOf(p)
	out := DossierView{Dossier: d, Index: d.Index(loc)}
	m := DossierMetadata{
		IdAgg: d.Identifier, TipologiaFascicolo: d.Type, Soggetti: []Correspondent{}, Assegnazione: d.Office,
		DataApertura: d.OpenedAt.In(loc).Format(time.DateOnly), Classificazione: d.Class, Progressivo: d.Number,
		ChiaveDescrittiva: d.Subject, IndiceDocumenti: make([]string, 0, len(d.Items)),
	}
	if d.ClosedAt != nil {
		m.DataChiusura = d.ClosedAt.In(loc).Format(time.DateOnly)
	}
	seen := map[string]bool{}
	for _, it := range out.Index {
		m.IndiceDocumenti = append(m.IndiceDocumenti, it.Identifier())
		var hidden bool
		if it.Document != nil {
			hidden = !vis.AllowsDocument(it.Document)
		} else {
			hidden = !vis.Allows(it.Registration)
		}
		out.Hidden = append(out.Hidden, hidden)
		out.Dates = append(out.Dates, it.Date(loc))
		if hidden || it.Registration == nil {
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
