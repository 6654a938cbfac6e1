package signing

import (
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/sportello/sportello/domain"
)

// pecNamespace is the namespace of the messages between AOOs of the segnatura 3.0.0
// (ConfermaRicezione, NotificaEccezione, AggiornamentoConferma, AnnullamentoProtocollazione).
const pecNamespace = "http://www.agid.gov.it/protocollo/pec/"

// WriteProtocolMessage writes m as its root element of the 3.0.0 messages
// (domain.ProtocolMessageWriter): the elements in the pec namespace, the identifiers' parts in
// the prot namespace, attributes qualified as the schema wants. It refuses with ECValidation
// what the schema would: an unknown kind, a missing identifier, reason or provision, an own
// identifier outside the schema's patterns. A received identifier outside them (older
// systems number with fewer than seven digits) is zero-padded, and if still outside is
// described in DescrizioneMessaggio instead.
func WriteProtocolMessage(m domain.ProtocolMessage) ([]byte, error) {
	if err := checkProtocolMessage(m, true); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement("pec:" + m.Kind)
	root.CreateAttr("xmlns:pec", pecNamespace)
	root.CreateAttr("xmlns:prot", protNamespace)
	root.CreateAttr("pec:versione", "3.0.0")
	root.CreateAttr("pec:lang", "it")
	if m.Identifier != nil {
		writeIdentifier(root.CreateElement("pec:Identificatore"), *m.Identifier)
	}
	if m.Kind != domain.ProtocolAnnullamento {
		received := root.CreateElement("pec:MessaggioRicevuto")
		id, ok := domain.ProtocolID{}, false
		if m.Received != nil {
			id, ok = schemaIdentifier(*m.Received)
		}
		switch {
		case ok:
			writeIdentifier(received.CreateElement("pec:Identificatore"), id)
		case m.Description != "":
			received.CreateElement("pec:DescrizioneMessaggio").SetText(clean(m.Description))
		default:
			received.CreateElement("pec:DescrizioneMessaggio").SetText(clean(describeIdentifier(*m.Received)))
		}
	}
	if m.Kind == domain.ProtocolEccezione || m.Kind == domain.ProtocolAnnullamento {
		root.CreateElement("pec:Motivo").SetText(clean(m.Reason))
	}
	if m.Kind == domain.ProtocolAnnullamento {
		root.CreateElement("pec:Provvedimento").SetText(clean(m.Provision))
	}
	doc.WriteSettings = etree.WriteSettings{CanonicalAttrVal: true, CanonicalText: true}
	return doc.WriteToBytes()
}

// checkProtocolMessage is what the schema requires of each kind; strict adds the patterns of
// the own identifier, which what others wrote need not match to be read.
func checkProtocolMessage(m domain.ProtocolMessage, strict bool) error {
	var fields []domain.FieldError
	switch m.Kind {
	case domain.ProtocolConferma, domain.ProtocolAggiornamento, domain.ProtocolEccezione, domain.ProtocolAnnullamento:
	default:
		return domain.Errorf(domain.ECValidation, "unknown protocol message kind %q", m.Kind)
	}
	if m.Identifier == nil && m.Kind != domain.ProtocolEccezione {
		fields = append(fields, domain.FieldError{Field: "identifier", Message: "is required in a " + m.Kind})
	}
	if strict && m.Identifier != nil {
		if _, ok := schemaIdentifier(*m.Identifier); !ok || *m.Identifier != mustPad(*m.Identifier) {
			fields = append(fields, domain.FieldError{Field: "identifier", Message: "does not match the schema's IdentificatoreType"})
		}
	}
	if m.Kind != domain.ProtocolAnnullamento && m.Received == nil && strings.TrimSpace(m.Description) == "" {
		fields = append(fields, domain.FieldError{Field: "received", Message: "or a description of the message answered is required"})
	}
	if (m.Kind == domain.ProtocolEccezione || m.Kind == domain.ProtocolAnnullamento) && strings.TrimSpace(m.Reason) == "" {
		fields = append(fields, domain.FieldError{Field: "reason", Message: "is required in a " + m.Kind})
	}
	if m.Kind == domain.ProtocolAnnullamento && strings.TrimSpace(m.Provision) == "" {
		fields = append(fields, domain.FieldError{Field: "provision", Message: "is required in a " + m.Kind})
	}
	if len(fields) > 0 {
		return &domain.Error{Code: domain.ECValidation, Message: "the " + m.Kind + " is not valid", Fields: fields}
	}
	return nil
}

