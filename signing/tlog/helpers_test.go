package tlog_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/tlog"
	"github.com/sportello/sportello/storage"
	"github.com/sportello/sportello/storage/storagetest"
)

var testNow = time.Date(2026, 11, 28, 20, 1, 2, 123456789, time.UTC)

// env is a migrated, bootstrapped database with a sequencer and a log reader on it.
type env struct {
	db  *storage.DB
	seq *tlog.Sequencer
	log *tlog.Log
	key *ecdsa.PrivateKey
	url string
	// facts counts the registrations and annulments made, the leaves the log should reach.
	facts atomic.Uint64
}

func newEnv(tb testing.TB, url string) *env {
	tb.Helper()
	db := storagetest.Open(tb, url)
	aoo := domain.AOO{IPACode: "c_h501", Code: "A1B2C3D", Name: "Comune di Roma", CreatedAt: testNow}
	if _, err := db.Bootstrap(tb.Context(), aoo, domain.Register{Code: "PG", Name: "Protocollo generale", CreatedAt: testNow}); err != nil {
		tb.Fatalf("bootstrap: %v", err)
	}
	if err := db.CreateOffice(tb.Context(), domain.Office{Code: "TEC", Name: "Ufficio tecnico", CreatedAt: testNow}, domain.Write{}); err != nil {
		tb.Fatalf("create office: %v", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return &env{db: db, key: key, url: url, seq: sequencer(db, key), log: &tlog.Log{Store: db, Registrations: db, Facts: db}}
}

// sequencer returns a sequencer on db whose clock advances a second per reading, so that
// every MaybeCheckpoint with a zero interval may sign.
func sequencer(db *storage.DB, key crypto.Signer) *tlog.Sequencer {
	var (
		mu  sync.Mutex
		now = testNow
	)
	return &tlog.Sequencer{Feed: db, Store: db, Registrations: db, Origin: "sportello.test/c_h501-A1B2C3D",
		Signer: key, Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(time.Second)
			return now
		}}
}

func newRegistration(i int) *domain.Registration {
	return &domain.Registration{
		ID: domain.NewID(), Register: "PG", Year: 2026, RegisteredAt: testNow, Date: "2026-11-28",
		Direction: domain.Incoming, Channel: domain.ChannelWeb, Subject: fmt.Sprintf("Richiesta <n. %d> & \"atti\"\n", i),
		Correspondents: []domain.Correspondent{{Role: domain.RoleSender, Type: domain.TypePerson, Name: "Mario Rossi",
			TaxCode: "RSSMRA80A01H501U", Email: "mario@example.org"}},
		SenderReference: &domain.SenderReference{Number: "42/2026", Date: "2026-11-20"},
		Document: domain.File{Filename: "domanda.pdf", MediaType: "application/pdf", Size: 1234,
			SHA256: strings.Repeat("ab", 32)},
		Attachments: []domain.File{{Filename: "allegato.txt", Description: "nota", MediaType: "text/plain", Size: 5,
			SHA256: strings.Repeat("cd", 32)}},
		Class: "VI.3", Offices: []string{"TEC"}, Dossiers: []string{}, Status: domain.StatusActive, CreatedBy: "operator",
	}
}

// register creates n registrations and returns them in creation order.
func (e *env) register(tb testing.TB, n int) []*domain.Registration {
	tb.Helper()
	out := make([]*domain.Registration, n)
	for i := range out {
		r := newRegistration(i)
		if err := e.db.CreateRegistration(tb.Context(), r, domain.Write{}); err != nil {
			tb.Fatalf("create registration: %v", err)
		}
		out[i] = r
		e.facts.Add(1)
	}
	return out
}

func (e *env) annul(tb testing.TB, id string) *domain.Registration {
	tb.Helper()
	r, err := e.db.UpdateRegistration(tb.Context(), id, func(r *domain.Registration) (domain.Write, error) {
		r.Status = domain.StatusAnnulled
		r.Annulment = &domain.Annulment{Reason: "errore materiale", Authorization: "det. 12/2026", By: "officer",
			ByName: "Records Officer", At: testNow.Add(time.Hour)}
		return domain.Write{}, nil
	})
	if err != nil {
		tb.Fatalf("annul %s: %v", id, err)
	}
	e.facts.Add(1)
	return r
}

// drain steps until nothing is left and returns the number of leaves appended.
func drain(tb testing.TB, s *tlog.Sequencer) int {
	tb.Helper()
	total := 0
	for {
		n, err := s.Step(tb.Context())
		if err != nil {
			tb.Fatalf("step: %v", err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

// integrate steps until every fact made so far is logged. On PostgreSQL the change feed holds
// back events while any older transaction on the server is running — other tests' included —
// so a single step may not see a registration that has just committed.
func (e *env) integrate(tb testing.TB) {
	tb.Helper()
	want := e.facts.Load()
	deadline := time.Now().Add(30 * time.Second)
	for {
		drain(tb, e.seq)
		st, err := e.db.TLogState(tb.Context())
		if err != nil {
			tb.Fatal(err)
		}
		if st.Size >= want {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("log size %d, want %d", st.Size, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkpoint integrates and signs a checkpoint, failing unless one is made.
func (e *env) checkpoint(tb testing.TB) tlog.Checkpoint {
	tb.Helper()
	e.integrate(tb)
	cp, ok, err := e.seq.MaybeCheckpoint(tb.Context(), 0)
	if err != nil || !ok {
		tb.Fatalf("checkpoint: %v, made %v", err, ok)
	}
	return cp
}

// failingTSA is a time-stamp authority that is down until up is set.
type failingTSA struct {
	mu sync.Mutex
	up bool
}

func (f *failingTSA) Timestamp(_ context.Context, digest []byte, _ crypto.Hash) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.up {
		return nil, errors.New("tsa unreachable")
	}
	return append([]byte("token:"), digest...), nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
