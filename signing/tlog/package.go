package tlog

import (
	"context"
	"fmt"

	"github.com/sportello/sportello/domain"
)

// PackageSource loads archive packages by id; domain.PackageStore is one.
type PackageSource interface {
	ArchivePackage(ctx context.Context, id string) (*domain.ArchivePackage, error)
}

// PackageLeaf returns the canonical leaf of a built archive package (version 1): canonical JSON
// of
//
//	{"files": number of files besides the index, its seal and its time-stamp,
//	 "id": the package's id, "index_sha256": sha256 hex of PIndex.xml, "kind": "package",
//	 "package_kind": "aip" or "dip", "sha256": sha256 hex of the zip, "size": the zip's bytes,
//	 "v": 1}
//
// The zip's digest fixes every byte of the package, the index's the content alone (the same
// for two builds of the same content: docs/package-format.md).
func PackageLeaf(p *domain.ArchivePackage) ([]byte, error) {
	if p.State == domain.PackageBuilding || p.SHA256 == "" {
		return nil, fmt.Errorf("package leaf of %s: the package is not built", p.ID)
	}
	b, err := canonicalJSON(map[string]any{
		"files": p.Files, "id": p.ID, "index_sha256": p.IndexSHA256, "kind": KindPackage,
		"package_kind": p.Kind, "sha256": p.SHA256, "size": p.Size, "v": LeafVersion,
	})
	if err != nil {
		return nil, fmt.Errorf("package leaf of %s: %w", p.ID, err)
	}
	return b, nil
}

// packageLeaf builds the leaf of a package.built event.
func (s *Sequencer) packageLeaf(ctx context.Context, e domain.ChangeEvent) (domain.TLogLeaf, error) {
	if s.Packages == nil {
		return domain.TLogLeaf{}, fmt.Errorf("package %s of change %d: the sequencer has no package source", e.EntityID, e.Position)
	}
	p, err := s.Packages.ArchivePackage(ctx, e.EntityID)
	if err != nil {
		return domain.TLogLeaf{}, fmt.Errorf("load package %s of change %d: %w", e.EntityID, e.Position, err)
	}
	data, err := PackageLeaf(p)
	if err != nil {
		return domain.TLogLeaf{}, err
	}
	return domain.TLogLeaf{Kind: KindPackage, EntityID: e.EntityID, Data: data, Hash: LeafHash(data)}, nil
}
