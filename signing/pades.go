package signing

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/digitorus/pdfsign"
)

// SignOptions describes one seal. Name, Reason and Location go into the
// signature dictionary, where PDF readers show them.
type SignOptions struct {
	Name     string
	Reason   string
	Location string
	// TSAURL names an external RFC 3161 TSA that pdfsign calls directly.
	TSAURL string
	// TSA is used instead of TSAURL when set; it must implement
	// NonceTimestamper (BuiltinTSA and TSAClient do).
	TSA Timestamper
}

// SignPDF seals pdf with id as PAdES baseline B-B, or B-T when a TSA is
// given, with SubFilter ETSI.CAdES.detached, and returns the new file (the
// original bytes followed by an incremental update). It is an approval
// signature, not a certification one: a DocMDP "no changes" lock would forbid
// the later B-LT/B-LTA extensions and countersignatures archives need.
func SignPDF(ctx context.Context, pdf []byte, id *Identity, opts SignOptions) (signed []byte, err error) {
	// The PDF parser reports malformed syntax by panicking.
	defer func() {
		if p := recover(); p != nil {
			signed, err = nil, fmt.Errorf("sign PDF: malformed file: %v", p)
		}
	}()
	if id == nil || id.Signer == nil || id.Certificate == nil {
		return nil, errors.New("sign PDF: no identity")
	}
	tsaURL := opts.TSAURL
	if opts.TSA != nil {
		nt, ok := opts.TSA.(NonceTimestamper)
		if !ok {
			return nil, fmt.Errorf("sign PDF: timestamper %T cannot bind a nonce", opts.TSA)
		}
		url, stop, err := serveLoopback(ctx, nt)
		if err != nil {
			return nil, fmt.Errorf("sign PDF: %w", err)
		}
		defer stop()
		tsaURL = url
	}

	doc, err := pdfsign.Open(bytes.NewReader(pdf), int64(len(pdf)))
	if err != nil {
		return nil, fmt.Errorf("sign PDF: open: %w", err)
	}
	b := doc.Sign(id.Signer, id.Certificate, id.Chain...).
		Type(pdfsign.ApprovalSignature).
		Format(pdfsign.PAdES_B_B).
		SignerName(opts.Name).
		Reason(opts.Reason).
		Location(opts.Location).
		Context(ctx)
	if tsaURL != "" {
		b.Format(pdfsign.PAdES_B_T).Timestamp(tsaURL)
	}
	var out bytes.Buffer
	if _, err := doc.Write(&out); err != nil {
		return nil, fmt.Errorf("sign PDF: %w", err)
	}
	return out.Bytes(), nil
}
