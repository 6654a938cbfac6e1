package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing"
)

// renderReceipt lays out rc as the PDF receipt, with times in loc (the instance's zone).
func renderReceipt(aoo domain.AOO, loc *time.Location, rc Receipt, js []byte) ([]byte, error) {
	r := rc.Registration
	c := signing.ReceiptContent{
		AOO:      fmt.Sprintf("%s (IPA %s, AOO %s)", aoo.Name, aoo.IPACode, aoo.Code),
		Register: r.Register, Identifier: r.Identifier, Number: fmt.Sprintf("%s/%d", r.NumberFormatted, r.Year),
		RegisteredAt: r.RegisteredAt, Location: loc, Direction: r.Direction, Subject: r.Subject,
		Document:  signing.ReceiptFile{Filename: r.Document.Filename, SHA256: r.Document.SHA256},
		LeafIndex: rc.LeafIndex, CheckpointSize: rc.Checkpoint.Size,
		CheckpointRoot: base64.StdEncoding.EncodeToString(rc.Checkpoint.RootHash), CheckpointTime: rc.Checkpoint.Time,
		SealFingerprint: certFingerprint(rc.SealingCertificate), JSON: js,
	}
	if e := r.Emergency; e != nil {
		c.Emergency = fmt.Sprintf("n. %d del %s (interruzione %s)", e.Number, e.Date, e.Register)
	}
	if ic := r.ImageCopy; ic != nil {
		c.ImageCopy = imageCopyText(*ic)
	}
	if a := r.Annulment; a != nil {
		c.Annulment = &signing.ReceiptAnnulment{At: a.At, Reason: a.Reason, Authorization: a.Authorization}
	}
	for _, k := range r.Correspondents {
		c.Correspondents = append(c.Correspondents, signing.ReceiptCorrespondent{Role: k.Role, Name: k.Name})
	}
	for _, a := range r.Attachments {
		c.Attachments = append(c.Attachments, signing.ReceiptFile{Filename: a.Filename, SHA256: a.SHA256})
	}
	return signing.RenderReceipt(c)
}

// imageCopyText is how the PDF receipt prints an image copy of a paper original, beside the
// label "Copia per immagine".
func imageCopyText(ic ImageCopy) string {
	switch {
	case ic.AttestedBy == "":
		return "conformità all'originale non attestata"
	case ic.AttestedOn == "":
		return "conformità attestata da " + ic.AttestedBy
	}
	return "conformità attestata da " + ic.AttestedBy + " il " + ic.AttestedOn
}

// certFingerprint is the SHA-256 of a certificate's DER in hex, as /v1/info publishes it.
func certFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// tsaCertificate is the configured TSA certificate or, for an external TSA, the signer's
// certificate inside token; nil when there is neither.
func (h *handlers) tsaCertificate(token []byte) []byte {
	if h.seal.TSACertificate != nil || len(token) == 0 {
		return h.seal.TSACertificate
	}
	cert, err := signing.TokenCertificate(token)
	if err != nil {
		return nil
	}
	return cert.Raw
}

// location is the instance's time zone, in which the receipt prints the protocol time.
func (h *handlers) location() *time.Location {
	if loc, err := time.LoadLocation(h.info.Timezone); err == nil && h.info.Timezone != "" {
		return loc
	}
	return time.UTC
}

// negotiate picks the offer the Accept header prefers (RFC 9110 §12.5.1): each offer takes the
// q of the most specific media range matching it; the highest q above zero wins, ties going to
// the earlier offer. An empty header accepts the first offer; "" means none is acceptable.
func negotiate(accept string, offers ...string) string {
	if strings.TrimSpace(accept) == "" {
		return offers[0]
	}
	best, bestQ := "", 0.0
	for _, offer := range offers {
		q, specificity := 0.0, -1
		for _, rng := range strings.Split(accept, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(rng))
			if err != nil {
				continue
			}
			s := matches(mt, offer)
			if s <= specificity {
				continue
			}
			specificity, q = s, 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
					q = 0
				}
			}
		}
		if q > bestQ {
			best, bestQ = offer, q
		}
	}
	return best
}

// matches reports how specifically media range rng matches offer: 2 exactly, 1 as type/*,
// 0 as */*, -1 not at all.
func matches(rng, offer string) int {
	switch {
	case rng == offer:
		return 2
	case rng == "*/*":
		return 0
	case strings.HasSuffix(rng, "/*") && strings.HasPrefix(offer, strings.TrimSuffix(rng, "*")):
		return 1
	}
	return -1
}
