package search

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
)

func TestPutAndDelete(t *testing.T) {
	x := openFixtures(t)
	t.Run("PutSameIDOverwrites", func(t *testing.T) {
		d := fixtures(t)[0]
		d.Subject = "Rilascio di certificati di residenza storica"
		d.Position = 7
		if err := x.Put(t.Context(), d, d); err != nil {
			t.Fatal(err)
		}
		if n, err := x.Count(); err != nil || n != 6 {
			t.Fatalf("count %d, %v; want 6", n, err)
		}
		res := expect(t, x, Query{Q: "residenza"}, "r42")
		if res.Items[0].Subject != d.Subject {
			t.Errorf("subject %q, want the new version", res.Items[0].Subject)
		}
	})
	t.Run("DeleteRemovesFromEveryYear", func(t *testing.T) {
		if err := x.Delete(t.Context(), "r42", "r2025-10", "unknown"); err != nil {
			t.Fatal(err)
		}
		if n, err := x.Count(); err != nil || n != 4 {
			t.Fatalf("count %d, %v; want 4", n, err)
		}
		expect(t, x, Query{Q: "residenza"})
	})
	t.Run("ErrDocumentWithoutID", func(t *testing.T) {
		wantCode(t, x.Put(t.Context(), Document{Subject: "x"}), domain.ECValidation)
	})
}

func TestWaitFor(t *testing.T) {
	x := openFixtures(t) // positions 1 to 6
	t.Run("ReturnsAtOnceWhenReached", func(t *testing.T) {
		if err := x.WaitFor(t.Context(), 6); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ReturnsWhenPutReachesPosition", func(t *testing.T) {
		done := make(chan error)
		go func() { done <- x.WaitFor(t.Context(), 9) }()
		d := fixtures(t)[1]
		for _, pos := range []int64{8, 9} {
			select {
			case err := <-done:
				t.Fatalf("returned before position 9 was indexed: %v", err)
			case <-time.After(20 * time.Millisecond):
			}
			d.Position = pos
			if err := x.Put(t.Context(), d); err != nil {
				t.Fatal(err)
			}
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := x.Position(); got != 9 {
			t.Errorf("position %d, want 9", got)
		}
	})
	t.Run("ErrWhenContextEnds", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
		defer cancel()
		if err := x.WaitFor(ctx, 100); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v, want deadline exceeded", err)
		}
	})
	t.Run("PositionNeverGoesBack", func(t *testing.T) {
		d := fixtures(t)[2]
		d.Position = 2
		if err := x.Put(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		if got := x.Position(); got != 9 {
			t.Errorf("position %d, want 9", got)
		}
	})
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Put(t.Context(), fixtures(t)...); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrPutAfterClose", func(t *testing.T) {
		if err := x.Put(t.Context(), fixtures(t)[0]); !errors.Is(err, errClosed) {
			t.Fatalf("error %v, want closed", err)
		}
	})
	y, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	t.Run("KeepsDocumentsAndPosition", func(t *testing.T) {
		if n, err := y.Count(); err != nil || n != 6 {
			t.Fatalf("count %d, %v; want 6", n, err)
		}
		if got := y.Position(); got != 6 {
			t.Errorf("position %d, want 6", got)
		}
		expect(t, y, Query{Q: "PG/2026/42"}, "r42")
	})
}
