package tlog

import (
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/sportello/sportello/domain"
)

// hasher is RFC 6962's SHA-256 tree hasher: leaves are SHA-256(0x00 || leaf), inner nodes
// SHA-256(0x01 || left || right).
var hasher = rfc6962.DefaultHasher

var rangeFactory = compact.RangeFactory{Hash: hasher.HashChildren}

// extend appends leaf hashes to the tree described by st and returns every complete subtree it
// creates (the leaves included) and the new compact range. Only complete subtrees are stored:
// they never change, and with them any proof for any size up to the new one can be built.
func extend(st domain.TLogState, leafHashes [][]byte) ([]domain.TLogNode, [][]byte, error) {
	r, err := rangeFactory.NewRange(0, st.Size, st.Range)
	if err != nil {
		return nil, nil, fmt.Errorf("tree of size %d: %w", st.Size, err)
	}
	nodes := make([]domain.TLogNode, 0, 2*len(leafHashes))
	visit := func(id compact.NodeID, hash []byte) {
		nodes = append(nodes, domain.TLogNode{TLogNodeID: domain.TLogNodeID{Level: id.Level, Index: id.Index}, Hash: hash})
	}
	for _, h := range leafHashes {
		if err := r.Append(h, visit); err != nil {
			return nil, nil, fmt.Errorf("append leaf %d: %w", r.End(), err)
		}
	}
	return nodes, r.Hashes(), nil
}

// rootOf returns the root hash of the tree of size whose compact range [0, size) is rng; the
// empty tree's root is SHA-256 of nothing, as RFC 6962 says.
func rootOf(size uint64, rng [][]byte) ([]byte, error) {
	if size == 0 {
		return hasher.EmptyRoot(), nil
	}
	r, err := rangeFactory.NewRange(0, size, rng)
	if err != nil {
		return nil, fmt.Errorf("tree of size %d: %w", size, err)
	}
	return r.GetRootHash(nil)
}

func nodeIDs(ids []compact.NodeID) []domain.TLogNodeID {
	out := make([]domain.TLogNodeID, len(ids))
	for i, id := range ids {
		out[i] = domain.TLogNodeID{Level: id.Level, Index: id.Index}
	}
	return out
}
