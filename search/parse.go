package search

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/sportello/sportello/domain"
)

// clause is one element of a query string: a word, a "phrase" or a prefix*, optionally
// restricted to a field (subject:permesso) or negated (-permesso).
type clause struct {
	field  string
	value  string
	phrase bool
	prefix bool
	negate bool
}

// keywordFields maps the field names a query string may use to the keyword field they match and
// how their values are normalised. `class:VI` matches the class path, so a title finds
// everything filed below it.
var keywordFields = map[string]struct {
	field string
	norm  func(string) string
}{
	"class":        {fClassPath, strings.ToUpper},
	"register":     {fRegister, strings.ToUpper},
	"year":         {fYear, same},
	"direction":    {fDirection, strings.ToLower},
	"channel":      {fChannel, strings.ToLower},
	"status":       {fStatus, strings.ToLower},
	"kind":         {fKind, strings.ToLower},
	"type":         {fType, strings.ToLower},
	"office":       {fOffices, same},
	"offices":      {fOffices, same},
	"identifier":   {fIdentifier, same},
	"ref":          {fRef, normalizeRef},
	"tax_code":     {fTaxCodes, strings.ToUpper},
	"created_by":   {fCreatedBy, same},
	"registration": {fRegistration, same},
}

// textFieldNames maps the field names a query string may use to analysed fields.
var textFieldNames = map[string]string{
	"subject": fSubject, "description": fDescription, "text": fText, "correspondent": fCorrespondents, "correspondents": fCorrespondents,
}

func same(s string) string { return s }

