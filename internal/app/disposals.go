package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sportello/sportello/domain"
)

// DefaultDisposalSweepEvery is how often the disposal sweep runs when Main.DisposalSweepEvery
// is zero.
const DefaultDisposalSweepEvery = 10 * time.Minute

// disposalSweep finishes disposals whose content was not destroyed after their commit (a crash,
// a failing blob store): once at start, then periodically. Safe in several processes at once:
// each deletion runs under the content's exclusive lock and is marked done in the database.
type disposalSweep struct {
	svc    *domain.Service
	every  time.Duration
	logger *slog.Logger

	stop func()
	done sync.WaitGroup
}

// start runs the sweep now and then every s.every, in the background, until stopBackground.
func (s *disposalSweep) start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	every := s.every
	if every <= 0 {
		every = DefaultDisposalSweepEvery
	}
	s.done.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.runOnce(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

func (s *disposalSweep) runOnce(ctx context.Context) {
	n, err := s.svc.FinishDisposals(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		s.logger.Error("disposal sweep: content of a committed disposal is still stored; retrying later", "err", err)
	case n > 0:
		s.logger.Info("disposal sweep: destroyed content left by earlier disposals", "digests", n)
	}
}

// stopBackground stops the sweep and waits for the deletion in progress.
func (s *disposalSweep) stopBackground() {
	if s != nil && s.stop != nil {
		s.stop()
		s.done.Wait()
	}
}
