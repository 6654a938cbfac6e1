package search

import (
	"fmt"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/sportello/sportello/domain"
)

// Catalogue is the word index of the service catalogue (domain.CatalogueIndex): a bleve index
// in memory, analysed as Italian like the archive's shards, rebuilt whole when the catalogue
// changes. A catalogue holds tens or hundreds of procedures: rebuilding takes milliseconds,
// and nothing needs to survive a restart.
type Catalogue struct {
	mu          sync.RWMutex
	index       bleve.Index
	fingerprint string
}

// NewCatalogue returns an empty catalogue index.
func NewCatalogue() *Catalogue { return &Catalogue{} }

// The catalogue's fields: the name, and all the words a portal's user may look for.
const (
	cName = "name"
	cText = "text"
)

func catalogueMapping() *mapping.IndexMappingImpl {
	m := italianMapping()
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(cName, textField(false))
	doc.AddFieldMappingsAt(cText, textField(false))
	m.DefaultMapping = doc
	return m
}

// Rebuild replaces the index with one of ps, remembering fingerprint.
func (c *Catalogue) Rebuild(ps []domain.Procedure, fingerprint string) error {
	idx, err := bleve.NewMemOnly(catalogueMapping())
	if err != nil {
		return fmt.Errorf("catalogue index: %w", err)
	}
	b := idx.NewBatch()
	for _, p := range ps {
		words := []string{p.Name, p.Description, p.Info.LegalReferences, p.Info.DecidingOffice, p.Info.Fees}
		for _, d := range p.RequiredDocuments {
			words = append(words, d.Name)
		}
		for _, s := range p.Steps {
			words = append(words, s.Name)
		}
		if err := b.Index(p.Code, map[string]any{cName: p.Name, cText: strings.Join(words, "\n")}); err != nil {
			return fmt.Errorf("index procedure %s: %w", p.Code, err)
		}
	}
	if err := idx.Batch(b); err != nil {
		return fmt.Errorf("catalogue index: %w", err)
	}
	c.mu.Lock()
	old := c.index
	c.index, c.fingerprint = idx, fingerprint
	c.mu.Unlock()
	if old != nil {
		_ = old.Close() // in memory: closing frees it and cannot lose anything
	}
	return nil
}

// Fingerprint is the fingerprint given to the last Rebuild ("" before the first).
func (c *Catalogue) Fingerprint() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.fingerprint
}

// Search returns the codes of the procedures whose words include every word of q (after
// Italian analysis: stop words go, stems match), a match in the name ranking first, then by
// code.
func (c *Catalogue) Search(q string) ([]string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.index == nil {
		return []string{}, nil
	}
	all := bleve.NewMatchQuery(q)
	all.SetField(cText)
	all.SetOperator(query.MatchQueryOperatorAnd)
	inName := bleve.NewMatchQuery(q)
	inName.SetField(cName)
	inName.SetBoost(2)
	bq := bleve.NewBooleanQuery()
	bq.AddMust(all)
	bq.AddShould(inName)
	req := bleve.NewSearchRequestOptions(bq, 1000, 0, false)
	req.SortBy([]string{"-_score", "_id"})
	res, err := c.index.Search(req)
	if err != nil {
		return nil, fmt.Errorf("search the catalogue: %w", err)
	}
	out := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	return out, nil
}
