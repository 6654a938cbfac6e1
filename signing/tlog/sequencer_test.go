package tlog_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/signing/tlog"
	"github.com/sportello/sportello/storage/storagetest"
)

func TestSequencer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		ctx := t.Context()
		regs := e.register(t, 5)
		annulled := e.annul(t, regs[2].ID)
		e.integrate(t)

		t.Run("LeavesInFeedOrderWithoutGap", func(t *testing.T) {
			leaves, err := e.db.TLogLeaves(ctx, 0, 100)
			if err != nil || len(leaves) != 6 {
				t.Fatalf("leaves: %d, %v", len(leaves), err)
			}
			for i, l := range leaves {
				if l.Index != uint64(i) {
					t.Errorf("leaf %d has index %d", i, l.Index)
				}
				want, kind := regs[min(i, 4)], tlog.KindRegistration
				if i == 5 {
					want, kind = annulled, tlog.KindAnnulment
				}
				if l.Kind != kind || l.EntityID != want.ID {
					t.Errorf("leaf %d is %s %s, want %s %s", i, l.Kind, l.EntityID, kind, want.ID)
				}
				if !bytes.Equal(l.Hash, tlog.LeafHash(l.Data)) {
					t.Errorf("leaf %d: stored hash is not the leaf's", i)
				}
			}
		})
		t.Run("StepAgainAppendsNothing", func(t *testing.T) {
			if n, err := e.seq.Step(ctx); err != nil || n != 0 {
				t.Fatalf("step: %d, %v", n, err)
			}
			if st, _ := e.db.TLogState(ctx); st.Size != 6 {
				t.Fatalf("size %d, want 6", st.Size)
			}
		})
		t.Run("UpdatesAreNotLogged", func(t *testing.T) {
			if _, err := e.db.UpdateRegistration(ctx, regs[0].ID, func(r *domain.Registration) (domain.Write, error) {
				r.Class = "I.1"
				return domain.Write{}, nil
			}); err != nil {
				t.Fatal(err)
			}
			before, _ := e.db.TLogState(ctx)
			after := before
			for deadline := time.Now().Add(30 * time.Second); after.Cursor == before.Cursor && time.Now().Before(deadline); {
				if n, err := e.seq.Step(ctx); err != nil || n != 0 {
					t.Fatalf("step: %d, %v", n, err)
				}
				after, _ = e.db.TLogState(ctx)
			}
			if after.Size != 6 || !before.Cursor.Before(after.Cursor) {
				t.Fatalf("state %+v → %+v: want the cursor past the update and no leaf", before.Cursor, after.Cursor)
			}
		})
		t.Run("LeafByEntity", func(t *testing.T) {
			idx, leaf, err := e.log.LeafByEntity(ctx, tlog.KindAnnulment, annulled.ID)
			want, _ := tlog.AnnulmentLeaf(annulled)
			if err != nil || idx != 5 || !bytes.Equal(leaf, want) {
				t.Fatalf("annulment leaf: %d %s %v", idx, leaf, err)
			}
			if _, _, err := e.log.LeafByEntity(ctx, tlog.KindAnnulment, regs[0].ID); domain.CodeOf(err) != domain.ECNotFound {
				t.Fatalf("leaf of an active registration's annulment: %v, want not_found", err)
			}
		})
	})
}

