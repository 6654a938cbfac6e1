package tlog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sportello/sportello/domain"
)

// DefaultLag is how long a registration or an annulment may wait for its leaf before an audit
// calls it never logged. The sequencer polls the change feed five times a second and logs a fact
// within moments of its commit; minutes leave room for a restart, a slow batch or a change feed
// held back by a long transaction on PostgreSQL.
const DefaultLag = 5 * time.Minute

// FactSource lists the registrations and annulments that have no leaf; storage.DB is one.
type FactSource interface {
	// UnloggedFacts lists them oldest first; with recent > 0 only among the last recent
	// registrations (and every annulled one).
	UnloggedFacts(ctx context.Context, recent int) ([]domain.UnloggedFact, error)
}

// AuditOptions say how far and how strictly Audit looks.
type AuditOptions struct {
	// Lag: a fact without a leaf that is older than Lag was never logged; a younger one is
	// pending. Zero counts every fact without a leaf as never logged.
	Lag time.Duration
	// Recent, when positive, limits the audit to the last Recent leaves and registrations: the
	// server's periodic self-audit, which must stay cheap on a large register. Zero audits the
	// whole log and recomputes the latest checkpoint's root from every leaf.
	Recent int
	// Now is the clock the facts' times are compared with; nil means time.Now.
	Now func() time.Time
}

// AuditReport is the outcome of Audit. The database is consistent with the log when OK.
type AuditReport struct {
	// Leaves is how many leaves were checked; CheckpointSize the size of the checkpoint whose
	// root was recomputed (0 if there is none yet, or in a Recent audit).
	Leaves         uint64
	CheckpointSize uint64
	Mismatches     []Mismatch
	// Unlogged are the registrations and annulments older than the lag with no leaf: the log
	// does not prove them. Pending are the younger ones, which the sequencer has yet to reach.
	Unlogged []domain.UnloggedFact
	Pending  []domain.UnloggedFact
}

// OK reports whether every leaf matches its row and every fact past the lag is logged.
func (r AuditReport) OK() bool { return len(r.Mismatches) == 0 && len(r.Unlogged) == 0 }

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
// annulment recomputed from its current row against its logged leaf, the leaves' indices
// against the log's size, the root recomputed from the leaves against the latest checkpoint,
// and — when Facts is set — that no registration or annulment older than the lag lacks a leaf.
// A row altered behind the triggers' back, or a leaf deleted, by someone with the power to
// disable them, shows in the report naming its identifier.
func (l *Log) Audit(ctx context.Context, opts AuditOptions) (AuditReport, error) {
	var rep AuditReport
	st, err := l.Store.TLogState(ctx)
	if err != nil {
		return rep, fmt.Errorf("audit: %w", err)
	}
	cp, err := l.Store.LatestTLogCheckpoint(ctx)
	if err != nil && domain.CodeOf(err) != domain.ECNotFound {
		return rep, fmt.Errorf("audit: %w", err)
	}
	var from uint64
	if opts.Recent > 0 && st.Size > uint64(opts.Recent) {
		from = st.Size - uint64(opts.Recent)
	}
	if from > 0 {
		cp = domain.TLogCheckpoint{} // its root needs every leaf
	}
	rng := rangeFactory.NewEmptyRange(0)
	next := from // the index the next leaf must have
	for {
		leaves, err := l.Store.TLogLeaves(ctx, next, auditPage)
		if err != nil {
			return rep, fmt.Errorf("audit: %w", err)
		}
		problems, err := l.checkPage(ctx, leaves)
		if err != nil {
			return rep, fmt.Errorf("audit: %w", err)
		}
		for i, leaf := range leaves {
			if leaf.Index != next {
				rep.Mismatches = append(rep.Mismatches, Mismatch{Index: next, Kind: "leaf", Problem: missing(next, leaf.Index)})
			}
			next = leaf.Index + 1
			if problems[i] != "" {
				rep.Mismatches = append(rep.Mismatches, mismatch(leaf, problems[i]))
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
	if next < st.Size {
		rep.Mismatches = append(rep.Mismatches, Mismatch{Index: next, Kind: "leaf",
			Problem: fmt.Sprintf("the log counts %d leaves but holds none from %d on", st.Size, next)})
	}
	if rep.Leaves < cp.Size {
		rep.Mismatches = append(rep.Mismatches, Mismatch{Index: cp.Size, Kind: "checkpoint",
			Problem: fmt.Sprintf("checkpoint of size %d but only %d leaves", cp.Size, rep.Leaves)})
	}
	if err := l.unlogged(ctx, opts, &rep); err != nil {
		return rep, fmt.Errorf("audit: %w", err)
	}
	return rep, nil
}

// missing describes the gap of leaves [from, to).
func missing(from, to uint64) string {
	if to == from+1 {
		return fmt.Sprintf("leaf %d is missing from the log", from)
	}
	return fmt.Sprintf("leaves %d to %d are missing from the log", from, to-1)
}

// unlogged sorts the facts without a leaf into never logged and pending.
func (l *Log) unlogged(ctx context.Context, opts AuditOptions, rep *AuditReport) error {
	if l.Facts == nil {
		return nil
	}
	facts, err := l.Facts.UnloggedFacts(ctx, opts.Recent)
	if err != nil {
		return err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	cutoff := now().Add(-opts.Lag)
	for _, f := range facts {
		if f.At.After(cutoff) {
			rep.Pending = append(rep.Pending, f)
		} else {
			rep.Unlogged = append(rep.Unlogged, f)
		}
	}
	return nil
}

// checkPage compares each leaf with its stored hash and with the current row it logs, loading
// the page's registrations in one query; it returns the problem of each leaf, "" if none.
func (l *Log) checkPage(ctx context.Context, leaves []domain.TLogLeaf) ([]string, error) {
	var ids []string
	for _, leaf := range leaves {
		if leaf.Kind == KindRegistration || leaf.Kind == KindAnnulment {
			ids = append(ids, leaf.EntityID)
		}
	}
	regs, err := l.Registrations.RegistrationsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	problems := make([]string, len(leaves))
	for i, leaf := range leaves {
		problems[i] = check(leaf, regs)
	}
	return problems, nil
}

// check compares one leaf with its stored hash and with the current row it logs.
func check(leaf domain.TLogLeaf, regs map[string]*domain.Registration) string {
	if !bytes.Equal(LeafHash(leaf.Data), leaf.Hash) {
		return "stored leaf hash does not match the leaf"
	}
	if leaf.Kind != KindRegistration && leaf.Kind != KindAnnulment {
		return ""
	}
	r, ok := regs[leaf.EntityID]
	if !ok {
		return "the registration is missing"
	}
	if err := MatchesLeaf(leaf.Kind, r, leaf.Data); err != nil {
		return err.Error()
	}
	return ""
}

// MatchesLeaf returns an error unless the leaf of kind recomputed from the row r is the logged
// leaf: a registration served, or sealed in a receipt, must be the one the log proves.
func MatchesLeaf(kind string, r *domain.Registration, logged []byte) error {
	now, err := leafOf(kind, r)
	if err != nil {
		return err
	}
	if !bytes.Equal(now, logged) {
		return fmt.Errorf("the %s differs from its logged leaf", kind)
	}
	return nil
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
