package api

import (
	"strconv"
	"testing"
	"time"
)

// TestBucketsBounded: a limiter forgets idle buckets and never holds more than maxBuckets.
func TestBucketsBounded(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	t.Run("IdleDropped", func(t *testing.T) {
		b := newBuckets(1, 1)
		b.take("a", t0)
		b.take("b", t0.Add(sweepEvery))
		if _, ok := b.m["a"]; ok || len(b.m) != 1 {
			t.Errorf("buckets %v: a is full again and should be gone", b.m)
		}
	})
	t.Run("NeverOverMax", func(t *testing.T) {
		b := newBuckets(1, 1)
		for i := range maxBuckets {
			b.take(strconv.Itoa(i), t0)
		}
		b.take("one more", t0)
		if len(b.m) > maxBuckets {
			t.Errorf("%d buckets, more than %d", len(b.m), maxBuckets)
		}
		if wait, ok := b.take("one more", t0); ok || wait != time.Second {
			t.Errorf("the new bucket answers %v %v, want empty for a second", wait, ok)
		}
	})
}