func TestProofs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		ctx := t.Context()
		var cps []tlog.Checkpoint
		for _, n := range []int{1, 2, 1, 4, 5, 3, 16} {
			e.register(t, n)
			cps = append(cps, e.checkpoint(t))
		}
		latest, err := e.log.LatestCheckpoint(ctx)
		if err != nil || latest.Size != 32 || !bytes.Equal(latest.Root, cps[len(cps)-1].Root) {
			t.Fatalf("latest checkpoint %d, %v", latest.Size, err)
		}
		leaves, err := e.db.TLogLeaves(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}

		t.Run("InclusionVerifiesForEveryLeafAndCheckpoint", func(t *testing.T) {
			for _, cp := range cps {
				for _, l := range leaves[:cp.Size] {
					p, err := e.log.InclusionProof(ctx, l.Index, cp.Size)
					if err != nil {
						t.Fatalf("proof of %d in %d: %v", l.Index, cp.Size, err)
					}
					if err := tlog.VerifyInclusion(l.Data, l.Index, cp.Size, p, cp.Root); err != nil {
						t.Errorf("%v", err)
					}
				}
			}
		})
		t.Run("ConsistencyVerifiesBetweenEveryPair", func(t *testing.T) {
			for i, a := range cps {
				for _, b := range cps[i:] {
					p, err := e.log.ConsistencyProof(ctx, a.Size, b.Size)
					if err != nil {
						t.Fatalf("proof %d → %d: %v", a.Size, b.Size, err)
					}
					if err := tlog.VerifyConsistency(a.Size, b.Size, p, a.Root, b.Root); err != nil {
						t.Errorf("%v", err)
					}
				}
			}
		})
		t.Run("WrongLeafFails", func(t *testing.T) {
			p, _ := e.log.InclusionProof(ctx, 3, latest.Size)
			if err := tlog.VerifyInclusion(leaves[4].Data, 3, latest.Size, p, latest.Root); err == nil {
				t.Fatal("another leaf verified")
			}
			if err := tlog.VerifyInclusion(leaves[3].Data, 4, latest.Size, p, latest.Root); err == nil {
				t.Fatal("the leaf verified at another index")
			}
		})
		t.Run("WrongRootFails", func(t *testing.T) {
			p, _ := e.log.InclusionProof(ctx, 3, latest.Size)
			if err := tlog.VerifyInclusion(leaves[3].Data, 3, latest.Size, p, cps[0].Root); err == nil {
				t.Fatal("verified against another root")
			}
			c, _ := e.log.ConsistencyProof(ctx, cps[2].Size, latest.Size)
			if err := tlog.VerifyConsistency(cps[2].Size, latest.Size, c, cps[1].Root, latest.Root); err == nil {
				t.Fatal("consistency verified from another root")
			}
		})
		t.Run("ErrSizeBeyondLog", func(t *testing.T) {
			if _, err := e.log.InclusionProof(ctx, 0, latest.Size+1); domain.CodeOf(err) != domain.ECValidation {
				t.Fatalf("got %v, want validation_failed", err)
			}
			if _, err := e.log.InclusionProof(ctx, latest.Size, latest.Size); domain.CodeOf(err) != domain.ECValidation {
				t.Fatalf("got %v, want validation_failed", err)
			}
		})
	})
}

// TestConcurrentSequencers runs two sequencers on separate connections pools while
// registrations are being created: the store's lock must keep every fact logged exactly once.
func TestConcurrentSequencers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		other := storagetest.Open(t, url)
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for i, s := range []*tlog.Sequencer{e.seq, sequencer(other, e.key)} {
			s.BatchSize = 7 // many small steps, to interleave
			wg.Go(func() {
				for ctx.Err() == nil {
					if _, err := s.Step(ctx); err != nil && ctx.Err() == nil {
						t.Errorf("sequencer %d: %v", i, err)
						return
					}
				}
			})
		}
		var regs []*domain.Registration
		var mu sync.Mutex
		var writers sync.WaitGroup
		for range 4 {
			writers.Go(func() {
				rs := e.register(t, 15)
				mu.Lock()
				regs = append(regs, rs...)
				mu.Unlock()
			})
		}
		writers.Wait()
		deadline := time.Now().Add(30 * time.Second)
		for st, _ := e.db.TLogState(t.Context()); st.Size < uint64(len(regs)) && time.Now().Before(deadline); st, _ = e.db.TLogState(t.Context()) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		wg.Wait()

		// Read through a pool of its own: a sequencer stopped by cancel may have had a query
		// interrupted on its pools' connections (pgx then sets a past deadline on the socket),
		// which is the cancelled caller's error, not what this test checks.
		leaves, err := storagetest.Open(t, url).TLogLeaves(t.Context(), 0, 1000)
		if err != nil || len(leaves) != len(regs) {
			t.Fatalf("%d leaves for %d registrations, %v", len(leaves), len(regs), err)
		}
		logged := map[string]int{}
		for i, l := range leaves {
			if l.Index != uint64(i) {
				t.Fatalf("leaf %d has index %d", i, l.Index)
			}
			logged[l.EntityID]++
		}
		for _, r := range regs {
			if logged[r.ID] != 1 {
				t.Errorf("registration %s logged %d times", r.Identifier, logged[r.ID])
			}
		}
	})
}
