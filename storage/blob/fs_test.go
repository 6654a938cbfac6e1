package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sportello/sportello/domain"
)

func TestFS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("registro di protocollo\n"), 1000)
	sum := sha256.Sum256(content)
	want := hex.EncodeToString(sum[:])

	t.Run("PutReturnsDigestAndSize", func(t *testing.T) {
		digest, size, err := s.Put(ctx, bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		if digest != want || size != int64(len(content)) {
			t.Fatalf("Put = %s, %d; want %s, %d", digest, size, want, len(content))
		}
	})
	t.Run("OpenReturnsExactBytes", func(t *testing.T) {
		rc, err := s.Open(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, _ := io.ReadAll(rc)
		if !bytes.Equal(got, content) {
			t.Fatal("content differs")
		}
	})
	t.Run("SameContentStoredOnce", func(t *testing.T) {
		if _, _, err := s.Put(ctx, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		var files int
		filepath.WalkDir(dir, func(_ string, d os.DirEntry, _ error) error {
			if !d.IsDir() {
				files++
			}
			return nil
		})
		if files != 1 {
			t.Fatalf("%d files stored, want 1 (no temporary file left either)", files)
		}
	})
	t.Run("ExistsOnlyForStoredContent", func(t *testing.T) {
		if ok, err := s.Exists(ctx, want); !ok || err != nil {
			t.Fatalf("Exists(stored) = %v, %v", ok, err)
		}
		other := sha256.Sum256([]byte("other"))
		if ok, _ := s.Exists(ctx, hex.EncodeToString(other[:])); ok {
			t.Fatal("Exists(missing) = true")
		}
		if ok, _ := s.Exists(ctx, "../../etc/passwd"); ok {
			t.Fatal("Exists(path traversal) = true")
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		other := sha256.Sum256([]byte("other"))
		_, err := s.Open(ctx, hex.EncodeToString(other[:]))
		if !domain.IsCode(err, domain.ECNotFound) {
			t.Fatalf("Open(missing) = %v, want not_found", err)
		}
	})
	t.Run("FailedReadStoresNothing", func(t *testing.T) {
		boom := errors.New("connection reset")
		_, _, err := s.Put(ctx, io.MultiReader(bytes.NewReader([]byte("partial")), errReader{boom}))
		if !errors.Is(err, boom) {
			t.Fatalf("Put = %v, want %v", err, boom)
		}
		partial := sha256.Sum256([]byte("partial"))
		if ok, _ := s.Exists(ctx, hex.EncodeToString(partial[:])); ok {
			t.Fatal("a failed upload left content under its digest")
		}
		entries, _ := os.ReadDir(filepath.Join(dir, "tmp"))
		if len(entries) != 0 {
			t.Fatalf("%d temporary files left", len(entries))
		}
	})
	t.Run("CancelledContextStops", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := s.Put(cctx, bytes.NewReader(content)); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put(cancelled) = %v", err)
		}
	})
}

// TestFSLargeContent checks the streaming path of content larger than Put reads into memory:
// exact bytes and digest, stored once, nothing left in tmp, and a read failure past the
// in-memory part stores nothing.
func TestFSLargeContent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("fascicolo "), inMemory/10+1000)
	sum := sha256.Sum256(content)
	for range 2 {
		digest, size, err := s.Put(ctx, bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		if digest != hex.EncodeToString(sum[:]) || size != int64(len(content)) {
			t.Fatalf("Put = %s, %d; want %x, %d", digest, size, sum, len(content))
		}
	}
	rc, err := s.Open(ctx, hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, content) {
		t.Fatal("content differs")
	}
	boom := errors.New("connection reset")
	if _, _, err := s.Put(ctx, io.MultiReader(bytes.NewReader(content), errReader{boom})); !errors.Is(err, boom) {
		t.Fatalf("Put(failing after %d bytes) = %v, want %v", len(content), err, boom)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) != 0 {
		t.Fatalf("%d temporary files left", len(entries))
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestFSDelete checks that disposal can destroy content, and that deleting content already
// gone (a retried disposal) is not an error.
func TestFSDelete(t *testing.T) {
	ctx := context.Background()
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	digest, _, err := s.Put(ctx, bytes.NewReader([]byte("da scartare")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, digest); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Exists(ctx, digest); ok || err != nil {
		t.Fatalf("Exists after Delete = %v, %v; want false", ok, err)
	}
	if _, err := s.Open(ctx, digest); !domain.IsCode(err, domain.ECNotFound) {
		t.Fatalf("Open after Delete: %v, want not_found", err)
	}
	if err := s.Delete(ctx, digest); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
}
