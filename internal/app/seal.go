package app

import (
	"context"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing"
)

// sealer hands the API a closure that seals receipts as PAdES B-T with the sealing identity
// and the configured time-stamping authority, so the api package never holds a key.
func (in *integrity) sealer(signerName string) api.Sealer {
	s := api.Sealer{Certificate: in.Identity.Certificate.Raw}
	tsa, _ := in.TSA.(signing.Timestamper)
	if b, ok := in.TSA.(*signing.BuiltinTSA); ok {
		s.TSACertificate = b.Certificate().Raw
	}
	s.Sign = func(ctx context.Context, pdf []byte) ([]byte, error) {
		return signing.SignPDF(ctx, pdf, in.Identity, signing.SignOptions{
			Name: signerName, Reason: "Ricevuta di protocollazione", TSA: tsa,
		})
	}
	return s
}

// pdfSigner seals the final acts of cases as PAdES B-T with the sealing identity and the
// time-stamping authority, like receipts; the domain holds the closure, never the key.
func (in *integrity) pdfSigner(signerName string) domain.PDFSigner {
	tsa, _ := in.TSA.(signing.Timestamper)
	return func(ctx context.Context, pdf []byte, reason string) ([]byte, error) {
		return signing.SignPDF(ctx, pdf, in.Identity, signing.SignOptions{Name: signerName, Reason: reason, TSA: tsa})
	}
}

// actRenderer lays out generated final acts in the AOO's name, dated in loc.
func actRenderer(aoo string, loc *time.Location) domain.ActRenderer {
	return func(a domain.ActDraft) ([]byte, error) {
		return signing.RenderAct(signing.ActContent{AOO: aoo, Procedure: a.Procedure, Dossier: a.Dossier,
			Submission: a.Submission, Applicant: a.Applicant, Outcome: a.Outcome, Reasons: a.Reasons, Office: a.Office,
			Date: a.Date, Location: loc})
	}
}
