package verify

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/signing"
	"github.com/sportello/sportello/signing/tlog"
)

// checkpointJSON is a checkpoint as the API writes it (GET /v1/log/checkpoint, and inside a
// receipt: api.Checkpoint, docs/verification.md).
type checkpointJSON struct {
	Origin         string    `json:"origin"`
	Size           uint64    `json:"size"`
	RootHash       []byte    `json:"root_hash"`
	Time           time.Time `json:"time"`
	Signature      []byte    `json:"signature"`
	KeyFingerprint string    `json:"key_fingerprint"`
	TimestampToken []byte    `json:"timestamp_token,omitempty"`
	Note           string    `json:"note"`
}

// receiptFile is a receipt as the API writes it (api.Receipt), with the registration kept as
// the exact bytes received: the leaf is recomputed from them, not from a re-encoding.
type receiptFile struct {
	Registration       json.RawMessage `json:"registration"`
	LeafIndex          uint64          `json:"leaf_index"`
	Leaf               []byte          `json:"leaf"`
	LeafHash           []byte          `json:"leaf_hash"`
	Checkpoint         checkpointJSON  `json:"checkpoint"`
	InclusionProof     [][]byte        `json:"inclusion_proof"`
	SealingCertificate []byte          `json:"sealing_certificate"`
	TSACertificate     []byte          `json:"tsa_certificate"`
}

// pdf checks a receipt PDF: its seal, then the receipt it embeds. The certificates come from
// the embedded receipt (or Options); the fingerprint check decides whether to trust them, and
// the whole-file ByteRange rule ties the embedded receipt to the seal.
func (v *verifier) pdf(raw []byte) {
	js, err := signing.ReceiptJSON(raw)
	if !v.check(kEmbeddedReceipt, "", err) {
		return
	}
	var rc receiptFile
	if err := json.Unmarshal(js, &rc); err != nil {
		v.check(kEmbeddedReceipt, "", fmt.Errorf("not a receipt: %w", err))
		return
	}
	seal := v.trust(sealingRole, rc.SealingCertificate)
	tsa := v.trust(tsaRole, tsaDER(rc.TSACertificate, rc.Checkpoint.TimestampToken))
	if seal == nil || tsa == nil {
		v.check(kPDFSeal, "", errors.New("no trusted certificate to check it with"))
	} else {
		detail, err := checkSeal(raw, seal, tsa)
		v.check(kPDFSeal, "", err, detail)
	}
	v.receiptChecks(rc, seal, tsa)
}

// checkSeal requires a valid PAdES B-T seal by seal, time-stamped by tsa, whose ByteRange
// covers the whole file (signing.VerifyPDF enforces the last). It describes what it found.
func checkSeal(pdf []byte, seal, tsa *x509.Certificate) (string, error) {
	roots := x509.NewCertPool()
	roots.AddCert(seal)
	roots.AddCert(tsa)
	rep, err := signing.VerifyPDF(pdf, roots)
	switch {
	case err != nil:
		return "", err
	case rep.SubFilter != "ETSI.CAdES.detached":
		return "", fmt.Errorf("SubFilter %s, want ETSI.CAdES.detached (PAdES)", rep.SubFilter)
	case rep.Signer == nil || !rep.Signer.Equal(seal):
		return "", errors.New("sealed by another certificate than the receipt's sealing certificate")
	case !rep.TimestampValid:
		return "", errors.New("no valid RFC 3161 signature time-stamp (PAdES B-T)")
	}
	return fmt.Sprintf("PAdES B-T %s, whole file signed, time-stamped %s", rep.SubFilter,
		rep.TimestampTime.UTC().Format(time.RFC3339)), nil
}

// receipt checks a receipt JSON file.
func (v *verifier) receipt(raw []byte) {
	var rc receiptFile
	if err := json.Unmarshal(raw, &rc); err != nil {
		v.check(kReceipt, "", fmt.Errorf("not a receipt: %w", err))
		return
	}
	seal := v.trust(sealingRole, rc.SealingCertificate)
	tsa := v.trust(tsaRole, tsaDER(rc.TSACertificate, rc.Checkpoint.TimestampToken))
	v.receiptChecks(rc, seal, tsa)
}

