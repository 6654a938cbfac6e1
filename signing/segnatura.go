package signing

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/sportello/sportello/domain"
)

// protNamespace is the namespace of the segnatura informatica 3.0.0.
const protNamespace = "http://www.agid.gov.it/protocollo/"

// The schema's patterns for codice fiscale and partita IVA: a tax code of another form is left
// out rather than making the segnatura invalid.
var (
	personTaxCode = regexp.MustCompile(`^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$`)
	vatNumber     = regexp.MustCompile(`^[0-9]{11}$`)
)

// SealSegnatura writes s as a SegnaturaInformatica 3.0.0 document and seals it with id as
// XAdES baseline B, signed at `at`. The schema qualifies attributes too, so every element and
// attribute carries the prot prefix. Postal addresses are left out: the schema wants them
// split into street, number, a six-digit CAP and an ISTAT code, which correspondents do not
// record.
func SealSegnatura(_ context.Context, s domain.Segnatura, id *Identity, at time.Time) ([]byte, error) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement("prot:SegnaturaInformatica")
	root.CreateAttr("xmlns:prot", protNamespace)
	root.CreateAttr("prot:versione", "3.0.0")
	root.CreateAttr("prot:lang", "it")

	head := root.CreateElement("prot:Intestazione")
	ident := head.CreateElement("prot:Identificatore")
	text(ident, "CodiceAmministrazione", s.IPACode)
	text(ident, "CodiceAOO", s.AOOCode).CreateAttr("prot:descrizione", clean(s.AOOName))
	text(ident, "CodiceRegistro", s.Register)
	text(ident, "NumeroRegistrazione", s.Number)
	text(ident, "DataRegistrazione", s.RegisteredAt.Format(time.DateOnly))
	text(ident, "OraRegistrazione", s.RegisteredAt.Format("15:04:05Z07:00"))
	text(head, "Oggetto", s.Subject)
	classification(head, s.ClassCode, s.ClassTitle, s.Dossier)
	if s.Confidential {
		text(head, "Riservato", "true")
	}
	if r := s.Reference; r != nil {
		refs := root.CreateElement("prot:Riferimenti")
		identifier(refs.CreateElement("prot:Identificatore"), r.ID)
		if r.First != nil {
			identifier(refs.CreateElement("prot:PrimaRegistrazione"), *r.First)
		}
		text(refs, "Oggetto", r.Subject)
		classification(refs, r.ClassCode, r.ClassTitle, r.Dossier)
	}

	desc := root.CreateElement("prot:Descrizione")
	party(desc.CreateElement("prot:Mittente"), s.Sender)
	for _, r := range s.Recipients {
		party(desc.CreateElement("prot:Destinatario"), r)
	}
	file(desc.CreateElement("prot:DocumentoPrimario"), s.Document)
	for _, a := range s.Attachments {
		file(desc.CreateElement("prot:Allegato"), a)
	}

	sigID := fmt.Sprintf("segnatura-%s-%s-%s-%d-%s", s.IPACode, s.AOOCode, s.Register, s.RegisteredAt.Year(), s.Number)
	if err := SealXAdES(root, id, sigID, at); err != nil {
		return nil, err
	}
	doc.WriteSettings = etree.WriteSettings{CanonicalAttrVal: true, CanonicalText: true}
	return doc.WriteToBytes()
}

// classification writes the Classifica (and the Fascicolo when there is one) of a message.
func classification(parent *etree.Element, code, title string, dossier *domain.SegnaturaDossier) {
	class := parent.CreateElement("prot:Classifica")
	text(class, "Denominazione", title)
	text(class, "CodiceFlat", code)
	if dossier != nil {
		d := parent.CreateElement("prot:Fascicolo")
		text(d, "Denominazione", dossier.Subject)
		text(d, "CodiceFascicolo", dossier.Identifier)
	}
}

// identifier writes a protocol identifier received (IdentificatoreType): the date alone, as
// the time of another AOO's registration is not known.
func identifier(el *etree.Element, id domain.ProtocolID) {
	text(el, "CodiceAmministrazione", id.IPACode)
	text(el, "CodiceAOO", id.AOOCode)
	text(el, "CodiceRegistro", id.Register)
	text(el, "NumeroRegistrazione", id.Number)
	text(el, "DataRegistrazione", id.Date)
}

// party writes p as the choice of SoggettoType that fits it.
func party(el *etree.Element, p domain.SegnaturaParty) {
	switch p.Kind {
	case domain.PartyAdministration:
		a := el.CreateElement("prot:Amministrazione")
		text(a, "DenominazioneAmministrazione", p.Name)
		text(a, "CodiceIPAAmministrazione", p.IPACode)
		contacts(a, "ContattiAmministrazione", p.DigitalAddress, p.AOOCode == "" && p.UOCode == "")
		if p.AOOCode != "" {
			text(a, "CodiceIPAAOO", p.AOOCode)
			contacts(a, "ContattiAOO", p.DigitalAddress, p.UOCode == "")
		}
		if p.UOCode != "" {
			text(a, "CodiceIPAUO", p.UOCode)
			contacts(a, "ContattiUO", p.DigitalAddress, true)
		}
	case domain.PartyPerson:
		person(el.CreateElement("prot:PersonaFisica"), p)
	default:
		o := el.CreateElement("prot:PersonaGiuridica")
		text(o, "Denominazione", p.Name)
		if vatNumber.MatchString(p.TaxCode) {
			text(o, "PIVAoCF", p.TaxCode)
		}
		contacts(o, "ContattiPersonaGiuridica", p.DigitalAddress, true)
	}
}

func person(el *etree.Element, p domain.SegnaturaParty) {
	text(el, "Nome", p.GivenName)
	text(el, "Cognome", p.Surname)
	if personTaxCode.MatchString(p.TaxCode) {
		text(el, "CodiceFiscale", p.TaxCode)
	}
	contacts(el, "Contatti", p.DigitalAddress, true)
}

// contacts writes the digital address under name when here is true: an administration's
// address belongs to the most specific office named.
func contacts(el *etree.Element, name, address string, here bool) {
	if address == "" || !here {
		return
	}
	text(el.CreateElement("prot:"+name), "IndirizzoTelematico", address).CreateAttr("prot:tipo", "smtp")
}

func file(el *etree.Element, f domain.SegnaturaFile) {
	el.CreateAttr("prot:nomeFile", clean(f.Filename))
	el.CreateAttr("prot:mimeType", clean(f.MediaType))
	if f.Description != "" {
		text(el, "Descrizione", f.Description)
	}
	text(el, "Impronta", base64.StdEncoding.EncodeToString(f.SHA256)).CreateAttr("prot:algoritmo", "SHA-256")
}

// text appends the element prot:name holding value.
func text(parent *etree.Element, name, value string) *etree.Element {
	el := parent.CreateElement("prot:" + name)
	el.SetText(clean(value))
	return el
}

// clean drops the characters XML 1.0 cannot carry (most C0 controls), which a stored subject or
// file name may hold.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)
}
