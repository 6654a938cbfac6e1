package domain

import (
	"fmt"
	"strings"
)

// An applicant is named by its Italian tax identifier: a person by the codice fiscale (16
// characters, DM 23/12/1976), a business by the partita IVA (11 digits, DPR 633/1972 art. 35),
// which is also the codice fiscale of legal persons. Both carry a check character, so that a
// mistyped identifier is refused at the counter instead of filing a case under nobody.

// ApplicantKind says whether an applicant is a person or a business.
type ApplicantKind string

// Applicant kinds.
const (
	ApplicantPerson   ApplicantKind = "person"
	ApplicantBusiness ApplicantKind = "business"
)

// ParseApplicant normalises a tax identifier (trimmed, upper case) and checks it: a codice
// fiscale with its check character (omocodia included: digits replaced by letters), or a
// partita IVA with its check digit. The error message says what is wrong, for a field error.
func ParseApplicant(s string) (id string, kind ApplicantKind, problem string) {
	id = strings.ToUpper(strings.TrimSpace(s))
	switch len(id) {
	case 16:
		if p := checkCodiceFiscale(id); p != "" {
			return id, "", p
		}
		return id, ApplicantPerson, ""
	case 11:
		if p := checkPartitaIVA(id); p != "" {
			return id, "", p
		}
		return id, ApplicantBusiness, ""
	case 0:
		return id, "", "is required: a codice fiscale or a partita IVA"
	}
	return id, "", "must be a codice fiscale (16 characters) or a partita IVA (11 digits)"
}

// omocodia lists the letters that replace the digits 0-9 in a codice fiscale when two people
// would otherwise share one.
const omocodia = "LMNPQRSTUV"

// cfOddValues are the values of the characters in odd positions (1st, 3rd, …) for the check
// character, indexed by digit (0-9) or letter (A-Z).
var cfOddValues = map[byte]int{
	'0': 1, '1': 0, '2': 5, '3': 7, '4': 9, '5': 13, '6': 15, '7': 17, '8': 19, '9': 21,
	'A': 1, 'B': 0, 'C': 5, 'D': 7, 'E': 9, 'F': 13, 'G': 15, 'H': 17, 'I': 19, 'J': 21, 'K': 2, 'L': 4, 'M': 18,
	'N': 20, 'O': 11, 'P': 3, 'Q': 6, 'R': 8, 'S': 12, 'T': 14, 'U': 16, 'V': 10, 'W': 22, 'X': 25, 'Y': 24, 'Z': 23,
}

func checkCodiceFiscale(cf string) string {
	for i := 0; i < 15; i++ {
		c := cf[i]
		isLetter, isDigit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		// Year, day of birth and the municipality's number hold digits, or their omocodia letters.
		digitPlace := i == 6 || i == 7 || i == 9 || i == 10 || i >= 12
		switch {
		case digitPlace && !isDigit && !strings.ContainsRune(omocodia, rune(c)):
			return fmt.Sprintf("is not a codice fiscale: character %d must be a digit", i+1)
		case !digitPlace && !isLetter:
			return fmt.Sprintf("is not a codice fiscale: character %d must be a letter", i+1)
		}
	}
	if !strings.ContainsRune("ABCDEHLMPRST", rune(cf[8])) {
		return "is not a codice fiscale: the month letter must be one of ABCDEHLMPRST"
	}
	day := cfDigit(cf[9])*10 + cfDigit(cf[10])
	if (day < 1 || day > 31) && (day < 41 || day > 71) {
		return "is not a codice fiscale: the day of birth must be 01-31 (41-71 for women)"
	}
	sum := 0
	for i := 0; i < 15; i++ {
		c := cf[i]
		if i%2 == 0 {
			sum += cfOddValues[c]
		} else if c >= '0' && c <= '9' {
			sum += int(c - '0')
		} else {
			sum += int(c - 'A')
		}
	}
	if want := byte('A' + sum%26); cf[15] != want {
		return "has a wrong check character: the codice fiscale is mistyped"
	}
	return ""
}

// cfDigit is the value of a digit place of a codice fiscale, omocodia letters included.
func cfDigit(c byte) int {
	if c >= '0' && c <= '9' {
		return int(c - '0')
	}
	return strings.IndexByte(omocodia, c)
}

func checkPartitaIVA(piva string) string {
	sum := 0
	for i := 0; i < 11; i++ {
		c := piva[i]
		if c < '0' || c > '9' {
			return "is not a partita IVA: it must be 11 digits"
		}
		d := int(c - '0')
		if i == 10 {
			if (10-sum%10)%10 != d {
				return "has a wrong check digit: the partita IVA is mistyped"
			}
			break
		}
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	if piva[:7] == "0000000" {
		return "is not a partita IVA: the holder's number cannot be zero"
	}
	return ""
}
