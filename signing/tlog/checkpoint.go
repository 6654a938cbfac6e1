package tlog

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sportello/sportello/domain"
)

// Checkpoint is a signed commitment to the log's first Size leaves: whoever holds it can ask
// for proofs against Root, and two checkpoints prove by a consistency proof that the later log
// extends the earlier one. TimestampToken is an RFC 3161 token over SHA-256(Note()), nil while
// missing.
type Checkpoint struct {
	Origin         string
	Size           uint64
	Root           []byte
	Time           time.Time
	Signature      []byte
	KeyFingerprint string
	TimestampToken []byte
}

// Note returns the signed form of the checkpoint, modelled on a C2SP tlog-checkpoint body:
// four lines, each ending in "\n":
//
//	<origin>
//	<size in decimal>
//	<root hash in standard base64>
//	<time, RFC 3339 in UTC with six fractional digits>
//
// The signature covers exactly these bytes; the key fingerprint is not part of them, as it
// only helps pick the key.
func (cp Checkpoint) Note() []byte {
	var b bytes.Buffer
	b.WriteString(cp.Origin + "\n")
	b.WriteString(strconv.FormatUint(cp.Size, 10) + "\n")
	b.WriteString(base64.StdEncoding.EncodeToString(cp.Root) + "\n")
	b.WriteString(formatTime(cp.Time) + "\n")
	return b.Bytes()
}

// Timestamper obtains an RFC 3161 time-stamp token for digest, computed with hash. The signing
// package's TSA clients satisfy it.
type Timestamper interface {
	Timestamp(ctx context.Context, digest []byte, hash crypto.Hash) ([]byte, error)
}

// KeyFingerprint identifies a public key: the lowercase hex SHA-256 of its PKIX DER encoding.
func KeyFingerprint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("key fingerprint: %w", err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// signNote signs note: Ed25519 signs the bytes themselves, ECDSA (ASN.1 signature) and RSA
// (PKCS #1 v1.5) their SHA-256.
func signNote(signer crypto.Signer, note []byte) ([]byte, error) {
	if _, ok := signer.Public().(ed25519.PublicKey); ok {
		return signer.Sign(rand.Reader, note, crypto.Hash(0))
	}
	sum := sha256.Sum256(note)
	return signer.Sign(rand.Reader, sum[:], crypto.SHA256)
}

// VerifyCheckpoint checks cp's signature with pub, and that cp names pub's fingerprint. It needs
// no database: a checkpoint and the log's public key are enough.
func VerifyCheckpoint(cp Checkpoint, pub crypto.PublicKey) error {
	fp, err := KeyFingerprint(pub)
	if err != nil {
		return err
	}
	if cp.KeyFingerprint != fp {
		return fmt.Errorf("checkpoint %d: signed by key %s, not %s", cp.Size, cp.KeyFingerprint, fp)
	}
	note := cp.Note()
	sum := sha256.Sum256(note)
	ok := false
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(k, sum[:], cp.Signature)
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], cp.Signature) == nil
	case ed25519.PublicKey:
		ok = ed25519.Verify(k, note, cp.Signature)
	default:
		return fmt.Errorf("checkpoint %d: unsupported key type %T", cp.Size, pub)
	}
	if !ok {
		return fmt.Errorf("checkpoint %d: bad signature", cp.Size)
	}
	return nil
}

