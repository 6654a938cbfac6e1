package api_test

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/signing"
	"github.com/sportello/sportello/signing/tlog"
)

// readCert reads a certificate the server created under its data directory.
func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func fromAPI(cp api.Checkpoint) tlog.Checkpoint {
	return tlog.Checkpoint{Origin: cp.Origin, Size: cp.Size, Root: cp.RootHash, Time: cp.Time,
		Signature: cp.Signature, KeyFingerprint: cp.KeyFingerprint, TimestampToken: cp.TimestampToken}
}

// TestReceiptVerifiesOffline, through HTTP: the receipt of a
// registration carries its leaf, a signed and time-stamped checkpoint and an inclusion proof
// that all verify with nothing but the sealing and TSA certificates; consistency proofs link
// two checkpoints.
func TestReceiptVerifiesOffline(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		seal := readCert(t, filepath.Join(s.DataDir, "keys", "seal", "sealing.crt"))
		tsa := readCert(t, filepath.Join(s.DataDir, "keys", "tsa", "tsa.crt"))

		var info api.InfoResponse
		c.do("GET", "/v1/info", op, nil).decode(t, http.StatusOK, &info)
		sum := sha256.Sum256(seal.Raw)
		if !info.Signing.SelfSigned || info.Signing.Fingerprint != fmt.Sprintf("%x", sum) || info.Signing.TSA != "built-in" {
			t.Fatalf("/v1/info signing %+v, want the self-signed seal %x and the built-in TSA", info.Signing, sum)
		}

		var regs []api.Registration
		for i := range 3 {
			regs = append(regs, c.mustRegister(op, fmt.Sprintf("istanza %d", i)))
		}
		var first api.Receipt
		c.do("GET", refPath(regs[1])+"/receipt", op, nil, "Accept", "application/json").decode(t, http.StatusOK, &first)
		verifyReceipt(t, first, seal, tsa)

		t.Run("TamperedLeafFails", func(t *testing.T) {
			leaf := append([]byte(nil), first.Leaf...)
			leaf[len(leaf)/2] ^= 1
			if tlog.VerifyInclusion(leaf, first.LeafIndex, first.Checkpoint.Size, first.InclusionProof, first.Checkpoint.RootHash) == nil {
				t.Fatal("a changed leaf still verifies")
			}
			cp := fromAPI(first.Checkpoint)
			cp.Size++
			if tlog.VerifyCheckpoint(cp, seal.PublicKey) == nil {
				t.Fatal("a checkpoint with another size still verifies")
			}
		})

		t.Run("ConsistencyBetweenCheckpoints", func(t *testing.T) {
			var later api.Receipt
			last := c.mustRegister(op, "dopo il primo checkpoint")
			c.do("GET", refPath(last)+"/receipt", op, nil, "Accept", "application/json").decode(t, http.StatusOK, &later)
			verifyReceipt(t, later, seal, tsa)
			from, to := first.Checkpoint, later.Checkpoint
			if to.Size <= from.Size {
				t.Fatalf("checkpoint sizes %d then %d", from.Size, to.Size)
			}
			var p api.Proof
			c.do("GET", fmt.Sprintf("/v1/log/proofs/consistency?from=%d&to=%d", from.Size, to.Size), op, nil).decode(t, http.StatusOK, &p)
			if err := tlog.VerifyConsistency(from.Size, to.Size, p.Hashes, from.RootHash, to.RootHash); err != nil {
				t.Fatalf("consistency proof: %v", err)
			}
			var latest api.Checkpoint
			c.do("GET", "/v1/log/checkpoint", op, nil).decode(t, http.StatusOK, &latest)
			if latest.Size < to.Size {
				t.Fatalf("latest checkpoint %d is older than one already served (%d)", latest.Size, to.Size)
			}
		})

		t.Run("InclusionProofEndpoint", func(t *testing.T) {
			var p api.Proof
			cp := first.Checkpoint
			c.do("GET", fmt.Sprintf("/v1/log/proofs/inclusion?index=%d&size=%d", first.LeafIndex, cp.Size), op, nil).decode(t, http.StatusOK, &p)
			if err := tlog.VerifyInclusion(first.Leaf, first.LeafIndex, cp.Size, p.Hashes, cp.RootHash); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("ErrBadProofQueries", func(t *testing.T) {
			c.do("GET", "/v1/log/proofs/inclusion?index=5&size=5", op, nil).problem(t, 422, "validation_failed")
			c.do("GET", "/v1/log/proofs/inclusion?index=0", op, nil).problem(t, 422, "validation_failed")
			c.do("GET", "/v1/log/proofs/inclusion?index=0&size=1&x=1", op, nil).problem(t, 422, "validation_failed")
			c.do("GET", "/v1/log/proofs/inclusion?index=0&size=1000000", op, nil).problem(t, 404, "not_found")
			c.do("GET", "/v1/log/proofs/consistency?from=0&to=1", op, nil).problem(t, 422, "validation_failed")
			c.do("GET", "/v1/log/proofs/consistency?from=3&to=2", op, nil).problem(t, 422, "validation_failed")
		})

		t.Run("ErrReceiptOfInvisibleRegistration", func(t *testing.T) {
			clerk := s.NewClient(t, "clerk", []string{"clerk"})
			c.do("GET", refPath(regs[0])+"/receipt", clerk, nil).problem(t, 404, "not_found")
		})
	}, apptest.WithConfig(func(cfg *app.Config) { cfg.CheckpointEvery = 20 * time.Millisecond }))
}

// verifyReceipt checks a receipt as a third party would: the leaf is recomputed from the
// registration, the inclusion proof, the checkpoint's signature and its time-stamp token.
func verifyReceipt(t *testing.T, rc api.Receipt, seal, tsa *x509.Certificate) {
	t.Helper()
	reg, err := json.Marshal(rc.Registration)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := tlog.LeafFromJSON(tlog.KindRegistration, reg)
	if err != nil {
		t.Fatal(err)
	}
	if string(leaf) != string(rc.Leaf) {
		t.Fatalf("leaf recomputed from the registration:\n%s\nlogged:\n%s", leaf, rc.Leaf)
	}
	cp := rc.Checkpoint
	if err := tlog.VerifyInclusion(leaf, rc.LeafIndex, cp.Size, rc.InclusionProof, cp.RootHash); err != nil {
		t.Fatalf("inclusion: %v", err)
	}
	if err := tlog.VerifyCheckpoint(fromAPI(cp), seal.PublicKey); err != nil {
		t.Fatalf("checkpoint signature: %v", err)
	}
	if cp.Note != string(fromAPI(cp).Note()) {
		t.Fatalf("note %q is not the signed form of the checkpoint", cp.Note)
	}
	roots := x509.NewCertPool()
	roots.AddCert(tsa)
	digest := sha256.Sum256([]byte(cp.Note))
	if _, err := signing.VerifyToken(cp.TimestampToken, digest[:], crypto.SHA256, nil, roots); err != nil {
		t.Fatalf("checkpoint time-stamp: %v", err)
	}
}
