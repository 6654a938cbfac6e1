package signing

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/digitorus/timestamp"
)

// Timestamper obtains an RFC 3161 time-stamp token (a DER CMS ContentInfo)
// over a digest the caller already computed, so documents never leave the
// process. hash names the algorithm that produced digest.
type Timestamper interface {
	Timestamp(ctx context.Context, digest []byte, hash crypto.Hash) (token []byte, err error)
}

// NonceTimestamper is a Timestamper that can also bind a caller's nonce into
// the token. pdfsign always sends a nonce and rejects a reply without it, so
// SignPDF needs this to use a Timestamper for PAdES B-T.
type NonceTimestamper interface {
	Timestamper
	TimestampNonce(ctx context.Context, digest []byte, hash crypto.Hash, nonce *big.Int) (token []byte, err error)
}

// builtinPolicy is the TSA policy the built-in TSA issues under. It is a
// local identifier with no external meaning: tokens from the built-in TSA
// are trustworthy only to whoever trusts its certificate.
var builtinPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1, 1}

// maxTimestampQuery bounds a request body; a real query is under 200 bytes.
const maxTimestampQuery = 16 << 10

// BuiltinTSA is the embedded time-stamping authority: its own key and
// self-signed certificate, separate from the sealing identity so that a time
// claim is never signed by the party whose document it dates. It answers
// in-process and, as an http.Handler, over RFC 3161 HTTP.
type BuiltinTSA struct {
	signer crypto.Signer
	cert   *x509.Certificate
	// Now is the TSA clock; tests may replace it.
	Now func() time.Time
}

// LoadOrCreateBuiltinTSA creates the TSA key and certificate under dir on
// first use (files 0600, dir 0700) and reloads them afterwards.
func LoadOrCreateBuiltinTSA(dir string) (*BuiltinTSA, error) {
	kp, _, err := loadOrCreateKeyPair(dir, "tsa", func(crypto.PublicKey) (*x509.Certificate, error) {
		tmpl, err := selfSignedTemplate("Sportello time-stamping authority (self-signed)")
		if err != nil {
			return nil, err
		}
		// RFC 3161 §2.3: the TSA certificate has exactly one EKU,
		// id-kp-timeStamping, and the extension is critical. Go marks EKU
		// non-critical, so the extension is written by hand.
		eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
		if err != nil {
			return nil, fmt.Errorf("encode timeStamping EKU: %w", err)
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkixExtension(asn1.ObjectIdentifier{2, 5, 29, 37}, true, eku))
		// pdfsign looks for digitalSignature to find the TSA certificate.
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		return tmpl, nil
	})
	if err != nil {
		return nil, fmt.Errorf("load or create built-in TSA: %w", err)
	}
	return &BuiltinTSA{signer: kp.signer, cert: kp.cert, Now: time.Now}, nil
}

// Certificate is the TSA certificate; add it to the roots given to
// VerifyToken and VerifyPDF to trust the built-in TSA's tokens.
func (t *BuiltinTSA) Certificate() *x509.Certificate { return t.cert }

// Timestamp issues a token over digest without a nonce.
func (t *BuiltinTSA) Timestamp(ctx context.Context, digest []byte, hash crypto.Hash) ([]byte, error) {
	return t.TimestampNonce(ctx, digest, hash, nil)
}

// TimestampNonce issues a token over digest carrying nonce (nil for none).
func (t *BuiltinTSA) TimestampNonce(ctx context.Context, digest []byte, hash crypto.Hash, nonce *big.Int) ([]byte, error) {
	resp, err := t.respond(ctx, digest, hash, nonce)
	if err != nil {
		return nil, err
	}
	ts, err := timestamp.ParseResponse(resp)
	if err != nil {
		return nil, fmt.Errorf("built-in TSA: parse own response: %w", err)
	}
	return ts.RawToken, nil
}

// respond builds a complete TimeStampResp in DER.
func (t *BuiltinTSA) respond(ctx context.Context, digest []byte, hash crypto.Hash, nonce *big.Int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("built-in TSA: %w", err)
	}
	if !hash.Available() || len(digest) != hash.Size() {
		return nil, fmt.Errorf("built-in TSA: digest of %d bytes does not fit hash %v", len(digest), hash)
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:     hash,
		HashedMessage:     digest,
		Time:              t.Now().UTC(),
		Accuracy:          time.Second,
		Policy:            builtinPolicy,
		Nonce:             nonce,
		AddTSACertificate: true,
	}
	resp, err := ts.CreateResponseWithOpts(t.cert, t.signer, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("built-in TSA: create response: %w", err)
	}
	return resp, nil
}

// ServeHTTP answers RFC 3161 queries (application/timestamp-query) with
// application/timestamp-reply, so anything that speaks to a TSA by URL —
// pdfsign included — can use the built-in one.
func (t *BuiltinTSA) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST an application/timestamp-query", http.StatusMethodNotAllowed)
		return
	}
	body, err := readQuery(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := t.answer(r.Context(), body)
	if err != nil {
		http.Error(w, "time-stamp failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	_, _ = w.Write(resp)
}

// answer turns a DER query into a DER reply; a malformed query gets an RFC
// 3161 rejection rather than an HTTP error, as clients expect.
func (t *BuiltinTSA) answer(ctx context.Context, query []byte) ([]byte, error) {
	req, err := timestamp.ParseRequest(query)
	if err != nil || !req.HashAlgorithm.Available() || len(req.HashedMessage) != req.HashAlgorithm.Size() {
		return timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadDataFormat)
	}
	if req.TSAPolicyOID != nil && !req.TSAPolicyOID.Equal(builtinPolicy) {
		return timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.UnacceptedPolicy)
	}
	return t.respond(ctx, req.HashedMessage, req.HashAlgorithm, req.Nonce)
}

func pkixExtension(id asn1.ObjectIdentifier, critical bool, value []byte) pkix.Extension {
	return pkix.Extension{Id: id, Critical: critical, Value: value}
}
