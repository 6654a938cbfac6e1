package domain

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ipaColumns are the columns of each IPA list that Sportello reads, by their published names;
// the first ones of each are required. Column names are matched in any case, in any order;
// the lists' other columns are ignored.
var ipaColumns = map[DirectoryList][]string{
	DirectoryAdministrations: {"Codice_IPA", "Denominazione_ente", "Codice_fiscale_ente"},
	DirectoryAOOs:            {"Codice_IPA", "Codice_uni_aoo", "Denominazione_aoo"},
	DirectoryUOs:             {"Codice_IPA", "Codice_uni_uo", "Descrizione_uo", "Codice_uni_aoo"},
}

var ipaRequired = map[DirectoryList]int{DirectoryAdministrations: 2, DirectoryAOOs: 3, DirectoryUOs: 3}

// ipaMailColumns is how many e-mail addresses (Mail1 … Mail5, each with its Tipo_MailN, "Pec"
// or "Altro") a list row may carry.
const ipaMailColumns = 5

// maxIPAErrors stops the reading of a file once this many bad values are found (the row
// being read reports all of its own): a file of the wrong list would otherwise answer one
// error per line.
const maxIPAErrors = 50

// maxDirectoryName is the longest name kept, in characters (the lists' own limit).
const maxDirectoryName = 1000

// ParseIPAList reads an IPA open-data list as published: text with a header row, separated by
// tabs, commas or semicolons (whichever the header uses most), UTF-8 with or without a byte
// order mark, fields optionally quoted. It returns the administrations or the AOOs; each keeps
// the first PEC among its Mail columns as digital address, or else the first address. Returns
// validation_failed naming `line N: column` for each bad value (the header is line 1), and
// nothing at all then.
func ParseIPAList(content []byte, list DirectoryList) ([]DirectoryAdministration, []DirectoryAOO, error) {
	if list == DirectoryUOs {
		return nil, nil, Invalid("kind", "must be administrations or aoos: read the UOs with ParseIPAUOs")
	}
	l, err := parseIPAList(content, list)
	return l.admins, l.aoos, err
}

// ParseIPAUOs reads the IPA list of the UOs ("Unità Organizzative": Codice_IPA, Codice_uni_uo,
// Descrizione_uo and, when the UO belongs to one, Codice_uni_aoo) as ParseIPAList reads the
// others. A UO is identified by its code within its administration.
func ParseIPAUOs(content []byte) ([]DirectoryUO, error) {
	l, err := parseIPAList(content, DirectoryUOs)
	return l.uos, err
}

// ipaEntries are the entries of one list read.
type ipaEntries struct {
	admins []DirectoryAdministration
	aoos   []DirectoryAOO
	uos    []DirectoryUO
}

// parseIPAList reads any of the lists (see ParseIPAList).
func parseIPAList(content []byte, list DirectoryList) (ipaEntries, error) {
	wanted, ok := ipaColumns[list]
	if !ok {
		return ipaEntries{}, Invalid("kind", "must be administrations, aoos or uos")
	}
	content = bytes.TrimPrefix(content, []byte("\ufeff"))
	header, _, _ := bytes.Cut(content, []byte("\n"))
	cr := csv.NewReader(bytes.NewReader(content))
	cr.Comma = delimiterOf(header)
	cr.FieldsPerRecord, cr.LazyQuotes = -1, true
	names, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return ipaEntries{}, Invalid("line 1", "the file is empty: want a header row naming %s", strings.Join(wanted[:ipaRequired[list]], ", "))
	}
	if err != nil {
		return ipaEntries{}, csvError(err)
	}
	col := map[string]int{}
	var v Validation
	for i, name := range names {
		key := strings.ToLower(strings.TrimSpace(name))
		if _, dup := col[key]; dup && key != "" {
			v.Add("line 1: "+name, "repeated column")
		}
		col[key] = i
	}
	for _, name := range wanted[:ipaRequired[list]] {
		if _, ok := col[strings.ToLower(name)]; !ok {
			v.Add("line 1: "+name, "missing column: the %s list has %s", list, strings.Join(wanted[:ipaRequired[list]], ", "))
		}
	}
	if err := v.Err(); err != nil {
		return ipaEntries{}, err
	}
	var (
		out  ipaEntries
		seen = map[string]int{}
	)
	for v.Len() < maxIPAErrors {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ipaEntries{}, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(names) {
			v.Add(fmt.Sprintf("line %d", line), "has %d fields, the header %d", len(rec), len(names))
			continue
		}
		r := ipaRow{v: &v, line: line, rec: rec, col: col, names: names}
		ipa := r.code("Codice_IPA")
		switch list {
		case DirectoryAdministrations:
			key := strings.ToLower(ipa)
			r.unique(seen, key, "Codice_IPA")
			out.admins = append(out.admins, DirectoryAdministration{IPACode: ipa, Name: r.name("Denominazione_ente"),
				TaxCode: r.taxCode("Codice_fiscale_ente"), DigitalAddress: r.digitalAddress()})
		case DirectoryAOOs:
			aoo := r.code("Codice_uni_aoo")
			r.unique(seen, strings.ToLower(ipa)+"/"+strings.ToLower(aoo), "Codice_uni_aoo")
			out.aoos = append(out.aoos, DirectoryAOO{IPACode: ipa, AOOCode: aoo, Name: r.name("Denominazione_aoo"),
				DigitalAddress: r.digitalAddress()})
		case DirectoryUOs:
			uo := r.code("Codice_uni_uo")
			r.unique(seen, strings.ToLower(ipa)+"/"+strings.ToLower(uo), "Codice_uni_uo")
			aoo := ""
			if s, _ := r.get("Codice_uni_aoo"); s != "" {
				aoo = r.code("Codice_uni_aoo")
			}
			out.uos = append(out.uos, DirectoryUO{IPACode: ipa, UOCode: uo, AOOCode: aoo, Name: r.name("Descrizione_uo"),
				DigitalAddress: r.digitalAddress()})
		}
	}
	if err := v.Err(); err != nil {
		return ipaEntries{}, err
	}
	if len(out.admins)+len(out.aoos)+len(out.uos) == 0 {
		return ipaEntries{}, Invalid("line 2", "the file has a header but no %s", list)
	}
	return out, nil
}

