package domain

import (
	"net/mail"
	"regexp"
	"strings"
)

// directoryCodePattern is a code of the IPA directory: Codice_IPA (`c_h501`, `APBar`,
// `istsc_naic8a400v`), Codice_uni_aoo (7 characters) or Codice_uni_uo (6). The published
// codes mix cases and use `_`, so the pattern admits both, with length to spare.
var directoryCodePattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

// MaxDigitalAddress is the longest digital address accepted, in bytes: the longest path SMTP
// carries (RFC 5321, 256 octets with the angle brackets).
const MaxDigitalAddress = 254

// ValidDirectoryCode reports whether s has the shape of an IPA, AOO or UO code.
func ValidDirectoryCode(s string) bool { return directoryCodePattern.MatchString(s) }

// DigitalAddressProblem says what is wrong with a PEC or e-mail address, or "" if nothing is:
// it must be a bare address (`protocollo@pec.comune.example.it`), which mail can be sent to as
// it is — no display name, no angle brackets, no comments, no control character.
func DigitalAddressProblem(s string) string {
	switch {
	case len(s) > MaxDigitalAddress:
		return "must be at most 254 bytes"
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "must not contain control characters"
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "must be a bare e-mail address such as protocollo@pec.comune.example.it, without a display name"
	}
	return ""
}

// validateAdministrationCodes checks the IPA codes and the digital address of correspondent f.
// The codes identify an administration's AOO and office, so they need the administration's
// own code and belong to an administration only.
func validateAdministrationCodes(v *Validation, f string, c Correspondent) {
	codes := []struct{ field, value string }{{"ipa_code", c.IPACode}, {"aoo_code", c.AOOCode}, {"uo_code", c.UOCode}}
	for _, code := range codes {
		switch {
		case code.value == "":
		case c.Type != TypeAdministration:
			v.Add(f+"."+code.field, "is only for a correspondent of type administration")
		case !ValidDirectoryCode(code.value):
			v.Add(f+"."+code.field, "must be an IPA code: 1 to 32 letters, digits or _")
		}
	}
	if c.IPACode == "" && (c.AOOCode != "" || c.UOCode != "") && c.Type == TypeAdministration {
		v.Add(f+".ipa_code", "is required with aoo_code or uo_code: they are codes within the administration")
	}
	if c.DigitalAddress != "" {
		if problem := DigitalAddressProblem(c.DigitalAddress); problem != "" {
			v.Add(f+".digital_address", "%s", problem)
		}
	}
}
