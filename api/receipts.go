package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/tlog"
)

// receiptWait bounds how long a receipt request waits for the sequencer to log the registration
// and sign a checkpoint covering it (one checkpoint interval, normally about a second).
const receiptWait = 10 * time.Second

// Media types the receipt is offered in, the PDF first: it is the legal document a person
// keeps, the JSON is for programs.
const (
	mediaPDF  = "application/pdf"
	mediaJSON = "application/json"
)

// Sealer seals the PDFs the API produces. internal/app builds it from the sealing identity and
// the time-stamping authority, so the API holds no keys.
type Sealer struct {
	// Sign returns pdf sealed as PAdES baseline B-T (ETSI.CAdES.detached, RFC 3161 time-stamp).
	Sign func(ctx context.Context, pdf []byte) ([]byte, error)
	// Certificate is the sealing certificate (DER); it also signs the log's checkpoints.
	Certificate []byte
	// TSACertificate is the time-stamping authority's certificate (DER). Nil when not known in
	// advance (an external TSA): receipts then carry the one inside the checkpoint's token.
	TSACertificate []byte
}

// getReceipt returns the registration's receipt: a sealed PDF by default, or the same proof as
// data.
//
//	@Summary		Receipt of a registration (PDF or JSON)
//	@Description	The *ricevuta di protocollazione*. By default, and with `Accept: application/pdf`, an A4 PDF sealed as PAdES B-T (SubFilter ETSI.CAdES.detached, RFC 3161 time-stamp) that embeds the JSON receipt as the attachment `receipt.json`. The receipt is built when asked for: that of an annulled registration prints a framed REGISTRAZIONE ANNULLATA with the annulment's date, reason and authorising act, and its JSON has the `annulment`. With `Accept: application/json`, the JSON receipt: what anyone needs to check offline that this registration is in the register — the registration, the canonical leaf logged for it (recompute it from the registration as docs/transparency-log.md says), its index, a signed and time-stamped checkpoint covering it, the inclusion proof against that checkpoint, and the sealing and TSA certificates. `sportello verify` checks either form (docs/verification.md). Any other Accept is 406. Waits up to 10 s for a registration made a moment ago to be logged; 409 if it still is not. 500 with code `integrity_violation` if the registration's row no longer matches the leaf the log recorded for it (an alteration behind the database's guards): no receipt is sealed, and the server logs an integrity alarm.
//	@Tags			registrations
//	@Produce		json,application/pdf
//	@Security		BearerAuth
//	@Param			register	path		string	true	"Register code"	example(PG)	extensions(x-pattern=register)
//	@Param			year		path		int		true	"Year"			example(2026)	minimum(1000)	maximum(9999)
//	@Param			number		path		string	true	"Protocol number"	example(0000042)	extensions(x-pattern=protocol_number)
//	@Success		200			{object}	Receipt
//	@Failure		401,404,406,409,422,500,503	{object}	Problem
//	@ID				getReceipt
//	@Router			/v1/registrations/{register}/{year}/{number}/receipt [get]
func (h *handlers) getReceipt(c *gin.Context) {
	media := negotiate(c.GetHeader("Accept"), mediaPDF, mediaJSON)
	if media == "" {
		h.fail(c, domain.Errorf(codeNotAcceptable, "the receipt is available as %s or %s", mediaPDF, mediaJSON))
		return
	}
	c.Header("Vary", "Accept")
	ref, err := refParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	r, err := h.svc.Registration(ctx, principal(c), ref)
	if err != nil {
		h.fail(c, err)
		return
	}
	out, err := h.receipt(ctx, r)
	if err != nil {
		h.fail(c, err)
		return
	}
	if media == mediaJSON {
		respond(c, http.StatusOK, out)
		return
	}
	pdf, err := h.receiptPDF(ctx, r, out)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`inline; filename="ricevuta-%s.pdf"`, r.Identifier))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, mediaPDF, pdf)
}

