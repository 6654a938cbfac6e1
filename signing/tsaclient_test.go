package signing

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestTSAClient(t *testing.T) {
	_, tsa := fixtures(t)
	digest := sha256.Sum256([]byte("pacchetto di archiviazione"))
	ctx := context.Background()

	t.Run("SucceedsAfterTwoFailures", func(t *testing.T) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) <= 2 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			tsa.ServeHTTP(w, r)
		}))
		defer srv.Close()
		c := &TSAClient{URL: srv.URL, Timeout: time.Second, MaxAttempts: 3, Backoff: time.Millisecond, Roots: pool(tsa.Certificate())}
		token, err := c.Timestamp(ctx, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatalf("Timestamp: %v", err)
		}
		if calls.Load() != 3 {
			t.Errorf("%d calls, want 3", calls.Load())
		}
		if _, err := VerifyToken(token, digest[:], crypto.SHA256, nil, pool(tsa.Certificate())); err != nil {
			t.Fatalf("VerifyToken: %v", err)
		}
	})

	t.Run("ErrServerNeverAnswers", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		c := &TSAClient{URL: srv.URL, Timeout: 100 * time.Millisecond, MaxAttempts: 2, Backoff: 10 * time.Millisecond}
		done := make(chan error, 1)
		go func() {
			_, err := c.Timestamp(ctx, digest[:], crypto.SHA256)
			done <- err
		}()
		// The bound is generous (attempts × timeout is 0.2s); the test
		// checks that the client gives up, not how fast.
		select {
		case err := <-done:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want a deadline error", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("client did not give up")
		}
	})

	t.Run("ErrClientErrorNotRetried", func(t *testing.T) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			http.Error(w, "no", http.StatusForbidden)
		}))
		defer srv.Close()
		c := &TSAClient{URL: srv.URL, MaxAttempts: 3, Backoff: time.Millisecond}
		if _, err := c.Timestamp(ctx, digest[:], crypto.SHA256); err == nil {
			t.Fatal("403 accepted")
		}
		if calls.Load() != 1 {
			t.Errorf("%d calls, want 1", calls.Load())
		}
	})

	t.Run("ErrReplyForAnotherDigest", func(t *testing.T) {
		other := sha256.Sum256([]byte("something else"))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, err := tsa.Timestamp(r.Context(), other[:], crypto.SHA256)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			reply, _ := grantedReply(token)
			w.Header().Set("Content-Type", "application/timestamp-reply")
			_, _ = w.Write(reply)
		}))
		defer srv.Close()
		c := &TSAClient{URL: srv.URL, MaxAttempts: 1}
		if _, err := c.Timestamp(ctx, digest[:], crypto.SHA256); !errors.Is(err, ErrTokenMismatch) {
			t.Fatalf("got %v, want ErrTokenMismatch", err)
		}
	})
}