var (
	refPattern        = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_]*)/(\d{4})/(\d{1,7})$`)
	identifierPattern = regexp.MustCompile(`^[A-Za-z0-9_]+-[A-Za-z0-9]+-[A-Za-z0-9_]+-\d{4}-\d{7}$`)
	// dossierPattern is a dossier's identifier, year-class-number: 2026-VI.3-000012.
	dossierPattern = regexp.MustCompile(`^\d{4}-[IVXLCDMivxlcdm]+(\.\d+)*-\d{6,}$`)
)

// normalizeRef writes a reference the way the index stores it: PG/2026/42 → PG/2026/0000042.
func normalizeRef(s string) string {
	m := refPattern.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	year, _ := strconv.Atoi(m[2])
	n, _ := strconv.ParseInt(m[3], 10, 64)
	return domain.Ref{Register: strings.ToUpper(m[1]), Year: year, Number: n}.String()
}

// lex splits a query string into clauses. An unknown `name:` stays part of a plain word, so
// "ore 10:30" is not an error; an unterminated quote runs to the end.
func lex(q string) []clause {
	var out []clause
	rs := []rune(q)
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		var c clause
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			c.negate = true
			i++
		}
		if j := fieldEnd(rs, i); j > 0 {
			name := strings.ToLower(string(rs[i:j]))
			_, kw := keywordFields[name]
			_, txt := textFieldNames[name]
			if kw || txt {
				c.field = name
				i = j + 1
			}
		}
		if i < len(rs) && rs[i] == '"' {
			end := i + 1
			for end < len(rs) && rs[end] != '"' {
				end++
			}
			c.value, c.phrase = string(rs[i+1:end]), true
			i = min(end+1, len(rs))
		} else {
			end := i
			for end < len(rs) && !unicode.IsSpace(rs[end]) {
				end++
			}
			c.value = string(rs[i:end])
			i = end
			if v, ok := strings.CutSuffix(c.value, "*"); ok {
				c.value, c.prefix = v, true
			}
		}
		if strings.TrimSpace(c.value) != "" {
			out = append(out, c)
		}
	}
	return out
}

// fieldEnd returns the index of the ':' ending a field name starting at i, or -1.
func fieldEnd(rs []rune, i int) int {
	for j := i; j < len(rs); j++ {
		switch r := rs[j]; {
		case r == ':':
			if j > i {
				return j
			}
			return -1
		case r != '_' && !unicode.IsLetter(r):
			return -1
		}
	}
	return -1
}

// parse turns a query string into a bleve query: every clause must match (AND), plain words
// match any text field after Italian analysis, and a protocol reference or identifier matches
// that registration (or dossier) exactly. It returns nil for a query with nothing to search
// (empty, or only stop words), which the caller treats as "everything".
func parse(q string) (query.Query, error) {
	var must, mustNot []query.Query
	for _, c := range lex(q) {
		cq, err := c.query()
		if err != nil {
			return nil, err
		}
		switch {
		case cq == nil:
		case c.negate:
			mustNot = append(mustNot, cq)
		default:
			must = append(must, cq)
		}
	}
	if len(mustNot) == 0 {
		switch len(must) {
		case 0:
			return nil, nil
		case 1:
			return must[0], nil
		}
		return query.NewConjunctionQuery(must), nil
	}
	if len(must) == 0 {
		must = append(must, query.NewMatchAllQuery())
	}
	b := query.NewBooleanQuery(must, nil, mustNot)
	return b, nil
}

// query returns the bleve query of one clause, or nil when analysis leaves nothing of it.
func (c clause) query() (query.Query, error) {
	if kw, ok := keywordFields[c.field]; ok {
		v := kw.norm(c.value)
		if c.prefix {
			return fieldPrefix(kw.field, v), nil
		}
		return fieldTerm(kw.field, v), nil
	}
	if c.field == "" && !c.phrase && !c.prefix {
		switch {
		case refPattern.MatchString(c.value):
			return fieldTerm(fRef, normalizeRef(c.value)), nil
		case identifierPattern.MatchString(c.value):
			return fieldTerm(fIdentifier, c.value), nil
		case dossierPattern.MatchString(c.value):
			return fieldTerm(fIdentifier, strings.ToUpper(c.value)), nil
		}
	}
	fields := textFields
	if f, ok := textFieldNames[c.field]; ok {
		fields = []string{f}
	}
	switch {
	case c.phrase:
		return phrase(fields, c.value), nil
	case c.prefix:
		p := fold(c.value)
		if len([]rune(p)) < 2 {
			return nil, domain.Errorf(domain.ECValidation, "prefix %q: at least two letters before *", c.value+"*")
		}
		qs := make([]query.Query, len(fields))
		for i, f := range fields {
			qs[i] = fieldPrefix(f, p)
		}
		return anyOf(qs), nil
	}
	return words(fields, c.value, c.field == ""), nil
}

// words matches every token the analyzer makes of value, each in any of fields. An unfielded
// word may also be a correspondent's tax code.
func words(fields []string, value string, taxCode bool) query.Query {
	var all []query.Query
	for _, tok := range queryAnalyzer.Analyze([]byte(value)) {
		qs := make([]query.Query, 0, len(fields)+1)
		for _, f := range fields {
			qs = append(qs, fieldTerm(f, string(tok.Term)))
		}
		all = append(all, anyOf(qs))
	}
	if len(all) == 0 {
		return nil // only stop words
	}
	if taxCode {
		return anyOf([]query.Query{allOf(all), fieldTerm(fTaxCodes, strings.ToUpper(value))})
	}
	return allOf(all)
}

func phrase(fields []string, value string) query.Query {
	if len(queryAnalyzer.Analyze([]byte(value))) == 0 {
		return nil
	}
	qs := make([]query.Query, len(fields))
	for i, f := range fields {
		p := query.NewMatchPhraseQuery(value)
		p.SetField(f)
		p.Analyzer = analyzerName
		qs[i] = p
	}
	return anyOf(qs)
}

var queryAnalyzer = newMapping().AnalyzerNamed(analyzerName)

func fieldTerm(field, value string) query.Query {
	t := query.NewTermQuery(value)
	t.SetField(field)
	return t
}

func fieldPrefix(field, value string) query.Query {
	p := query.NewPrefixQuery(value)
	p.SetField(field)
	return p
}

func anyOf(qs []query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

func allOf(qs []query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewConjunctionQuery(qs)
}
