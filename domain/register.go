package domain

import (
	"fmt"
	"regexp"
	"time"
)

// AOO is the Area Organizzativa Omogenea that owns the registers: the administration's IPA code
// and the AOO's own code (Codice_uni_aoo, 7 characters) appear in every identifier and segnatura.
type AOO struct {
	IPACode   string    `json:"ipa_code"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

var (
	ipaCodePattern = regexp.MustCompile(`^[a-z0-9_]{2,16}$`)
	aooCodePattern = regexp.MustCompile(`^[A-Za-z0-9]{7}$`)
)

// Validate checks the codes that end up in identifiers.
func (a AOO) Validate() error {
	var v Validation
	if !ipaCodePattern.MatchString(a.IPACode) {
		v.Add("ipa_code", "must be an IPA code: 2-16 lowercase letters, digits or _ (got %q)", a.IPACode)
	}
	if !aooCodePattern.MatchString(a.Code) {
		v.Add("aoo_code", "must be the 7-character Codice_uni_aoo (got %q)", a.Code)
	}
	if a.Name == "" {
		v.Add("name", "is required")
	}
	return v.Err()
}

// Register is a numbered series: the general register `PG` or a special one (repertorio) such as
// resolutions or contracts (R3). Each register has its own counter per calendar year.
type Register struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// AllowUnclassified lets a registration be made without a class, to be classified later
	// (the worklist is GET /v1/registrations?unclassified=true). New registers refuse it by
	// default (C1: every document is classified); the general register PG allows it, as it
	// always has.
	AllowUnclassified bool `json:"allow_unclassified"`
}

// DefaultRegister is the general protocol register every AOO has.
const DefaultRegister = "PG"

var registerCodePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,15}$`)

// Validate checks a new register.
func (r Register) Validate() error {
	var v Validation
	if !registerCodePattern.MatchString(r.Code) {
		v.Add("code", "must be 1-16 uppercase letters, digits or _, starting with a letter")
	}
	if r.Name == "" {
		v.Add("name", "is required")
	}
	return v.Err()
}

// Office is an organisational unit (UOR) that registrations are assigned to.
type Office struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

var officeCodePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

// ValidOfficeCode reports whether code has the shape of an office's code.
func ValidOfficeCode(code string) bool { return officeCodePattern.MatchString(code) }

// Validate checks a new office.
func (o Office) Validate() error {
	var v Validation
	if !officeCodePattern.MatchString(o.Code) {
		v.Add("code", "must be 1-32 letters, digits, '.', '_' or '-'")
	}
	if o.Name == "" {
		v.Add("name", "is required")
	}
	return v.Err()
}

// NumberDigits is the minimum width of a formatted protocol number (N1: at least seven digits).
const NumberDigits = 7

// FormatNumber renders a protocol number with at least seven digits: 42 → "0000042".
func FormatNumber(n int64) string { return fmt.Sprintf("%0*d", NumberDigits, n) }

// Identifier is the registration's unique identifier, binding administration, AOO, register,
// year and number (S1): `c_h501-A1B2C3D-PG-2026-0000042`.
func Identifier(aoo AOO, register string, year int, number int64) string {
	return fmt.Sprintf("%s-%s-%s-%d-%s", aoo.IPACode, aoo.Code, register, year, FormatNumber(number))
}