// receipt waits, bounded, until r's leaf is logged and covered by a checkpoint.
func (h *handlers) receipt(ctx context.Context, r *domain.Registration) (Receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, receiptWait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		index, leaf, err := h.tlog.LeafByEntity(ctx, tlog.KindRegistration, r.ID)
		var cp tlog.Checkpoint
		if err == nil {
			cp, err = h.tlog.LatestCheckpoint(ctx)
		}
		if err == nil && cp.Size > index {
			if err := h.matchesLog(ctx, r, leaf); err != nil {
				return Receipt{}, err
			}
			proof, err := h.tlog.InclusionProof(ctx, index, cp.Size)
			if err != nil {
				return Receipt{}, err
			}
			return Receipt{Registration: toRegistration(r), LeafIndex: index, Leaf: leaf, LeafHash: tlog.LeafHash(leaf),
				Checkpoint: toCheckpoint(cp), InclusionProof: proof, SealingCertificate: h.seal.Certificate,
				TSACertificate: h.tsaCertificate(cp.TimestampToken)}, nil
		}
		if err != nil && !domain.IsCode(err, domain.ECNotFound) {
			return Receipt{}, err
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return Receipt{}, domain.Errorf(domain.ECConflict, "registration %s is not yet in a signed checkpoint of the log; retry in a few seconds", r.Ref())
			}
			return Receipt{}, ctx.Err()
		case <-tick.C:
		}
	}
}

// matchesLog refuses a receipt for a registration whose row is not what the log recorded —
// its registration leaf, and its annulment leaf once logged: sealing it would certify an
// alteration made behind the database's guards. The API answers integrity_violation (500).
func (h *handlers) matchesLog(ctx context.Context, r *domain.Registration, leaf []byte) error {
	err := tlog.MatchesLeaf(tlog.KindRegistration, r, leaf)
	if err == nil && r.Annulment != nil {
		var annulment []byte
		_, annulment, err = h.tlog.LeafByEntity(ctx, tlog.KindAnnulment, r.ID)
		switch {
		case domain.IsCode(err, domain.ECNotFound):
			err = nil // not logged yet: the receipt proves the registration leaf only
		case err == nil:
			err = tlog.MatchesLeaf(tlog.KindAnnulment, r, annulment)
		default:
			return err
		}
	}
	if err != nil {
		return &domain.Error{Code: codeIntegrityViolation,
			Message: fmt.Sprintf("registration %s differs from what the transparency log recorded: no receipt is issued, and the administration is alerted", r.Ref()),
			Err:     fmt.Errorf("receipt of %s: %w", r.Identifier, err)}
	}
	return nil
}

// receiptPDF renders the receipt and seals it. The embedded JSON is exactly what the JSON
// form answers, so the PDF alone is enough to verify.
func (h *handlers) receiptPDF(ctx context.Context, r *domain.Registration, rc Receipt) ([]byte, error) {
	if h.seal.Sign == nil {
		return nil, domain.Errorf(domain.ECUnavailable, "receipts cannot be sealed: no sealing identity configured")
	}
	js, err := json.Marshal(rc)
	if err != nil {
		return nil, fmt.Errorf("receipt of %s: %w", r.Identifier, err)
	}
	aoo, err := h.svc.AOO(ctx)
	if err != nil {
		return nil, fmt.Errorf("receipt of %s: %w", r.Identifier, err)
	}
	pdf, err := renderReceipt(aoo, h.location(), rc, js)
	if err != nil {
		return nil, err
	}
	sealed, err := h.seal.Sign(ctx, pdf)
	if err != nil {
		// Sealing fails when the time-stamping authority does not answer: a retry may succeed.
		return nil, &domain.Error{Code: domain.ECUnavailable, Message: "the receipt could not be sealed and time-stamped; retry later",
			Err: fmt.Errorf("seal receipt of %s: %w", r.Identifier, err)}
	}
	return sealed, nil
}
