package app

import (
	"context"
	"crypto/x509"
	"encoding/pem"
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

// signingInfo describes the sealing identity and the time-stamping authority for /v1/info,
// certificates included, so that checkpoints can be verified offline with what the server
// publishes.
func (in *integrity) signingInfo() api.Signing {
	out := api.Signing{
		Subject: in.Identity.Certificate.Subject.String(), Fingerprint: in.Identity.Fingerprint(),
		SelfSigned: in.Identity.SelfSigned, TSA: in.TSAName,
	}
	var chain []byte
	for _, c := range append([]*x509.Certificate{in.Identity.Certificate}, in.Identity.Chain...) {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	out.CertificatePEM = string(chain)
	if b, ok := in.TSA.(*signing.BuiltinTSA); ok {
		out.TSACertificatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Certificate().Raw}))
	}
	return out
}

// segnaturaSealer seals the segnature of registrations as XAdES baseline B with the sealing
// identity, signed at the service's clock (read at each call: tests move it).
func (in *integrity) segnaturaSealer(now func() time.Time) domain.SegnaturaSealer {
	return func(ctx context.Context, s domain.Segnatura) ([]byte, error) {
		return signing.SealSegnatura(ctx, s, in.Identity, now())
	}
}
