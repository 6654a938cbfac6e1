package domain

import "time"

// Signature is what the check of one signature found on a received file says: who signed, when
// they claim to have signed, whether the signature holds over the content, and whether the
// signer's certificate chains to a configured trust anchor. It is derived from the content by
// the background job that reads it, and a later check (other anchors, a better verifier) may
// say otherwise: it is not a legal fact of the registration, and the transparency log's leaf
// does not carry it.
type Signature struct {
	Format string `json:"format"` // SignatureCAdES, SignaturePAdES, SignatureXAdES
	// Signer is the subject's common name of the signer's certificate (or its whole subject
	// when it has none).
	Signer string `json:"signer"`
	// SigningTime is the time the signer claims (a signed attribute), when present.
	SigningTime *time.Time `json:"signing_time,omitempty"`
	Valid       bool       `json:"valid"`
	// Trusted is nil when no trust anchors are configured: unknown, never true by default.
	Trusted *bool `json:"trusted"`
	// Reason says why the signature is not valid or not trusted; "" when it is both.
	Reason string `json:"reason,omitempty"`
}

// Signature formats.
const (
	SignatureCAdES = "cades" // CMS enveloping the file (.p7m)
	SignaturePAdES = "pades" // a signature inside a PDF
	SignatureXAdES = "xades" // an XML signature
)

// FileSignatures are the signatures found on a registration's files, by each file's SHA-256
// (File.SHA256): the same content carries the same signatures whichever file holds it. A file
// without signatures has no entry.
type FileSignatures map[string][]Signature
