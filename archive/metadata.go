// Package archive writes what leaves Sportello for a conservation system: the Allegato 5
// metadata of registrations and dossiers as XML (docs/metadata.md), and the archive packages —
// zips with a UNI SInCRO index, sealed and time-stamped (docs/package-format.md). The metadata
// and the package format know no storage or HTTP, so the API and the packages write the same
// bytes; Builder reads what a package holds through the domain's service and ports.
package archive

import (
	"bytes"
	"encoding/xml"
	"fmt"

	"github.com/sportello/sportello/domain"
)

// registrationXML is the root of a registration's metadata: the primary document's
// DocumentoAmministrativoInformatico, then each attachment's.
type registrationXML struct {
	XMLName xml.Name `xml:"Metadati"`
	domain.RegistrationMetadata
}

// aggregateXML is the root of a dossier's metadata.
type aggregateXML struct {
	XMLName xml.Name `xml:"AggregazioneDocumentaliInformatiche"`
	domain.AggregazioneDocumentaliInformatiche
}

// RegistrationMetadataXML writes m as XML: a Metadati element holding one
// DocumentoAmministrativoInformatico per document, whose elements carry the annex's names in
// the annex's order (the order of the domain's fields), indented by two spaces, in UTF-8.
func RegistrationMetadataXML(m domain.RegistrationMetadata) ([]byte, error) {
	return marshal(registrationXML{RegistrationMetadata: m})
}

// AggregateMetadataXML writes a dossier's metadata as an AggregazioneDocumentaliInformatiche
// element, like RegistrationMetadataXML.
func AggregateMetadataXML(m domain.AggregazioneDocumentaliInformatiche) ([]byte, error) {
	return marshal(aggregateXML{AggregazioneDocumentaliInformatiche: m})
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("metadata XML: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// documentXML is the root of an unregistered document's metadata.
type documentXML struct {
	XMLName xml.Name `xml:"Metadati"`
	domain.DocumentMetadata
}

// DocumentMetadataXML writes an unregistered document's metadata as a Metadati element holding
// its DocumentoInformatico, like RegistrationMetadataXML.
func DocumentMetadataXML(m domain.DocumentMetadata) ([]byte, error) {
	return marshal(documentXML{DocumentMetadata: m})
}
