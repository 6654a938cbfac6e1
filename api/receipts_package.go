package api

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/tlog"
)

// PackageReceiptPDF renders the PDF receipt of r whose registration leaf (at leafIndex) proof
// proves against cp: the page GET …/receipt gives, embedding the same JSON receipt, but against
// the checkpoint an archive package proves its registrations against, and not sealed on its
// own — the package's sealed and time-stamped index covers it like every other file, and an
// unsealed page is the same bytes for the same content, as a package must be. loc is the
// instance's time zone.
func PackageReceiptPDF(ctx context.Context, svc *domain.Service, seal Sealer, loc *time.Location, r *domain.Registration,
	leafIndex uint64, leaf []byte, proof [][]byte, cp tlog.Checkpoint) ([]byte, error) {
	h := &handlers{svc: svc, seal: seal}
	rc := Receipt{Registration: toRegistration(r), LeafIndex: leafIndex, Leaf: leaf, LeafHash: tlog.LeafHash(leaf),
		Checkpoint: toCheckpoint(cp), InclusionProof: proof, SealingCertificate: seal.Certificate,
		TSACertificate: h.tsaCertificate(cp.TimestampToken)}
	js, err := json.Marshal(rc)
	if err != nil {
		return nil, fmt.Errorf("receipt of %s: %w", r.Identifier, err)
	}
	aoo, err := svc.AOO(ctx)
	if err != nil {
		return nil, fmt.Errorf("receipt of %s: %w", r.Identifier, err)
	}
	if loc == nil {
		loc = time.UTC
	}
	return renderReceipt(aoo, loc, rc, js)
}
