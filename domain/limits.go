package domain

import "regexp"

// Patterns are the shapes of the codes the API accepts, by the name the API's types give them
// (`extensions:"x-pattern=office"`). internal/openapigen writes each into openapi.yaml as that
// field's `pattern`, so that the contract states the very expression validation uses; the
// expressions keep to the syntax Go and ECMA-262 (JSON Schema's dialect) read alike.
var Patterns = map[string]*regexp.Regexp{
	"register":        registerCodePattern,
	"office":          officeCodePattern,
	"class":           classPattern,
	"tax_code":        taxCodePattern,
	"procedure":       procedureCodePattern,
	"protocol_number": ProtocolNumberPattern,
	"ipa_code":        directoryCodePattern,
}

// ProtocolNumberPattern is a protocol number as people copy it: bare (`42`) or with the
// leading zeros of a stamp (`0000042`), never zero, at most 15 significant digits.
var ProtocolNumberPattern = regexp.MustCompile(`^0*[1-9][0-9]{0,14}$`)
