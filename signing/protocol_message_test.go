package signing

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/segnaturacheck"
)

var (
	ours   = domain.ProtocolID{IPACode: "r_lazio", AOOCode: "AOO0001", Register: "PG", Number: "0000107", Date: "2026-03-02"}
	theirs = domain.ProtocolID{IPACode: "c_h501", AOOCode: "A1B2C3D", Register: "PG", Number: "0000042", Date: "2026-03-01"}
)

// TestProtocolMessages writes every kind of message between AOOs, checks it against
// pec_message.xsd with xmllint, and reads it back equal.
func TestProtocolMessages(t *testing.T) {
	for name, m := range map[string]domain.ProtocolMessage{
		"Conferma":            {Kind: domain.ProtocolConferma, Identifier: &ours, Received: &theirs},
		"ConfermaDescrizione": {Kind: domain.ProtocolConferma, Identifier: &ours, Description: "Messaggio del 1° marzo <senza segnatura>"},
		"Aggiornamento":       {Kind: domain.ProtocolAggiornamento, Identifier: &ours, Received: &theirs},
		"Eccezione":           {Kind: domain.ProtocolEccezione, Received: &theirs, Reason: "002: \"relazione.pdf\" does not match its Impronta"},
		"EccezioneRegistrata": {Kind: domain.ProtocolEccezione, Identifier: &ours, Received: &theirs, Reason: "001: seal"},
		"Annullamento":        {Kind: domain.ProtocolAnnullamento, Identifier: &ours, Reason: "Registrazione errata", Provision: "Provvedimento del RGD n. 3/2026"},
	} {
		t.Run(name, func(t *testing.T) {
			xml, err := WriteProtocolMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(xml), `pec:versione="3.0.0" pec:lang="it"`) {
				t.Errorf("no qualified versione and lang:\n%s", xml)
			}
			got, err := ReadProtocolMessage(xml)
			if err != nil {
				t.Fatalf("%v\n%s", err, xml)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("read back\n%+v\nwant\n%+v\n%s", got, m, xml)
			}
			segnaturacheck.CheckProtocolMessage(t, "..", xml)
		})
	}
}

// TestWriteProtocolMessageFromOlderSystems answers identifiers the schema's patterns refuse:
// a short number is zero-padded, anything else described in DescrizioneMessaggio, so the
// answer stays valid.
func TestWriteProtocolMessageFromOlderSystems(t *testing.T) {
	short := domain.ProtocolID{IPACode: "c_a944", AOOCode: "PROTBO", Register: "GEN", Number: "4711", Date: "2003-11-20"}
	spaced := domain.ProtocolID{IPACode: "c_a944", AOOCode: "PROTBO", Register: "Protocollo generale", Number: "4711", Date: "2003-11-20"}
	for name, tc := range map[string]struct {
		received domain.ProtocolID
		want     domain.ProtocolMessage
	}{
		"Padded": {short, domain.ProtocolMessage{Kind: domain.ProtocolConferma, Identifier: &ours,
			Received: &domain.ProtocolID{IPACode: "c_a944", AOOCode: "PROTBO", Register: "GEN", Number: "0004711", Date: "2003-11-20"}}},
		"Described": {spaced, domain.ProtocolMessage{Kind: domain.ProtocolConferma, Identifier: &ours,
			Description: "protocollo c_a944/PROTBO/Protocollo generale n. 4711 del 2003-11-20"}},
	} {
		t.Run(name, func(t *testing.T) {
			received := tc.received
			xml, err := WriteProtocolMessage(domain.ProtocolMessage{Kind: domain.ProtocolConferma, Identifier: &ours, Received: &received})
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReadProtocolMessage(xml)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("read back %+v, want %+v", got, tc.want)
			}
			segnaturacheck.CheckProtocolMessage(t, "..", xml)
		})
	}
}

// TestWriteProtocolMessageRefuses refuses, naming the field, what the schema would refuse.
func TestWriteProtocolMessageRefuses(t *testing.T) {
	bad := ours
	bad.Number = "107"
	for name, tc := range map[string]struct {
		m     domain.ProtocolMessage
		field string
	}{
		"NoIdentifier":     {domain.ProtocolMessage{Kind: domain.ProtocolConferma, Received: &theirs}, "identifier"},
		"BadIdentifier":    {domain.ProtocolMessage{Kind: domain.ProtocolConferma, Identifier: &bad, Received: &theirs}, "identifier"},
		"NothingReceived":  {domain.ProtocolMessage{Kind: domain.ProtocolAggiornamento, Identifier: &ours}, "received"},
		"NoReason":         {domain.ProtocolMessage{Kind: domain.ProtocolEccezione, Received: &theirs}, "reason"},
		"NoProvision":      {domain.ProtocolMessage{Kind: domain.ProtocolAnnullamento, Identifier: &ours, Reason: "errore"}, "provision"},
		"UnknownKind":      {domain.ProtocolMessage{Kind: "Segnatura", Identifier: &ours}, ""},
		"AnnulmentNoIdent": {domain.ProtocolMessage{Kind: domain.ProtocolAnnullamento, Reason: "errore", Provision: "atto"}, "identifier"},
	} {
		t.Run(name, func(t *testing.T) {
			xml, err := WriteProtocolMessage(tc.m)
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.ECValidation {
				t.Fatalf("WriteProtocolMessage = %s, %v; want validation_failed", xml, err)
			}
			if tc.field != "" && (len(de.Fields) != 1 || de.Fields[0].Field != tc.field) {
				t.Fatalf("fields %+v, want %s", de.Fields, tc.field)
			}
		})
	}
}

