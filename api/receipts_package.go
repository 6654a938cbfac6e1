package api

import (
	"context"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/tlog"
)

// PackageReceiptPDF renders and seals the PDF receipt of r whose registration leaf (at
// leafIndex) proof proves against cp: the receipt GET …/receipt gives, but against the
// checkpoint an archive package proves its registrations against, so that the package's PDF
// receipts agree with its receipt.json files. loc is the instance's time zone.
func PackageReceiptPDF(ctx context.Context, svc *domain.Service, seal Sealer, loc *time.Location, r *domain.Registration,
	leafIndex uint64, leaf []byte, proof [][]byte, cp tlog.Checkpoint) ([]byte, error) {
	h := &handlers{svc: svc, seal: seal}
	rc := Receipt{Registration: toRegistration(r), LeafIndex: leafIndex, Leaf: leaf, LeafHash: tlog.LeafHash(leaf),
		Checkpoint: toCheckpoint(cp), InclusionProof: proof, SealingCertificate: seal.Certificate,
		TSACertificate: h.tsaCertificate(cp.TimestampToken)}
	if loc != nil {
		h.info.Timezone = loc.String()
	}
	return h.receiptPDF(ctx, r, rc)
}
