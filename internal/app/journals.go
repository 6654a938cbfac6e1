package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sportello/sportello/journal"
	"github.com/sportello/sportello/signing"
	"github.com/sportello/sportello/storage"
)

// journaling runs the daily journal worker (docs/compliance.md D1) in the background, like the log
// sequencer: in the process that leads RoleJournal (leaders.go). It stays safe to run in several
// processes at once, as it does for the second a leader that lost its lock takes to notice.
type journaling struct {
	worker *journal.Worker
	// every is how often it runs; zero means journal.DefaultInterval.
	every time.Duration

	stop func()
	done sync.WaitGroup
}

// openJournals prepares the journal worker on the opened database, blob store and sealing
// identity, and lets the log sequencer load journals to log them as leaves.
func (m *Main) openJournals() {
	in := m.integrity
	tsa, _ := in.TSA.(signing.Timestamper)
	w := &journal.Worker{
		Store: m.DB, Blobs: m.Service.Blobs, AOO: m.Service.AOO, Location: m.Config.Location(),
		Now: m.Now, Logger: m.Logger,
	}
	w.Sign = func(ctx context.Context, pdf []byte) ([]byte, error) {
		aoo, err := m.Service.AOO(ctx)
		if err != nil {
			return nil, err
		}
		return signing.SignPDF(ctx, pdf, in.Identity, signing.SignOptions{
			Name: aoo.Name, Reason: "Registro giornaliero di protocollo", TSA: tsa,
		})
	}
	in.Sequencer.Journals = m.DB
	m.journals = &journaling{worker: w, every: m.JournalEvery}
}

// ProduceJournals runs the journal worker once, now: every missing journal of the days before
// today is produced. Tests call it to step the worker deterministically.
func (m *Main) ProduceJournals(ctx context.Context) (int, error) {
	if m.journals == nil {
		return 0, errors.New("journals: Open the application first")
	}
	n, err := m.journals.worker.RunOnce(ctx)
	if err != nil {
		return n, fmt.Errorf("produce journals: %w", err)
	}
	return n, nil
}

// start runs the worker in the background, while this process leads RoleJournal, until
// stopBackground.
func (j *journaling) start(leader *storage.Leader) {
	ctx, cancel := context.WithCancel(context.Background())
	j.stop = cancel
	j.done.Go(func() {
		leader.Run(ctx, func(ctx context.Context) { j.worker.Run(ctx, j.every) })
	})
}

// stopBackground stops the worker and waits for the journal in progress to be stored.
func (j *journaling) stopBackground() {
	if j != nil && j.stop != nil {
		j.stop()
		j.done.Wait()
	}
}
