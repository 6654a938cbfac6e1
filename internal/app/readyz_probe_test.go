package app

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type countingPinger struct {
	calls atomic.Int64
	err   error
}

func (p *countingPinger) Ping(context.Context) error {
	p.calls.Add(1)
	time.Sleep(10 * time.Millisecond)
	return p.err
}

// TestBlobProbeCaches: a load balancer's polls within the probe's period cost the blob store
// one check, concurrent polls included, and its answer (an error too) is what they all get.
func TestBlobProbeCaches(t *testing.T) {
	store := &countingPinger{err: errors.New("connection refused")}
	p := newBlobProbe(store, time.Hour)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := p.ready(context.Background()); err == nil || err.Error() != "connection refused" {
				t.Errorf("ready = %v, want the store's error", err)
			}
		})
	}
	wg.Wait()
	if n := store.calls.Load(); n != 1 {
		t.Fatalf("20 polls within the period pinged the store %d times, want 1", n)
	}
	p.at = time.Now().Add(-2 * time.Hour) // the period is over
	store.err = nil
	if err := p.ready(context.Background()); err != nil || store.calls.Load() != 2 {
		t.Fatalf("after the period: %v, %d pings; want a new check answering nil", err, store.calls.Load())
	}
	if newBlobProbe(struct{}{}, 0) != nil {
		t.Fatal("a store without Ping has a probe")
	}
}
