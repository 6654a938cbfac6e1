package tlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/sportello/sportello/domain"
)

// KindAuditHead is the leaf that logs a head of the audit chain (AuditHeadLeaf).
const KindAuditHead = domain.LeafKindAuditHead

// AuditHeadSource reads the head of the audit chain; storage.DB is one.
type AuditHeadSource interface {
	AuditChainHead(ctx context.Context) (domain.AuditHead, error)
}

// AuditHeadLeaf returns the canonical leaf of a head of the audit chain (version 1): canonical
// JSON of {"hash": the event's hash, lowercase hex, "kind": "audit_head", "seq": its seq, "v": 1}.
// Logged at a checkpoint, it fixes every event up to seq: an event altered, inserted or deleted
// afterwards no longer chains to it (docs/audit.md).
func AuditHeadLeaf(seq int64, hash string) ([]byte, error) {
	b, err := canonicalJSON(map[string]any{"hash": hash, "kind": KindAuditHead, "seq": seq, "v": LeafVersion})
	if err != nil {
		return nil, fmt.Errorf("audit head leaf of seq %d: %w", seq, err)
	}
	return b, nil
}

// anchorAuditHead appends the leaf of the audit chain's head unless it is logged already or
// the chain has no chained event. The change-feed cursor does not move.
func (s *Sequencer) anchorAuditHead(ctx context.Context) error {
	if s.AuditHeads == nil {
		return nil
	}
	head, err := s.AuditHeads.AuditChainHead(ctx)
	if err != nil || head.Hash == "" {
		return err
	}
	id := strconv.FormatInt(head.Seq, 10)
	if _, err := s.Store.TLogLeafByEntity(ctx, KindAuditHead, id); err == nil || domain.CodeOf(err) != domain.ECNotFound {
		return err
	}
	data, err := AuditHeadLeaf(head.Seq, head.Hash)
	if err != nil {
		return err
	}
	_, err = s.Store.AppendTLog(ctx, func(cur domain.TLogState) (domain.TLogBatch, error) {
		leaf := domain.TLogLeaf{Kind: KindAuditHead, EntityID: id, Data: data, Hash: LeafHash(data)}
		return s.batch(cur, []domain.TLogLeaf{leaf}, cur.Cursor)
	})
	if domain.CodeOf(err) == domain.ECConflict || errors.Is(err, errIdle) {
		return nil // another sequencer logged this head first
	}
	if err != nil {
		return fmt.Errorf("anchor audit head %d: %w", head.Seq, err)
	}
	return nil
}
