package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/archive"
	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/jobs"
	"github.com/sportello/sportello/signing"
	"github.com/sportello/sportello/signing/tlog"
)

// packageWorkers is how many archive packages this process builds at once: building reads every
// file of a package, streamed to a temporary file, so one at a time keeps the disk for the rest.
const packageWorkers = 1

// PackagesDir is the folder, under the data directory, where archive packages are written while
// they are built, before they go into the blob store.
const PackagesDir = "packages-tmp"

func (m *Main) packagesDir() string { return filepath.Join(m.Config.Data, PackagesDir) }

// openPackages prepares the River client that builds archive packages (jobs.QueueArchive) with
// the sealing identity and the time-stamping authority. Every process may run it: River hands
// each package to one of them.
func (m *Main) openPackages(ctx context.Context) error {
	in := m.integrity
	id := in.Identity
	aoo, err := m.Service.AOO(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(m.packagesDir(), 0o700); err != nil {
		return fmt.Errorf("package jobs: %w", err)
	}
	seal, loc := in.sealer(aoo.Name), m.Config.Location()
	builder := &archive.Builder{Service: m.Service, Journals: m.DB, Log: in.Log, Signer: id.Certificate.Subject.String(),
		Version: Version(), Logger: m.Logger,
		TempDir: m.packagesDir(),
		Sealing: archive.Sealing{Seal: func(_ context.Context, data []byte) ([]byte, error) { return signing.SealDetached(id, data) },
			TSA: in.TSA},
		ReceiptPDF: func(ctx context.Context, r *domain.Registration, rc archive.Receipt, cp tlog.Checkpoint) ([]byte, error) {
			return api.PackageReceiptPDF(ctx, m.Service, seal, loc, r, rc.LeafIndex, rc.Leaf, rc.InclusionProof, cp)
		}}
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
