package search

import (
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/it"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/stop"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/analysis/tokenmap"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Field names in the index.
const (
	fKind           = "kind"
	fIdentifier     = "identifier"
	fRef            = "ref"
	fRegister       = "register"
	fYear           = "year"
	fDate           = "date"
	fRegisteredAt   = "registered_at"
	fSortDate       = "sort_date"
	fDirection      = "direction"
	fChannel        = "channel"
	fClass          = "class"
	fClassPath      = "class_path"
	fOffices        = "offices"
	fStatus         = "status"
	fType           = "type"
	fConfidential   = "confidential"
	fCreatedBy      = "created_by"
	fParties        = "parties"
	fSubject        = "subject"
	fDescription    = "description"
	fRegistration   = "registration"
	fCorrespondents = "correspondents"
	fTaxCodes       = "tax_codes"
	fText           = "text"
)

// textFields are analysed with analyzerName; plain words in a query search all of them.
var textFields = []string{fSubject, fDescription, fCorrespondents, fText}

// analyzerName is the Italian analyzer with accent folding. bleve's own `it` analyzer folds
// accents only inside its light stemmer, which leaves words shorter than six letters alone:
// "città" would not be found by "citta", as people type on keyboards without accents. So
// accents are folded first, and the stop words are folded the same way so "perché" and "più"
// still go.
const analyzerName = "it_folded"

const stopMapName = "it_stop_folded"

// newMapping returns the mapping of every shard. It is stored in each shard on creation, so a
// change here needs a reindex.
func newMapping() *mapping.IndexMappingImpl {
	m := italianMapping()
	doc := bleve.NewDocumentStaticMapping()
	for _, f := range []string{fKind, fIdentifier} {
		doc.AddFieldMappingsAt(f, keywordField(true))
	}
	for _, f := range []string{fRef, fRegister, fYear, fDirection, fChannel, fClass, fClassPath,
		fOffices, fStatus, fType, fRegistration, fCreatedBy, fParties, fTaxCodes, fSortDate} {
		doc.AddFieldMappingsAt(f, keywordField(false))
	}
	// Subject and text are stored with term vectors only because highlighting needs them.
	doc.AddFieldMappingsAt(fSubject, textField(true))
	doc.AddFieldMappingsAt(fText, textField(true))
	doc.AddFieldMappingsAt(fCorrespondents, textField(false))
	doc.AddFieldMappingsAt(fDescription, textField(false))
	doc.AddFieldMappingsAt(fDate, dateField(true))
	doc.AddFieldMappingsAt(fRegisteredAt, dateField(false))
	b := bleve.NewBooleanFieldMapping()
	b.IncludeInAll, b.DocValues = false, false
	doc.AddFieldMappingsAt(fConfidential, b)
	m.DefaultMapping = doc
	return m
}

// italianMapping is an index mapping whose default analyzer is analyzerName, with nothing
// dynamic: the archive's shards and the catalogue (catalogue.go) analyse Italian alike.
func italianMapping() *mapping.IndexMappingImpl {
	m := bleve.NewIndexMapping()
	must(m.AddCustomTokenMap(stopMapName, map[string]any{"type": tokenmap.Name, "tokens": foldedStopWords()}))
	must(m.AddCustomTokenFilter(stopMapName, map[string]any{"type": stop.Name, "stop_token_map": stopMapName}))
	must(m.AddCustomAnalyzer(analyzerName, map[string]any{
		"type":         custom.Name,
		"char_filters": []any{asciifolding.Name},
		"tokenizer":    unicode.Name,
		"token_filters": []any{
			lowercase.Name, it.ElisionName, stopMapName, it.LightStemmerName,
		},
	}))
	m.DefaultAnalyzer = analyzerName
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}

func keywordField(store bool) *mapping.FieldMapping {
	f := bleve.NewKeywordFieldMapping()
	f.Analyzer = keyword.Name
	f.Store = store
	f.IncludeInAll = false
	f.IncludeTermVectors = false
	f.DocValues = true // facets and sorting read doc values
	return f
}

func textField(highlight bool) *mapping.FieldMapping {
	f := bleve.NewTextFieldMapping()
	f.Analyzer = analyzerName
	f.Store = highlight
	f.IncludeTermVectors = highlight
	f.IncludeInAll = false
	f.DocValues = false
	return f
}

// dateField has no doc values: ranges use the terms, and sorting uses sort_date, whose one
// keyword per document is far cheaper to read than a date's many prefix-coded terms.
func dateField(store bool) *mapping.FieldMapping {
	f := bleve.NewDateTimeFieldMapping()
	f.Store = store
	f.IncludeInAll = false
	f.DocValues = false
	return f
}

// foldedStopWords returns bleve's Italian stop words plus their accent-folded forms.
func foldedStopWords() []any {
	tm := analysis.NewTokenMap()
	must(tm.LoadBytes(it.ItalianStopWords))
	out := make([]any, 0, 2*len(tm))
	for w := range tm {
		out = append(out, w)
		if f := fold(w); f != w {
			out = append(out, f)
		}
	}
	return out
}

var folder = asciifolding.New()

// fold lower-cases s and folds its accents, as the analyzer does before stemming. Prefix
// queries are not analysed by bleve, so their prefix goes through fold.
func fold(s string) string {
	return strings.ToLower(string(folder.Filter([]byte(s))))
}

func yearTerm(y int) string { return strconv.Itoa(y) }

// must panics on an error that can only come from a bug in the static mapping above.
func must(err error) {
	if err != nil {
		panic("search: mapping: " + err.Error())
	}
}
