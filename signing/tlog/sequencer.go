package tlog

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sportello/sportello/domain"
)

// Change-feed event kinds the sequencer logs. registration.updated is not among them: class,
// offices and dossiers are handling, not legal facts of the register.
const (
	eventCreated  = "registration.created"
	eventAnnulled = "registration.annulled"
)

// DefaultBatchSize is how many change events a Step reads when BatchSize is 0.
const DefaultBatchSize = 500

// RegistrationSource loads registrations by id, one or a batch at a time (an unknown id is
// absent from the batch's map); storage.DB is one.
type RegistrationSource interface {
	RegistrationByID(ctx context.Context, id string) (*domain.Registration, error)
	RegistrationsByID(ctx context.Context, ids []string) (map[string]*domain.Registration, error)
}

// Sequencer is the log's single writer: it follows the change feed and appends one leaf per
// legal fact, in feed (commit) order, and signs checkpoints. Several may run — one per server
// process — because the store serialises their steps; each fact is still logged exactly once.
type Sequencer struct {
	Feed          domain.ChangeFeed
	Store         domain.TLogStore
	Registrations RegistrationSource
	// Journals loads daily journals for their journal.created events; it may be nil while no
	// journal is ever produced (a journal event then fails the step).
	Journals JournalSource
	// Packages loads archive packages for their package.built events; nil like Journals.
	Packages PackageSource
	// AuditHeads, if not nil, is the audit chain whose head is logged (an audit_head leaf)
	// before each checkpoint is signed (audithead.go).
	AuditHeads AuditHeadSource

	// Origin names the log in checkpoints, e.g. "sportello.example.it/c_h501-A1B2C3D".
	Origin string
	// Signer signs checkpoints (ECDSA, RSA PKCS #1 v1.5 or Ed25519).
	Signer crypto.Signer
	// Timestamper, if not nil, time-stamps checkpoints.
	Timestamper Timestamper
	// CheckpointInterval is the least time between two checkpoints that Run signs.
	CheckpointInterval time.Duration
	BatchSize          int
	Now                func() time.Time
	Logger             *slog.Logger
}

// Step integrates the next batch of change events after the stored cursor and reports how many
// leaves it appended. Leaves, nodes and the advanced cursor are stored in one transaction, so a
// crash before the commit just repeats the step.
//
// The events are read and the leaves built before the store's lock is taken, to keep it short;
// if another sequencer moved the cursor meanwhile, they are read again under the lock.
func (s *Sequencer) Step(ctx context.Context) (int, error) {
	n, _, err := s.step(ctx)
	return n, err
}

// step is Step, also reporting whether the cursor moved: a batch of events that are not facts
// appends nothing but is progress all the same.
func (s *Sequencer) step(ctx context.Context) (appended int, advanced bool, err error) {
	st, err := s.Store.TLogState(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("tlog step: %w", err)
	}
	events, err := s.Feed.Changes(ctx, st.Cursor, s.batchSize())
	if err != nil {
		return 0, false, fmt.Errorf("tlog step: %w", err)
	}
	if len(events) == 0 {
		return 0, false, nil
	}
	pre, err := s.leaves(ctx, events)
	if err != nil {
		return 0, false, fmt.Errorf("tlog step: %w", err)
	}
	_, err = s.Store.AppendTLog(ctx, func(cur domain.TLogState) (domain.TLogBatch, error) {
		leaves := pre
		if cur.Cursor != st.Cursor {
			evs, err := s.Feed.Changes(ctx, cur.Cursor, s.batchSize())
			if err != nil {
				return domain.TLogBatch{}, err
			}
			if len(evs) == 0 {
				return domain.TLogBatch{}, errIdle
			}
			events = evs
			if leaves, err = s.leaves(ctx, events); err != nil {
				return domain.TLogBatch{}, err
			}
		}
		b, err := s.batch(cur, leaves, events[len(events)-1].Cursor())
		appended = len(b.Leaves)
		return b, err
	})
	if errors.Is(err, errIdle) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("tlog step: %w", err)
	}
	return appended, true, nil
}

// errIdle rolls back a step that found nothing to do once it held the lock.
var errIdle = errors.New("tlog: nothing to integrate")

