package domain

import (
	"context"
	"time"
)

// The transparency log (RFC 6962) records every legal fact of the register — a registration, an
// annulment, later a journal or an archive package — as a leaf of an append-only Merkle tree,
// so that anyone holding two signed checkpoints can check that history was only appended to.
// Package signing/tlog builds the leaves, the tree and the proofs; TLogStore keeps them.

// TLogLeaf is one leaf of the log: Data is its canonical encoding (signing/tlog), Hash its
// RFC 6962 leaf hash, Index its position in the tree, from 0 without gaps.
type TLogLeaf struct {
	Index        uint64
	Kind         string
	EntityID     string
	Data         []byte
	Hash         []byte
	IntegratedAt time.Time
}

// TLogNodeID names a complete subtree of the log: the Index-th node at Level (level 0 are the
// leaves), as in RFC 6962 and compact ranges.
type TLogNodeID struct {
	Level uint
	Index uint64
}

// TLogNode is a complete subtree's hash. Nodes never change once stored.
type TLogNode struct {
	TLogNodeID
	Hash []byte
}

// TLogState is where the sequencer stands: the tree's size, the change-feed cursor of the last
// event it integrated, and the hashes of the compact range [0, Size) from left to right, which
// is all that appending needs.
type TLogState struct {
	Size   uint64
	Cursor FeedCursor
	Range  [][]byte
}

// TLogBatch is what one sequencer step appends: leaves with indices from the state's Size on,
// the nodes they complete, and the state after them.
type TLogBatch struct {
	Leaves []TLogLeaf
	Nodes  []TLogNode
	State  TLogState
}

// TLogCheckpoint is a signed statement of the tree's size and root at a time. TimestampToken
// is an RFC 3161 token over the signed note, nil while the time-stamp authority has not given
// one.
type TLogCheckpoint struct {
	Origin         string
	Size           uint64
	Root           []byte
	Time           time.Time
	Signature      []byte
	KeyFingerprint string
	TimestampToken []byte
}

// TLogStore is the persistence port of the transparency log. Leaves, nodes and checkpoints are
// append-only, and the database itself refuses to change or delete them.
type TLogStore interface {
	// TLogState returns the last committed state.
	TLogState(ctx context.Context) (TLogState, error)
	// AppendTLog is one sequencer step in one transaction. It takes the log's lock (one
	// appender at a time, across processes), reads the state and calls build with it; build
	// returns the batch, which is stored with the new state, or an error, which rolls back and
	// is returned (wrapped). Returns ECConflict if the batch does not continue the state (an
	// index not next, an entity logged twice) and the state after the step.
	AppendTLog(ctx context.Context, build func(st TLogState) (TLogBatch, error)) (TLogState, error)
	// TLogLeaves returns up to limit leaves from index from on, in index order.
	TLogLeaves(ctx context.Context, from uint64, limit int) ([]TLogLeaf, error)
	// TLogLeafByEntity returns the leaf logging (kind, entityID). Returns ECNotFound.
	TLogLeafByEntity(ctx context.Context, kind, entityID string) (TLogLeaf, error)
	// TLogNodes returns the hashes of ids, in the same order. Returns ECNotFound if one is
	// missing.
	TLogNodes(ctx context.Context, ids []TLogNodeID) ([][]byte, error)

	// AddTLogCheckpoint stores cp. Returns ECConflict if a checkpoint of that size exists.
	AddTLogCheckpoint(ctx context.Context, cp TLogCheckpoint) error
	// LatestTLogCheckpoint returns the largest checkpoint. Returns ECNotFound if none exists.
	LatestTLogCheckpoint(ctx context.Context) (TLogCheckpoint, error)
	// TLogCheckpoint returns the checkpoint of a size. Returns ECNotFound.
	TLogCheckpoint(ctx context.Context, size uint64) (TLogCheckpoint, error)
	// TLogCheckpoints returns up to limit checkpoints larger than after, smallest first; with
	// missingToken only those without a time-stamp token.
	TLogCheckpoints(ctx context.Context, after uint64, limit int, missingToken bool) ([]TLogCheckpoint, error)
	// SetTLogTimestamp adds the time-stamp token of the checkpoint of a size, which must have
	// none. Returns ECNotFound, or ECConflict if it has one already.
	SetTLogTimestamp(ctx context.Context, size uint64, token []byte) error
}