// schemaIdentifier returns id with an all-digit number zero-padded to seven digits, and
// whether it then matches IdentificatoreType.
func schemaIdentifier(id domain.ProtocolID) (domain.ProtocolID, bool) {
	id = mustPad(id)
	_, err := time.Parse(time.DateOnly, id.Date)
	return id, id.IPACode != "" && id.AOOCode != "" && registerPattern.MatchString(id.Register) &&
		numberPattern.MatchString(id.Number) && err == nil
}

// mustPad zero-pads an all-digit number of fewer than seven digits.
func mustPad(id domain.ProtocolID) domain.ProtocolID {
	if id.Number != "" && len(id.Number) < 7 && strings.Trim(id.Number, "0123456789") == "" {
		id.Number = strings.Repeat("0", 7-len(id.Number)) + id.Number
	}
	return id
}

// describeIdentifier names an identifier in words, for DescrizioneMessaggio.
func describeIdentifier(id domain.ProtocolID) string {
	return fmt.Sprintf("protocollo %s/%s/%s n. %s del %s", id.IPACode, id.AOOCode, id.Register, id.Number, id.Date)
}

func writeIdentifier(el *etree.Element, id domain.ProtocolID) {
	text(el, "CodiceAmministrazione", id.IPACode)
	text(el, "CodiceAOO", id.AOOCode)
	text(el, "CodiceRegistro", id.Register)
	text(el, "NumeroRegistrazione", id.Number)
	text(el, "DataRegistrazione", id.Date)
}

// ReadProtocolMessage reads a message between AOOs (domain.ProtocolMessageReader): the 3.0.0
// forms, and the same four roots of the 2013 circular (its namespace) and of the 2001 one (no
// namespace), which carry the same elements. Anything else, or a message lacking what its
// kind requires, is ECValidation.
func ReadProtocolMessage(data []byte) (domain.ProtocolMessage, error) {
	root, err := parseProtocolXML(data, "protocol message")
	if err != nil {
		return domain.ProtocolMessage{}, err
	}
	ns := root.NamespaceURI()
	idNS := ns // the 2013 and 2001 identifiers are in the message's namespace
	switch ns {
	case pecNamespace:
		idNS = protNamespace
	case ns2013, "":
	default:
		return domain.ProtocolMessage{}, domain.Errorf(domain.ECValidation, "not a protocol message: namespace %q", ns)
	}
	m := domain.ProtocolMessage{Kind: root.Tag}
	switch m.Kind {
	case domain.ProtocolConferma, domain.ProtocolAggiornamento, domain.ProtocolEccezione, domain.ProtocolAnnullamento:
	default:
		return domain.ProtocolMessage{}, domain.Errorf(domain.ECValidation, "not a protocol message: the root is %s", root.Tag)
	}
	if el := child(root, ns, "Identificatore"); el != nil {
		if m.Identifier, err = readIdentifier(el, idNS, "Identificatore"); err != nil {
			return domain.ProtocolMessage{}, err
		}
	}
	if received := child(root, ns, "MessaggioRicevuto"); received != nil {
		if el := child(received, ns, "Identificatore"); el != nil {
			if m.Received, err = readIdentifier(el, idNS, "MessaggioRicevuto/Identificatore"); err != nil {
				return domain.ProtocolMessage{}, err
			}
		}
		m.Description = textOf(child(received, ns, "DescrizioneMessaggio"))
	}
	m.Reason = textOf(child(root, ns, "Motivo"))
	m.Provision = textOf(child(root, ns, "Provvedimento"))
	if err := checkProtocolMessage(m, false); err != nil {
		return domain.ProtocolMessage{}, err
	}
	return m, nil
}

// readIdentifier reads an Identificatore whose parts are in namespace ns.
func readIdentifier(el *etree.Element, ns, path string) (*domain.ProtocolID, error) {
	id := &domain.ProtocolID{
		IPACode: textOf(child(el, ns, "CodiceAmministrazione")), AOOCode: textOf(child(el, ns, "CodiceAOO")),
		Register: textOf(child(el, ns, "CodiceRegistro")), Number: textOf(child(el, ns, "NumeroRegistrazione")),
	}
	id.Date = isoDate(textOf(child(el, ns, "DataRegistrazione")))
	parts := []struct{ name, value string }{{"CodiceAmministrazione", id.IPACode}, {"CodiceAOO", id.AOOCode},
		{"CodiceRegistro", id.Register}, {"NumeroRegistrazione", id.Number}, {"DataRegistrazione", id.Date}}
	for _, p := range parts {
		if p.value == "" {
			return nil, domain.Errorf(domain.ECValidation, "%s/%s is missing or not valid", path, p.name)
		}
	}
	return id, nil
}
