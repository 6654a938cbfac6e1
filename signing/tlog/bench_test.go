package tlog_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/signing/tlog"
	"github.com/sportello/sportello/storage/storagetest"
)

// synthFeed is a change feed of n registration.created events, and the registrations they
// name: it lets benchmarks measure the log alone, not the registering of documents.
type synthFeed struct{ n int64 }

func (f synthFeed) Changes(_ context.Context, after domain.FeedCursor, limit int) ([]domain.ChangeEvent, error) {
	var out []domain.ChangeEvent
	for p := after.Position + 1; p <= f.n && len(out) < limit; p++ {
		out = append(out, domain.ChangeEvent{Position: p, Tx: p, Kind: "registration.created",
			EntityKind: domain.KindRegistration, EntityID: fmt.Sprintf("r%012d", p)})
	}
	return out, nil
}

func (f synthFeed) FeedCursorOf(_ context.Context, p int64) (domain.FeedCursor, error) {
	return domain.FeedCursor{Tx: p, Position: p}, nil
}

func (f synthFeed) RegistrationsByID(ctx context.Context, ids []string) (map[string]*domain.Registration, error) {
	out := make(map[string]*domain.Registration, len(ids))
	for _, id := range ids {
		out[id], _ = f.RegistrationByID(ctx, id)
	}
	return out, nil
}

func (f synthFeed) RegistrationByID(_ context.Context, id string) (*domain.Registration, error) {
	r := newRegistration(0)
	r.ID, r.Identifier = id, "c_h501-A1B2C3D-PG-2026-"+id
	return r, nil
}

// benchSize is the log size of BenchmarkInclusionProof: SPORTELLO_TLOG_BENCH_SIZE, or 100 000.
func benchSize(b *testing.B) int64 {
	if s := os.Getenv("SPORTELLO_TLOG_BENCH_SIZE"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			b.Fatalf("SPORTELLO_TLOG_BENCH_SIZE=%q: want a positive integer", s)
		}
		return n
	}
	return 100_000
}

// BenchmarkSequencer measures integration: b.N leaves appended in steps of the default batch.
func BenchmarkSequencer(b *testing.B) {
	testdb.EachB(b, func(b *testing.B, url string) {
		db := storagetest.Open(b, url)
		feed := synthFeed{n: int64(b.N)}
		s := &tlog.Sequencer{Feed: feed, Store: db, Registrations: feed}
		b.ResetTimer()
		total := drain(b, s)
		b.StopTimer()
		if total != b.N {
			b.Fatalf("%d leaves, want %d", total, b.N)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
	})
}

// BenchmarkInclusionProof measures building and verifying a proof in a log of benchSize leaves.
func BenchmarkInclusionProof(b *testing.B) {
	testdb.EachB(b, func(b *testing.B, url string) {
		db := storagetest.Open(b, url)
		size := benchSize(b)
		feed := synthFeed{n: size}
		key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		s := &tlog.Sequencer{Feed: feed, Store: db, Registrations: feed, BatchSize: 5000, Signer: key}
		drain(b, s)
		cp, ok, err := s.MaybeCheckpoint(b.Context(), 0)
		if err != nil || !ok || cp.Size != uint64(size) {
			b.Fatalf("checkpoint of size %d (made %v): %v", cp.Size, ok, err)
		}
		log := &tlog.Log{Store: db}
		// Check once that proofs in the big tree verify; the loop measures serving them.
		last, err := db.TLogLeaves(b.Context(), cp.Size-1, 1)
		if err != nil {
			b.Fatal(err)
		}
		p, err := log.InclusionProof(b.Context(), cp.Size-1, cp.Size)
		if err == nil {
			err = tlog.VerifyInclusion(last[0].Data, cp.Size-1, cp.Size, p, cp.Root)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := log.InclusionProof(b.Context(), rand.Uint64N(cp.Size), cp.Size); err != nil {
				b.Fatal(err)
			}
		}
	})
}
