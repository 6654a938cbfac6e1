package tlog_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/signing/tlog"
)

func TestCheckpointSignature(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		_, edKey, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		for name, key := range map[string]crypto.Signer{"ECDSA": e.key, "RSA": rsaKey, "Ed25519": edKey} {
			e.seq.Signer = key
			e.register(t, 1)
			cp := e.checkpoint(t)
			stored, err := e.log.Checkpoint(t.Context(), cp.Size)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(name+"/Verifies", func(t *testing.T) {
				if err := tlog.VerifyCheckpoint(stored, key.Public()); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(stored.Note(), cp.Note()) || !bytes.Equal(stored.Signature, cp.Signature) {
					t.Fatalf("stored checkpoint differs:\n%s\n%s", stored.Note(), cp.Note())
				}
			})
			t.Run(name+"/FailsWithSizeAltered", func(t *testing.T) {
				bad := stored
				bad.Size++
				if err := tlog.VerifyCheckpoint(bad, key.Public()); err == nil {
					t.Fatal("verified")
				}
			})
			t.Run(name+"/FailsWithRootAltered", func(t *testing.T) {
				bad := stored
				bad.Root = bytes.Clone(stored.Root)
				bad.Root[0] ^= 1
				if err := tlog.VerifyCheckpoint(bad, key.Public()); err == nil {
					t.Fatal("verified")
				}
			})
			t.Run(name+"/FailsWithAnotherKey", func(t *testing.T) {
				if err := tlog.VerifyCheckpoint(stored, e.key.Public()); err == nil && key != e.key {
					t.Fatal("verified")
				}
			})
		}
	})
}

func TestMaybeCheckpoint(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		ctx := t.Context()
		t.Run("NoneForAnEmptyLog", func(t *testing.T) {
			if _, ok, err := e.seq.MaybeCheckpoint(ctx, 0); ok || err != nil {
				t.Fatalf("made %v, %v", ok, err)
			}
		})
		e.register(t, 3)
		first := e.checkpoint(t)
		t.Run("NoneWithoutNewLeaves", func(t *testing.T) {
			if _, ok, err := e.seq.MaybeCheckpoint(ctx, 0); ok || err != nil {
				t.Fatalf("made %v, %v", ok, err)
			}
		})
		t.Run("NoneBeforeTheInterval", func(t *testing.T) {
			e.register(t, 1)
			e.integrate(t)
			if _, ok, err := e.seq.MaybeCheckpoint(ctx, 24*60*60*1e9); ok || err != nil {
				t.Fatalf("made %v, %v", ok, err)
			}
		})
		t.Run("TimestamperFailureStoresWithoutToken", func(t *testing.T) {
			tsa := &failingTSA{}
			e.seq.Timestamper = tsa
			cp, ok, err := e.seq.MaybeCheckpoint(ctx, 0)
			if !ok || err != nil || cp.Size != first.Size+1 {
				t.Fatalf("made %v (size %d), %v", ok, cp.Size, err)
			}
			stored, err := e.log.Checkpoint(ctx, cp.Size)
			if err != nil || stored.TimestampToken != nil {
				t.Fatalf("stored token %q, %v", stored.TimestampToken, err)
			}
			if n, err := e.seq.RetryTimestamps(ctx); n != 0 || err == nil {
				t.Fatalf("retry with the TSA down: %d, %v", n, err)
			}
			tsa.up = true
			if n, err := e.seq.RetryTimestamps(ctx); n != 2 || err != nil {
				t.Fatalf("retry: %d, %v; want both checkpoints time-stamped", n, err)
			}
			stored, _ = e.log.Checkpoint(ctx, cp.Size)
			if len(stored.TimestampToken) == 0 {
				t.Fatal("token still missing after retry")
			}
			if err := e.db.SetTLogTimestamp(ctx, cp.Size, []byte("other")); domain.CodeOf(err) != domain.ECConflict {
				t.Fatalf("second token: %v, want conflict", err)
			}
		})
	})
}