// receiptChecks recomputes the leaf, verifies the inclusion proof and the checkpoint.
func (v *verifier) receiptChecks(rc receiptFile, seal, tsa *x509.Certificate) {
	leaf, err := tlog.LeafFromJSON(tlog.KindRegistration, rc.Registration)
	if err == nil && !bytes.Equal(leaf, rc.Leaf) {
		err = fmt.Errorf("the registration encodes to\n     %s\n     but the logged leaf is\n     %s", leaf, rc.Leaf)
	}
	if err == nil && !bytes.Equal(tlog.LeafHash(leaf), rc.LeafHash) {
		err = errors.New("leaf_hash is not SHA-256(0x00 || leaf)")
	}
	v.check(kLeaf, "", err)
	if leaf == nil {
		leaf = rc.Leaf
	}
	cp := rc.Checkpoint
	v.check(kInclusion, "", tlog.VerifyInclusion(leaf, rc.LeafIndex, cp.Size, rc.InclusionProof, cp.RootHash),
		fmt.Sprintf("leaf %d in tree of size %d", rc.LeafIndex, cp.Size))
	v.checkpoint(cp, seal, tsa)
}

// checkpointFile checks a checkpoint as GET /v1/log/checkpoint answers it; it carries no
// certificate, so the sealing one must be given apart.
func (v *verifier) checkpointFile(raw []byte) {
	var cp checkpointJSON
	if err := json.Unmarshal(raw, &cp); err != nil {
		v.check(kCheckpoint, "", fmt.Errorf("not a checkpoint: %w", err))
		return
	}
	seal := v.trust(sealingRole, nil)
	tsa := v.trust(tsaRole, tsaDER(nil, cp.TimestampToken))
	v.checkpoint(cp, seal, tsa)
}

// checkpoint checks the note, its signature by the sealing key and its RFC 3161 token.
func (v *verifier) checkpoint(c checkpointJSON, seal, tsa *x509.Certificate) {
	cp := tlog.Checkpoint{Origin: c.Origin, Size: c.Size, Root: c.RootHash, Time: c.Time, Signature: c.Signature,
		KeyFingerprint: c.KeyFingerprint, TimestampToken: c.TimestampToken}
	note := cp.Note()
	var err error
	if c.Note != string(note) {
		err = fmt.Errorf("note %q is not the signed form of the checkpoint's fields %q", c.Note, note)
	}
	v.check(kCheckpointNote, "", err, fmt.Sprintf("size %d, %s", c.Size, c.Time.UTC().Format(time.RFC3339)))
	if seal == nil {
		v.check(kCheckpointSignature, "", errors.New("no trusted sealing certificate"))
	} else {
		v.check(kCheckpointSignature, "", tlog.VerifyCheckpoint(cp, seal.PublicKey))
	}
	switch {
	case len(c.TimestampToken) == 0:
		v.check(kCheckpointTimestamp, "", errors.New("the checkpoint has no RFC 3161 token (the TSA was unreachable); fetch a later checkpoint"))
	case tsa == nil:
		v.check(kCheckpointTimestamp, "", errors.New("no trusted TSA certificate"))
	default:
		roots := x509.NewCertPool()
		roots.AddCert(tsa)
		sum := sha256.Sum256(note)
		info, err := signing.VerifyToken(c.TimestampToken, sum[:], crypto.SHA256, nil, roots)
		detail := ""
		if err == nil {
			detail = info.Time.UTC().Format(time.RFC3339)
		}
		v.check(kCheckpointTimestamp, "", err, detail)
	}
}

// tsaDER is the TSA certificate a receipt carries or, failing that, the one inside token.
func tsaDER(carried, token []byte) []byte {
	if len(carried) > 0 || len(token) == 0 {
		return carried
	}
	if cert, err := signing.TokenCertificate(token); err == nil {
		return cert.Raw
	}
	return nil
}
