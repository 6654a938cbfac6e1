package app

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/archive"
	"github.com/sportello/sportello/jobs"
	"github.com/sportello/sportello/signing"
)

// packageWorkers is how many archive packages this process builds at once: building reads every
// file of a package and holds the zip in memory, so one at a time.
const packageWorkers = 1

// openPackages prepares the River client that builds archive packages (jobs.QueueArchive) with
// the sealing identity and the time-stamping authority. Every process may run it: River hands
// each package to one of them.
func (m *Main) openPackages() error {
	in := m.integrity
	id := in.Identity
	builder := &archive.Builder{Service: m.Service, Journals: m.DB, Log: in.Log, Signer: id.Certificate.Subject.String(),
		Version: Version(), Logger: m.Logger,
		Sealing: archive.Sealing{Seal: func(_ context.Context, data []byte) ([]byte, error) { return signing.SealDetached(id, data) },
			TSA: in.TSA}}
	if err := river.AddWorkerSafely(m.jobWorkers(), &jobs.BuildPackageWorker{Builder: builder}); err != nil {
		return fmt.Errorf("package jobs: %w", err)
	}
	client, err := m.newJobClient(jobs.QueueArchive, packageWorkers, nil)
	if err != nil {
		return err
	}
	m.packages = &dispatchJobs{client: client}
	return nil
}