// MaybeCheckpoint signs and stores a checkpoint of the current tree if it has leaves that the
// latest checkpoint lacks and that one is at least minInterval old; it reports the checkpoint
// and whether it made one. A failing time-stamp authority does not stop it: the checkpoint is
// stored without token (which records that it is missing) and RetryTimestamps adds it later.
func (s *Sequencer) MaybeCheckpoint(ctx context.Context, minInterval time.Duration) (Checkpoint, bool, error) {
	st, err := s.Store.TLogState(ctx)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("tlog checkpoint: %w", err)
	}
	now := s.now()
	last, err := s.Store.LatestTLogCheckpoint(ctx)
	if err == nil && now.Sub(last.Time) >= minInterval || domain.CodeOf(err) == domain.ECNotFound {
		// A checkpoint is due: the audit chain's head goes in first, so that the checkpoint
		// covers it. A failure leaves it to the next checkpoint and signs this one.
		if aerr := s.anchorAuditHead(ctx); aerr != nil {
			s.logger().WarnContext(ctx, "audit chain head not logged", "err", aerr)
		} else if st2, serr := s.Store.TLogState(ctx); serr != nil {
			return Checkpoint{}, false, fmt.Errorf("tlog checkpoint: %w", serr)
		} else {
			st = st2
		}
	}
	switch {
	case domain.CodeOf(err) == domain.ECNotFound:
		if st.Size == 0 {
			return Checkpoint{}, false, nil
		}
	case err != nil:
		return Checkpoint{}, false, fmt.Errorf("tlog checkpoint: %w", err)
	case last.Size >= st.Size || now.Sub(last.Time) < minInterval:
		return Checkpoint{}, false, nil
	}
	cp, err := s.sign(st, now)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("tlog checkpoint %d: %w", st.Size, err)
	}
	if s.Timestamper != nil {
		if cp.TimestampToken, err = s.timestamp(ctx, cp); err != nil {
			s.logger().WarnContext(ctx, "tlog checkpoint stored without time-stamp", "size", cp.Size, "err", err)
		}
	}
	err = s.Store.AddTLogCheckpoint(ctx, toDomain(cp))
	if domain.CodeOf(err) == domain.ECConflict {
		return Checkpoint{}, false, nil // another sequencer signed this size first
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("tlog checkpoint %d: %w", st.Size, err)
	}
	return cp, true, nil
}

func (s *Sequencer) sign(st domain.TLogState, now time.Time) (Checkpoint, error) {
	if s.Signer == nil {
		return Checkpoint{}, errors.New("no signer configured")
	}
	root, err := rootOf(st.Size, st.Range)
	if err != nil {
		return Checkpoint{}, err
	}
	fp, err := KeyFingerprint(s.Signer.Public())
	if err != nil {
		return Checkpoint{}, err
	}
	cp := Checkpoint{Origin: s.Origin, Size: st.Size, Root: root, Time: now.UTC().Truncate(time.Microsecond),
		KeyFingerprint: fp}
	if cp.Signature, err = signNote(s.Signer, cp.Note()); err != nil {
		return Checkpoint{}, fmt.Errorf("sign: %w", err)
	}
	return cp, nil
}

func (s *Sequencer) timestamp(ctx context.Context, cp Checkpoint) ([]byte, error) {
	sum := sha256.Sum256(cp.Note())
	tst, err := s.Timestamper.Timestamp(ctx, sum[:], crypto.SHA256)
	if err == nil && len(tst) == 0 {
		err = errors.New("empty time-stamp token")
	}
	return tst, err
}

// RetryTimestamps asks the time-stamp authority again for every checkpoint stored without a
// token and reports how many it completed. It stops at the first failure: the authority is
// likely still down.
func (s *Sequencer) RetryTimestamps(ctx context.Context) (int, error) {
	if s.Timestamper == nil {
		return 0, nil
	}
	done := 0
	for after := uint64(0); ; {
		cps, err := s.Store.TLogCheckpoints(ctx, after, 100, true)
		if err != nil || len(cps) == 0 {
			return done, err
		}
		for _, c := range cps {
			tst, err := s.timestamp(ctx, fromDomain(c))
			if err != nil {
				return done, fmt.Errorf("time-stamp tlog checkpoint %d: %w", c.Size, err)
			}
			if err := s.Store.SetTLogTimestamp(ctx, c.Size, tst); err != nil && domain.CodeOf(err) != domain.ECConflict {
				return done, err
			}
			done++
			after = c.Size
		}
	}
}

func toDomain(cp Checkpoint) domain.TLogCheckpoint { return domain.TLogCheckpoint(cp) }

func fromDomain(cp domain.TLogCheckpoint) Checkpoint { return Checkpoint(cp) }