// TestReadProtocolMessageOlderForms reads the 2013 circular's messages (its namespace, valid
// against its schema) and the 2001 one's (no namespace, valid against its DTD) into the same
// struct.
func TestReadProtocolMessageOlderForms(t *testing.T) {
	const id2013 = `<Identificatore><CodiceAmministrazione>r_lombar</CodiceAmministrazione><CodiceAOO>AOO_GIUNTA</CodiceAOO>` +
		`<CodiceRegistro>PG</CodiceRegistro><NumeroRegistrazione>0000099</NumeroRegistrazione><DataRegistrazione>2019-05-15</DataRegistrazione></Identificatore>`
	const received = `<MessaggioRicevuto><Identificatore><CodiceAmministrazione>c_f205</CodiceAmministrazione><CodiceAOO>AOO_MI</CodiceAOO>` +
		`<CodiceRegistro>PG</CodiceRegistro><NumeroRegistrazione>0012345</NumeroRegistrazione><DataRegistrazione>2019-05-14</DataRegistrazione></Identificatore></MessaggioRicevuto>`
	lombardia := &domain.ProtocolID{IPACode: "r_lombar", AOOCode: "AOO_GIUNTA", Register: "PG", Number: "0000099", Date: "2019-05-15"}
	milano := &domain.ProtocolID{IPACode: "c_f205", AOOCode: "AOO_MI", Register: "PG", Number: "0012345", Date: "2019-05-14"}
	for name, tc := range map[string]struct {
		xml, schema string
		want        domain.ProtocolMessage
	}{
		"Conferma2013": {`<?xml version="1.0" encoding="UTF-8"?><ConfermaRicezione xmlns="http://www.digitPa.gov.it/protocollo/" versione="aaaa-mm-gg">` +
			id2013 + received + `</ConfermaRicezione>`, segnaturacheck.Schema2013,
			domain.ProtocolMessage{Kind: domain.ProtocolConferma, Identifier: lombardia, Received: milano}},
		"Eccezione2013": {`<?xml version="1.0" encoding="UTF-8"?><NotificaEccezione xmlns="http://www.digitPa.gov.it/protocollo/">` +
			received + `<Motivo>Impronta non corrispondente</Motivo></NotificaEccezione>`, segnaturacheck.Schema2013,
			domain.ProtocolMessage{Kind: domain.ProtocolEccezione, Received: milano, Reason: "Impronta non corrispondente"}},
		"Annullamento2001": {`<?xml version="1.0" encoding="UTF-8"?><AnnullamentoProtocollazione>` + id2013 +
			`<Motivo>Doppia registrazione</Motivo><Provvedimento>Disposizione n. 1</Provvedimento></AnnullamentoProtocollazione>`, segnaturacheck.DTD2001,
			domain.ProtocolMessage{Kind: domain.ProtocolAnnullamento, Identifier: lombardia, Reason: "Doppia registrazione", Provision: "Disposizione n. 1"}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ReadProtocolMessage([]byte(tc.xml))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("read %+v, want %+v", got, tc.want)
			}
			segnaturacheck.Validate(t, "..", tc.schema, []byte(tc.xml))
		})
	}
}

// TestReadProtocolMessageRefuses refuses what is not a message between AOOs or lacks what its
// kind requires.
func TestReadProtocolMessageRefuses(t *testing.T) {
	for name, data := range map[string]string{
		"NotXML":      "ciao",
		"Segnatura":   `<prot:SegnaturaInformatica xmlns:prot="http://www.agid.gov.it/protocollo/"/>`,
		"OtherNS":     `<ConfermaRicezione xmlns="urn:x"/>`,
		"NoReceived":  `<pec:ConfermaRicezione xmlns:pec="http://www.agid.gov.it/protocollo/pec/"/>`,
		"PartialID":   `<pec:NotificaEccezione xmlns:pec="http://www.agid.gov.it/protocollo/pec/"><pec:Identificatore/><pec:MessaggioRicevuto><pec:DescrizioneMessaggio>x</pec:DescrizioneMessaggio></pec:MessaggioRicevuto><pec:Motivo>m</pec:Motivo></pec:NotificaEccezione>`,
		"NoMotivo":    `<NotificaEccezione><MessaggioRicevuto><DescrizioneMessaggio>x</DescrizioneMessaggio></MessaggioRicevuto></NotificaEccezione>`,
		"EntityLaugh": `<!DOCTYPE a [<!ENTITY a "aaaa">]><NotificaEccezione><Motivo>&a;</Motivo></NotificaEccezione>`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ReadProtocolMessage([]byte(data))
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.ECValidation {
				t.Fatalf("ReadProtocolMessage = %+v, %v; want validation_failed", got, err)
			}
		})
	}
}
