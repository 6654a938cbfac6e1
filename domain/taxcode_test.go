package domain

import (
	"strings"
	"testing"
)

func TestParseApplicant(t *testing.T) {
	for _, tc := range []struct {
		name, in, id string
		kind         ApplicantKind
		problem      string // a word of the message; "" when valid
	}{
		{"CodiceFiscale", "RSSMRA80A01H501U", "RSSMRA80A01H501U", ApplicantPerson, ""},
		{"CodiceFiscaleLowerCaseTrimmed", " rssmra80a01h501u ", "RSSMRA80A01H501U", ApplicantPerson, ""},
		{"CodiceFiscaleWoman", "BNCLRA85M52F205I", "BNCLRA85M52F205I", ApplicantPerson, ""},
		{"CodiceFiscaleBornIn1813", "VRDGPP13R10B293P", "VRDGPP13R10B293P", ApplicantPerson, ""},
		{"CodiceFiscaleOmocodia", "RSSMRA80A01H50MM", "RSSMRA80A01H50MM", ApplicantPerson, ""},
		{"CodiceFiscaleAllOmocodia", "RSSMRAULALMHRLMD", "RSSMRAULALMHRLMD", ApplicantPerson, ""},
		{"PartitaIVA", "00743110157", "00743110157", ApplicantBusiness, ""},
		{"PartitaIVAClassic", "12345678903", "12345678903", ApplicantBusiness, ""},
		{"ErrCodiceFiscaleCheckCharacter", "RSSMRA80A01H501V", "RSSMRA80A01H501V", "", "check character"},
		{"ErrCodiceFiscaleOmocodiaKeepsOldCheck", "RSSMRA80A01H50MU", "RSSMRA80A01H50MU", "", "check character"},
		{"ErrCodiceFiscaleLetterForDigit", "RSSMRA8AA01H501U", "RSSMRA8AA01H501U", "", "character 8 must be a digit"},
		{"ErrCodiceFiscaleDigitForLetter", "R5SMRA80A01H501U", "R5SMRA80A01H501U", "", "character 2 must be a letter"},
		{"ErrCodiceFiscaleMonth", "RSSMRA80F01H501U", "RSSMRA80F01H501U", "", "month"},
		{"ErrCodiceFiscaleDay", "RSSMRA80A35H501U", "RSSMRA80A35H501U", "", "day"},
		{"ErrPartitaIVACheckDigit", "00743110158", "00743110158", "", "check digit"},
		{"ErrPartitaIVANotDigits", "0074311015X", "0074311015X", "", "11 digits"},
		{"ErrPartitaIVAZeroHolder", "00000000000", "00000000000", "", "zero"},
		{"ErrLength", "RSSMRA80A0", "RSSMRA80A0", "", "16 characters"},
		{"ErrElevenLetters", "RSSMRA80A01", "RSSMRA80A01", "", "11 digits"},
		{"ErrEmpty", "  ", "", "", "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, kind, problem := ParseApplicant(tc.in)
			if id != tc.id || kind != tc.kind {
				t.Errorf("ParseApplicant(%q) = %q, %q", tc.in, id, kind)
			}
			if (tc.problem == "") != (problem == "") || !strings.Contains(problem, tc.problem) {
				t.Errorf("ParseApplicant(%q) problem %q, want one with %q", tc.in, problem, tc.problem)
			}
		})
	}
}
