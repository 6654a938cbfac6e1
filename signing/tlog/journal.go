package tlog

import (
	"context"
	"fmt"

	"github.com/sportello/sportello/domain"
)

// JournalSource loads a daily journal by its entity id ("<register>/<date>"); domain.JournalStore
// is one.
type JournalSource interface {
	JournalByEntityID(ctx context.Context, id string) (domain.Journal, error)
}

// JournalLeaf returns the canonical leaf of a daily journal (version 1): canonical JSON of
//
//	{"count": number of registrations, "date": "YYYY-MM-DD", "json_sha256": sha256 hex of the
//	 journal's canonical JSON, "kind": "journal", "pdf_sha256": sha256 hex of the signed PDF,
//	 "register": register code, "v": 1}
//
// Both digests are logged: the JSON is what programs check, the PDF the signed legal document,
// and either one altered after the fact no longer matches the log.
func JournalLeaf(j domain.Journal) ([]byte, error) {
	b, err := canonicalJSON(map[string]any{
		"count": j.Registrations, "date": j.Date, "json_sha256": j.JSONSHA256, "kind": KindJournal,
		"pdf_sha256": j.PDFSHA256, "register": j.Register, "v": LeafVersion,
	})
	if err != nil {
		return nil, fmt.Errorf("journal leaf of %s: %w", j.EntityID(), err)
	}
	return b, nil
}

// CanonicalJSON encodes v (nil, bool, int, int64, string, []any, map[string]any) by the rules
// of the leaf encoding (docs/transparency-log.md): the same bytes for the same value, so that
// documents such as the daily journal can be hashed and re-checked.
func CanonicalJSON(v any) ([]byte, error) { return canonicalJSON(v) }

// journalLeaf builds the leaf of a journal.created event.
func (s *Sequencer) journalLeaf(ctx context.Context, e domain.ChangeEvent) (domain.TLogLeaf, error) {
	if s.Journals == nil {
		return domain.TLogLeaf{}, fmt.Errorf("journal %s of change %d: the sequencer has no journal source", e.EntityID, e.Position)
	}
	j, err := s.Journals.JournalByEntityID(ctx, e.EntityID)
	if err != nil {
		return domain.TLogLeaf{}, fmt.Errorf("load journal %s of change %d: %w", e.EntityID, e.Position, err)
	}
	data, err := JournalLeaf(j)
	if err != nil {
		return domain.TLogLeaf{}, err
	}
	return domain.TLogLeaf{Kind: KindJournal, EntityID: e.EntityID, Data: data, Hash: LeafHash(data)}, nil
}
