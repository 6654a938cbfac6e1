package tlog

import (
	"context"
	"fmt"

	"github.com/transparency-dev/merkle/proof"

	"github.com/sportello/sportello/domain"
)

// Log answers questions about the transparency log: checkpoints, leaves and proofs, and audits
// the database against it. It only reads; the Sequencer writes.
type Log struct {
	Store domain.TLogStore
	// Registrations is needed by Audit only.
	Registrations RegistrationSource
	// Facts, if set, lets Audit find the registrations and annulments that were never logged.
	Facts FactSource
}

// LatestCheckpoint returns the newest checkpoint (ECNotFound before the first).
func (l *Log) LatestCheckpoint(ctx context.Context) (Checkpoint, error) {
	cp, err := l.Store.LatestTLogCheckpoint(ctx)
	return fromDomain(cp), err
}

// Checkpoint returns the checkpoint of a size (ECNotFound).
func (l *Log) Checkpoint(ctx context.Context, size uint64) (Checkpoint, error) {
	cp, err := l.Store.TLogCheckpoint(ctx, size)
	return fromDomain(cp), err
}

// LeafByEntity returns the index and bytes of the leaf logging (kind, id): for a registration,
// kind KindRegistration or KindAnnulment and its id. Returns ECNotFound, also while the
// sequencer has not reached it yet.
func (l *Log) LeafByEntity(ctx context.Context, kind, id string) (uint64, []byte, error) {
	leaf, err := l.Store.TLogLeafByEntity(ctx, kind, id)
	if err != nil {
		return 0, nil, err
	}
	return leaf.Index, leaf.Data, nil
}

// InclusionProof returns the RFC 6962 audit path of leaf index in the tree of size: the
// sibling hashes from the leaf up, as VerifyInclusion expects. Returns ECValidation if index
// is not below size or size is beyond the log.
func (l *Log) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	if err := l.checkSize(ctx, size); err != nil {
		return nil, err
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, domain.Errorf(domain.ECValidation, "inclusion proof: %v", err)
	}
	return l.rehash(ctx, nodes, "inclusion proof of %d in %d", index, size)
}

// ConsistencyProof returns the RFC 6962 proof that the tree of size to extends the tree of size
// from. Returns ECValidation unless from <= to <= the log's size.
func (l *Log) ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error) {
	if err := l.checkSize(ctx, to); err != nil {
		return nil, err
	}
	nodes, err := proof.Consistency(from, to)
	if err != nil {
		return nil, domain.Errorf(domain.ECValidation, "consistency proof: %v", err)
	}
	return l.rehash(ctx, nodes, "consistency proof from %d to %d", from, to)
}

func (l *Log) checkSize(ctx context.Context, size uint64) error {
	st, err := l.Store.TLogState(ctx)
	if err != nil {
		return fmt.Errorf("proof: %w", err)
	}
	if size > st.Size {
		return domain.Errorf(domain.ECValidation, "tree size %d is beyond the log's %d", size, st.Size)
	}
	return nil
}

// rehash reads the stored nodes of a proof and folds those that stand for an incomplete
// subtree (the "ephemeral" node on the right border) into its hash.
func (l *Log) rehash(ctx context.Context, nodes proof.Nodes, format string, args ...any) ([][]byte, error) {
	hashes, err := l.Store.TLogNodes(ctx, nodeIDs(nodes.IDs))
	if err != nil {
		return nil, fmt.Errorf(format+": %w", append(args, err)...)
	}
	out, err := nodes.Rehash(hashes, hasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf(format+": %w", append(args, err)...)
	}
	return out, nil
}

// VerifyInclusion checks offline that leaf (its bytes, not its hash) is at index in the tree
// of size whose root is root.
func VerifyInclusion(leaf []byte, index, size uint64, p [][]byte, root []byte) error {
	if err := proof.VerifyInclusion(hasher, index, size, LeafHash(leaf), p, root); err != nil {
		return fmt.Errorf("verify inclusion of leaf %d in tree of size %d: %w", index, size, err)
	}
	return nil
}

// VerifyConsistency checks offline that the tree of size2 and root2 extends the tree of size1
// and root1: nothing logged up to size1 was changed or removed.
func VerifyConsistency(size1, size2 uint64, p [][]byte, root1, root2 []byte) error {
	if err := proof.VerifyConsistency(hasher, size1, size2, p, root1, root2); err != nil {
		return fmt.Errorf("verify consistency from %d to %d: %w", size1, size2, err)
	}
	return nil
}