// delimiterOf is the separator the header row uses most: a tab, a comma or a semicolon.
func delimiterOf(header []byte) rune {
	best, most := ',', 0
	for _, d := range []rune{'\t', ';', ','} {
		if n := bytes.Count(header, []byte(string(d))); n > most {
			best, most = d, n
		}
	}
	return best
}

// ipaRow reads the values of one row, recording each bad one as `line N: column`.
type ipaRow struct {
	v     *Validation
	line  int
	rec   []string
	col   map[string]int
	names []string
}

func (r ipaRow) get(name string) (value, column string) {
	i, ok := r.col[strings.ToLower(name)]
	if !ok {
		return "", name
	}
	return strings.TrimSpace(r.rec[i]), r.names[i]
}

func (r ipaRow) add(column, format string, args ...any) {
	r.v.Add(fmt.Sprintf("line %d: %s", r.line, strings.TrimSpace(column)), format, args...)
}

func (r ipaRow) code(name string) string {
	s, column := r.get(name)
	if !ValidDirectoryCode(s) {
		r.add(column, "must be an IPA code: 1 to 32 letters, digits or _, not %q", s)
	}
	return s
}

func (r ipaRow) name(name string) string {
	s, column := r.get(name)
	switch {
	case s == "":
		r.add(column, "is required")
	case len([]rune(s)) > maxDirectoryName:
		r.add(column, "must be at most %d characters", maxDirectoryName)
	case strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f }):
		r.add(column, "must not contain control characters (a line break inside quotes?)")
	}
	return s
}

func (r ipaRow) taxCode(name string) string {
	s, column := r.get(name)
	if s != "" && !taxCodePattern.MatchString(s) {
		r.add(column, "must be a codice fiscale or a partita IVA, not %q", s)
	}
	return s
}

// unique records key as seen on this line, or names the line that had it first.
func (r ipaRow) unique(seen map[string]int, key, column string) {
	if first, dup := seen[key]; dup {
		_, name := r.get(column)
		r.add(name, "repeats the entry of line %d", first)
		return
	}
	seen[key] = r.line
}

// digitalAddress checks the row's Mail columns and returns its first PEC, or else its first
// address.
func (r ipaRow) digitalAddress() string {
	first, pec := "", ""
	for n := 1; n <= ipaMailColumns; n++ {
		s, column := r.get(fmt.Sprintf("Mail%d", n))
		if s == "" {
			continue
		}
		if problem := DigitalAddressProblem(s); problem != "" {
			r.add(column, "%s", problem)
			continue
		}
		kind, _ := r.get(fmt.Sprintf("Tipo_Mail%d", n))
		if first == "" {
			first = s
		}
		if pec == "" && strings.EqualFold(kind, "pec") {
			pec = s
		}
	}
	if pec != "" {
		return pec
	}
	return first
}