// leaves builds the leaves of events, without indices, dropping events that are not facts.
// The registrations they name are loaded in one query.
func (s *Sequencer) leaves(ctx context.Context, events []domain.ChangeEvent) ([]domain.TLogLeaf, error) {
	var ids []string
	for _, e := range events {
		if e.EntityKind == domain.KindRegistration && registrationLeafKind(e) != "" {
			ids = append(ids, e.EntityID)
		}
	}
	regs, err := s.Registrations.RegistrationsByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load registrations: %w", err)
	}
	var out []domain.TLogLeaf
	seen := map[[2]string]bool{}
	for _, e := range events {
		var kind string
		switch {
		case e.EntityKind == domain.KindJournal && e.Kind == domain.EventJournalCreated:
			kind = KindJournal
		case e.EntityKind == domain.KindPackage && e.Kind == domain.EventPackageBuilt:
			kind = KindPackage
		case e.EntityKind == domain.KindRegistration:
			kind = registrationLeafKind(e)
		}
		if key := [2]string{kind, e.EntityID}; kind == "" || seen[key] {
			continue
		} else {
			seen[key] = true
		}
		if kind == KindJournal || kind == KindPackage {
			leaf := s.journalLeaf
			if kind == KindPackage {
				leaf = s.packageLeaf
			}
			l, err := leaf(ctx, e)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
			continue
		}
		r, ok := regs[e.EntityID]
		if !ok {
			return nil, fmt.Errorf("load registration %s of change %d: %w", e.EntityID, e.Position,
				domain.Errorf(domain.ECNotFound, "registration %s not found", e.EntityID))
		}
		data, err := leafOf(kind, r)
		if err != nil {
			return nil, err
		}
		out = append(out, domain.TLogLeaf{Kind: kind, EntityID: e.EntityID, Data: data, Hash: LeafHash(data)})
	}
	return out, nil
}

// registrationLeafKind is the leaf kind of a registration's change event, or "" when the change
// is not a legal fact (offices and dossiers are handling).
func registrationLeafKind(e domain.ChangeEvent) string {
	switch e.Kind {
	case eventCreated:
		return KindRegistration
	case eventAnnulled:
		return KindAnnulment
	}
	return ""
}

// batch numbers leaves after st and extends the tree with them.
func (s *Sequencer) batch(st domain.TLogState, leaves []domain.TLogLeaf, cursor domain.FeedCursor) (domain.TLogBatch, error) {
	now := s.now().UTC()
	hashes := make([][]byte, len(leaves))
	for i := range leaves {
		leaves[i].Index = st.Size + uint64(i)
		leaves[i].IntegratedAt = now
		hashes[i] = leaves[i].Hash
	}
	nodes, rng, err := extend(st, hashes)
	if err != nil {
		return domain.TLogBatch{}, err
	}
	return domain.TLogBatch{Leaves: leaves, Nodes: nodes,
		State: domain.TLogState{Size: st.Size + uint64(len(leaves)), Cursor: cursor, Range: rng}}, nil
}

// Run steps until ctx is done: it integrates every pending event, signs a checkpoint when
// CheckpointInterval has passed, and retries missing time-stamps, then waits interval. Errors
// are logged and retried at the next tick: the log only falls behind, it never skips.
func (s *Sequencer) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			_, advanced, err := s.step(ctx)
			s.logFailure(ctx, "tlog step failed", err)
			if err != nil || !advanced || ctx.Err() != nil {
				break
			}
		}
		if s.Signer != nil {
			_, _, err := s.MaybeCheckpoint(ctx, s.CheckpointInterval)
			s.logFailure(ctx, "tlog checkpoint failed", err)
			_, err = s.RetryTimestamps(ctx)
			s.logFailure(ctx, "tlog time-stamp retry failed", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// logFailure logs err, unless it is nil or the sequencer is stopping.
func (s *Sequencer) logFailure(ctx context.Context, msg string, err error) {
	if err != nil && ctx.Err() == nil {
		s.logger().ErrorContext(ctx, msg, "err", err)
	}
}

func (s *Sequencer) batchSize() int {
	if s.BatchSize > 0 {
		return s.BatchSize
	}
	return DefaultBatchSize
}

func (s *Sequencer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sequencer) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}
