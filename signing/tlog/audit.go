package tlog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/sportello/sportello/domain"
)

// AuditReport is the outcome of Audit. The database is consistent with the log when
// Mismatches is empty.
type AuditReport struct {
	// Leaves is how many leaves were checked; CheckpointSize the size of the checkpoint whose
	// root was recomputed (0 if there is none yet).
	Leaves         uint64
	CheckpointSize uint64
	Mismatches     []Mismatch
}

// Mismatch is one disagreement between the database and the log.
type Mismatch struct {
	Index      uint64
	Kind       string
	EntityID   string
	Identifier string
	Problem    string
}

// auditPage is how many leaves Audit reads at a time.
const auditPage = 1000

// Audit checks the database against the log: every logged leaf's hash, every registration and
// annulment recomputed from its current row against its logged leaf, and the root recomputed
// from the leaves against the latest checkpoint. A row altered behind the triggers' back — by
// someone with the power to disable them — shows as a mismatch naming its identifier.
func (l *Log) Audit(ctx context.Context) (AuditReport, error) {
	var rep AuditReport
	cp, err := l.Store.LatestTLogCheckpoint(ctx)
	if err != nil && domain.CodeOf(err) != domain.ECNotFound {
		return rep, fmt.Errorf("audit: %w", err)
	}
	rng := rangeFactory.NewEmptyRange(0)
	for {
		leaves, err := l.Store.TLogLeaves(ctx, rep.Leaves, auditPage)
		if err != nil {
			return rep, fmt.Errorf("audit: %w", err)
		}
		for _, leaf := range leaves {
			if leaf.Index != rep.Leaves {
				return rep, fmt.Errorf("audit: leaf %d found where %d was expected", leaf.Index, rep.Leaves)
			}
			if problem, err := l.check(ctx, leaf); err != nil {
				return rep, fmt.Errorf("audit: %w", err)
			} else if problem != "" {
				rep.Mismatches = append(rep.Mismatches, mismatch(leaf, problem))
			}
			if err := rng.Append(LeafHash(leaf.Data), nil); err != nil {
				return rep, fmt.Errorf("audit: %w", err)
			}
			rep.Leaves++
			if cp.Size > 0 && rep.Leaves == cp.Size {
				if err := checkRoot(rng.Hashes(), cp); err != nil {
					rep.Mismatches = append(rep.Mismatches, Mismatch{Index: cp.Size, Kind: "checkpoint", Problem: err.Error()})
				}
				rep.CheckpointSize = cp.Size
			}
		}
		if len(leaves) < auditPage {
			break
		}
	}
	if rep.Leaves < cp.Size {
		rep.Mismatches = append(rep.Mismatches, Mismatch{Index: cp.Size, Kind: "checkpoint",
			Problem: fmt.Sprintf("checkpoint of size %d but only %d leaves", cp.Size, rep.Leaves)})
	}
	return rep, nil
}

// check compares one leaf with its stored hash and with the current row it logs.
func (l *Log) check(ctx context.Context, leaf domain.TLogLeaf) (string, error) {
	if !bytes.Equal(LeafHash(leaf.Data), leaf.Hash) {
		return "stored leaf hash does not match the leaf", nil
	}
	if leaf.Kind != KindRegistration && leaf.Kind != KindAnnulment {
		return "", nil
	}
	r, err := l.Registrations.RegistrationByID(ctx, leaf.EntityID)
	if domain.CodeOf(err) == domain.ECNotFound {
		return "the registration is missing", nil
	}
	if err != nil {
		return "", err
	}
	now, err := leafOf(leaf.Kind, r)
	if err != nil {
		return err.Error(), nil
	}
	if !bytes.Equal(now, leaf.Data) {
		return fmt.Sprintf("the %s differs from its logged leaf", leaf.Kind), nil
	}
	return "", nil
}

func checkRoot(rng [][]byte, cp domain.TLogCheckpoint) error {
	root, err := rootOf(cp.Size, rng)
	if err != nil {
		return err
	}
	if !bytes.Equal(root, cp.Root) {
		return fmt.Errorf("the leaves' root differs from checkpoint %d", cp.Size)
	}
	return nil
}

// mismatch names the identifier that the logged leaf records.
func mismatch(leaf domain.TLogLeaf, problem string) Mismatch {
	var v struct {
		Identifier string `json:"identifier"`
	}
	_ = json.Unmarshal(leaf.Data, &v) // a leaf that is not JSON still reports its index
	return Mismatch{Index: leaf.Index, Kind: leaf.Kind, EntityID: leaf.EntityID, Identifier: v.Identifier, Problem: problem}
}
